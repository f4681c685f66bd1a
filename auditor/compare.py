"""Normalize and compare a published wheel with a rebuilt one.

Normalizations (each named in the verdict when it was needed):
  zip-mtime              entry date_time differs
  zip-permissions-umask  permission bits differ other than the exec bit
  zip-order              same members, other order
  zip-compression        compressed bytes, compress_type/size, create_system/version, flag bits
  zip-directory-entries  directory entries present on one side only
Never normalized (a Difference): decompressed content of any member, members on one side only,
RECORD, METADATA/WHEEL/entry points, the exec bit, links and special files, duplicate names,
a central directory that disagrees with local headers, data before/after the archive, zip comments.
"""

from __future__ import annotations

import csv
import difflib
import io
import re

from auditor.archives import Member, WheelArchive
from auditor.records import Comparison, Difference, Verdict

_COMPILED = re.compile(r"(\.so(\.[0-9]+)*|\.pyd|\.dylib|\.dll|\.a)$")


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


def _record_rows(wa: WheelArchive) -> dict[str, tuple[str, str]] | None:
    names = [n for n in wa.members if n.endswith(".dist-info/RECORD") and n.count("/") == 1]
    if len(names) != 1:
        return None
    try:
        text = wa.read(names[0]).decode("utf-8")
    except Exception:
        return None
    rows: dict[str, tuple[str, str]] = {}
    for row in csv.reader(io.StringIO(text)):
        if row:
            rows[row[0]] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    return rows


def compare_wheels(pub: WheelArchive, reb: WheelArchive, binary: bool = False) -> Comparison:
    """Compare published `pub` against rebuilt `reb`.

    binary=True: content differences of compiled members present on both sides (and their RECORD
    rows) are collected apart, for the `partial` verdict; everything else is a difference as usual."""
    diffs: list[Difference] = []
    compiled: list[Difference] = []
    norms: set[str] = set()

    # Archive structure of the published wheel.
    for name in sorted(set(pub.duplicates)):
        diffs.append(Difference(name, "archive", "duplicate member name in the published wheel"))
    if pub.comment != reb.comment:
        diffs.append(Difference("(zip comment)", "archive", f"published comment {pub.comment[:80]!r}"))
    if pub.prefix_bytes != reb.prefix_bytes:
        diffs.append(Difference("(archive)", "archive", f"{pub.prefix_bytes} bytes of data before the archive"))
    if pub.trailing_bytes != reb.trailing_bytes:
        diffs.append(Difference("(archive)", "archive", f"{pub.trailing_bytes} bytes of data after the archive"))
    for problem in pub.problems:
        diffs.append(Difference(problem.split(":", 1)[0], "archive", problem))

    pub_names = {n for n in pub.members if not pub.members[n].is_dir}
    reb_names = {n for n in reb.members if not reb.members[n].is_dir}
    pub_dirs = {n for n in pub.members if pub.members[n].is_dir}
    reb_dirs = {n for n in reb.members if reb.members[n].is_dir}
    if pub_dirs != reb_dirs:
        norms.add("zip-directory-entries")
    for d in pub_dirs & reb_dirs:
        if pub.members[d].date_time != reb.members[d].date_time:
            norms.add("zip-mtime")

    for name in sorted(pub_names - reb_names):
        diffs.append(Difference(name, "added", "in the published wheel, not in the rebuilt one"))
    for name in sorted(reb_names - pub_names):
        diffs.append(Difference(name, "removed", "in the rebuilt wheel, not in the published one"))

    verified = 0
    for name in sorted(pub_names & reb_names):
        a: Member = pub.members[name]
        b: Member = reb.members[name]
        if a.is_link or b.is_link or a.is_special or b.is_special:
            if (a.mode & 0o170000) != (b.mode & 0o170000):
                diffs.append(Difference(name, "mode", f"file type {oct(a.mode)} published, {oct(b.mode)} rebuilt"))
                continue
            if a.is_link or a.is_special:
                diffs.append(Difference(name, "mode", "symlink or special file in a wheel"))
        if a.executable != b.executable:
            diffs.append(Difference(name, "mode", f"exec bit {'set' if a.executable else 'unset'} in the published wheel"))
        elif (a.mode & 0o7777) != (b.mode & 0o7777):
            norms.add("zip-permissions-umask")
        if a.date_time != b.date_time:
            norms.add("zip-mtime")
        if (a.compress_type, a.compress_size, a.create_system, a.create_version, a.flag_bits) != (
            b.compress_type, b.compress_size, b.create_system, b.create_version, b.flag_bits
        ):
            norms.add("zip-compression")
        if a.sha256 == b.sha256 and a.size == b.size:
            verified += 1
            continue
        if binary and is_compiled(name):
            compiled.append(Difference(name, "content", "compiled member not reproduced"))
            continue
        if binary and name.endswith(".dist-info/RECORD") and name.count("/") == 1:
            pub_record, reb_record = _record_rows(pub), _record_rows(reb)  # compiled members on one side only are "added"/"removed" above
            if pub_record is not None and reb_record is not None and set(pub_record) == set(reb_record) and all(
                pub_record[k] == reb_record[k] for k in pub_record if not is_compiled(k)
            ):
                compiled.append(Difference(name, "metadata", "RECORD differs only in the rows of compiled members"))
                continue
        diffs.append(Difference(name, _kind(name), _text_diff(pub, reb, name) if _kind(name) == "metadata" or name.endswith((".py", ".pth", ".txt")) else ""))

    common_order_pub = [n for n in pub.order if n in reb_names and n in pub_names]
    common_order_reb = [n for n in reb.order if n in pub_names and n in reb_names]
    if common_order_pub != common_order_reb:
        norms.add("zip-order")

    return Comparison(
        identical=False,
        normalizations=sorted(norms),
        differences=diffs,
        compiled_differences=compiled,
        members_verified=verified,
    )


def verdict_of(cmp: Comparison) -> tuple[Verdict, str | None]:
    if cmp.identical:
        return Verdict.IDENTICAL, None
    if cmp.differences:
        paths = sorted({d.path for d in cmp.differences})
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        return Verdict.DIFFERS, f"{len(cmp.differences)} difference(s): {shown}"
    if cmp.compiled_differences:
        n = sum(1 for d in cmp.compiled_differences if d.kind == "content")
        return Verdict.PARTIAL, (
            f"{cmp.members_verified} members verified, {n} compiled members not reproduced "
            "(build environment differs from the publisher's)"
        )
    return Verdict.EQUIVALENT, None


def cross_check_sources(pub: WheelArchive, src_dir) -> Comparison:
    """For a wheel that cannot be rebuilt here (other platform or Python): compare each of its
    non-compiled, non-metadata members with the file at the same path in the sdist (or under src/).

    A member with no counterpart in the sdist, or with other bytes, is a difference; compiled members,
    dist-info and .data members cannot be checked this way and are counted as not verified."""
    import hashlib
    from pathlib import Path

    root = Path(src_dir)
    diffs: list[Difference] = []
    unverified: list[Difference] = []
    verified = 0
    for name in sorted(pub.members):
        m = pub.members[name]
        if m.is_dir:
            continue
        top = name.split("/", 1)[0]
        if is_compiled(name) or top.endswith((".dist-info", ".data")):
            unverified.append(Difference(name, "content", "compiled, metadata or data member: needs a rebuild"))
            continue
        candidates = [root / name, root / "src" / name, root / "lib" / name]
        source = next((c for c in candidates if c.is_file() and not c.is_symlink()), None)
        if source is None:
            diffs.append(Difference(name, "added", "in the published wheel, not in the sdist"))
            continue
        if hashlib.sha256(source.read_bytes()).hexdigest() != m.sha256:
            diffs.append(Difference(name, "content", f"differs from the sdist's {source.relative_to(root)}"))
            continue
        verified += 1
    return Comparison(identical=False, normalizations=[], differences=diffs, compiled_differences=unverified,
                      members_verified=verified)
