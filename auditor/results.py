"""results.json: the one source of truth for the terminal summary, the HTML report and CI.

Written atomically (temp file + rename) after every package, so an interrupted run keeps what it
had; `complete` is false until the run ends. The format is described by schema/results.schema.json.
"""

from __future__ import annotations

import json
import resource
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.fsutil import write_json_atomic
from auditor.records import RepoVerdict, Verdict

SCHEMA_VERSION = 1
EXIT_OK, EXIT_DIFFERS, EXIT_USAGE, EXIT_UNVERIFIED = 0, 1, 2, 3


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def counts(packages: list[dict]) -> dict[str, int]:
    out = {v.value: 0 for v in Verdict}
    for p in packages:
        if p.get("verdict") in out:
            out[p["verdict"]] += 1
    return out


FAIL_ON = {"code": {"code"}, "metadata": {"code", "metadata"}, "any": {"code", "metadata", "packaging"}}


def differing_classes(package: dict) -> set[str]:
    """The classes of the differences that make a package `differs` (code when none is recorded: a hash
    mismatch, an unreadable wheel, an sdist that does not match its lock)."""
    out: set[str] = set()
    for w in (package.get("wheels") or []) + (package.get("unlocked") or []):
        if w.get("verdict") == "differs":
            out |= set(w.get("classes") or ["code"])
    repo = package.get("source_repo") or {}
    if repo.get("verdict") == RepoVerdict.DIFFERS:
        out |= {d.get("cls") or "code" for d in repo.get("differences") or []}
    return out or {"code"}


# the checks of a wheel compared with a rebuild made here (anything else got the sources check, or none)
REBUILT_CHECKS = ("rebuilt", "rebuilt-binary", "rebuilt-pure-variant", "rebuilt-other-platform")


def rebuilt(packages: list[dict], expected: int | None = None) -> dict[str, int]:
    """How many releases (and published wheels) were compared with a rebuild made here, of how many: what
    the verdict counts alone do not say (a `failed` release got at best the sources check). `expected`: how
    many releases the lock holds, when the results may lack some (a merge of shards that stopped early)."""
    wheels = [w for p in packages for w in (p.get("wheels") or []) + (p.get("unlocked") or [])]
    return {"releases": sum(1 for p in packages if p.get("rebuilt_here")),
            "of": len(packages) if expected is None else max(expected, len(packages)),
            "wheels": sum(1 for w in wheels if w.get("check") in REBUILT_CHECKS), "wheels_of": len(wheels)}


def time_split(packages: list[dict]) -> dict[str, float]:
    """Seconds spent per stage (index, download, resolve, build, compare, diffoscope), summed over the
    packages audited in this run (a package read from the verdict cache spent none): where the time went."""
    out: dict[str, float] = {}
    for p in packages:
        if p.get("cached"):
            continue
        for stage, secs in (p.get("timings") or {}).items():
            out[stage] = round(out.get(stage, 0.0) + secs, 1)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


@dataclass(frozen=True)
class RunSummary:
    """What a run comes to, computed once from its results (summarize) and read by every formatter (terminal,
    index.html, summary.md, SARIF) and by the exit code: verdict counts, how much was rebuilt here, where the
    time went, and the classes each `differs` release differs in."""

    counts: dict[str, int]
    rebuilt: dict[str, int]
    time_split: dict[str, float]
    differs_classes: tuple[frozenset[str], ...] = ()

    def counts_line(self) -> str:
        return "  ".join(f"{k}: {v}" for k, v in self.counts.items() if v) or "no packages"

    def rebuilt_line(self) -> str:
        """"rebuilt here: 12 of 15 releases (140 of 150 wheels compared with a rebuild)": beside the verdicts,
        so nobody has to infer which releases a `failed` or `differs` was rebuilt for."""
        r = self.rebuilt
        return (f"rebuilt here: {r['releases']} of {r['of']} releases ({r['wheels']} of {r['wheels_of']} wheels "
                "compared with a rebuild; the rest got the sources check at best)")

    def time_line(self) -> str:
        total = sum(self.time_split.values())
        if not total:
            return "time: nothing audited afresh (every verdict from the cache)"
        return "time spent (summed over packages): " + ", ".join(f"{k} {v:.0f} s ({100 * v / total:.0f}%)"
                                                                   for k, v in self.time_split.items())

    def exit_code(self, strict: bool, fail_on: str = "code") -> int:
        """1 when a release differs in a class --fail-on names (default code: what could change what runs);
        3 under --strict when nothing does but something was not verified; else 0."""
        if any(classes & FAIL_ON[fail_on] for classes in self.differs_classes):
            return EXIT_DIFFERS
        c = self.counts
        if strict and (c["failed"] or c["unverifiable"] or c["partial"] or c["differs"]):
            return EXIT_UNVERIFIED
        return EXIT_OK


def summarize(data: dict[str, Any]) -> RunSummary:
    """The run's summary from its results (a merge's `rebuilt`, which counts releases its shards missed, kept)."""
    packages = data.get("packages", [])
    return RunSummary(counts=counts(packages), rebuilt=data.get("rebuilt") or rebuilt(packages),
                      time_split=time_split(packages),
                      differs_classes=tuple(frozenset(differing_classes(p)) for p in packages if p.get("verdict") == "differs"))


class ResultsWriter:
    def __init__(self, path: Path, lockfile: str | None, environment: dict[str, Any], command: str = "check",
                 skipped: list[dict[str, Any]] | None = None, shard: dict[str, Any] | None = None):
        self.path = path
        self.data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "command": command,
            "lockfile": lockfile,
            "started": _now(),
            "finished": None,
            "complete": False,
            "environment": environment,
            "counts": counts([]),
            "rebuilt": rebuilt([]),
            "packages": [],
            "skipped": skipped or [],
        }
        if shard is not None:
            self.data["shard"] = shard
        self._by_position: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        write_json_atomic(self.path, self.data)

    def put(self, position: int, package: dict[str, Any]) -> None:
        """Record the package at `position` in the lock; packages stay in lock order whatever finishes first."""
        with self._lock:
            self._by_position[position] = package
            self.data["packages"] = [self._by_position[k] for k in sorted(self._by_position)]
            self.data["counts"] = counts(self.data["packages"])
            self.data["rebuilt"] = rebuilt(self.data["packages"])
            write_json_atomic(self.path, self.data, compact=True)

    def finish(self, complete: bool = True) -> dict[str, Any]:
        with self._lock:
            self.data["finished"] = _now()
            self.data["complete"] = complete
            usage = resource.getrusage(resource.RUSAGE_SELF)
            self.data["stats"] = {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                                  "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                                  "stage_seconds": time_split(self.data["packages"])}
            write_json_atomic(self.path, self.data)
            return self.data


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such results file", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"not an auditor results file (schema_version {SCHEMA_VERSION})", file=str(path))
    return data
