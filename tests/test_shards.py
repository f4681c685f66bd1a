"""Shards: three processes each audit a deterministic part of one lock, `auditor merge` makes one
results.json, report and exit code, the same as a single run; mismatched shards are refused."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from auditor import shard
from auditor.errors import InputError
from auditor.lockfiles import read_lock
from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project, rewrite_wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _lock(tmp_path, index):
    lines = []
    for i, name in enumerate(["fixsh1", "fixsh2", "fixsh3", "fixsh4", "fixsh5"]):
        sdist, wheel = build_project(make_project(tmp_path / "src", name, "1.0"), tmp_path / "dist" / name)
        if i == 3:  # one tampered wheel: the exit code must survive the merge
            (tmp_path / "bad").mkdir()
            wheel = rewrite_wheel(wheel, tmp_path / "bad" / wheel.name, lambda m: m.__setitem__("evil.pth", b"import os\n"))
        lines.append(lock_line(name, "1.0", index.add(name, sdist, NOW), index.add(name, wheel, NOW)))
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + "".join(lines))
    return lock


def _run(*args):
    return subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True, text=True, timeout=900)


def test_assignment_is_deterministic_balanced_and_complete(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text("".join(lock_line(f"p{i}", "1.0", *[f"{i:02d}{j:062d}" for j in range(1 + i % 4)]) for i in range(10)))
    lk = read_lock(lock)
    a = shard.assign(lk, 3)
    assert a == shard.assign(read_lock(lock), 3) and set(a) == {1, 2, 3}
    loads = [sum(len(r.hashes) + 1 for r, s in zip(lk.releases, a) if s == k) for k in (1, 2, 3)]
    assert max(loads) - min(loads) <= 4
    assert sorted(r.name for k in (1, 2, 3) for r in shard.select(lk, k, 3).releases) == sorted(r.name for r in lk.releases)
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(InputError):
            shard.parse(bad)


def test_three_shards_merge_to_the_single_run(tmp_path, index, container_backend):
    lock = _lock(tmp_path, index)
    cache = tmp_path / "cache"
    common = ["--cache-dir", str(cache), "--build-index-url", PYPI, "--backend", container_backend, "-q"]
    single = _run("check", str(lock), "--report-dir", str(tmp_path / "single"), "--no-result-cache", *common)
    shards = [subprocess.Popen([sys.executable, "-m", "auditor", "check", str(lock), "--shard", f"{k}/3", "--report-dir",
                                str(tmp_path / f"s{k}"), "--no-result-cache", *common],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2, 3)]
    for p in shards:
        p.communicate(timeout=900)
    merged = _run("merge", *[str(tmp_path / f"s{k}" / "results.json") for k in (1, 2, 3)],
                  "--report-dir", str(tmp_path / "merged"))
    assert single.returncode == merged.returncode == 1, (single.stderr, merged.stderr)
    a = json.loads((tmp_path / "single" / "results.json").read_text())
    b = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert [(p["name"], p["verdict"], p["reason"]) for p in a["packages"]] == \
        [(p["name"], p["verdict"], p["reason"]) for p in b["packages"]]
    assert a["counts"] == b["counts"] and b["shard"]["merged"] == [1, 2, 3]
    assert (tmp_path / "merged" / "index.html").is_file() and "fixsh4" in (tmp_path / "merged" / "summary.md").read_text()
    # refused: a shard twice, a missing shard, another lock's shard
    twice = _run("merge", str(tmp_path / "s1" / "results.json"), str(tmp_path / "s1" / "results.json"),
                 str(tmp_path / "s2" / "results.json"), "--report-dir", str(tmp_path / "m2"))
    assert twice.returncode == 2 and "shard 1 given twice" in twice.stderr
    missing = _run("merge", str(tmp_path / "s1" / "results.json"), "--report-dir", str(tmp_path / "m3"))
    assert missing.returncode == 2 and "shards 2, 3 of 3 are missing" in missing.stderr
    other = json.loads((tmp_path / "s3" / "results.json").read_text())
    other["shard"]["lock_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(other))
    mixed = _run("merge", str(tmp_path / "s1" / "results.json"), str(tmp_path / "s2" / "results.json"),
                 str(tmp_path / "other.json"), "--report-dir", str(tmp_path / "m4"))
    assert mixed.returncode == 2 and "another lock" in mixed.stderr
    version = json.loads((tmp_path / "s3" / "results.json").read_text())
    version["environment"]["auditor_version"] = "0.0.1"
    (tmp_path / "version.json").write_text(json.dumps(version))
    old = _run("merge", str(tmp_path / "s1" / "results.json"), str(tmp_path / "s2" / "results.json"),
               str(tmp_path / "version.json"), "--report-dir", str(tmp_path / "m5"))
    assert old.returncode == 2 and "merge shards of one version" in old.stderr


def test_the_verdict_cache_travels(tmp_path, index, container_backend):
    lock = _lock(tmp_path, index)
    common = ["--build-index-url", PYPI, "--backend", container_backend, "-q"]
    first = _run("check", str(lock), "--report-dir", str(tmp_path / "r1"), "--cache-dir", str(tmp_path / "c1"), *common)
    assert first.returncode == 1
    exported = _run("cache", "export", str(tmp_path / "verdicts.tar.gz"), "--cache-dir", str(tmp_path / "c1"))
    assert exported.returncode == 0 and "5 verdict(s)" in exported.stdout
    imported = _run("cache", "import", str(tmp_path / "verdicts.tar.gz"), "--cache-dir", str(tmp_path / "c2"))
    assert imported.returncode == 0 and "5 verdict(s) added" in imported.stdout
    second = _run("check", str(lock), "--report-dir", str(tmp_path / "r2"), "--cache-dir", str(tmp_path / "c2"), *common)
    res = json.loads((tmp_path / "r2" / "results.json").read_text())
    assert second.returncode == 1 and all(p.get("cached") for p in res["packages"]), res["packages"]
