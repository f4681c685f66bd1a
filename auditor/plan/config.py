"""Decide how to rebuild a published wheel faithfully, before anything runs.

- the build backend is pinned to the version the wheel's WHEEL `Generator` line names;
- every other build requirement is resolved as of the wheel's upload time (see resolve.py);
- the timestamp policy (SOURCE_DATE_EPOCH set or not, and to what) is read off the wheel's entries.
"""

from __future__ import annotations

import ast

import calendar
import re
import tomllib
import zoneinfo
from datetime import datetime, timezone
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from auditor.fetch.archives import WheelArchive
from auditor.errors import BuildError
from auditor.plan.pins import RUST_TOOLCHAIN, is_rust, publisher_crate_dir, publisher_rustc
from auditor.plan.variants import variant
from auditor.records import BuildPlan, TimestampPolicy

# Generator line -> (backend distribution, version group). Order matters: most specific first.
GENERATORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^flit (\S+)$"), "flit-core"),
    (re.compile(r"^hatchling (\S+)$"), "hatchling"),
    (re.compile(r"^setuptools \((\S+)\)$"), "setuptools"),
    (re.compile(r"^bdist_wheel \((\S+)\)$"), "wheel"),
    (re.compile(r"^poetry-core (\S+)$"), "poetry-core"),
    (re.compile(r"^poetry (\S+)$"), "poetry-core"),
    (re.compile(r"^pdm-backend \((\S+)\)$"), "pdm-backend"),
    (re.compile(r"^pdm-pep517 (\S+)$"), "pdm-pep517"),
    (re.compile(r"^uv (\S+)$"), "uv-build"),
    (re.compile(r"^maturin \((\S+)\)$"), "maturin"),
    (re.compile(r"^scikit-build-core (\S+)$"), "scikit-build-core"),
    (re.compile(r"^meson$"), "meson-python"),
]
# PEP 517/518's default when pyproject.toml has no [build-system] (wheel: the setup.py bdist_wheel of
# setuptools < 70.1 is wheel's; cachy 0.3.0 failed with "invalid command 'bdist_wheel'" without it)
LEGACY_REQUIRES = ["setuptools>=40.8.0", "wheel"]
# setuptools 40.8.0 (the first with build_meta:__legacy__, PEP 517's fallback) was uploaded then: a
# setup.py-only sdist published earlier was built by `setup.py bdist_wheel` with the setuptools and
# wheel of its day, which the resolver finds as of the upload time.
PEP517_FALLBACK_SINCE = datetime(2019, 2, 5, 18, 20, 37, tzinfo=timezone.utc)
PRE_PEP517_REQUIRES = ["setuptools", "wheel"]
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
KNOWN_DEFAULTS = {  # uniform times a backend writes when SOURCE_DATE_EPOCH is unset
    (2016, 1, 1, 0, 0, 0): "poetry-core/pdm-backend default (2016-01-01)",
    (2020, 2, 2, 0, 0, 0): "hatchling default (2020-02-02)",
    ZIP_EPOCH: "zip epoch (uv_build, maturin, or SOURCE_DATE_EPOCH clamped to 1980)",
}


def wheel_generator(wheel: WheelArchive) -> str | None:
    names = [n for n in wheel.members if n.endswith(".dist-info/WHEEL") and n.count("/") == 1]
    if len(names) != 1:
        return None
    headers = HeaderParser().parsestr(wheel.read(names[0]).decode("utf-8", "replace"))
    gen = headers.get("Generator")
    return gen.strip() if gen else None


def backend_pin(generator: str | None) -> tuple[str | None, str | None]:
    if not generator:
        return None, None
    for pattern, dist in GENERATORS:
        m = pattern.match(generator)
        if m:
            return dist, (m.group(1) if m.groups() else None)
    return None, None


def declared_requires(project_dir: Path) -> tuple[list[str], str]:
    """[build-system] requires of an extracted sdist, and where they came from."""
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        return _with_setup_requires(list(LEGACY_REQUIRES), "no pyproject.toml: PEP 517 legacy default", project_dir)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BuildError(f"sdist pyproject.toml is invalid: {exc}") from None
    bs = data.get("build-system")
    if not isinstance(bs, dict) or "requires" not in bs:
        return _with_setup_requires(list(LEGACY_REQUIRES), "no [build-system] requires: PEP 517 legacy default",
                                    project_dir)
    reqs = bs["requires"]
    if not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
        raise BuildError("sdist [build-system] requires is not a list of strings")
    return list(reqs), "pyproject.toml [build-system] requires"


def setup_requires(project_dir: Path) -> list[str]:
    """The literal `setup_requires=[...]` strings of the sdist's setup.py (read, never run): setuptools
    would download them while the build runs (mccabe 0.6.1: pytest-runner), which the sandbox cannot; they
    are resolved as of the upload and handed in like the other build requirements."""
    try:
        tree = ast.parse((project_dir / "setup.py").read_bytes()[: 1 << 20])
    except (OSError, SyntaxError, ValueError):
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "setup_requires" and isinstance(node.value, (ast.List, ast.Tuple)):
            items = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            out = []
            for item in items:
                try:
                    out.append(str(Requirement(item)))
                except InvalidRequirement:
                    continue
            return out
    return []


def _with_setup_requires(requires: list[str], source: str, project_dir: Path) -> tuple[list[str], str]:
    extra = [r for r in setup_requires(project_dir) if r not in requires]
    if not extra:
        return requires, source
    return requires + extra, f"{source}, and setup.py's setup_requires ({', '.join(extra)})"


def pin_requires(declared: list[str], backend: str | None, version: str | None) -> tuple[list[str], list[str]]:
    """Replace the backend's requirement by `backend==version`; returns (requires, notes)."""
    notes: list[str] = []
    out: list[str] = []
    pinned = False
    for spec in declared:
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            raise BuildError(f"invalid build requirement {spec!r}: {exc}") from None
        if backend and version and canonicalize_name(req.name) == backend:
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            marker = f"; {req.marker}" if req.marker else ""
            if req.specifier and not req.specifier.contains(version, prereleases=True):
                notes.append(f"Generator names {backend} {version}, outside the sdist's {req.specifier}")
            out.append(f"{req.name}{extras}=={version}{marker}")
            pinned = True
        else:
            out.append(spec)
    if backend == "wheel" and version:
        # `Generator: bdist_wheel (X)` means setuptools older than 70.1, which took bdist_wheel over
        # (and writes `Generator: setuptools (X)` since): newer setuptools write other metadata.
        out.append("setuptools<70.1")
        notes.append("Generator bdist_wheel: setuptools < 70.1 (later setuptools bring their own bdist_wheel)")
    if backend and version and not pinned:
        if backend == "wheel":
            # bdist_wheel (X): setuptools < 70.1 asked for `wheel` dynamically; its version is the Generator's.
            out.append(f"wheel=={version}")
        else:
            notes.append(f"Generator names {backend} {version}, which the sdist does not declare; pinned it anyway")
            out.append(f"{backend}=={version}")
    return out, notes


def timestamp_policy(wheel: WheelArchive, backend: str | None) -> TimestampPolicy:
    """Infer the publisher's SOURCE_DATE_EPOCH from the wheel's entry times."""
    times = {m.date_time for m in wheel.members.values() if not m.is_dir}
    if len(times) == 1:
        (t,) = times
        iso = datetime(*t).isoformat()
        epoch = calendar.timegm(t + (0, 0, 0))
        why = KNOWN_DEFAULTS.get(t)
        if backend == "uv-build":
            return TimestampPolicy(None, f"uniform:{iso}", "uv_build always writes 1980-01-01")
        if why:
            return TimestampPolicy(epoch, f"uniform:{iso}", f"every entry at {iso}: {why}; the same time as SOURCE_DATE_EPOCH reproduces it")
        return TimestampPolicy(epoch, f"uniform:{iso}", f"every entry at {iso}: the builder set SOURCE_DATE_EPOCH={epoch}")
    return TimestampPolicy(
        None, "mtime",
        f"{len(times)} distinct entry times: the builder used file mtimes (SOURCE_DATE_EPOCH unset)",
    )


def _offset(when: datetime) -> float:
    offset = when.utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def local_time_zone(wheel: WheelArchive, project_dir: Path) -> tuple[str, str] | None:
    """(TZ, why) when the wheel's entry times are its source files' mtimes in a local time zone.

    Builders that write `time.localtime(mtime)` (flit without SOURCE_DATE_EPOCH, zipfile.ZipInfo.from_file)
    record the publisher's zone. Each source file of the sdist gives one offset (zip times have 2-second
    resolution); one constant offset gives a fixed zone, several (daylight saving time) a named zone
    whose offset matches at every mtime. None when the times are not local times of the mtimes."""
    pairs: list[tuple[int, int]] = []
    unexplained = 0
    for name, m in wheel.members.items():
        if m.is_dir or name.split("/", 1)[0].endswith(".dist-info"):
            continue
        source = next((c for c in (project_dir / name, project_dir / "src" / name)
                       if c.is_file() and not c.is_symlink()), None)
        if source is None:
            continue
        mtime = int(source.stat().st_mtime)
        observed = calendar.timegm(m.date_time + (0, 0, 0)) - mtime
        offset = round(observed / 900) * 900
        if abs(observed - offset) <= 2 and abs(offset) <= 14 * 3600:
            pairs.append((mtime, offset))
        else:
            unexplained += 1
    if not pairs or unexplained > len(pairs) // 5:
        return None
    offsets = sorted({o for _, o in pairs})
    if offsets == [0]:
        return None
    if len(offsets) == 1:
        off = offsets[0]
        sign = "+" if off >= 0 else "-"
        hh, mm = divmod(abs(off) // 60, 60)
        tz = f"<{sign}{hh:02d}{mm:02d}>{'-' if off >= 0 else '+'}{hh:02d}:{mm:02d}"  # POSIX: sign inverted
        return tz, f"entry times are the sdist's mtimes at UTC{sign}{hh:02d}:{mm:02d} ({len(pairs)} files)"
    for zone in sorted(zoneinfo.available_timezones(), key=lambda z: ("/" not in z, z)):
        try:
            zi = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if all(_offset(datetime.fromtimestamp(t, zi)) == off for t, off in pairs):
            shown = ", ".join(f"{o / 3600:+g}h" for o in offsets)
            return zone, (f"entry times are the sdist's mtimes in local time with offsets {shown} (daylight saving): "
                          f"{zone} matches all {len(pairs)} files")
    return None


def timestamp_candidates(wheel: WheelArchive, backend: str | None, project_dir: Path) -> list[TimestampPolicy]:
    """The timestamp policies worth a rebuild, most plausible first (at most two)."""
    primary = timestamp_policy(wheel, backend)
    if primary.source_date_epoch is not None or primary.name != "mtime":
        return [primary]
    zone = local_time_zone(wheel, project_dir)
    if zone is None:
        return [primary]
    tz, why = zone
    return [TimestampPolicy(None, f"mtime:{tz}", f"{primary.reason}; {why}", tz=tz), primary]


def in_tree_backend(project_dir: Path) -> bool:
    """True when the sdist builds itself (PEP 517 backend-path), as pdm-backend and flit_core do."""
    try:
        data = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return bool((data.get("build-system") or {}).get("backend-path"))


# Build backends that are not setuptools (their top-level module): a setuptools-made wheel of an sdist
# declaring one of these was made by its setup.py.
OTHER_BACKENDS = {"poetry", "flit_core", "flit", "hatchling", "pdm", "maturin", "mesonpy", "scikit_build_core",
                  "uv_build", "whey", "enscons"}


def declared_backend(project_dir: Path) -> str | None:
    """[build-system] build-backend of an extracted sdist (None: none declared)."""
    try:
        data = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    backend = (data.get("build-system") or {}).get("build-backend")
    return backend if isinstance(backend, str) else None


def built_by_setup_py(backend: str | None, project_dir: Path) -> str | None:
    """Why the published wheel was made by the sdist's setup.py rather than its declared backend: its
    Generator is setuptools' (or bdist_wheel's), the sdist declares another backend, and holds a
    setup.py (python3-saml 1.16.0: poetry declared, `bdist_wheel (0.37.1)` published). None otherwise."""
    declared = declared_backend(project_dir)
    if backend not in ("setuptools", "wheel") or not declared or declared.split(".")[0] not in OTHER_BACKENDS:
        return None  # an in-tree backend wrapping setuptools (charset-normalizer's _mypyc_hook) builds it itself
    if in_tree_backend(project_dir) or not (project_dir / "setup.py").is_file():
        return None
    return (f"the wheel's Generator is {backend}'s while the sdist declares build-backend {declared}: "
            "the publisher ran its setup.py; built with setup.py bdist_wheel")


def _declares(requires: list[str], dist: str) -> bool:
    for spec in requires:
        try:
            if canonicalize_name(Requirement(spec).name) == dist:
                return True
        except InvalidRequirement:
            continue
    return False


def _rust(wheel: WheelArchive, project_dir: Path, env: dict[str, str], notes: list[str]
          ) -> tuple[tuple[str, ...], str | None, dict[str, str]]:
    """A Rust build's Debian packages, the publisher's rustc and the directory its crates were at (from the
    published wheel's compiled members); ((), None, env) for any other build."""
    if not is_rust(project_dir):
        return (), None, env
    crate_dir = publisher_crate_dir(wheel)
    if crate_dir:  # an environment of the build, so part of the build-cache key like the plan's other env
        env = dict(env, AUDITOR_CRATE_DIR=crate_dir)
        notes.append(f"crates vendored at {crate_dir}/, where the publisher's cargo had them (its compiled "
                     "members' panic locations name that path): those strings are then the same")
    notes.append("a Rust build: the image's Debian cargo and rustc are added (a derived image); its crates are "
                 "fetched outside the sandbox by Cargo.lock's checksums and vendored, the build runs offline")
    return RUST_TOOLCHAIN, publisher_rustc(wheel), env


def make_plan(
    wheel: WheelArchive, project_dir: Path, upload_time: datetime | None, python: str, filename: str | None = None
) -> tuple[BuildPlan, list[str]]:
    generator = wheel_generator(wheel)
    backend, version = backend_pin(generator)
    declared, source = declared_requires(project_dir)
    if backend == "poetry-core" and generator and generator.startswith("poetry ") and _declares(declared, "poetry") \
            and not _declares(declared, "poetry-core"):
        backend = "poetry"  # `Generator: poetry X` by poetry itself (before poetry-core, 1.1): backoff 1.10.0
    if declared[: len(LEGACY_REQUIRES)] == LEGACY_REQUIRES and "legacy default" in source and upload_time \
            and upload_time < PEP517_FALLBACK_SINCE:
        declared, source = list(PRE_PEP517_REQUIRES) + declared[len(LEGACY_REQUIRES):], (
            f"{source.split(':')[0]}, uploaded before PEP 517's setuptools fallback existed (40.8.0, 2019-02-05): "
            "setup.py bdist_wheel with the setuptools and wheel of the upload date")
    by_setup_py = built_by_setup_py(backend, project_dir)
    if by_setup_py:
        declared, source = list(PRE_PEP517_REQUIRES), f"{source}, set aside: {by_setup_py}"
    in_tree = in_tree_backend(project_dir) and not by_setup_py
    if in_tree:
        backend, version = None, None  # the sdist carries its own backend: nothing to pin from PyPI
    requires, notes = pin_requires(declared, backend, version)
    if in_tree:
        notes.append(f"in-tree build backend (backend-path): the sdist builds itself; Generator {generator!r} not pinned")
    notes.insert(0, f"build requirements from {source}")
    if generator is None:
        notes.append("published wheel has no Generator line: backend resolved as of the upload time")
    elif backend is None:
        notes.append(f"unknown Generator {generator!r}: backend resolved as of the upload time")
    candidates = timestamp_candidates(wheel, backend, project_dir)
    name, env, options, variant_notes = variant(wheel, filename or "", project_dir,
                                                backend)
    notes += variant_notes
    if by_setup_py:
        options = dict(options, setup_py=True)
    system_packages, rustc, env = _rust(wheel, project_dir, env, notes)
    return (
        BuildPlan(
            backend=backend,
            backend_version=version,
            generator=generator,
            requires=requires,
            cutoff=upload_time,
            timestamp=candidates[0],
            python=python,
            alternatives=candidates[1:],
            variant=name,
            env=env,
            options=options,
            system_packages=system_packages,
            publisher_rustc=rustc,
        ),
        notes,
    )
