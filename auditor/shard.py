"""Shards: one lock audited by N processes or machines (a CI matrix, a Kubernetes Indexed Job), then
merged into one results.json, report and exit code.

The split is by release, deterministic (the same on every machine and run: it depends only on the
lock's content) and balanced by expected cost: the number of files a release is locked with (its
wheels, nearly always what makes a release costly), assigned greedily, costliest first, to the
shard with the least cost so far.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.records import Lock
from auditor.results import counts, rebuilt


def parse(spec: str) -> tuple[int, int]:
    """`K/N` (1 <= K <= N) -> (K, N)."""
    m = re.fullmatch(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*", spec or "")
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise InputError(f"--shard takes K/N with 1 <= K <= N (for example 2/3), not {spec!r}")
    return int(m.group(1)), int(m.group(2))


def lock_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assign(lock: Lock, n: int) -> list[int]:
    """The shard (1..n) of each release, in lock order."""
    cost = [len(r.hashes) + 1 for r in lock.releases]
    order = sorted(range(len(lock.releases)), key=lambda i: (-cost[i], lock.releases[i].name, lock.releases[i].version, i))
    load = [0] * n
    out = [0] * len(lock.releases)
    for i in order:
        k = min(range(n), key=lambda j: (load[j], j))
        load[k] += cost[i]
        out[i] = k + 1
    return out


def select(lock: Lock, k: int, n: int) -> Lock:
    shards = assign(lock, n)
    return dataclasses.replace(lock, releases=tuple(r for r, s in zip(lock.releases, shards) if s == k),
                               skipped=lock.skipped if k == 1 else ())


def describe(lock: Lock, k: int, n: int) -> dict[str, Any]:
    """What results.json records of its shard, for `auditor merge` to check."""
    return {"index": k, "count": n, "lock_sha256": lock_digest(lock.path),
            "releases": [f"{r.name}=={r.version}" for r in select(lock, k, n).releases]}


def _missing(parts: list[tuple[str, dict]]) -> tuple[list[dict[str, Any]], int]:
    """The releases each shard was given (its `shard.releases`) that its results lack (it stopped early), and
    how many releases the shards were given in all."""
    missing, expected = [], 0
    for name, data in sorted(parts, key=lambda x: x[1]["shard"]["index"]):
        given = list(data["shard"].get("releases") or [])
        expected += len(given)
        have = {f"{p['name']}=={p['version']}" for p in data["packages"]}
        lacking = [r for r in given if r not in have]
        if lacking:
            missing.append({"shard": data["shard"]["index"], "file": name, "releases": lacking,
                            "complete": bool(data.get("complete"))})
    return missing, expected


def merge(parts: list[tuple[str, dict]]) -> dict[str, Any]:
    """One results dict from the shards' (name, results) pairs; refuses shards of different locks,
    counts or auditor versions, a shard given twice, and a missing shard, each in one line."""
    if not parts:
        raise InputError("merge needs at least one results.json")
    first_name, first = parts[0]
    for name, data in parts:
        sh = data.get("shard")
        if not isinstance(sh, dict):
            raise InputError("not a shard's results (run `auditor check --shard K/N`)", file=name)
        for key, what in (("lock_sha256", "lock"), ("count", "shard count")):
            if sh.get(key) != first["shard"].get(key):
                raise InputError(f"another {what} than {first_name}'s ({sh.get(key)} vs {first['shard'].get(key)})",
                                 file=name)
        for key in ("auditor_version",):
            if data["environment"].get(key) != first["environment"].get(key):
                raise InputError(f"written by auditor {data['environment'].get(key)}, {first_name} by "
                                 f"{first['environment'].get(key)}: merge shards of one version", file=name)
    seen: dict[int, str] = {}
    for name, data in parts:
        k = data["shard"]["index"]
        if k in seen:
            raise InputError(f"shard {k} given twice (also {seen[k]})", file=name)
        seen[k] = name
    n = first["shard"]["count"]
    absent = sorted(set(range(1, n + 1)) - set(seen))
    if absent:
        raise InputError(f"shards {', '.join(map(str, absent))} of {n} are missing")
    packages = sorted((p for _, d in parts for p in d["packages"]), key=lambda p: (p.get("lock_line") or 0, p["name"]))
    missing, expected = _missing(parts)
    merged = dict(first)
    merged.update(
        packages=packages, counts=counts(packages), rebuilt=rebuilt(packages, expected),
        started=min(d["started"] for _, d in parts), finished=max((d.get("finished") or "") for _, d in parts) or None,
        complete=all(d.get("complete") for _, d in parts) and not missing, missing=missing,
        skipped=[x for _, d in parts for x in d.get("skipped") or []],
        shard={"merged": sorted(seen), "count": n, "lock_sha256": first["shard"]["lock_sha256"]},
    )
    merged["environment"] = dict(first["environment"], shards=[
        {"index": d["shard"]["index"], "host": d["environment"].get("host"), "started": d["started"],
         "finished": d.get("finished"), "stats": d.get("stats")} for _, d in sorted(parts, key=lambda x: x[1]["shard"]["index"])])
    return merged
