"""The named rules for a wheel's metadata members (METADATA, WHEEL, entry_points.txt, the description file,
zip-safe markers) judged by meaning, and a project's own SBOM; steps.py holds the other members' rules."""

from __future__ import annotations

import re

from auditor.fetch.archives import WheelArchive
from auditor.judge.configured import appended_licenses, license_file_of_field
from auditor.judge.diffs import member_diff, text_diff
from auditor.judge.metadata import (MetaComparison, canon_text, compare_entry_points, compare_metadata, parse_entry_points,
                                   compare_wheel_file, parse_email)
from auditor.judge.rules import sbom_components
from auditor.records import Comparison, Difference


def _named_in_setup_py(name: str, setup_py: str) -> bool:
    pattern = r"[-_.]".join(re.escape(part) for part in re.split(r"[-_.]", name))
    return re.search(rf"['\"]{pattern}(?![\w.-])", setup_py, re.I) is not None


def _compare_meta_member(pub: WheelArchive, reb: WheelArchive, base: str, a: bytes, b: bytes, out: Comparison,
                         tags_may_differ: str, purelib_may_differ: bool, files):
    """The member's facts compared by its kind: (MetaComparison, retag or None), "verified" when a named rule
    accounts for it, None for a member that is none of these files."""
    retag = None
    if base == "METADATA":
        mc = compare_metadata(a, b)
        if not mc.equal and files is not None and all(d.field == "License" for d in mc.diffs):
            step = _appended_license_field(pub, reb, a, b, files)
            if step:
                out.tool_steps.append(step)
                mc = MetaComparison(True, spellings=mc.spellings)
    elif base == "WHEEL":
        mc, tools, retag = compare_wheel_file(a, b, tags_may_differ, purelib_may_differ)
        out.tool_steps += tools
    elif base == "entry_points.txt":
        mc = compare_entry_points(a, b)
        if not mc.equal and entry_points_python_version(pub, reb, a, b):
            out.normalizations.append("entry-point-python-version")
            return "verified"
    elif base == "DESCRIPTION.rst":
        # wheel < 0.31 wrote the description (Metadata-Version 2.0) to its own file: read as METADATA's is
        if canon_text(a.decode("utf-8", "replace")) != canon_text(b.decode("utf-8", "replace")):
            return None
        mc = MetaComparison(True, spellings=["the description file of wheel < 0.31 with other trailing white "
                                             "space or blank lines"])
    elif base in ("zip-safe", "not-zip-safe") and not a.strip() and not b.strip():
        mc = MetaComparison(True, spellings=[f"{base} marker written with other blank lines"])
    else:
        return None
    return mc, retag


def judge_meta(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, tags_may_differ: str,
                purelib_may_differ: bool, platform_setup_py: str | None = None, files=None) -> str | None:
    """METADATA, WHEEL and entry_points.txt that differ in bytes, judged by meaning. Returns
    "verified" (same facts: metadata-format), "retag" (WHEEL tags differ only in the platform, or, for
    another platform's wheel, requirements of optional extras that the sdist's setup.py names and
    chooses by the build platform: listed as not verified), or "differs" (differences added to out);
    None for any other member."""
    base = name.rsplit("/", 1)[-1]
    if name.count("/") != 1 or not name.split("/", 1)[0].endswith(".dist-info"):
        return None
    try:
        a, b = pub.read(name, limit=1 << 22), reb.read(name, limit=1 << 22)
    except Exception:
        return None
    compared = _compare_meta_member(pub, reb, base, a, b, out, tags_may_differ, purelib_may_differ, files)
    if compared is None or compared == "verified":
        return compared
    mc, retag = compared
    if not mc.equal and platform_setup_py and all(
            d.extras_only and all(_named_in_setup_py(n, platform_setup_py) for n in d.extras_only) for d in mc.diffs):
        for d in mc.diffs:  # psutil 7.2.1's Windows wheels: its setup.py adds pywin32, wmi… to `dev` on Windows
            out.compiled_differences.append(Difference(
                name, "metadata", f"{d.field}: {d.detail}", "code",
                "the sdist's setup.py chooses these optional extras' requirements by the platform it builds on"))
        return "retag"
    if not mc.equal:
        lines = text_diff(pub, reb, name, limit=400).splitlines()
        for d in mc.diffs:
            header = d.field.removeprefix("WHEEL ") + ":"
            mine = [ln for ln in lines if ln[1:].startswith(header)][:6]
            out.differences.append(member_diff(name, "metadata", "\n".join([f"{d.field}: {d.detail}"] + mine), d.cls,
                                         d.cause))
        return "differs"
    if retag:
        out.compiled_differences.append(Difference(name, "metadata", retag, "packaging", "retag"))
        return "retag"
    if mc.spellings:
        out.normalizations.append("metadata-format")
        out.format_notes += [f"{name.split('/', 1)[1]}: {s}" for s in mc.spellings]
    return "verified"


def project_sbom(pub: WheelArchive, reb: WheelArchive | None, name: str, out: Comparison) -> bool:
    """A software bill of materials under NAME.dist-info/sboms/ that the project's build writes (pillow 12.3.0's,
    maturin's with a timestamp and a random serial number): a CycloneDX or SPDX document, data, class metadata.
    Only in the published wheel: listed as not verified, its components said; on both sides: the same
    components, its serial number and time aside. Anything else under sboms/ is not accepted here."""
    mine = sbom_components(pub, name)
    if mine is None:
        return False
    if reb is not None:
        theirs = sbom_components(reb, name)
        if theirs != mine:
            return False
        out.normalizations.append("sbom-same-components")
        out.members_verified += 1
        return True
    shown = ", ".join(f"{n} {v}" for n, v in mine[:3]) + (f" and {len(mine) - 3} more" if len(mine) > 3 else "")
    out.compiled_differences.append(Difference(name, "added", f"software bill of materials the build writes ({len(mine)} "
                                               f"component(s): {shown}): data, not verified", "metadata", "project-sbom"))
    return True


def wheel_pythons(wa: WheelArchive) -> set[str]:
    """X.Y of the CPython interpreters a wheel's WHEEL Tag lines name (cp312 -> 3.12; py3 names none)."""
    wheel_file = next((n for n in wa.members if n.endswith(".dist-info/WHEEL") and n.count("/") == 1), None)
    try:
        text = wa.read(wheel_file, limit=1 << 16).decode("utf-8", "replace") if wheel_file else ""
    except Exception:
        return set()
    return {f"{m.group(1)}.{m.group(2)}" for ln in text.splitlines() if ln.startswith("Tag:")
            for m in [re.match(r"^cp(\d)(\d+)-", ln.split(":", 1)[1].strip())] if m}


def entry_points_python_version(pub: WheelArchive, reb: WheelArchive, a: bytes, b: bytes) -> bool:
    """The entry points are the same but for names that end with the X.Y of the Python that built each wheel
    (coverage's `coverage-3.12` published, `coverage-3.13` in a rebuild for 3.13: its setup.py reads
    sys.version_info): every object reference, and every other name, equal."""
    mine, theirs = wheel_pythons(pub), wheel_pythons(reb)
    if len(mine) != 1 or len(theirs) != 1 or mine == theirs:
        return False
    pa, pb = parse_entry_points(a), parse_entry_points(b)
    if pa is None or pb is None:
        return False

    def placeholder(groups: dict, version: str) -> list[tuple[str, str, str]] | None:
        """Every (group, name with the X.Y made a placeholder, object reference), sorted: a multiset, so that
        two entries mapping to one name (`cov-3.12` beside a literal `cov-{python}`) are both kept; None when
        they collide (one of them would hide the other)."""
        pattern = re.compile(rf"(?<![\d.]){re.escape(version)}$")
        entries = sorted((g, pattern.sub("{python}", k), obj) for g, items in groups.items() for k, obj in items.items())
        names = [(g, k) for g, k, _ in entries]
        return entries if len(set(names)) == len(names) else None

    a_entries, b_entries = placeholder(pa, next(iter(mine))), placeholder(pb, next(iter(theirs)))
    return a_entries is not None and a_entries == b_entries


def _appended_license_field(pub: WheelArchive, reb: WheelArchive, a: bytes, b: bytes, files) -> str | None:
    """METADATA's License field is each wheel's own license file, and the published file is the rebuild's
    with licenses the sdist holds appended (judge/configured.py): the step that appended them."""
    try:
        la = parse_email(a.decode("utf-8"))[0].get("license")
        lb = parse_email(b.decode("utf-8"))[0].get("license")
    except (UnicodeDecodeError, ValueError):
        return None
    if not la or not lb:
        return None
    fa, fb = license_file_of_field(pub, la), license_file_of_field(reb, lb)
    if not fa or not fb or fa.rsplit("/", 1)[-1] != fb.rsplit("/", 1)[-1]:
        return None
    used = appended_licenses(pub.read(fa, limit=1 << 22), reb.read(fb, limit=1 << 22), files)
    return f"METADATA License: the text of {fa.split('/', 1)[1]}, with the appended licenses" if used else None
