"""Normalize and compare a published wheel with a rebuilt one.

Normalizations (each named in the verdict when it was needed):
  zip-mtime              entry date_time differs
  zip-permissions-umask  permission bits differ other than the exec bit
  zip-order              same members, other order
  zip-compression        compressed bytes, compress_type/size, create_system/version, flag bits
  zip-directory-entries  directory entries present on one side only
  crlf-line-endings      (other-platform wheels only) a text member differs only in CRLF vs LF
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


def _is_record(name: str) -> bool:
    return name.endswith(".dist-info/RECORD") and name.count("/") == 1


def _is_wheel_file(name: str) -> bool:
    return name.endswith(".dist-info/WHEEL") and name.count("/") == 1


def _wheel_headers(wa: WheelArchive, name: str) -> tuple[list[tuple[str, str]], list[str]] | None:
    try:
        text = wa.read(name, limit=1 << 16).decode("utf-8")
    except Exception:
        return None
    other, tags = [], []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            other.append((line, ""))
        elif key.strip() == "Tag":
            tags.append(value.strip())
        else:
            other.append((key.strip(), value.strip()))
    return other, tags


def retagged(pub: WheelArchive, reb: WheelArchive, name: str, same_python: bool = True,
             purelib_may_differ: bool = False) -> str | None:
    """When the WHEEL files differ only in their Tag lines (and, with same_python, only in the platform
    part: a manylinux retag, as auditwheel repair does), say so; None for any other difference."""
    a, b = _wheel_headers(pub, name), _wheel_headers(reb, name)
    if a is None or b is None or not a[1] or not b[1]:
        return None
    drop = {"Root-Is-Purelib"} if purelib_may_differ else set()
    if [h for h in a[0] if h[0] not in drop] != [h for h in b[0] if h[0] not in drop]:
        return None
    pub_ia = {t.rsplit("-", 1)[0] for t in a[1]}
    reb_ia = {t.rsplit("-", 1)[0] for t in b[1]}
    if same_python and pub_ia != reb_ia:
        return None
    return f"tags only: published {', '.join(a[1])}; rebuilt {', '.join(b[1])}"


def _crlf_only(pub: WheelArchive, reb: WheelArchive, name: str) -> bool:
    """The two members differ only in CRLF vs LF line endings (a Windows checkout of the sources)."""
    try:
        a, b = pub.read(name, limit=1 << 22), reb.read(name, limit=1 << 22)
    except Exception:
        return False
    return a != b and a.replace(b"\r\n", b"\n") == b.replace(b"\r\n", b"\n")


def _records_agree(pub: WheelArchive, reb: WheelArchive, skip: set[str]) -> bool:
    """RECORDs list the same paths and agree on every row but compiled members and `skip`."""
    a, b = _record_rows(pub), _record_rows(reb)
    if a is None or b is None:
        return False
    if set(a) != set(b):
        return False
    return all(a[k] == b[k] for k in a if k not in skip and not is_compiled(k))


_EXTENSION = re.compile(r"^(?P<stem>(?:.*/)?[^/.]+)(?:\.[^/]*)?(?:\.so(?:\.[0-9]+)*|\.pyd)$")


def extension_stem(path: str) -> str | None:
    """`pkg/_speedups` for pkg/_speedups.cpython-311-x86_64-linux-gnu.so, .cp312-win_amd64.pyd, .abi3.so…;
    None for anything that is not a Python extension module (grafted libraries included)."""
    if any(p.endswith((".libs", ".dylibs")) for p in path.split("/")[:-1]):
        return None
    m = _EXTENSION.match(path)
    return m.group("stem") if m else None


def compare_other_platform(pub: WheelArchive, reb: WheelArchive, pure_variant: bool = False) -> Comparison:
    """A wheel for a platform or Python this sandbox cannot build, against the wheel rebuilt here.

    Every non-compiled member (Python files, data, metadata but WHEEL tags and RECORD rows of compiled
    members) must match the rebuilt wheel's; compiled members (extension modules, matched by module
    name where they can be, and bundled native libraries) cannot be checked and are listed as not
    verified.

    pure_variant: `pub` is the pure-Python wheel of a project whose extensions are optional (wrapt,
    simplejson, frozenlist…): extension modules only in the rebuild, and a WHEEL that differs in its
    tags and Root-Is-Purelib, are expected and listed as not verified."""
    diffs: list[Difference] = []
    unverified: list[Difference] = []
    verified = 0
    pub_files = sorted(n for n, m in pub.members.items() if not m.is_dir)
    reb_files = sorted(n for n, m in reb.members.items() if not m.is_dir)
    for problem in pub.problems:
        diffs.append(Difference(problem.split(":", 1)[0], "archive", problem))
    pub_ext = {extension_stem(n): n for n in pub_files if extension_stem(n)}
    reb_ext = {extension_stem(n): n for n in reb_files if extension_stem(n)}
    # Which extension modules a project builds may depend on the platform (psutil: _psutil_linux here,
    # _psutil_osx and _psutil_windows elsewhere): a module on one side only is listed, not verifiable.
    for stem in sorted(set(pub_ext) - set(reb_ext)):
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
            unverified.append(Difference(n, "content", "bundled native library: not verifiable here"))
    retag = None
    norms: set[str] = set()
    crlf: list[str] = []
    compared_apart: set[str] = set()  # members whose RECORD rows cannot match: judged on their own
    for name in pub_plain:
        if _is_record(name):
            continue
        if name not in reb_plain:
            diffs.append(Difference(name, "added", "in the published wheel, not in the rebuilt one"))
        elif pub.members[name].sha256 == reb.members[name].sha256:
            verified += 1
        elif _is_wheel_file(name) and (retag := retagged(pub, reb, name, same_python=False,
                                                         purelib_may_differ=pure_variant)):
            unverified.append(Difference(name, "metadata", retag))
            compared_apart.add(name)
        elif _crlf_only(pub, reb, name):
            norms.add("crlf-line-endings")
            compared_apart.add(name)
            crlf.append(name)
            verified += 1
        else:
            diffs.append(Difference(name, _kind(name), _text_diff(pub, reb, name)))
    for name in sorted(reb_plain - set(pub_plain)):
        if not _is_record(name):
            diffs.append(Difference(name, "removed", "in the rebuilt wheel, not in the published one"))
    records = [n for n in pub_plain if _is_record(n)]
    if records:
        a, b = _record_rows(pub), _record_rows(reb)
        plain = lambda rows: {k: v for k, v in (rows or {}).items() if not is_compiled(k) and not _is_record(k)
                              and k not in compared_apart}
        if a is None or b is None or plain(a) != plain(b):
            diffs.append(Difference(records[0], "metadata", "RECORD rows of non-compiled members differ"))
        else:
            verified += 1
    return Comparison(normalizations=sorted(norms), differences=diffs,
                      compiled_differences=unverified, members_verified=verified, crlf_members=crlf)


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
    mtime_members = 0
    deferred_record: str | None = None
    retagged_wheel: str | None = None
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
            mtime_members += 1
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
        if binary and _is_wheel_file(name) and (tags := retagged(pub, reb, name)):
            compiled.append(Difference(name, "metadata", tags))
            retagged_wheel = name
            continue
        if binary and _is_record(name):
            deferred_record = name  # judged once every member is known
            continue
        diffs.append(Difference(name, _kind(name), _text_diff(pub, reb, name) if _kind(name) == "metadata" or name.endswith((".py", ".pth", ".txt")) else ""))

    if deferred_record:
        skip = {deferred_record} | ({retagged_wheel} if retagged_wheel else set())
        if _records_agree(pub, reb, skip):
            compiled.append(Difference(deferred_record, "metadata",
                                       "RECORD differs only in the rows of compiled members (and of a retagged WHEEL)"))
        else:
            diffs.append(Difference(deferred_record, "metadata", _text_diff(pub, reb, deferred_record)))

    common_order_pub = [n for n in pub.order if n in reb_names and n in pub_names]
    common_order_reb = [n for n in reb.order if n in pub_names and n in reb_names]
    if common_order_pub != common_order_reb:
        norms.add("zip-order")

    return Comparison(
        normalizations=sorted(norms),
        differences=diffs,
        compiled_differences=compiled,
        members_verified=verified,
        mtime_members=mtime_members,
    )


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
    return Comparison(normalizations=[], differences=diffs, compiled_differences=unverified,
                      members_verified=verified)
