"""Toolchain search: find the setuptools the publisher built with when the first rebuild differs only in
what a setuptools version explains.

A wheel names its backend in `Generator`, but `bdist_wheel (X)` names only the wheel package, and
`setuptools (X)` says nothing of the setuptools that wrote an older release's metadata. Publishers
often build with an older setuptools than the newest of their day; it shows in METADATA spellings,
license files in dist-info, and which modules package discovery picks up (click-plugins, passlib).

The search only changes which setuptools builds the same sdist; the comparison rules stay the same,
so no toolchain can make a changed line of code, an added `.py` the sdist does not hold or an added
requirement appear: a tampered wheel stays `differs` whatever is tried.

Candidates: the newest release of each setuptools major version uploaded before the wheel, within the
sdist's own constraints and the published Metadata-Version (2.2: 75.8–76; 2.4: 77 and later; 2.1:
before 75.8). A few spread over the range are built first, then the neighbours of the best; at most
MAX_SEARCH_BUILDS builds per build configuration, and the results say when the bound was hit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from auditor.judgement import WheelJudgement
from auditor.records import BuildPlan, IndexFile, Verdict

# When each CPython was released: a setuptools older than a year before its interpreter rarely runs on
# it (setuptools 34 on 3.11 fails importing packaging's LegacyVersion), so the search does not spend its
# bounded builds there, unless the wheel itself is that old (interpreter_floor).
PYTHON_RELEASED = {"3.6": "2016-12-23", "3.7": "2018-06-27", "3.8": "2019-10-14", "3.9": "2020-10-05",
                   "3.10": "2021-10-04", "3.11": "2022-10-24", "3.12": "2023-10-02", "3.13": "2024-10-07",
                   "3.14": "2025-10-07", "3.15": "2026-10-01"}
MAX_SEARCH_BUILDS = 5
FIRST_ROUND = 3
SEARCHED_BACKENDS = {"setuptools", "wheel"}  # `wheel`: Generator bdist_wheel (X), setuptools < 70.1


def worth_searching(plan: BuildPlan, outcomes: Sequence[WheelJudgement]) -> str | None:
    """Why a search may help these wheels' comparisons (None: it cannot). Compiled releases are searched
    too: the builds of one release share a compiler cache, so a try with another setuptools does not
    compile the same sources again, and the release's time budget bounds it."""
    if not outcomes:
        return None
    if plan.backend not in SEARCHED_BACKENDS and not (plan.backend is None and _declares_setuptools(plan)):
        return None
    whys = set()
    for j in outcomes:
        if j.verdict == Verdict.DIFFERS:
            diffs = j.differences or ()
            if diffs and all(d.path.split("/", 1)[0].endswith(".dist-info") or d.kind in ("added", "removed")
                             for d in diffs):
                whys.add("the rebuild differs only in dist-info files or in which files were packaged")
            else:
                return None  # content changed: no toolchain explains it, and none is searched for it
        elif j.verdict == Verdict.EQUIVALENT and "metadata-format" in (j.normalizations or ()):
            whys.add("METADATA was spelled by another setuptools")  # an identical wheel may be one build away
    return "; ".join(sorted(whys)) or None


def _declares_setuptools(plan: BuildPlan) -> bool:
    return any(_name(r) == "setuptools" for r in plan.requires)


def _name(spec: str) -> str | None:
    try:
        return canonicalize_name(Requirement(spec).name)
    except InvalidRequirement:
        return None


def _constraints(plan: BuildPlan) -> SpecifierSet:
    out = SpecifierSet()
    for spec in plan.requires:
        try:
            r = Requirement(spec)
        except InvalidRequirement:
            continue
        if canonicalize_name(r.name) == "setuptools" and (r.marker is None or r.marker.evaluate()):
            out &= r.specifier
    return out


def _metadata_version_range(metadata_version: str | None) -> SpecifierSet:
    """setuptools versions that write this Metadata-Version (wheel-builders notes; 2.1 until 75.7)."""
    return {"2.4": SpecifierSet(">=77"), "2.2": SpecifierSet(">=75.8,<77"),
            "2.1": SpecifierSet("<75.8")}.get(metadata_version or "", SpecifierSet())


def available(files: list[IndexFile], cutoff: datetime | None) -> dict[Version, datetime]:
    """setuptools versions with a pure wheel uploaded before the cutoff, and when."""
    out: dict[Version, datetime] = {}
    for f in files:
        if not f.is_wheel or f.upload_time is None or (cutoff and f.upload_time > cutoff) or f.yanked is not None:
            continue
        try:
            _, version, _, tags = parse_wheel_filename(f.filename)
        except Exception:
            continue
        if version.is_prerelease or not any(t.interpreter.startswith("py3") and t.platform == "any" for t in tags):
            continue
        if version not in out or f.upload_time < out[version]:
            out[version] = f.upload_time
    return out


def interpreter_floor(python: str, cutoff: datetime | None = None) -> datetime | None:
    """The oldest setuptools upload worth a try: a year before the build's interpreter was released, or
    two years before the wheel when that is earlier (an older release's own era; setuptools 44-49 of
    2020 still run on 3.11). None: no floor known."""
    day = PYTHON_RELEASED.get(python)
    floor = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) - timedelta(days=365) if day else None
    if floor and cutoff:
        floor = min(floor, cutoff - timedelta(days=730))
    return floor


def candidates(plan: BuildPlan, files: list[IndexFile], metadata_version: str | None,
               tried: set[str]) -> list[str]:
    """The newest setuptools of each major version the publisher could have used (within the sdist's
    constraints and the Metadata-Version, and one that can run on the build's interpreter), newest first."""
    allowed = _constraints(plan) & _metadata_version_range(metadata_version)
    floor = interpreter_floor(plan.python, plan.cutoff)
    newest: dict[int, Version] = {}
    for v, uploaded in available(files, plan.cutoff).items():
        if floor and uploaded < floor:
            continue
        if allowed.contains(v) and (v.major not in newest or v > newest[v.major]):
            newest[v.major] = v
    tried_majors = {Version(t).major for t in tried if _is_version(t)}
    return [str(newest[m]) for m in sorted(newest, reverse=True) if m not in tried_majors and str(newest[m]) not in tried]


def _is_version(s: str) -> bool:
    try:
        Version(s)
        return True
    except InvalidVersion:
        return False


def first_round(ordered: list[str]) -> list[str]:
    """A few candidates spread over the range (newest, middle, oldest…)."""
    if len(ordered) <= FIRST_ROUND:
        return list(ordered)
    k = len(ordered)
    picks = sorted({round(i * (k - 1) / (FIRST_ROUND - 1)) for i in range(FIRST_ROUND)})
    return [ordered[i] for i in picks]


def neighbours(ordered: list[str], best: str) -> list[str]:
    """The majors next to the best one so far, nearest first."""
    if best not in ordered:
        return []
    i = ordered.index(best)
    return [ordered[j] for j in (i - 1, i + 1, i - 2, i + 2) if 0 <= j < len(ordered)]


def with_setuptools(plan: BuildPlan, version: str) -> BuildPlan:
    """The plan with setuptools pinned to `version` (every other requirement resolved as before)."""
    requires = [r for r in plan.requires if _name(r) != "setuptools"] + [f"setuptools=={version}"]
    return dataclasses.replace(plan, requires=requires, alternatives=[])
