"""Plain typed records that pass between the pipeline's stages.

lockfile -> LockedRelease; index -> IndexFile; plan -> BuildPlan; rebuild -> BuildOutcome and
BuildRecord; judge -> Comparison (of Differences) and the fields of a WheelResult; findings -> Finding;
the whole audit of a release -> PackageResult. These results are serialized in one place,
to_jsonable() (an optional field is left out while it is None), into results.json
(schema/results.schema.json); from_dict() reads them back (the verdict cache).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.judgement import WheelJudgement


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


class RepoVerdict(str, Enum):
    """The sdist against its repository at the release's tag (auditor/sourcerepo, --source-repo)."""

    MATCHES = "matches"  # every file the tree's, byte for byte
    EXPLAINED = "explained"  # the rest accounted for by registered source rules, named
    DIFFERS = "differs"  # a file not in, or not as, the tree's: the chain's first link is broken
    UNAVAILABLE = "unavailable"  # no repository named, or it could not be fetched (said why)


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
    python: str | None = None  # the Python the lock was made for, as a specifier ("==3.11", ">=3.9"), if it says
    python_source: str | None = None  # where that was read


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
    members_verified: int = 0  # byte for byte or after a named rule
    members_identical: int = 0  # of those, byte for byte
    interface_verified: int = 0  # compiled members whose interface matches the rebuild's (judge/interface.py)
    mtime_members: int = 0  # members whose zip time differs (how far a timestamp policy is off)
    crlf_members: list[str] = field(default_factory=list)  # verified under crlf-line-endings
    format_notes: list[str] = field(default_factory=list)  # what differed only in spelling (metadata-format)
    tool_steps: list[str] = field(default_factory=list)  # tool output accepted (judge/registry.py)
    gzipped: list[str] = field(default_factory=list)  # published X.gz members equal to the rebuild's X
    judged_by: dict[str, str] = field(default_factory=dict)  # member -> the registered rule whose check judged it


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
    # the Python the build requirements are resolved for when it is not the interpreter's: wheels for a Python
    # older than every image's (multidict 6.0.5's cp37) are judged with their own era's toolchain
    resolve_python: str | None = None
    # Debian packages a derived image adds for this build (a header or *-config tool the base image lacks)
    system_packages: tuple[str, ...] = ()
    publisher_rustc: str | None = None  # the rustc the published wheel's compiled members name (ELF .comment)

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


def _opt(default: Any = None) -> Any:
    """A result field written to results.json only once it is set (not None)."""
    return field(default=default, metadata={"optional": True})


def _items(default_factory: Any = list) -> Any:
    return field(default_factory=default_factory)


class _Result:
    """Results are filled in stage by stage: set() takes a judge's or a build's fields by name and
    refuses a name the record does not have (a typo is an error, not a new key in results.json)."""

    def set(self, **fields: Any) -> None:
        for k, v in fields.items():
            if k.startswith("_") or k not in self.__dataclass_fields__:  # type: ignore[attr-defined]
                raise TypeError(f"{type(self).__name__} has no field {k!r}")
            setattr(self, k, Verdict(v) if k == "verdict" and v is not None else v)

    def __post_init__(self) -> None:
        verdict = vars(self).get("verdict")
        if verdict is not None:  # a verdict is the enum until results.json is written
            setattr(self, "verdict", Verdict(verdict))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        return _construct(cls, data)


def _construct(cls: type, data: dict[str, Any]) -> Any:
    """A record from its results.json form; a key the record does not have is an error."""
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
    return cls(**data)


@dataclass
class ArtifactResult(_Result):
    """A published file of a release (its sdist, or a wheel's file facts), as the index served it."""

    filename: str
    url: str
    sha256: str | None
    upload_time: str | None
    size: int | None
    yanked: str | None
    flags: list[str]
    provenance_url: str | None = None
    provenance: dict | None = _opt()  # PEP 740 publishers, when the release has provenance


@dataclass
class WheelResult(ArtifactResult):
    """A published wheel and its verdict: how it was checked, what differs, what was normalized."""

    verdict: Verdict | None = None
    reason: str | None = None  # one line a person can check
    rebuilt_sha256: str | None = None
    normalizations: list[str] = _items()
    differences: list[dict] = _items()  # serialized Differences (path, kind, detail, cls, cause)
    check: str | None = _opt()  # rebuilt | rebuilt-binary | rebuilt-pure-variant | rebuilt-other-platform | sources | none
    compared_with: str | None = _opt()  # the rebuild another platform's wheel was compared with
    members_verified: int | None = _opt()
    verified: dict[str, int] | None = _opt()  # members verified: bytes | normalized | interface | not_verified
    not_reproduced: list[dict] | None = _opt()  # compiled members and tool steps listed, not verified
    metadata_format: list[str] | None = _opt()  # what differed only in spelling
    tool_steps: list[str] | None = _opt()  # accepted repair-tool outputs
    judged_by: dict[str, str] | None = _opt()  # member -> the registered rule whose check judged it (judge/profiles.py)
    classes: list[str] | None = _opt()  # classes of the differences, most dangerous first
    mtime_members: int | None = _opt()
    build: int | None = _opt()  # index of the build (PackageResult.builds) it was compared with
    notes: list[str] | None = _opt()
    diffoscope: dict | None = _opt()
    finding: str | None = _opt()  # id of its Finding

    def set(self, **fields: Any) -> None:
        if "verdict" in fields or "reason" in fields:
            raise TypeError("a wheel's verdict and reason are written once, by judged(), from its WheelJudgement")
        super().set(**fields)

    def judged(self, judgement: WheelJudgement) -> None:
        """Write the wheel's judgement (auditor/judgement.py): once, whichever stage decided it."""
        if self.verdict is not None:
            raise TypeError(f"{self.filename} is judged already ({self.verdict.value}): a judgement is never edited")
        super().set(**judgement.fields())
        if judgement.notes:
            self.notes = (self.notes or []) + list(judgement.notes)


@dataclass
class BuildRecord(_Result):
    """One rebuild: the plan it ran (backend, pins, timestamps, interpreter, variant), its log and outcome."""

    backend: str | None
    backend_version: str | None
    generator: str | None
    declared_requires: list[str]
    cutoff: str | None
    source_date_epoch: int | None
    tz: str
    timestamp_policy: dict[str, str]
    python: str
    sandbox: str
    variant: str | None
    variant_env: dict[str, str]
    variant_options: dict[str, Any]
    notes: list[str]
    requirements: list[dict] = _items()  # the exact pins with hashes
    log: str | None = None  # relative to the report directory
    reason: str | None = None  # why no wheel
    seconds: float | None = None
    log_tail: str | None = _opt()
    installer: str | None = _opt()
    phases: dict[str, float] | None = _opt()
    rebuilt: dict[str, str] | None = _opt()  # filename and sha256 of the rebuilt wheel
    attempt: int | None = _opt()  # 0 for a configuration's first build, then its retries
    score: list[int] | None = _opt()  # judge's score summed over its wheels (lower is better)
    chosen: bool | None = _opt()  # the build kept for this configuration
    needs_python: list[int] | None = _opt()  # [3, 9]: the failure's cause names the newest Python that can run it
    needs_rustc: list[int] | None = _opt()  # [1, 70]: the oldest rustc the failure's cause asks for ([1, 0]: a newer one)
    build_cache: bool | None = _opt()  # its outcome was taken from the build cache (same inputs built before)
    missing: list[str] | None = _opt()  # [kind, name]: what the failure's cause says the image lacks (a header...)
    system_packages: list[str] | None = _opt()  # Debian packages added to the image for this build (a derived image)
    image: dict[str, str] | None = _opt()  # the derived image's tag and ID (sha256) when system_packages were added
    # inputs the sdist pins by hash, fetched outside the sandbox: [{kind, name, version, sha256, source}]
    inputs: list[dict] | None = _opt()
    # an input whose bytes were not its pin's: {kind, name, source, expected, actual} (nothing was built)
    input_mismatch: dict[str, str] | None = _opt()
    toolchain: dict[str, str] | None = _opt()  # {"rustc": the image's, "publisher_rustc": the published module's}


@dataclass
class Finding(_Result):
    """One distinct difference of a release, with every wheel it appears on (judge/findings.py)."""

    id: str
    wheels: list[str]
    classes: list[str]
    causes: list[str]
    members: list[str]
    reason: str | None
    diffoscope: str | None = None  # the page of its first wheel that has one


@dataclass
class PackageResult(_Result):
    """The audit of one locked release: its artifacts and verdicts, builds, findings and timings."""

    name: str
    version: str
    lock_file: str
    lock_line: int
    verdict: Verdict | None = None  # the worst of its wheels'
    reason: str | None = None
    flags: list[str] = _items()
    sdist: ArtifactResult | None = None
    wheels: list[WheelResult] = _items()  # the wheels the lock hashes
    unlocked: list[WheelResult] = _items()  # wheels the index serves that the lock does not hash
    missing: list[str] = _items()  # lock hashes no served file has
    builds: list[BuildRecord] = _items()
    build: BuildRecord | None = None  # the chosen build
    notes: list[str] = _items()
    seconds: float = 0.0
    index_url: str | None = _opt()
    url: str | None = _opt()  # a direct-URL pin's URL
    provenance: dict | None = _opt()  # filename -> PEP 740 publishers
    findings: list[Finding] | None = _opt()
    budget_hit: bool | None = _opt()
    toolchain_search: list[dict] | None = _opt()
    timings: dict[str, float] | None = _opt()  # seconds per stage
    cached: bool | None = _opt()  # read from the verdict cache
    source_repo: dict | None = _opt()  # the sdist against its repository (auditor/sourcerepo, --source-repo)
    rebuilt_here: bool | None = _opt()  # a wheel of it was rebuilt here (else its wheels got the sources check at best)
    _stage: tuple | None = None  # the stage running now, and since when (never written)

    def artifacts(self) -> list[ArtifactResult]:
        """The sdist (if any), the locked wheels, then the unlocked ones."""
        return ([self.sdist] if self.sdist else []) + list(self.wheels) + list(self.unlocked)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackageResult:
        data = dict(data)
        data["sdist"] = ArtifactResult.from_dict(data["sdist"]) if data.get("sdist") else None
        for k in ("wheels", "unlocked"):
            data[k] = [WheelResult.from_dict(w) for w in data.get(k) or []]
        data["builds"] = [BuildRecord.from_dict(b) for b in data.get("builds") or []]
        data["build"] = BuildRecord.from_dict(data["build"]) if data.get("build") else None
        if data.get("findings") is not None:
            data["findings"] = [Finding.from_dict(f) for f in data["findings"]]
        return _construct(cls, data)


def to_jsonable(obj: Any) -> Any:
    """The one serialization of records into results.json's JSON: optional fields are left out while
    None, private ones (a leading _) never written."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not f.name.startswith("_") and not (f.metadata.get("optional") and getattr(obj, f.name) is None)}
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


# ---- build inputs an sdist pins by hash (read by plan/pins.py, fetched by fetch/inputs.py)

@dataclass(frozen=True)
class Crate:
    name: str
    version: str
    sha256: str  # Cargo.lock's checksum
    lock: str  # the Cargo.lock that pins it (path in the sdist)


@dataclass(frozen=True)
class Wrap:
    name: str  # the wrap file's stem (subprojects/NAME.wrap)
    role: str  # "source" or "patch"
    url: str
    filename: str
    sha256: str


@dataclass
class Pins:
    """What one sdist pins for its build: crates of its Cargo.lock files, its wraps' downloads, and what it
    uses but does not pin (each a one-line reason: no Cargo.lock, a git dependency, another registry)."""

    rust: bool = False
    crates: list[Crate] = field(default_factory=list)
    wraps: list[Wrap] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)  # a reason the build cannot be made offline by its pins
    rust_version: str | None = None  # the highest `rust-version` a Cargo.toml asks for
    git: list[str] = field(default_factory=list)  # crates Cargo.lock takes from git: "NAME VERSION (URL at COMMIT)"

    @property
    def empty(self) -> bool:
        return not (self.crates or self.wraps)
