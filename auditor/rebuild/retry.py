"""Which plan to build next when a build fails: an older Python its era needs, the image whose rustc the
crates need, the era's toolchain that the oldest image's Python can run, a Debian package the build lacks.
Each policy reads the builds made so far (a BuildHistory) and returns the next plan with a note, or None.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from auditor.context import Context
from auditor.plan.pins import read_pins, rust_python
from auditor.records import BuildPlan, BuildRecord


class BuildHistory(Protocol):
    """The builds of one configuration so far, as a retry policy reads them (judge/attempts.py's Attempts)."""

    plan: BuildPlan
    last_plan: BuildPlan | None
    records: list[BuildRecord]
    failed: bool

    def lacks_extensions(self) -> list[str]: ...


MAX_SYSTEM_PACKAGES = 2


def older_python(run: BuildHistory, ctx: Context) -> str | None:
    """The newest interpreter a failed build's cause asks for ("needs Python 3.9 or older"), if an image
    has one older than the one that failed."""
    if not run.failed or not run.records or not run.records[-1].needs_python:
        return None
    wanted = (run.records[-1].needs_python[0], run.records[-1].needs_python[1])
    have = (int(run.plan.python.split(".")[0]), int(run.plan.python.split(".")[1])) if "." in run.plan.python else (9, 9)
    fits = [p for p in ctx.sandbox.pythons() if tuple(map(int, p.split("."))) <= wanted and tuple(map(int, p.split("."))) < have]
    return max(fits, key=lambda p: tuple(map(int, p.split(".")))) if fits else None


def rust_image(plan: BuildPlan, notes: list, src: Path, ctx: Context) -> BuildPlan:
    """A Rust build whose sdist asks for a newer rustc (Cargo.toml's rust-version) than its interpreter's image
    has is planned in another suite's image from the start (plan/pins.rust_python), said in the notes."""
    if "rustc" not in plan.system_packages:
        return plan
    from auditor.sandbox.oci import RUSTC, SUITES

    rustc_of = {py: RUSTC[suite] for py, suite in SUITES.items() if py in ctx.sandbox.pythons() and suite in RUSTC}
    chosen = rust_python(rustc_of, plan.python, read_pins(src).rust_version, plan.publisher_rustc)
    if chosen is None:
        return plan
    notes.append(chosen[1])
    return dataclasses.replace(plan, python=chosen[0])


def newer_rustc(run: BuildHistory, ctx: Context) -> tuple[BuildPlan, list[str]] | None:
    """A Rust build whose crates need a newer rustc than its image's Debian one: built again in the image of the
    oldest suite whose rustc is new enough (another interpreter: its wheel is compared as another interpreter's
    build, as a lock's Python without an image is), said in the notes; when none is, the cause says so."""
    last = run.records[-1] if run.records else None
    if not run.failed or last is None or not last.needs_rustc:
        return None
    from auditor.sandbox.oci import RUSTC, SUITES

    plan = run.last_plan or run.plan
    have = RUSTC.get(SUITES.get(plan.python, ""), (0, 0))
    need = tuple(last.needs_rustc) if tuple(last.needs_rustc) > (1, 0) else (have[0], have[1] + 1)
    fits = sorted((RUSTC[suite], py) for py, suite in SUITES.items() if RUSTC.get(suite, (0, 0)) >= need and RUSTC[suite] > have)
    if not fits:
        newest = max(RUSTC.values())
        last.reason = f"{last.reason}; no image's rustc is new enough (the newest, Debian's, is {newest[0]}.{newest[1]})"
        return None
    (rustc, python) = fits[0]
    note = (f"the build needs a newer rustc ({last.reason}): built again in Python {python}'s image (Debian "
            f"{SUITES[python]}, rustc {rustc[0]}.{rustc[1]}); its wheel is another interpreter's build")
    return dataclasses.replace(plan, python=python), [note]


# when each interpreter an image may have was released: the newest setuptools and wheel as of that day are the
# oldest that run on it (their own test matrices included its release candidates)
PYTHON_RELEASED = {"3.9": datetime(2020, 10, 5, tzinfo=timezone.utc), "3.11": datetime(2022, 10, 24, tzinfo=timezone.utc),
                   "3.13": datetime(2024, 10, 7, tzinfo=timezone.utc), "3.14": datetime(2025, 10, 7, tzinfo=timezone.utc)}
_ERA_TOOLS = re.compile(r"^(setuptools|wheel)\s*(===?|~=|<=?|>=?|!=)")


def newer_toolchain(run: BuildHistory, plan: BuildPlan, members, ctx: Context) -> tuple[BuildPlan, list[str]] | None:
    """A pure release whose era's setuptools or wheel needs a Python older than every image's (2018-2019 releases
    calling HTMLParser.unescape on 3.9+): built again on the oldest image's Python with the oldest setuptools and
    wheel that run on it (the newest as of that Python's release), said in the build's notes. A pure wheel does
    not depend on its build tool beyond the metadata spelling the comparison names; compiled releases, and
    wheels another backend made, keep their failure (their toolchain shapes what the wheel holds)."""
    if not run.failed or not run.records or not run.records[-1].needs_python or not members or any(
            binary for *_, binary in members):
        return None
    if not re.match(r"^(bdist_wheel|setuptools)\b", plan.generator or ""):
        return None  # another backend's era (cachy 0.3.0: poetry 1.0.0a5) writes another wheel with a newer one
    oldest = min(ctx.sandbox.pythons(), key=lambda p: tuple(map(int, p.split("."))), default=None)
    released = PYTHON_RELEASED.get(oldest or "")
    if oldest is None or released is None or (plan.cutoff and plan.cutoff >= released):
        return None
    requires = [r for r in plan.requires if not _ERA_TOOLS.match(r.strip())]
    requires += [t for t in ("setuptools", "wheel") if not any(r.strip().startswith(t) for r in requires)]
    note = (f"the era's toolchain needs Python {run.records[-1].needs_python[0]}.{run.records[-1].needs_python[1]} or "
            f"older ({run.records[-1].reason}), which no image has: built again on Python {oldest} with the setuptools "
            f"and wheel of its release ({released:%Y-%m-%d}), the oldest that run on it; the pure wheel does not depend "
            "on them beyond its metadata's spelling")
    return dataclasses.replace(plan, python=oldest, cutoff=released, requires=requires), [note]



def _say(run: BuildHistory, last: BuildRecord, text: str) -> None:
    """Why no derived image was tried: on the failure's reason, or in the notes of a build that went on."""
    if run.failed:
        last.reason = f"{last.reason}; {text}"
    else:
        last.notes.append(f"the build went on without a file a Debian package ships; {text}")


def explain_missing(kind: str, name: str) -> str:
    return {"header": f"the C header {name} was not found", "program": f"{name} was not found",
            "pkgconfig": f"pkg-config found no {name}", "compiler": f"no {name} compiler"}.get(kind, f"{name} was missing")


def with_system_package(run: BuildHistory, ctx: Context) -> tuple[BuildPlan, list[str]] | None:
    """A build that failed for a file a Debian package ships (a header, a *-config tool, a pkg-config file, a
    Fortran compiler): the package found in the image suite's Contents index, and the same plan built again in
    a derived image with it (said in the build's notes, the image's ID in its record). When no package ships
    it, the failure's reason says so. A build that went on without it (its log names the file) and so left out
    extension modules the published wheels hold is built again the same way: that is another configuration
    (google-crc32c 1.7.1: a pure-Python fallback without its C module and its Requires-Dist)."""
    last = run.records[-1] if run.records else None
    if last is None or not last.missing or not hasattr(ctx.sandbox, "derived_image"):
        return None
    lacking = [] if run.failed else run.lacks_extensions()
    if not run.failed and not lacking:
        return None
    from auditor.sandbox.debian import package_for
    from auditor.sandbox.oci import SUITES

    kind, name = last.missing
    plan = run.last_plan or run.plan
    suite = SUITES.get(plan.python, "bookworm")
    try:
        found = package_for(kind, name, suite, ctx.cache.root)
    except Exception as exc:  # the archive unreachable, an index that does not verify: the failure stands, said
        _say(run, last, f"no Debian package looked up for {name}: {str(exc)[:160]}")
        return None
    if found is None:
        _say(run, last, f"no package of Debian {suite} ships {name} (its Contents index)")
        return None
    if found.package in plan.system_packages:
        return None
    others = f" (also in {', '.join(c for c in found.candidates if c != found.package)})" if len(found.candidates) > 1 else ""
    why = last.reason if run.failed else (
        f"its log says {explain_missing(kind, name)} and the rebuild lacks the extension module(s) "
        f"{', '.join(lacking[:3])} the published wheels hold: the build fell back to another configuration")
    note = (f"the build needs {name} ({why}): Debian {suite}'s {found.package} ships /{found.path}{others}, found "
            f"in {found.index}; built again in a derived image with it")
    return dataclasses.replace(plan, system_packages=tuple(sorted(set(plan.system_packages) | {found.package}))), [note]
