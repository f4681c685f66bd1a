"""Turn a comparison into a wheel's verdict fields (verdict, one-line reason, differences, counts).

Each function fills the result entry of one published wheel; none runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from packaging.tags import parse_tag
from packaging.utils import parse_wheel_filename

from auditor.fetch.archives import WheelArchive, read_wheel
from auditor.fetch.downloads import is_pure
from auditor.errors import LimitExceeded, UnsafeArchive
from auditor.judge.classes import CLASSES as _CLASSES
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.registry import check_causes
from auditor.judge.sources import GENERATED, cross_check_sources
from auditor.records import Comparison, Verdict, to_jsonable


def classes_of(differences) -> list[str]:
    """The classes of a list of differences (dicts or Difference), most dangerous first."""
    found = {(d["cls"] if isinstance(d, dict) else d.cls) or "code" for d in differences}
    return [c for c in CLASSES if c in found]


CLASSES = list(_CLASSES)


def verdict_of(cmp: Comparison) -> tuple[Verdict, str | None]:
    if cmp.differences:
        paths = sorted({d.path for d in cmp.differences})
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        causes = sorted({d.cause for d in cmp.differences if d.cause})
        why = f"; probable cause: {', '.join(causes)}" if causes else ""
        return Verdict.DIFFERS, (f"{len(cmp.differences)} difference(s) [{', '.join(classes_of(cmp.differences))}]: "
                                 f"{shown}{why}")
    if cmp.compiled_differences:
        n = sum(1 for d in cmp.compiled_differences if d.kind in ("content", "added"))
        iface = f", {cmp.interface_verified} of them with the rebuild's interface" if cmp.interface_verified else ""
        return Verdict.PARTIAL, (
            f"{cmp.members_verified} members verified, {n} compiled members not reproduced{iface} "
            "(build environment differs from the publisher's)"
        )
    return Verdict.EQUIVALENT, None


def _listed(cmp: Comparison) -> dict[str, Any]:
    return {"normalizations": cmp.normalizations, "differences": [to_jsonable(d) for d in cmp.differences],
            "members_verified": cmp.members_verified, "verified": member_counts(cmp),
            "not_reproduced": [to_jsonable(d) for d in cmp.compiled_differences],
            "metadata_format": cmp.format_notes, "tool_steps": cmp.tool_steps, "judged_by": dict(cmp.judged_by) or None,
            "classes": classes_of(cmp.differences)}


def guarded(check: str, fn: Callable[..., dict[str, Any]], *args, **kwargs) -> dict[str, Any]:
    """One wheel's judgement, whatever goes wrong inside it: a bound of ours reached (LimitExceeded) makes
    the wheel `unverifiable` naming the bound and how to raise it; any other error (a bug, a rule nobody
    registered) makes it `failed` as an internal error. Never the release's: its other wheels keep theirs."""
    try:
        return fn(*args, **kwargs)
    except LimitExceeded as exc:
        return {"verdict": Verdict.UNVERIFIABLE, "check": check, "reason": f"not judged: {exc}"}
    except Exception as exc:  # noqa: BLE001 - the wheel's own failure, said in one line
        return {"verdict": Verdict.FAILED, "check": check,
                "reason": f"internal error judging this wheel: {type(exc).__name__}: {str(exc)[:300]}"}


def compare_rebuilt(published_sha: str, published: WheelArchive, rebuilt_name: str, rebuilt_sha: str,
                    rebuilt_wa: WheelArchive, binary: bool, sources: frozenset[str] | None = None,
                    libraries: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """The comparison fields of one published wheel against one rebuild (no side effects). `libraries`: the
    libraries the rebuild's modules link, read from the build's image (the interface check's static rule)."""
    return guarded("rebuilt-binary" if binary else "rebuilt", _compare_rebuilt, published_sha, published, rebuilt_name,
                   rebuilt_sha, rebuilt_wa, binary, sources, libraries)


def _compare_rebuilt(published_sha: str, published: WheelArchive, rebuilt_name: str, rebuilt_sha: str,
                     rebuilt_wa: WheelArchive, binary: bool, sources: frozenset[str] | None = None,
                     libraries: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"rebuilt_sha256": rebuilt_sha, "reason": None, "normalizations": [], "differences": [],
                              "mtime_members": 0, "check": "rebuilt-binary" if binary else "rebuilt"}
    if rebuilt_sha == published_sha:
        files = sum(1 for m in published.members.values() if not m.is_dir)
        return dict(fields, verdict=Verdict.IDENTICAL, members_verified=files,
                    verified={"bytes": files, "normalized": 0, "interface": 0, "not_verified": 0})
    if not binary and not is_pure(rebuilt_name):
        # A pure wheel of a project whose extensions are optional: the sdist builds them here.
        cmp = compare_other_platform(published, rebuilt_wa, pure_variant=True)
        fields.update(_listed(cmp), check="rebuilt-pure-variant")
        if cmp.differences:
            verdict, reason = verdict_of(cmp)
            return dict(fields, verdict=verdict, reason=f"against the rebuild with extensions ({rebuilt_name}): {reason}")
        return dict(fields, verdict=Verdict.PARTIAL, reason=(
            f"pure-Python variant: {cmp.members_verified} members match the rebuild with extensions "
            f"({rebuilt_name}); the pure variant itself was not rebuilt"))
    cmp = compare_wheels(published, rebuilt_wa, binary=binary, sources=sources, libraries=libraries)
    verdict, reason = verdict_of(cmp)
    fields.update(_listed(cmp), verdict=verdict, reason=reason, mtime_members=cmp.mtime_members)
    return fields


def other_platform_fields(published: WheelArchive, rebuilt_wa: WheelArchive, rebuilt_name: str,
                          sources: frozenset[str] | None = None, setup_py: str | None = None
                          ) -> tuple[dict[str, Any], Comparison]:
    """A wheel for another platform or Python, against the wheel rebuilt here (setup_py: the sdist's, whose
    platform-chosen extras may account for a METADATA difference)."""
    found: list[Comparison] = []
    fields = guarded("rebuilt-other-platform", _other_platform, found, published, rebuilt_wa, rebuilt_name, sources,
                     setup_py)
    return fields, (found[0] if found else Comparison(normalizations=[], differences=[]))


def _other_platform(found: list, published: WheelArchive, rebuilt_wa: WheelArchive, rebuilt_name: str,
                    sources: frozenset[str] | None, setup_py: str | None) -> dict[str, Any]:
    cmp = compare_other_platform(published, rebuilt_wa, sources=sources, setup_py=setup_py)
    _other_python_cause(cmp, published, rebuilt_name)
    fields = dict(_listed(cmp), check="rebuilt-other-platform", compared_with=rebuilt_name)
    if cmp.differences:
        verdict, reason = verdict_of(cmp)
        fields.update(verdict=verdict, reason=f"against the wheel rebuilt here ({rebuilt_name}): {reason}")
    else:
        n = sum(1 for d in cmp.compiled_differences if d.kind in ("content", "added"))
        fields.update(verdict=Verdict.PARTIAL, reason=(
            f"other platform: {cmp.members_verified} members match the wheel rebuilt here"
            + (f" (after {', '.join(cmp.normalizations)})" if cmp.normalizations else "")
            + f"; {n} compiled members not verifiable here"))
    found.append(cmp)
    return fields


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


def sources_fields(published_path: Path, src: Path, filename: str | None = None,
                   why: str = "rebuild failed") -> dict[str, Any]:
    """Nothing was rebuilt (`why`): check what can be checked against the sdist's sources. That check is
    evidence, not a rebuild: the wheel is `failed` (or `differs` when the check finds a difference)."""
    return guarded("sources", _sources_fields, published_path, src, filename, why)


def _sources_fields(published_path: Path, src: Path, filename: str | None, why: str) -> dict[str, Any]:
    try:
        cmp = cross_check_sources(read_wheel(published_path), src, filename)
    except UnsafeArchive as exc:
        return {"verdict": Verdict.DIFFERS, "reason": f"published wheel unreadable: {exc}", "check": "sources"}
    fields: dict[str, Any] = {"differences": [to_jsonable(d) for d in cmp.differences],
                              "members_verified": cmp.members_verified, "check": "sources",
                              "classes": classes_of(cmp.differences), "tool_steps": cmp.tool_steps,
                              "normalizations": cmp.normalizations, "verified": member_counts(cmp),
                              "not_reproduced": [to_jsonable(d) for d in cmp.compiled_differences],
                              "judged_by": dict(cmp.judged_by) or None}
    if cmp.differences:
        verdict, reason = verdict_of(cmp)
        return dict(fields, verdict=verdict, reason=f"not rebuilt ({why}); against the sdist's sources: {reason}")
    generated = sum(d.cause == GENERATED for d in cmp.compiled_differences)
    unverified = len(cmp.compiled_differences)
    return dict(fields, verdict=Verdict.FAILED, reason=(
        f"not rebuilt ({why}); sources check: {cmp.members_verified} members match the sdist, {unverified} not "
        "verified" + (f" ({generated} generated or installed by the build's own rules)" if generated else "")))
