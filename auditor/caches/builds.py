"""Rebuilds cached by their build inputs, apart from verdicts.

A build's outcome depends on the sdist's bytes, the build environment (the image's ID), the in-sandbox
driver and frontend, the exact build requirements (pins with hashes), the environment and options of the
plan (SOURCE_DATE_EPOCH, TZ, variant switches), the interpreter and the build timeout: those are the key.
The judge's code is not: when only a judging rule changes, the verdict cache (caches/verdicts.py) misses, the
audit runs again, and every build it asks for is taken from here, so the verdicts are recomputed from the
rebuilds without running the sandbox. A change to the image or the driver rebuilds. Builds in an
environment that is not pinned (the local backend) are never cached. A build that timed out is cached too
(the timeout is part of the key): a nightly run does not compile grpcio for 15 minutes to time out again;
the verdict says so, and a larger --build-timeout builds again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Protocol

from auditor.caches.downloads import Cache
from auditor.fsutil import write_json_atomic
from auditor.records import BuildOutcome

class Job(Protocol):
    """What the key reads of a build job (sandbox.BuildJob)."""

    @property
    def python(self) -> str | None: ...
    @property
    def env(self) -> dict[str, str]: ...
    @property
    def timeout(self) -> float: ...
    @property
    def inputs(self) -> tuple[str, ...]: ...


NEVER_CACHED: set[str] = set()  # outcomes not kept (none today: a timeout is kept under its own --build-timeout)


def key(environment: str, sdist_sha256: str, job: Job, requirements: str, driver: str) -> str:
    parts: dict[str, object] = {"environment": environment, "sdist": sdist_sha256, "driver": driver, "python": job.python,
             "requirements": requirements, "env": job.env, "timeout": job.timeout}
    if job.inputs:  # crates and wrap downloads, by their pinned sha256 (absent for builds that have none)
        parts["inputs"] = sorted(job.inputs)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def get(cache: Cache, k: str, out_dir: Path) -> BuildOutcome | None:
    """The cached outcome, its wheel taken from the content-addressed cache (re-hashed there) into out_dir
    under its own name (the name carries the wheel's tags)."""
    try:
        data = json.loads((cache.dir("builds") / f"{k}.json").read_text())
    except (OSError, ValueError):
        return None
    wheel = None
    if data.get("wheel_sha256"):
        wheel = cache.get(data["wheel_sha256"])
        if wheel is None:
            return None  # the wheel is gone: build again
        named = out_dir / Path(data["wheel_filename"]).name
        out_dir.mkdir(parents=True, exist_ok=True)
        if not named.exists():
            try:
                named.hardlink_to(wheel)
            except OSError:
                shutil.copyfile(wheel, named)
        wheel = named
    return BuildOutcome(wheel_path=str(wheel) if wheel else None, log=data.get("log", ""), reason=data.get("reason"),
                        seconds=data.get("seconds", 0.0), missing=data.get("missing") or [],
                        installer=data.get("installer"), phases=data.get("phases") or {})


def put(cache: Cache, k: str, outcome: BuildOutcome) -> None:
    if outcome.reason in NEVER_CACHED:
        return
    data = {"log": outcome.log, "reason": outcome.reason, "seconds": outcome.seconds, "missing": outcome.missing,
            "installer": outcome.installer, "phases": outcome.phases}
    if outcome.wheel_path:
        data["wheel_sha256"] = cache.put_file(Path(outcome.wheel_path))[0]
        data["wheel_filename"] = Path(outcome.wheel_path).name
    try:
        write_json_atomic(cache.dir("builds") / f"{k}.json", data)
    except OSError:
        pass  # only a shortcut for the next run
