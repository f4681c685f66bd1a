"""Plain typed records that pass between the pipeline's stages.

lockfile -> LockedRelease; index -> IndexFile; plan -> BuildPlan; rebuild -> BuildOutcome;
judge -> Comparison (of Differences). Package and wheel results are plain dicts, as in results.json
(schema/results.schema.json).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    IDENTICAL = "identical"
    EQUIVALENT = "equivalent"
    PARTIAL = "partial"
    UNVERIFIABLE = "unverifiable"
    FAILED = "failed"
    DIFFERS = "differs"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


# Package verdict = worst of its wheels: differs > failed > unverifiable > partial > equivalent > identical.
_SEVERITY = {
    Verdict.IDENTICAL: 0,
    Verdict.EQUIVALENT: 1,
    Verdict.PARTIAL: 2,
    Verdict.UNVERIFIABLE: 3,
    Verdict.FAILED: 4,
    Verdict.DIFFERS: 5,
}


def worst(verdicts: list[Verdict]) -> Verdict | None:
    return max(verdicts, key=lambda v: v.severity) if verdicts else None


@dataclass(frozen=True)
class LockedRelease:
    """One pinned release of a lock: name==version with the sha256 hashes the lock allows."""

    name: str  # canonical name (PEP 503)
    version: str
    hashes: frozenset[str]  # lowercase sha256 hex digests
    file: str  # the lock file this pin was read from
    line: int  # 1-based line of the pin in that file
    marker: str | None = None
    index_url: str | None = None  # index named by the lock itself, if any
    url: str | None = None  # direct URL, VCS URL or local path of a non-registry pin
    source: str = "registry"  # registry | url | vcs | path | directory | editable | virtual


@dataclass(frozen=True)
class SkippedPin:
    """A lock entry that is not a dependency to audit (the project being locked), with why."""

    name: str
    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class Lock:
    path: str
    format: str
    releases: tuple[LockedRelease, ...]
    index_urls: tuple[str, ...] = ()
    skipped: tuple[SkippedPin, ...] = ()


@dataclass(frozen=True)
class IndexFile:
    """A file the package index serves for a release."""

    filename: str
    url: str
    sha256: str | None
    upload_time: datetime | None = None
    yanked: str | None = None  # None: not yanked; "" yanked without reason; else the reason
    requires_python: str | None = None
    size: int | None = None
    provenance: str | None = None  # PEP 740 provenance URL, when offered

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def is_sdist(self) -> bool:
        return self.filename.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz"))


@dataclass
class Difference:
    path: str
    kind: str  # added | removed | content | metadata | mode | archive
    detail: str = ""
    cls: str = "code"  # what it could do once installed: code | metadata | packaging (judge/rules.classify)
    cause: str | None = None  # probable cause, when known


@dataclass
class Comparison:
    normalizations: list[str]
    differences: list[Difference]
    # members whose bytes differ but are compiled code (for the binary-wheel partial verdict)
    compiled_differences: list[Difference] = field(default_factory=list)
    members_verified: int = 0
    mtime_members: int = 0  # members whose zip time differs (how far a timestamp policy is off)
    crlf_members: list[str] = field(default_factory=list)  # verified under crlf-line-endings
    format_notes: list[str] = field(default_factory=list)  # what differed only in spelling (metadata-format)
    tool_steps: list[str] = field(default_factory=list)  # repair-tool output accepted (judge/rules.TOOL_STEPS)
    gzipped: list[str] = field(default_factory=list)  # published X.gz members equal to the rebuild's X


@dataclass
class TimestampPolicy:
    source_date_epoch: int | None
    name: str  # e.g. "uniform:2016-01-01T00:00:00", "mtime", "mtime:Europe/London"
    reason: str
    tz: str | None = None  # TZ inside the build (None: UTC), for builders that write local times


@dataclass
class BuildRequirement:
    name: str
    version: str
    filename: str
    sha256: str


@dataclass
class BuildPlan:
    """Everything a rebuild depends on, decided on the host before anything runs."""

    backend: str | None  # distribution name of the backend pinned from Generator, e.g. "flit-core"
    backend_version: str | None
    generator: str | None
    requires: list[str]  # build requirements as declared/pinned, before resolution
    cutoff: datetime | None  # resolve other build requirements as of this time
    timestamp: TimestampPolicy
    python: str = "3"
    alternatives: list[TimestampPolicy] = field(default_factory=list)  # tried in order if not identical
    variant: str | None = None  # plan/variants.py: universal, mypyc
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the variant
    options: dict[str, Any] = field(default_factory=dict)  # driver options of the variant ({"universal": True})

    def config(self) -> tuple[Any, ...]:
        """The build configuration without its cutoff: wheels built alike, uploaded minutes apart."""
        return (tuple(self.requires), self.timestamp.source_date_epoch, self.timestamp.tz, self.variant)


@dataclass
class BuildOutcome:
    wheel_path: str | None
    log: str
    reason: str | None = None  # why no wheel: build-failed, timeout, missing-build-dependencies, ...
    seconds: float = 0.0
    missing: list[str] = field(default_factory=list)  # dynamic build requirements the backend asked for
    installer: str | None = None  # what installed the build requirements in the sandbox (uv, or pip)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per driver phase (venv, install, build, …)


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat().replace("+00:00", "Z")
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [to_jsonable(x) for x in obj]
        return sorted(items) if isinstance(obj, (set, frozenset)) else items
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj
