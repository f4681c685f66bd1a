"""Group a release's downloaded wheels by what it takes to rebuild them (one build per group)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import NamedTuple

from packaging.utils import parse_wheel_filename
from packaging.version import Version

from auditor.fetch.archives import WheelArchive, read_wheel
from auditor.fetch.downloads import is_pure
from auditor.errors import BuildError, LimitExceeded, UnsafeArchive
from auditor.plan.config import make_plan
from auditor.judgement import WheelJudgement
from auditor.records import BuildPlan, Verdict, WheelResult
from auditor.resolve import target_tags



class Member(NamedTuple):
    """A wheel this sandbox builds: its result entry, its archive, its local path, and whether it is a platform
    wheel (its compiled members are compared by interface)."""

    entry: WheelResult
    archive: WheelArchive
    path: Path
    binary: bool


class Other(NamedTuple):
    """Another platform's wheel: compared with a rebuild of its configuration."""

    entry: WheelResult
    archive: WheelArchive
    path: Path


class Group(NamedTuple):
    """The wheels one build serves: the plan (of the earliest upload), its notes, the wheels."""

    plan: BuildPlan
    notes: list[str]
    items: list  # Member (plans) or Other (others)


Groups = dict[tuple, Group]


def wheel_python(filename: str, pythons: list[str], default: str) -> str | None:
    """The CPython X.Y among `pythons` that can build this wheel on linux x86_64: the interpreter its tag
    names when an image has it (cp313 -> 3.13; cp39-abi3 -> 3.9, as abi3 wheels are tagged with the
    Python they were built on), else the default when it can install the wheel (pure, other abi3);
    None when no interpreter here can (another platform, or a Python no image has)."""
    tags = set(parse_wheel_filename(filename)[3])
    if all(t.abi == "none" and t.platform == "any" for t in tags):
        return default
    own = [py for py in pythons if any(t.interpreter == "cp" + py.replace(".", "") for t in tags)
           and tags & target_tags(py)]
    if own:  # its own interpreter (an abi3 wheel's tag names the oldest Python it was built for: cp39-abi3)
        return own[0]
    return default if tags & target_tags(default) else None


def era_python(filename: str, pythons: list[str]) -> str | None:
    """The Python X.Y a platform wheel is for when it is older than every interpreter the images have
    (cp37 when the oldest is 3.9): its publisher's build requirements were those that still supported it
    (setuptools 68.0 was the last for 3.7, and 69 began to package .pyi and py.typed files), so its rebuild
    resolves them for that Python. None for any other wheel."""
    versions = sorted(Version(p) for p in pythons)
    found = set()
    for t in parse_wheel_filename(filename)[3]:
        m = re.fullmatch(r"cp3(\d+)", t.interpreter)
        # only a wheel built for that interpreter's own ABI: an abi3 wheel's tag names the oldest Python it runs on
        # (psutil's cp36-abi3 wheels are built on a current Python with a current setuptools)
        if m and t.abi.startswith(t.interpreter):
            found.add(Version(f"3.{m.group(1)}"))
    if len(found) != 1 or not versions:
        return None
    v = found.pop()
    return f"{v.major}.{v.minor}" if v < versions[0] else None


def plan_groups(entries, src: Path, python: str, pythons: list[str] | None = None,
                targets: list[str] | None = None) -> tuple[Groups, Groups]:
    """plans: wheels this sandbox can build (pure, and platform wheels for one of its Pythons on linux
    x86_64), by build configuration (backend, requirements, timestamp policy, interpreter). others:
    wheels for other platforms, by build requirements only (zip times are not compared across platforms).
    targets: the Pythons the lock installs; a platform wheel for another interpreter is then compared with
    the target's rebuild instead of being rebuilt with its own (None: every interpreter is rebuilt)."""
    pythons = pythons or [python]
    plans: Groups = {}
    others: Groups = {}
    for f, entry, path in entries:
        if entry.verdict is not None or path is None:
            continue
        own = wheel_python(f.filename, pythons, python)
        binary = not is_pure(f.filename)
        if binary and own is not None and targets and own not in targets:
            entry.notes = (entry.notes or []) + [
                f"a wheel for Python {own}, compared with the rebuild for the lock's Python {targets[0]} "
                "(--all-interpreters rebuilds it with its own)"]
            own = None
        try:
            wa = read_wheel(path)
            plan, notes = make_plan(wa, src, f.upload_time, own or (targets[0] if binary and targets else python),
                                    f.filename)
        except UnsafeArchive as exc:
            entry.judged(WheelJudgement(Verdict.DIFFERS, f"published wheel unreadable: {exc}"))
            continue
        except LimitExceeded as exc:  # a bound of ours, not the wheel's fault
            entry.judged(WheelJudgement(Verdict.UNVERIFIABLE, f"not judged: {exc}"))
            continue
        except BuildError as exc:
            entry.judged(WheelJudgement(Verdict.FAILED, str(exc)))
            continue
        if binary and own is None:
            era = era_python(f.filename, pythons)
            if era is not None:
                plan = dataclasses.replace(plan, resolve_python=era)
                notes = notes + [f"built with the build requirements of Python {era}'s era (resolved for Python {era}, "
                                 "which no image has): its publisher's toolchain supported it"]
            add_to_group(others, tuple(plan.requires) + ((era,) if era else ()), plan, notes, Other(entry, wa, path))
        else:
            add_to_group(plans, plan.config() + (plan.python,), plan, notes, Member(entry, wa, path, binary))
    return plans, others


def add_to_group(groups: Groups, key: tuple, plan: BuildPlan, notes: list[str], item: Member | Other) -> None:
    """Add a wheel to its build group; the group's plan is that of its earliest upload (the cutoff)."""
    group = groups.setdefault(key, Group(plan, notes, []))
    if plan.cutoff and group.plan.cutoff and plan.cutoff < group.plan.cutoff:
        groups[key] = Group(plan, notes, group.items)
    groups[key].items.append(item)
