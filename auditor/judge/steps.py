"""The named rules a comparison applies member by member (each listed with its reason in rules.py):
METADATA/WHEEL/entry points by meaning, RECORD by its truth, repair-tool outputs, setuptools-scm's
commit id, license files moved into dist-info/licenses/, dist-info names, a compiled variant not built
here, stale files of a publisher's tree. Each returns whether it accounted for the member, and records
what it did in the Comparison."""

from __future__ import annotations


import dataclasses
import re

from packaging.utils import canonicalize_name

from auditor.fetch.archives import Member, WheelArchive
from auditor.fetch.archives import extension_stem
from auditor.judge.configured import SdistSources
from auditor.judge.diffs import member_diff, same_bytes, text_diff, is_compiled
from auditor.judge.delvewheel import delvewheel_patch
from auditor.judge.rules import (classify, record_backslashes, record_problem, record_rows)
from auditor.records import Comparison, Difference


def delvewheel_unpatched(pub: WheelArchive, name: str, mine: bytes | None, out: Comparison) -> bool:
    """A Windows wheel's .py that delvewheel patched: without its block, `mine` (the rebuild's or the
    sdist's bytes; None: the file is not there, and delvewheel created it: nothing but the block)."""
    if not name.endswith(".py"):
        return False
    try:
        text = pub.read(name, 1 << 22).decode("utf-8")
        theirs = (mine or b"").decode("utf-8")
    except Exception:
        return False
    crlf = "\r\n" in text and "\r\n" not in theirs
    found = delvewheel_patch(text.replace("\r\n", "\n"), pub)
    if not found:
        return False
    before, after, ident, libs = found
    theirs = theirs.replace("\r\n", "\n")
    head = before.rstrip()
    if not (theirs.startswith(head) and theirs[len(head):].strip() == after.strip()):
        return False
    out.tool_steps.append(f"delvewheel {ident} patch of {name} (adds the grafted {libs}/ to the DLL search path)")
    if crlf:
        out.normalizations.append("crlf-line-endings")
        out.crlf_members.append(name)
    out.members_verified += 1
    return True


def delvewheel_step(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    try:
        mine = reb.read(name, 1 << 22) if name in reb.members else None
    except Exception:
        return False
    return delvewheel_unpatched(pub, name, mine, out)


def _top_level_names(pub: WheelArchive, reb: WheelArchive, name: str) -> tuple[set[str], set[str]] | None:
    """The names each side's top_level.txt lists (None: not a top_level.txt, or unreadable)."""
    if not name.endswith(".dist-info/top_level.txt"):
        return None
    try:
        return set(pub.read(name).decode().split()), set(reb.read(name).decode().split())
    except Exception:
        return None


def top_level_without_members(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    """A top_level.txt that names, besides the rebuild's names, only names no member of the wheel has
    (pycasbin 2.7.1: `dist`, `examples`): directories of the publisher's tree that setuptools' discovery
    listed; nothing can be imported by them. Still a difference, of class metadata, with that cause."""
    names = _top_level_names(pub, reb, name) if name.count("/") == 1 else None
    if names is None:
        return False
    a, b = names
    extra = a - b
    if not extra or not b <= a:
        return False
    tops = {n.split("/", 1)[0].split(".", 1)[0] for n in pub.members}
    if extra & tops:
        return False
    out.differences.append(member_diff(name, "metadata", text_diff(pub, reb, name) or f"names {', '.join(sorted(extra))}",
                                 "metadata", f"names {', '.join(sorted(extra))}, which no member of the wheel has: "
                                 "directories of the publisher's tree that setuptools listed (nothing to import)"))
    return True


def top_level_of_optional_extensions(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    """A pure variant's top_level.txt lacks exactly the names of extension modules only the rebuild has."""
    names = _top_level_names(pub, reb, name)
    if names is None:
        return False
    a, b = names
    only_reb = {stem for n in reb.members if (stem := extension_stem(n)) and "/" not in stem} \
        - {stem for n in pub.members if (stem := extension_stem(n))}
    if a <= b and (b - a) and (b - a) <= only_reb:
        out.compiled_differences.append(Difference(name, "metadata", "names the optional extension modules "
                                                   f"{', '.join(sorted(b - a))} the pure wheel does not hold", "code"))
        return True
    return False


def judge_record(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, named: bool = True) -> bool:
    """A RECORD that differs is verified when it is true to its own wheel and its rows differ only for
    members judged under a named rule (metadata-format, tool steps, compiled members not reproduced)
    or in order. Rows of members that differ make RECORD a finding too: the evidence is shown, never
    normalized away. Returns True when verified. named: say record-rows (another platform's RECORD
    never equals ours, its compiled rows differ, so it is not named there)."""
    problem = record_problem(pub)
    if problem:
        out.differences.append(member_diff(name, "metadata", problem, "packaging"))
        return False
    if record_backslashes(pub):
        out.normalizations.append("record-path-separators")
    a, b = record_rows(pub), record_rows(reb)
    differing = {d.path for d in out.differences}
    changed = sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p) and p in differing)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        out.differences.append(member_diff(name, "metadata", f"RECORD rows of the differing members: {shown}", "packaging"))
        return False
    if named:
        out.normalizations.append("record-rows")
    return True


def stale_member(wa: WheelArchive, name: str) -> str | None:
    """A member dated days before the wheel's newest entry, when the builder wrote file mtimes: a file
    left over in the publisher's working tree (click-plugins 1.1.1.2 ships a 2023 click_plugins.py
    beside its 2025 package). None when the dates say nothing."""
    import datetime as dt

    def when(m: Member) -> dt.datetime:
        return dt.datetime(*m.date_time)

    files = [m for m in wa.members.values() if not m.is_dir]
    if len({m.date_time for m in files}) < 2:
        return None  # one uniform time (SOURCE_DATE_EPOCH): no file mtimes to read
    newest = max(when(m) for m in files)
    mine = when(wa.members[name])
    if newest - mine > dt.timedelta(days=1):
        return (f"a file the sdist does not build, dated {mine:%Y-%m-%d} while the wheel's newest entry is "
                f"{newest:%Y-%m-%d}: probably left over in the publisher's working tree")
    return None


def moved_licenses(pub: WheelArchive, reb: WheelArchive, pub_only: set[str], reb_only: set[str],
                    out: Comparison, crlf_ok: bool = False) -> set[str]:
    """License files with the same bytes at `NAME.dist-info/F` on one side and under
    `NAME.dist-info/licenses/` on the other (PEP 639 moved them there; each wheel of a release may come
    from another setuptools): verified under license-file-location. Returns the paths so paired. F must be
    a license file at the dist-info's root too (class metadata): entry_points.txt, top_level.txt or any
    other file there that steers installers and importers is no license, whatever licenses/ holds."""
    paired: set[str] = set()
    for a_side, b_side, a_wa, b_wa in ((pub_only, reb_only, pub, reb), (reb_only, pub_only, reb, pub)):
        for name in sorted(a_side):
            top, _, rest = name.partition("/")
            if not top.endswith(".dist-info") or rest.startswith("licenses/") or "/" in rest \
                    or classify(name) != "metadata":
                continue
            match = [m for m in b_side if m.startswith(f"{top}/licenses/") and m.rsplit("/", 1)[-1] == rest
                     and m not in paired and same_bytes(a_wa, name, b_wa, m, crlf_ok)]
            if match:
                paired |= {name, match[0]}
                out.normalizations.append("license-file-location")
                out.format_notes.append(f"license file {rest}: {name} and {match[0]}")
                out.members_verified += 1
    return paired


_NSPKG = re.compile(r"^(?P<stem>[^/]+)-py(?P<py>\d+\.\d+)-nspkg\.pth$")


def renamed_nspkg(pub: WheelArchive, reb: WheelArchive, pub_only: set[str], reb_only: set[str],
                  out: Comparison, crlf_ok: bool = False) -> set[str]:
    """setuptools names a namespace package's `.pth` after the Python that builds the wheel
    (zope.interface 7.2's cp310 wheels: `zope.interface-7.2-py3.10-nspkg.pth`, a 3.11 rebuild's `-py3.11-`):
    the same bytes under the other Python's name (CRLF line endings allowed, and named, where `crlf_ok`: another
    platform's wheel), verified under nspkg-pth-python-version. Returns the
    paths so paired; any other .pth on one side stays a difference."""
    paired: set[str] = set()
    for name in sorted(pub_only):
        m = _NSPKG.match(name)
        if not m:
            continue
        match = [r for r in sorted(reb_only) if (n := _NSPKG.match(r)) and n.group("stem") == m.group("stem")
                 and r not in paired and same_bytes(pub, name, reb, r, crlf_ok)]
        if match:
            paired |= {name, match[0]}
            out.normalizations.append("nspkg-pth-python-version")
            if not same_bytes(pub, name, reb, match[0], False):  # a Windows build wrote it with CRLF
                out.normalizations.append("crlf-line-endings")
                out.crlf_members.append(name)
            out.format_notes.append(f"namespace .pth {name} and {match[0]}: named after the Python that built each")
            out.members_verified += 1
    return paired


def _dist_info_dirs(wa: WheelArchive) -> set[str]:
    return {n.split("/", 1)[0] for n in wa.members if "/" in n and n.split("/", 1)[0].endswith((".dist-info", ".data"))}


def align_dist_info(pub: WheelArchive, reb: WheelArchive, out: Comparison) -> WheelArchive:
    """The rebuild seen with the published wheel's dist-info (and .data) directory names when the two
    differ only in how the project name is spelled (`PyYAML-6.0.3.dist-info` by an older setuptools,
    `pyyaml-6.0.3.dist-info` by a newer one): the named normalization dist-info-name."""
    renames: dict[str, str] = {}
    for p_dir in _dist_info_dirs(pub) - _dist_info_dirs(reb):
        p_name, _, p_rest = p_dir.partition("-")
        for r_dir in _dist_info_dirs(reb) - _dist_info_dirs(pub):
            r_name, _, r_rest = r_dir.partition("-")
            if p_rest == r_rest and canonicalize_name(p_name) == canonicalize_name(r_name):
                renames[r_dir] = p_dir
    if not renames:
        return reb

    def rename(n: str) -> str:
        top, sep, rest = n.partition("/")
        return renames.get(top, top) + sep + rest if top in renames else n

    members = {rename(n): dataclasses.replace(m, name=rename(n)) for n, m in reb.members.items()}
    out.normalizations.append("dist-info-name")
    out.format_notes += [f"{old} published as {new}" for old, new in sorted(renames.items())]
    return dataclasses.replace(reb, members=members, order=[rename(n) for n in reb.order],
                               duplicates=[rename(n) for n in reb.duplicates],
                               aliases={rename(n): reb.aliases.get(n, n) for n in reb.members})


def rebuilt_pure(pub: WheelArchive, reb: WheelArchive) -> bool:
    """The rebuild compiled nothing while the published wheel holds extension modules (an optional
    extension the sandbox could not build: a missing library, a switch the publisher turned on)."""
    return not any(is_compiled(n) for n in reb.members) and any(extension_stem(n) for n in pub.members)


def zip_safe_marker(name: str, wa: WheelArchive) -> bool:
    return name.endswith(".dist-info/zip-safe") and name.count("/") == 1 and wa.members[name].size <= 1


_MYPYC_RUNTIME = re.compile(r"^[0-9a-f]{20}$")


def accounted_member(name: str, sources: SdistSources | None) -> bool:
    """A source of the sdist accounts for this extension module by name: `mod` by mod.c/.pyx/.py…,
    mypyc's `mod__mypyc` by mod.py, and mypyc's shared runtime `<20 hex>__mypyc` by the .py files
    mypyc compiles."""
    stem = extension_stem(name)
    if not stem or sources is None:
        return False
    base = stem.rsplit("/", 1)[-1]
    if base.endswith("__mypyc"):
        base = base[: -len("__mypyc")]
        if _MYPYC_RUNTIME.match(base):
            return bool(sources)
    return base in sources
