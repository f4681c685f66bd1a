"""Normalize and compare a published wheel with a rebuilt one.

The normalizations and accepted tool steps are listed, with their reasons, in rules.py; METADATA,
WHEEL and entry points are compared by meaning in metadata.py. Never set aside (a Difference, with
its class): decompressed content of any other member, members on one side only that no tool step
accounts for, a RECORD untrue to its wheel, the exec bit, links and special files, duplicate names,
a central directory that disagrees with local headers, data before/after the archive, zip comments.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.fetch.archives import Member, WheelArchive
from auditor.errors import LimitExceeded
from auditor.judge.diffs import (bounded, member_detail, member_diff, finish_comparison, is_record, member_kind,
                                 not_read, over_read_limit, text_diff, defines_module_init, extension_stem, is_compiled,
                                 is_program)
from auditor.judge.classes import exec_bit_class
from auditor.judge.configured import bytecode_of, SdistSources
from auditor.judge.interface import check_member, grafted_libraries, read_interface
from auditor.judge.profiles import Case, apply
from auditor.judge.rules import grafted
from auditor.judge.metasteps import judge_meta
from auditor.judge.steps import (accounted_member, align_dist_info, judge_record, moved_licenses,
                                 rebuilt_pure, renamed_nspkg, stale_member, zip_safe_marker)
from auditor.records import Comparison, Difference


COMPILED_READ = 1 << 27  # what is read of a compiled member to compare its interface (at least the run's READ_LIMIT)


def compare_other_platform(pub: WheelArchive, reb: WheelArchive, pure_variant: bool = False,
                           sources: SdistSources | None = None, setup_py: str | None = None) -> Comparison:
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
    pub_files = sorted(n for n, m in pub.members.items() if not m.is_dir)
    reb_files = sorted(n for n, m in reb.members.items() if not m.is_dir)
    for problem in pub.problems:
        out.differences.append(member_diff(problem.split(":", 1)[0], "archive", problem, "code"))
    _other_platform_compiled(pub, pub_files, reb_files, out, sources, pure_variant)
    pub_plain = [n for n in pub_files if not is_compiled(n)]
    reb_plain = {n for n in reb_files if not is_compiled(n)}
    record = next((n for n in pub_plain if is_record(n)), None)
    moved = moved_licenses(pub, reb, set(pub_plain) - reb_plain, reb_plain - set(pub_plain), out, crlf_ok=True)
    moved |= renamed_nspkg(pub, reb, set(pub_plain) - reb_plain - moved, reb_plain - set(pub_plain) - moved, out,
                           crlf_ok=True)
    purelib_may_differ = pure_variant or (sources is not None and rebuilt_pure(pub, reb)
                                          and all(accounted_member(n, sources) for n in pub.members if extension_stem(n)))
    for name in pub_plain:
        if not (is_record(name) or name in moved):
            bounded(out, name, _other_platform_member, pub, reb, name, name in reb_plain, out, sources, setup_py,
                    pure_variant, purelib_may_differ)
    _rebuild_only(reb, sorted(reb_plain - set(pub_plain) - moved), out, sources is not None and rebuilt_pure(pub, reb))
    if record:
        bounded(out, record, _record, pub, reb, record, out, named=False)
    return finish_comparison(out)


def _other_platform_compiled(pub: WheelArchive, pub_files: list[str], reb_files: list[str], out: Comparison,
                             sources: SdistSources | None, pure_variant: bool) -> None:
    """Another platform's compiled members: extension modules matched by module name (a module on one side
    only is listed, or a difference when no source of the sdist accounts for it), bundled and grafted
    libraries listed; none of their bytes is verifiable here."""
    unverified = out.compiled_differences
    pub_ext = {stem: n for n in pub_files if (stem := extension_stem(n))}
    reb_ext = {stem: n for n in reb_files if (stem := extension_stem(n))}
    # Which extension modules a project builds may depend on the platform (psutil: _psutil_linux here,
    # _psutil_osx and _psutil_windows elsewhere): a module on one side only is listed, not verifiable.
    for stem in sorted(set(pub_ext) - set(reb_ext)):
        if not defines_module_init(pub, pub_ext[stem]):
            unverified.append(Difference(pub_ext[stem], "added", "bundled native library (defines no PyInit_ "
                                         "function, so it is no Python module): not verifiable here"))
            continue
        if sources is not None and not accounted_member(pub_ext[stem], sources):
            out.differences.append(member_diff(pub_ext[stem], "added", "extension module that no source of the sdist "
                                         "accounts for (by module name), and the rebuild does not produce", "code"))
            continue
        unverified.append(Difference(pub_ext[stem], "added",
                                     "extension module the rebuild here does not produce (platform-specific?): not verifiable"))
    for stem in sorted(set(reb_ext) - set(pub_ext)):
        unverified.append(Difference(reb_ext[stem], "removed", "optional extension module, not in the pure wheel"
                                     if pure_variant else "extension module built here, not in this platform's wheel"))
    for stem in sorted(set(pub_ext) & set(reb_ext)):
        unverified.append(Difference(pub_ext[stem], "content", "compiled for another platform: not verifiable here"))
    for n in pub_files:
        if is_compiled(n) and not extension_stem(n):
            tool = grafted(n)
            unverified.append(Difference(n, "content", f"library grafted by {tool}: not verifiable here" if tool
                                         else "compiler or linker by-product: not verifiable here"
                                         if n.endswith((".obj", ".lib", ".exp", ".pdb"))
                                         else "bundled native library: not verifiable here"))


def _other_platform_member(pub: WheelArchive, reb: WheelArchive, name: str, in_rebuild: bool, out: Comparison,
                           sources: SdistSources | None, setup_py: str | None, pure_variant: bool,
                           purelib_may_differ: bool) -> None:
    """One non-compiled member of another platform's wheel, under the rules that apply to it, in order."""
    files = (sources.files if sources is not None else None)
    case = Case(pub, reb, name, out, files, binary=True, pure_variant=pure_variant)
    if not in_rebuild:
        if not apply("other platform: published only", case):
            out.differences.append(member_diff(name, "added", "in the published wheel, not in the rebuilt one"))
    elif pub.members[name].sha256 == reb.members[name].sha256:
        out.members_verified += 1
        out.members_identical += 1
    elif over_read_limit(out, name, pub.members[name].size):
        return
    elif (verdict := judge_meta(pub, reb, name, out, tags_may_differ="any", purelib_may_differ=purelib_may_differ,
                                 platform_setup_py=setup_py, files=files)) in ("verified", "retag", "differs"):
        out.members_verified += verdict == "verified"
    elif not apply("other platform: content", case):
        out.differences.append(member_diff(name, member_kind(name), text_diff(pub, reb, name) or member_detail(pub, reb, name)))


def _rebuild_only(reb: WheelArchive, names: list[str], out: Comparison, pure_rebuild: bool) -> None:
    """Non-compiled members only the rebuild holds: zip-safe markers of a pure rebuild and bytecode a build
    step left are listed; gzipped copies are said apart; anything else is a difference."""
    gz_plain = {g[:-3] for g in out.gzipped}
    for name in names:
        if pure_rebuild and zip_safe_marker(name, reb):
            out.compiled_differences.append(Difference(name, "removed", "setuptools marks a build without extensions "
                                                       "zip-safe: part of the compiled variant not built here", "packaging"))
            continue
        if bytecode_of(name, reb.members):
            out.compiled_differences.append(Difference(name, "removed", "bytecode a build step left, with this "
                                                       "sandbox's interpreter: not in this platform's wheel", "code",
                                                       "bytecode"))
            continue
        if not is_record(name) and name not in gz_plain:
            out.differences.append(member_diff(name, "removed", "in the rebuilt wheel, not in the published one"))


def compare_wheels(pub: WheelArchive, reb: WheelArchive, binary: bool = False,
                   sources: SdistSources | None = None, libraries: Mapping[str, bytes] | None = None) -> Comparison:
    """Compare published `pub` against rebuilt `reb`.

    binary=True: content differences of compiled members present on both sides, WHEEL tags that differ
    only in the platform, and libraries grafted by a repair tool are collected apart, for the `partial`
    verdict; everything else is a difference as usual. When the rebuild is pure (an optional extension
    not built here), the published wheel's extension modules that a source of the sdist accounts for
    (`sources`, by module name) and its WHEEL tags are listed as not reproduced: a compiled variant."""
    out = Comparison(normalizations=[], differences=[])
    reb = align_dist_info(pub, reb, out)
    variant = binary and sources is not None and rebuilt_pure(pub, reb)
    _archive_structure(pub, reb, out)
    pub_names = {n for n in pub.members if not pub.members[n].is_dir}
    reb_names = {n for n in reb.members if not reb.members[n].is_dir}
    _one_sided(pub, reb, pub_names, reb_names, out, binary, variant, sources)
    record = _common_members(pub, reb, sorted(pub_names & reb_names), out, binary, variant,
                             (sources.files if sources is not None else None) if binary else None, libraries,
                             (sources.files if sources is not None else None))
    if record:
        bounded(out, record, _record, pub, reb, record, out)
    common_order_pub = [n for n in pub.order if n in reb_names and n in pub_names]
    common_order_reb = [n for n in reb.order if n in pub_names and n in reb_names]
    if common_order_pub != common_order_reb:
        out.normalizations.append("zip-order")
    return finish_comparison(out)


def _published_only(case: Case) -> None:
    if not apply("rebuilt: published only", case):
        case.out.differences.append(member_diff(case.name, "added", "in the published wheel, not in the rebuilt one",
                                                cause=stale_member(case.pub, case.name)))


def _record(pub: WheelArchive, reb: WheelArchive, record: str, out: Comparison, named: bool = True) -> None:
    if judge_record(pub, reb, record, out, named=named):
        out.members_verified += 1


def _archive_structure(pub: WheelArchive, reb: WheelArchive, out: Comparison) -> None:
    """The published archive's own structure: duplicate names, comment, data around it, header problems;
    directory entries and their times."""
    diffs, norms = out.differences, out.normalizations
    for name in sorted(set(pub.duplicates)):
        diffs.append(member_diff(name, "archive", "duplicate member name in the published wheel", "code"))
    if pub.comment != reb.comment:
        diffs.append(member_diff("(zip comment)", "archive", f"published comment {pub.comment[:80]!r}", "code"))
    if pub.prefix_bytes != reb.prefix_bytes:
        diffs.append(member_diff("(archive)", "archive", f"{pub.prefix_bytes} bytes of data before the archive", "code"))
    if pub.trailing_bytes != reb.trailing_bytes:
        diffs.append(member_diff("(archive)", "archive", f"{pub.trailing_bytes} bytes of data after the archive", "code"))
    for problem in pub.problems:
        diffs.append(member_diff(problem.split(":", 1)[0], "archive", problem, "code"))
    pub_dirs = {n for n in pub.members if pub.members[n].is_dir}
    reb_dirs = {n for n in reb.members if reb.members[n].is_dir}
    if pub_dirs != reb_dirs:
        norms.append("zip-directory-entries")
    for d in pub_dirs & reb_dirs:
        if pub.members[d].date_time != reb.members[d].date_time:
            norms.append("zip-mtime")


def _one_sided(pub: WheelArchive, reb: WheelArchive, pub_names: set[str], reb_names: set[str], out: Comparison,
               binary: bool, variant: bool, sources: SdistSources | None) -> None:
    """Members on one side only: moved licenses, a compiled variant's modules, repair-tool outputs,
    gzipped copies are accounted for; anything else is a difference."""
    diffs = out.differences
    moved = moved_licenses(pub, reb, pub_names - reb_names, reb_names - pub_names, out)
    moved |= renamed_nspkg(pub, reb, pub_names - reb_names - moved, reb_names - pub_names - moved, out)
    for name in sorted(pub_names - reb_names - moved):
        if variant and accounted_member(name, sources):
            out.compiled_differences.append(Difference(
                name, "added", "compiled variant not built here (the rebuild is pure); its source is in the sdist",
                "code", "optional extension not built in the sandbox"))
            continue
        stem = extension_stem(name)
        if binary and stem and stem.rsplit("/", 1)[-1] in (sources.native if sources is not None else ()) and defines_module_init(pub, name):
            # pillow 12.1.0: _avif, _imagingcms, _imagingft, _webp are built only where their library is. A C,
            # C++ or Cython source only: a module named after a .py would be imported instead of that .py
            out.compiled_differences.append(Difference(
                name, "added", "extension module the rebuild did not build (an optional one, whose library or "
                "switch the sandbox's build lacks?); its C, C++ or Cython source is in the sdist: not reproduced", "code",
                "optional extension not built in the sandbox"))
            continue
        bounded(out, name, _published_only, Case(pub, reb, name, out, (sources.files if sources is not None else None)
                                                 if binary else None, binary=binary))
    gz_plain = {g[:-3] for g in out.gzipped}
    for name in sorted(reb_names - pub_names - gz_plain - moved):
        if variant and zip_safe_marker(name, reb):
            out.compiled_differences.append(Difference(name, "removed", "setuptools marks a build without extensions "
                                                       "zip-safe: part of the compiled variant not built here", "packaging"))
            continue
        if binary and bytecode_of(name, reb.members):
            out.compiled_differences.append(Difference(name, "removed", "bytecode a build step left, with this "
                                                       "sandbox's interpreter", "code", "bytecode"))
            continue
        diffs.append(member_diff(name, "removed", "in the rebuilt wheel, not in the published one"))


def _common_members(pub: WheelArchive, reb: WheelArchive, names: list[str], out: Comparison, binary: bool,
                    variant: bool, files=None, libraries: Mapping[str, bytes] | None = None,
                    sdist_files=None) -> str | None:
    """Members on both sides, one by one: mode, times, compression, then content under the named rules.
    Returns RECORD's name, judged once every member is known."""
    diffs, norms = out.differences, out.normalizations
    record: str | None = None
    for name in names:
        a: Member = pub.members[name]
        b: Member = reb.members[name]
        if a.is_link or b.is_link or a.is_special or b.is_special:
            if (a.mode & 0o170000) != (b.mode & 0o170000):
                diffs.append(member_diff(name, "mode", f"file type {oct(a.mode)} published, {oct(b.mode)} rebuilt", "code"))
                continue
            if a.is_link or a.is_special:
                diffs.append(member_diff(name, "mode", "symlink or special file in a wheel", "code"))
        if a.executable != b.executable:
            # the bit makes a script runnable; on a module, a shared library (rapidfuzz 3.9.2's scikit-build sets it)
            # or a dist-info file it changes nothing (judge/classes.toml [[exec_bit]]); the content is compared apart
            diffs.append(member_diff(name, "mode", f"exec bit {'set' if a.executable else 'unset'} in the published wheel",
                                     exec_bit_class(name)))
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
            out.members_identical += 1
            continue
        if binary and (is_compiled(name) or (is_program(pub, name) and is_program(reb, name))):
            _compiled_member(pub, reb, name, out, libraries)
            continue
        if is_record(name):
            record = name  # judged once every member is known
            continue
        if not over_read_limit(out, name, a.size):
            bounded(out, name, _common_content, pub, reb, name, out, binary, variant, files, sdist_files)
    return record


def _common_content(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, binary: bool, variant: bool,
                    files, sdist_files) -> None:
    """A non-compiled member on both sides whose bytes differ: by meaning (dist-info), under the profile's rules,
    else a difference."""
    verdict = judge_meta(pub, reb, name, out, "any" if variant else "platform" if binary else "no",
                         purelib_may_differ=variant, files=files)
    if verdict is not None:
        out.members_verified += verdict == "verified"
        return
    if apply("rebuilt: content", Case(pub, reb, name, out, files, sdist_files, binary=binary)):
        return
    out.differences.append(member_diff(name, member_kind(name), member_detail(pub, reb, name)))


def _compiled_member(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison,
                     libraries: Mapping[str, bytes] | None = None) -> None:
    """A compiled member rebuilt here whose bytes differ (another compiler): its interface against the
    rebuild's (judge/interface.py). What it adds (a constructor, an import such as system or connect, a
    needed library, a URL or command string) is a difference of class code; an interface that matches
    after the named rules is counted as interface-verified, still listed as not reproduced byte for byte."""
    pub_data = reb_data = None
    try:
        pub_data = pub.read(name, limit=COMPILED_READ)
    except LimitExceeded as exc:  # only the published member's size makes it one not judged
        not_read(out, name, str(exc))
        return
    except Exception:
        pass
    try:
        reb_data = reb.read(name, limit=COMPILED_READ)
    except LimitExceeded:
        # the sdist (the publisher's) made the rebuild's module past the bound: no comparison accounts for the
        # published one, which is within it
        out.differences.append(member_diff(name, "content", f"compiled member of {pub.members[name].size} bytes whose "
                                           f"rebuilt twin ({reb.members[name].size} bytes) is past the read bound: no "
                                           "interface comparison accounts for it", "code"))
        return
    except Exception:
        pass
    try:
        check = check_member(pub_data, reb_data, pub.members, libraries, grafted_libraries(pub), name) \
            if pub_data is not None and reb_data is not None else None
    except Exception:
        check = None
    if check is None and pub_data is not None and reb_data is not None and read_interface(pub_data) is None \
            and read_interface(reb_data) is not None:
        # the publisher chooses every byte of its module: one whose program headers or dynamic section do not parse
        # as the loader reads them, where the rebuild's do, hides its interface (a constructor, system()) from us
        out.differences.append(member_diff(name, "content", "unreadable compiled member: the rebuild's module reads as "
                                           "the dynamic loader reads it, the published one does not (its program headers "
                                           "or dynamic section do not parse): its interface cannot be compared", "code"))
        return
    if check is None:
        out.compiled_differences.append(Difference(name, "content", "compiled member not reproduced", "code"))
        return
    if check.adds:
        out.differences.append(member_diff(name, "content", "compiled module's interface against the rebuild's: "
                                     + "; ".join(check.adds), "code"))
        return
    out.normalizations += sorted(check.rules)
    notes = f" ({'; '.join(check.notes)})" if check.notes else ""
    if check.unverified:
        out.compiled_differences.append(Difference(name, "content", "compiled member not reproduced; its interface "
                                                   f"is only partly checked{notes}", "code", "static-library"))
        return
    out.interface_verified += 1
    out.compiled_differences.append(Difference(name, "content", "compiled member not reproduced byte for byte; its "
                                               f"interface matches the rebuild's{notes}", "code"))
