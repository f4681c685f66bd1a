"""Normalize and compare a published wheel with a rebuilt one.

The normalizations and accepted tool steps are listed, with their reasons, in rules.py; METADATA,
WHEEL and entry points are compared by meaning in metadata.py. Never set aside (a Difference, with
its class): decompressed content of any other member, members on one side only that no tool step
accounts for, a RECORD untrue to its wheel, the exec bit, links and special files, duplicate names,
a central directory that disagrees with local headers, data before/after the archive, zip comments.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

from packaging.utils import canonicalize_name

from auditor.archives import Member, WheelArchive
from auditor.judge.metadata import MetaComparison, compare_entry_points, compare_metadata, compare_wheel_file
from auditor.judge.rules import (bundled_header, classify, grafted, gzipped_copy, record_problem, record_rows,
                                 sbom_step, scm_commit_id)
from auditor.records import Comparison, Difference

# compiled code, and the linker's by-products some Windows wheels carry (.lib, .exp, .pdb)
_COMPILED = re.compile(r"(\.so(\.[0-9]+)*|\.pyd|\.dylib|\.dll|\.a|\.lib|\.exp|\.pdb)$")


def is_compiled(path: str) -> bool:
    """Compiled code or a grafted native library (auditwheel's NAME.libs/, delocate's .dylibs/)."""
    parts = path.split("/")
    return bool(_COMPILED.search(path)) or any(p.endswith((".libs", ".dylibs")) for p in parts[:-1])


def _kind(path: str) -> str:
    top = path.split("/", 1)[0]
    return "metadata" if top.endswith(".dist-info") else "content"


def _text_diff(pub: WheelArchive, reb: WheelArchive, path: str, limit: int = 12) -> str:
    try:
        a = reb.read(path, limit=1 << 20).decode("utf-8").splitlines()
        b = pub.read(path, limit=1 << 20).decode("utf-8").splitlines()
    except Exception:  # binary, or too large to inline: diffoscope shows it
        return ""
    lines = [
        ln for ln in difflib.unified_diff(a, b, "rebuilt", "published", n=0, lineterm="")
        if not ln.startswith(("---", "+++", "@@"))
    ]
    more = f" (+{len(lines) - limit} more lines)" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def _is_record(name: str) -> bool:
    return name.endswith(".dist-info/RECORD") and name.count("/") == 1


def _crlf_only(pub: WheelArchive, reb: WheelArchive, name: str) -> bool:
    """The two members differ only in CRLF vs LF line endings (a Windows checkout of the sources)."""
    try:
        a, b = pub.read(name, limit=1 << 22), reb.read(name, limit=1 << 22)
    except Exception:
        return False
    return a != b and a.replace(b"\r\n", b"\n") == b.replace(b"\r\n", b"\n")


_EXTENSION = re.compile(r"^(?P<stem>(?:.*/)?[^/.]+)(?:\.[^/]*)?(?:\.so(?:\.[0-9]+)*|\.pyd)$")


def extension_stem(path: str) -> str | None:
    """`pkg/_speedups` for pkg/_speedups.cpython-311-x86_64-linux-gnu.so, .cp312-win_amd64.pyd, .abi3.so…;
    None for anything that is not a Python extension module (grafted libraries included)."""
    if any(p.endswith((".libs", ".dylibs")) for p in path.split("/")[:-1]):
        return None
    m = _EXTENSION.match(path)
    return m.group("stem") if m else None


def _detail(pub: WheelArchive, reb: WheelArchive, name: str) -> str:
    """What differs in one member, in a few lines; never empty."""
    text = _text_diff(pub, reb, name) if name.endswith(_TEXT) or _kind(name) == "metadata" else ""
    if text and any(c.isalnum() for c in text):
        return text
    if text:  # only blank lines or white space differ: say so, with the sizes
        a, b = pub.members[name], reb.members[name]
        return f"white space or blank lines only: {a.size} bytes published, {b.size} rebuilt"
    a, b = pub.members[name], reb.members[name]
    if a.size != b.size:
        return f"content differs: {a.size} bytes published, {b.size} rebuilt"
    return f"content differs: same size ({a.size} bytes), sha256 {a.sha256[:12]} published, {b.sha256[:12]} rebuilt"


_TEXT = (".py", ".pth", ".txt", ".pyi", ".cfg", ".toml", ".json", ".md", ".rst", ".ini", ".sh")


def _diff(name: str, kind: str, detail: str, cls: str | None = None, cause: str | None = None) -> Difference:
    return Difference(name, kind, detail, cls or classify(name), cause)


def _judge_meta(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, tags_may_differ: str,
                purelib_may_differ: bool) -> str | None:
    """METADATA, WHEEL and entry_points.txt that differ in bytes, judged by meaning. Returns
    "verified" (same facts: metadata-format), "retag" (WHEEL tags differ only in the platform), or
    "differs" (differences added to out); None for any other member."""
    base = name.rsplit("/", 1)[-1]
    if name.count("/") != 1 or not name.split("/", 1)[0].endswith(".dist-info"):
        return None
    try:
        a, b = pub.read(name, limit=1 << 22), reb.read(name, limit=1 << 22)
    except Exception:
        return None
    retag = None
    if base == "METADATA":
        mc = compare_metadata(a, b)
    elif base == "WHEEL":
        mc, tools, retag = compare_wheel_file(a, b, tags_may_differ, purelib_may_differ)
        out.tool_steps += tools
    elif base == "entry_points.txt":
        mc = compare_entry_points(a, b)
    elif base in ("zip-safe", "not-zip-safe") and not a.strip() and not b.strip():
        mc = MetaComparison(True, spellings=[f"{base} marker written with other blank lines"])
    else:
        return None
    if not mc.equal:
        lines = _text_diff(pub, reb, name, limit=400).splitlines()
        for d in mc.diffs:
            header = d.field.removeprefix("WHEEL ") + ":"
            mine = [ln for ln in lines if ln[1:].startswith(header)][:6]
            out.differences.append(_diff(name, "metadata", "\n".join([f"{d.field}: {d.detail}"] + mine), d.cls))
        return "differs"
    if retag:
        out.compiled_differences.append(Difference(name, "metadata", retag, "packaging", "retag"))
        return "retag"
    if mc.spellings:
        out.normalizations.append("metadata-format")
        out.format_notes += [f"{name.split('/', 1)[1]}: {s}" for s in mc.spellings]
    return "verified"


def _scm_version(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    if not name.endswith(".py"):
        return False
    try:
        ok = scm_commit_id(pub.read(name, 1 << 16), reb.read(name, 1 << 16))
    except Exception:
        return False
    if ok:
        out.tool_steps.append(f"setuptools-scm version file {name}: the commit id of the publisher's checkout")
        out.members_verified += 1
    return ok


def _top_level_of_optional_extensions(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    """A pure variant's top_level.txt lacks exactly the names of extension modules only the rebuild has."""
    if not name.endswith(".dist-info/top_level.txt"):
        return False
    try:
        a = set(pub.read(name).decode().split())
        b = set(reb.read(name).decode().split())
    except Exception:
        return False
    only_reb = {extension_stem(n).rsplit("/", 1)[-1] for n in reb.members if extension_stem(n)
                and "/" not in extension_stem(n)} - {extension_stem(n) for n in pub.members if extension_stem(n)}
    if a <= b and (b - a) and (b - a) <= only_reb:
        out.compiled_differences.append(Difference(name, "metadata", "names the optional extension modules "
                                                   f"{', '.join(sorted(b - a))} the pure wheel does not hold", "code"))
        return True
    return False


def _judge_record(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, named: bool = True) -> bool:
    """A RECORD that differs is verified when it is true to its own wheel and its rows differ only for
    members judged under a named rule (metadata-format, tool steps, compiled members not reproduced)
    or in order. Rows of members that differ make RECORD a finding too: the evidence is shown, never
    normalized away. Returns True when verified. named: say record-rows (another platform's RECORD
    never equals ours, its compiled rows differ, so it is not named there)."""
    problem = record_problem(pub)
    if problem:
        out.differences.append(_diff(name, "metadata", problem, "packaging"))
        return False
    a, b = record_rows(pub), record_rows(reb)
    differing = {d.path for d in out.differences}
    changed = sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p) and p in differing)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        out.differences.append(_diff(name, "metadata", f"RECORD rows of the differing members: {shown}", "packaging"))
        return False
    if named:
        out.normalizations.append("record-rows")
    return True


def _published_only(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, binary: bool) -> bool:
    """A member only in the published wheel that a known tool step accounts for. True when accounted."""
    step = sbom_step(name, pub)
    if step:
        out.tool_steps.append(step)
        return True
    tool = grafted(name)
    if tool and binary:
        out.compiled_differences.append(Difference(name, "added", f"library grafted by {tool}: not reproduced here",
                                                   "code", "grafted-library"))
        out.tool_steps.append(f"{tool} grafted libraries")
        return True
    if binary and bundled_header(pub, name):
        out.compiled_differences.append(Difference(name, "added", "header of a bundled native library: not verified",
                                                   "code", "bundled-headers"))
        return True
    plain = gzipped_copy(pub, name, reb)
    if plain:
        out.gzipped.append(name)
        return True
    return False


def _stale(wa: WheelArchive, name: str) -> str | None:
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


def _same_bytes(a: WheelArchive, an: str, b: WheelArchive, bn: str, crlf_ok: bool) -> bool:
    if a.members[an].sha256 == b.members[bn].sha256:
        return True
    if not crlf_ok:
        return False
    try:
        return a.read(an, 1 << 22).replace(b"\r\n", b"\n") == b.read(bn, 1 << 22).replace(b"\r\n", b"\n")
    except Exception:
        return False


def _moved_licenses(pub: WheelArchive, reb: WheelArchive, pub_only: set[str], reb_only: set[str],
                    out: Comparison, crlf_ok: bool = False) -> set[str]:
    """License files with the same bytes at `NAME.dist-info/F` on one side and under
    `NAME.dist-info/licenses/` on the other (PEP 639 moved them there; each wheel of a release may come
    from another setuptools): verified under license-file-location. Returns the paths so paired."""
    paired: set[str] = set()
    for a_side, b_side, a_wa, b_wa in ((pub_only, reb_only, pub, reb), (reb_only, pub_only, reb, pub)):
        for name in sorted(a_side):
            top, _, rest = name.partition("/")
            if not top.endswith(".dist-info") or rest.startswith("licenses/") or "/" in rest:
                continue
            match = [m for m in b_side if m.startswith(f"{top}/licenses/") and m.rsplit("/", 1)[-1] == rest
                     and m not in paired and _same_bytes(a_wa, name, b_wa, m, crlf_ok)]
            if match:
                paired |= {name, match[0]}
                out.normalizations.append("license-file-location")
                out.format_notes.append(f"license file {rest}: {name} and {match[0]}")
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


def _pure_rebuild(pub: WheelArchive, reb: WheelArchive) -> bool:
    """The rebuild compiled nothing while the published wheel holds extension modules (an optional
    extension the sandbox could not build: a missing library, a switch the publisher turned on)."""
    return not any(is_compiled(n) for n in reb.members) and any(extension_stem(n) for n in pub.members)


def _zip_safe_marker(name: str, wa: WheelArchive) -> bool:
    return name.endswith(".dist-info/zip-safe") and name.count("/") == 1 and wa.members[name].size <= 1


_MYPYC_RUNTIME = re.compile(r"^[0-9a-f]{20}$")


def _accounted(name: str, sources: frozenset[str] | None) -> bool:
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


def _finish(out: Comparison) -> Comparison:
    out.normalizations = sorted(set(out.normalizations))
    out.tool_steps = sorted(set(out.tool_steps))
    if out.gzipped:
        n = len(out.gzipped)
        out.differences.append(Difference(
            f"({n} .gz members)", "added",
            f"{n} member(s) such as {out.gzipped[0]} are gzip-compressed copies of the rebuild's "
            f"{out.gzipped[0][:-3]} (decompressed content equal, verified); the sdist holds them uncompressed",
            "packaging", "release step outside the sdist (data compressed)"))
    return out


def compare_other_platform(pub: WheelArchive, reb: WheelArchive, pure_variant: bool = False,
                           sources: frozenset[str] | None = None) -> Comparison:
    """A wheel for a platform or Python this sandbox cannot build, against the wheel rebuilt here.

    Every non-compiled member (Python files, data, metadata but WHEEL tags and RECORD rows of compiled
    members) must match the rebuilt wheel's; compiled members (extension modules, matched by module
    name where they can be, and bundled native libraries) cannot be checked and are listed as not
    verified.

    pure_variant: `pub` is the pure-Python wheel of a project whose extensions are optional (wrapt,
    simplejson, frozenlist…): extension modules only in the rebuild, and a WHEEL that differs in its
    tags and Root-Is-Purelib, are expected and listed as not verified."""
    out = Comparison(normalizations=[], differences=[])
    reb = align_dist_info(pub, reb, out)
    unverified = out.compiled_differences
    pub_files = sorted(n for n, m in pub.members.items() if not m.is_dir)
    reb_files = sorted(n for n, m in reb.members.items() if not m.is_dir)
    for problem in pub.problems:
        out.differences.append(_diff(problem.split(":", 1)[0], "archive", problem, "code"))
    pub_ext = {extension_stem(n): n for n in pub_files if extension_stem(n)}
    reb_ext = {extension_stem(n): n for n in reb_files if extension_stem(n)}
    # Which extension modules a project builds may depend on the platform (psutil: _psutil_linux here,
    # _psutil_osx and _psutil_windows elsewhere): a module on one side only is listed, not verifiable.
    for stem in sorted(set(pub_ext) - set(reb_ext)):
        if sources is not None and not _accounted(pub_ext[stem], sources):
            out.differences.append(_diff(pub_ext[stem], "added", "extension module that no source of the sdist "
                                         "accounts for (by module name), and the rebuild does not produce", "code"))
            continue
        unverified.append(Difference(pub_ext[stem], "added",
                                     "extension module the rebuild here does not produce (platform-specific?): not verifiable"))
    for stem in sorted(set(reb_ext) - set(pub_ext)):
        unverified.append(Difference(reb_ext[stem], "removed", "optional extension module, not in the pure wheel"
                                     if pure_variant else "extension module built here, not in this platform's wheel"))
    for stem in sorted(set(pub_ext) & set(reb_ext)):
        unverified.append(Difference(pub_ext[stem], "content", "compiled for another platform: not verifiable here"))
    pub_plain = [n for n in pub_files if not is_compiled(n)]
    reb_plain = {n for n in reb_files if not is_compiled(n)}
    for n in pub_files:
        if is_compiled(n) and not extension_stem(n):
            tool = grafted(n)
            unverified.append(Difference(n, "content", f"library grafted by {tool}: not verifiable here" if tool
                                         else "bundled native library: not verifiable here"))
    record = next((n for n in pub_plain if _is_record(n)), None)
    moved = _moved_licenses(pub, reb, set(pub_plain) - reb_plain, reb_plain - set(pub_plain), out, crlf_ok=True)
    for name in pub_plain:
        if _is_record(name) or name in moved:
            continue
        if name not in reb_plain:
            if not _published_only(pub, reb, name, out, binary=True):
                out.differences.append(_diff(name, "added", "in the published wheel, not in the rebuilt one"))
        elif pub.members[name].sha256 == reb.members[name].sha256:
            out.members_verified += 1
        elif (verdict := _judge_meta(pub, reb, name, out, tags_may_differ="any",
                                     purelib_may_differ=pure_variant or (sources is not None and _pure_rebuild(pub, reb)
                                                                        and all(_accounted(n, sources) for n in pub.members
                                                                                if extension_stem(n))))
              ) in ("verified", "retag", "differs"):
            out.members_verified += verdict == "verified"
        elif _scm_version(pub, reb, name, out):
            pass
        elif pure_variant and _top_level_of_optional_extensions(pub, reb, name, out):
            pass
        elif _crlf_only(pub, reb, name):
            out.normalizations.append("crlf-line-endings")
            out.crlf_members.append(name)
            out.members_verified += 1
        else:
            out.differences.append(_diff(name, _kind(name), _text_diff(pub, reb, name) or _detail(pub, reb, name)))
    gz_plain = {g[:-3] for g in out.gzipped}
    pure_rebuild = sources is not None and _pure_rebuild(pub, reb)
    for name in sorted(reb_plain - set(pub_plain) - moved):
        if pure_rebuild and _zip_safe_marker(name, reb):
            unverified.append(Difference(name, "removed", "setuptools marks a build without extensions zip-safe: "
                                         "part of the compiled variant not built here", "packaging"))
            continue
        if not _is_record(name) and name not in gz_plain:
            out.differences.append(_diff(name, "removed", "in the rebuilt wheel, not in the published one"))
    if record and _judge_record(pub, reb, record, out, named=False):
        out.members_verified += 1
    return _finish(out)


def compare_wheels(pub: WheelArchive, reb: WheelArchive, binary: bool = False,
                   sources: frozenset[str] | None = None) -> Comparison:
    """Compare published `pub` against rebuilt `reb`.

    binary=True: content differences of compiled members present on both sides, WHEEL tags that differ
    only in the platform, and libraries grafted by a repair tool are collected apart, for the `partial`
    verdict; everything else is a difference as usual. When the rebuild is pure (an optional extension
    not built here), the published wheel's extension modules that a source of the sdist accounts for
    (`sources`, by module name) and its WHEEL tags are listed as not reproduced: a compiled variant."""
    out = Comparison(normalizations=[], differences=[])
    reb = align_dist_info(pub, reb, out)
    variant = binary and sources is not None and _pure_rebuild(pub, reb)
    diffs, norms = out.differences, out.normalizations

    # Archive structure of the published wheel.
    for name in sorted(set(pub.duplicates)):
        diffs.append(_diff(name, "archive", "duplicate member name in the published wheel", "code"))
    if pub.comment != reb.comment:
        diffs.append(_diff("(zip comment)", "archive", f"published comment {pub.comment[:80]!r}", "code"))
    if pub.prefix_bytes != reb.prefix_bytes:
        diffs.append(_diff("(archive)", "archive", f"{pub.prefix_bytes} bytes of data before the archive", "code"))
    if pub.trailing_bytes != reb.trailing_bytes:
        diffs.append(_diff("(archive)", "archive", f"{pub.trailing_bytes} bytes of data after the archive", "code"))
    for problem in pub.problems:
        diffs.append(_diff(problem.split(":", 1)[0], "archive", problem, "code"))

    pub_names = {n for n in pub.members if not pub.members[n].is_dir}
    reb_names = {n for n in reb.members if not reb.members[n].is_dir}
    pub_dirs = {n for n in pub.members if pub.members[n].is_dir}
    reb_dirs = {n for n in reb.members if reb.members[n].is_dir}
    if pub_dirs != reb_dirs:
        norms.append("zip-directory-entries")
    for d in pub_dirs & reb_dirs:
        if pub.members[d].date_time != reb.members[d].date_time:
            norms.append("zip-mtime")

    moved = _moved_licenses(pub, reb, pub_names - reb_names, reb_names - pub_names, out)
    for name in sorted(pub_names - reb_names - moved):
        if variant and _accounted(name, sources):
            out.compiled_differences.append(Difference(
                name, "added", "compiled variant not built here (the rebuild is pure); its source is in the sdist",
                "code", "optional extension not built in the sandbox"))
            continue
        if not _published_only(pub, reb, name, out, binary):
            diffs.append(_diff(name, "added", "in the published wheel, not in the rebuilt one",
                               cause=_stale(pub, name)))
    gz_plain = {g[:-3] for g in out.gzipped}
    for name in sorted(reb_names - pub_names - gz_plain - moved):
        if variant and _zip_safe_marker(name, reb):
            out.compiled_differences.append(Difference(name, "removed", "setuptools marks a build without extensions "
                                                       "zip-safe: part of the compiled variant not built here", "packaging"))
            continue
        diffs.append(_diff(name, "removed", "in the rebuilt wheel, not in the published one"))

    record: str | None = None
    for name in sorted(pub_names & reb_names):
        a: Member = pub.members[name]
        b: Member = reb.members[name]
        if a.is_link or b.is_link or a.is_special or b.is_special:
            if (a.mode & 0o170000) != (b.mode & 0o170000):
                diffs.append(_diff(name, "mode", f"file type {oct(a.mode)} published, {oct(b.mode)} rebuilt", "code"))
                continue
            if a.is_link or a.is_special:
                diffs.append(_diff(name, "mode", "symlink or special file in a wheel", "code"))
        if a.executable != b.executable:
            diffs.append(_diff(name, "mode", f"exec bit {'set' if a.executable else 'unset'} in the published wheel", "code"))
        elif (a.mode & 0o7777) != (b.mode & 0o7777):
            norms.append("zip-permissions-umask")
        if a.date_time != b.date_time:
            norms.append("zip-mtime")
            out.mtime_members += 1
        if (a.compress_type, a.compress_size, a.create_system, a.create_version, a.flag_bits) != (
            b.compress_type, b.compress_size, b.create_system, b.create_version, b.flag_bits
        ):
            norms.append("zip-compression")
        if a.sha256 == b.sha256 and a.size == b.size:
            out.members_verified += 1
            continue
        if binary and is_compiled(name):
            out.compiled_differences.append(Difference(name, "content", "compiled member not reproduced", "code"))
            continue
        if _is_record(name):
            record = name  # judged once every member is known
            continue
        verdict = _judge_meta(pub, reb, name, out, "any" if variant else "platform" if binary else "no",
                              purelib_may_differ=variant)
        if verdict is not None:
            out.members_verified += verdict == "verified"
            continue
        if _scm_version(pub, reb, name, out):
            continue
        diffs.append(_diff(name, _kind(name), _detail(pub, reb, name)))

    if record and _judge_record(pub, reb, record, out):
        out.members_verified += 1

    common_order_pub = [n for n in pub.order if n in reb_names and n in pub_names]
    common_order_reb = [n for n in reb.order if n in pub_names and n in reb_names]
    if common_order_pub != common_order_reb:
        norms.append("zip-order")
    return _finish(out)
