"""Turn a comparison into a wheel's judgement (auditor/judgement.py: verdict, one-line reason, differences, counts).

Each function judges one published wheel and returns its judgement; none runs anything or writes a result.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from packaging.tags import parse_tag
from packaging.utils import parse_wheel_filename

from auditor.fetch import archives
from auditor.fetch.archives import WheelArchive, read_wheel
from auditor.fetch.downloads import is_pure
from auditor.errors import LimitExceeded, UnsafeArchive
from auditor.judge.configured import SdistSources
from auditor.judge.diffs import limited
from auditor.judge.classes import CLASSES as _CLASSES
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.registry import check_causes
from auditor.judge.sources import GENERATED, cross_check_sources
from auditor.judgement import WheelJudgement
from auditor.records import Comparison, Verdict


def classes_of(differences) -> list[str]:
    """The classes of a list of differences (dicts or Difference), most dangerous first."""
    found = {(d["cls"] if isinstance(d, dict) else d.cls) or "code" for d in differences}
    return [c for c in CLASSES if c in found]


CLASSES = list(_CLASSES)


def verdict_of(cmp: Comparison) -> tuple[Verdict, str | None]:
    """A comparison's verdict, and what to say of it (the differences' probable causes are added when the
    judgement is written: auditor/judgement.py)."""
    if cmp.differences:
        paths = sorted({d.path for d in cmp.differences})
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        return Verdict.DIFFERS, (f"{len(cmp.differences)} difference(s) [{', '.join(classes_of(cmp.differences))}]: "
                                 f"{shown}")
    unread = limited(cmp.compiled_differences)
    if unread:
        return Verdict.UNVERIFIABLE, _unread_said(cmp, unread)
    if cmp.compiled_differences:
        n = sum(1 for d in cmp.compiled_differences if d.kind in ("content", "added"))
        iface = f", {cmp.interface_verified} of them with the rebuild's interface" if cmp.interface_verified else ""
        return Verdict.PARTIAL, (
            f"{cmp.members_verified} members verified, {n} compiled members not reproduced{iface} "
            "(build environment differs from the publisher's)"
        )
    return Verdict.EQUIVALENT, None


def _unread_said(cmp: Comparison, unread: list) -> str:
    paths = sorted({d.path for d in unread})
    return (f"{len(paths)} member(s) not judged, past a bound of ours ({archives.READ_OPTION}): "
            f"{', '.join(paths[:3])}{f' and {len(paths) - 3} more' if len(paths) > 3 else ''}; "
            f"{cmp.members_verified} other members verified, no difference found")


def _listed(cmp: Comparison) -> dict[str, Any]:
    """What a judgement lists of a comparison (copies: the comparison is the judge's working state)."""
    return {"normalizations": tuple(cmp.normalizations), "differences": tuple(map(dataclasses.replace, cmp.differences)),
            "members_verified": cmp.members_verified, "verified": member_counts(cmp),
            "not_reproduced": tuple(map(dataclasses.replace, cmp.compiled_differences)),
            "metadata_format": tuple(cmp.format_notes), "tool_steps": tuple(cmp.tool_steps),
            "judged_by": dict(cmp.judged_by) or None, "classes": tuple(classes_of(cmp.differences))}


def guarded(check: str, fn: Callable[..., WheelJudgement], *args, **kwargs) -> WheelJudgement:
    """One wheel's judgement, whatever goes wrong inside it: a bound of ours reached (LimitExceeded) makes
    the wheel `unverifiable` naming the bound and how to raise it; any other error (a bug, a rule nobody
    registered) makes it `failed` as an internal error. Never the release's: its other wheels keep theirs."""
    try:
        return fn(*args, **kwargs)
    except LimitExceeded as exc:
        return WheelJudgement(Verdict.UNVERIFIABLE, f"not judged: {exc}", check=check)
    except Exception as exc:  # noqa: BLE001 - the wheel's own failure, said in one line
        return WheelJudgement(Verdict.FAILED, f"internal error judging this wheel: {type(exc).__name__}: {str(exc)[:300]}",
                              check=check)


def compare_rebuilt(published_sha: str, published: WheelArchive, rebuilt_name: str, rebuilt_sha: str,
                    rebuilt_wa: WheelArchive, binary: bool, sources: SdistSources | None = None,
                    libraries: Mapping[str, bytes] | None = None) -> WheelJudgement:
    """One published wheel against one rebuild (no side effects). `libraries`: the libraries the rebuild's
    modules link, read from the build's image (the interface check's static rule)."""
    return guarded("rebuilt-binary" if binary else "rebuilt", _compare_rebuilt, published_sha, published, rebuilt_name,
                   rebuilt_sha, rebuilt_wa, binary, sources, libraries)


def _compare_rebuilt(published_sha: str, published: WheelArchive, rebuilt_name: str, rebuilt_sha: str,
                     rebuilt_wa: WheelArchive, binary: bool, sources: SdistSources | None = None,
                     libraries: Mapping[str, bytes] | None = None) -> WheelJudgement:
    base: dict[str, Any] = {"rebuilt_sha256": rebuilt_sha, "normalizations": (), "differences": (),
                            "mtime_members": 0, "check": "rebuilt-binary" if binary else "rebuilt"}
    if rebuilt_sha == published_sha:
        files = sum(1 for m in published.members.values() if not m.is_dir)
        return WheelJudgement(Verdict.IDENTICAL, None, **base, members_verified=files,
                              verified={"bytes": files, "normalized": 0, "interface": 0, "not_verified": 0})
    if not binary and not is_pure(rebuilt_name):
        # A pure wheel of a project whose extensions are optional: the sdist builds them here.
        cmp = compare_other_platform(published, rebuilt_wa, pure_variant=True)
        fields = dict(base, **_listed(cmp), check="rebuilt-pure-variant")
        if cmp.differences:
            verdict, said = verdict_of(cmp)
            return WheelJudgement(verdict, f"against the rebuild with extensions ({rebuilt_name}): {said}", **fields)
        if limited(cmp.compiled_differences):
            return WheelJudgement(Verdict.UNVERIFIABLE, _unread_said(cmp, limited(cmp.compiled_differences)), **fields)
        return WheelJudgement(Verdict.PARTIAL, (
            f"pure-Python variant: {cmp.members_verified} members match the rebuild with extensions "
            f"({rebuilt_name}); the pure variant itself was not rebuilt"), **fields)
    cmp = compare_wheels(published, rebuilt_wa, binary=binary, sources=sources, libraries=libraries)
    verdict, said = verdict_of(cmp)
    return WheelJudgement(verdict, said, **dict(base, **_listed(cmp), mtime_members=cmp.mtime_members))


def other_platform_judgement(published: WheelArchive, rebuilt_wa: WheelArchive, rebuilt_name: str,
                             sources: SdistSources | None = None, setup_py: str | None = None
                             ) -> tuple[WheelJudgement, Comparison]:
    """A wheel for another platform or Python, against the wheel rebuilt here (setup_py: the sdist's, whose
    platform-chosen extras may account for a METADATA difference)."""
    found: list[Comparison] = []
    judged = guarded("rebuilt-other-platform", _other_platform, found, published, rebuilt_wa, rebuilt_name, sources,
                     setup_py)
    return judged, (found[0] if found else Comparison(normalizations=[], differences=[]))


def _other_platform(found: list, published: WheelArchive, rebuilt_wa: WheelArchive, rebuilt_name: str,
                    sources: SdistSources | None, setup_py: str | None) -> WheelJudgement:
    cmp = compare_other_platform(published, rebuilt_wa, sources=sources, setup_py=setup_py)
    _other_python_cause(cmp, published, rebuilt_name)
    fields = dict(_listed(cmp), check="rebuilt-other-platform", compared_with=rebuilt_name)
    found.append(cmp)
    if cmp.differences:
        verdict, said = verdict_of(cmp)
        return WheelJudgement(verdict, f"against the wheel rebuilt here ({rebuilt_name}): {said}", **fields)
    if limited(cmp.compiled_differences):
        return WheelJudgement(Verdict.UNVERIFIABLE, _unread_said(cmp, limited(cmp.compiled_differences)), **fields)
    n = sum(1 for d in cmp.compiled_differences if d.kind in ("content", "added"))
    return WheelJudgement(Verdict.PARTIAL, (
        f"other platform: {cmp.members_verified} members match the wheel rebuilt here"
        + (f" (after {', '.join(cmp.normalizations)})" if cmp.normalizations else "")
        + f"; {n} compiled members not verifiable here"), **fields)


def _pythons(tags) -> set[str]:
    """X.Y of the CPython/PyPy interpreters `tags` (packaging Tags) are for."""
    return {f"{m.group(1)}.{m.group(2)}" for t in tags if (m := re.match(r"^(?:cp|pp)(\d)(\d+)$", t.interpreter))}


def _other_python_cause(cmp: Comparison, published: WheelArchive, rebuilt_name: str) -> None:
    """Members only in a rebuild made for another Python than the wheel's (no image has the wheel's): a
    build that installs some files for some Python versions only (numpy 1.26.4 installs numpy/distutils
    below 3.12) explains them; said as the probable cause, the verdict stays."""
    removed = [d for d in cmp.differences if d.kind == "removed"]
    if not removed or any(d.kind != "removed" and not d.path.endswith(".dist-info/RECORD") for d in cmp.differences):
        return
    wheel_file = next((n for n in published.members if n.endswith(".dist-info/WHEEL") and n.count("/") == 1), None)
    try:
        text = published.read(wheel_file, limit=1 << 16).decode("utf-8", "replace") if wheel_file else ""
        mine = _pythons(t for ln in text.splitlines() if ln.startswith("Tag:")
                        for t in parse_tag(ln.split(":", 1)[1].strip()))
        theirs = _pythons(parse_wheel_filename(rebuilt_name)[3])
    except Exception:
        return
    if not mine or not theirs or mine & theirs:
        return
    cause = (f"rebuilt with Python {', '.join(sorted(theirs))}, this wheel is for Python {', '.join(sorted(mine))} "
             "(no image has it): a build that installs these files for some Python versions only?")
    for d in removed:
        d.cause = d.cause or cause
    check_causes([cause])


def member_counts(cmp: Comparison) -> dict[str, int]:
    """How a wheel's members were verified: byte for byte, after a named rule, by interface only
    (compiled members), not at all."""
    return {"bytes": cmp.members_identical, "normalized": max(cmp.members_verified - cmp.members_identical, 0),
            "interface": cmp.interface_verified,
            "not_verified": max(sum(1 for d in cmp.compiled_differences if d.kind != "removed") - cmp.interface_verified, 0)}


def sources_judgement(published_path: Path, src: Path, filename: str | None = None,
                      why: str = "rebuild failed") -> WheelJudgement:
    """Nothing was rebuilt (`why`): check what can be checked against the sdist's sources. That check is
    evidence, not a rebuild: the wheel is `failed` (or `differs` when the check finds a difference)."""
    return guarded("sources", _sources_judgement, published_path, src, filename, why)


def _sources_judgement(published_path: Path, src: Path, filename: str | None, why: str) -> WheelJudgement:
    try:
        cmp = cross_check_sources(read_wheel(published_path), src, filename)
    except UnsafeArchive as exc:
        return WheelJudgement(Verdict.DIFFERS, f"published wheel unreadable: {exc}", check="sources")
    fields = dict(_listed(cmp), check="sources")
    del fields["metadata_format"]
    if cmp.differences:
        verdict, said = verdict_of(cmp)
        return WheelJudgement(verdict, f"not rebuilt ({why}); against the sdist's sources: {said}", **fields)
    generated = sum(d.cause == GENERATED for d in cmp.compiled_differences)
    unverified = len(cmp.compiled_differences)
    return WheelJudgement(Verdict.FAILED, (
        f"not rebuilt ({why}); sources check: {cmp.members_verified} members match the sdist, {unverified} not "
        "verified" + (f" ({generated} generated or installed by the build's own rules)" if generated else "")), **fields)


def failed(why: str | None) -> WheelJudgement:
    """No comparison: the build (or everything before it) failed, said as `why`."""
    return WheelJudgement(Verdict.FAILED, why)
