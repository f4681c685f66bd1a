"""The checks of the rules that account for one member, each `check(case) -> bool`, named by its rule in
judge/registry.py (`Rule.check`) and run in the order a profile (judge/profiles.py) lists them.

A check that accounts for the member records what it did in `case.out` (a normalization, a tool step, a
member listed as not verified with its cause, or, for a rule that recognizes what nothing explains, a
difference) and returns True; otherwise it changes nothing and returns False. One check serves every path
that lists its rule: the rebuild here (`case.reb` holds the member or not), another platform's wheel
(`case.binary`), and the sources check (`case.view`: no rebuild, the sdist's files).
"""

from __future__ import annotations

import re

from auditor.fetch.archives import WheelArchive
from auditor.judge.configured import appended_licenses, bytecode_of, configured_from
from auditor.judge.diffs import crlf_only, member_diff
from auditor.judge import delvewheel, generated
from auditor.judge.interface import is_shared_object, unneeded_graft
from auditor.judge.metasteps import project_sbom as _project_sbom
from auditor.judge.case import Case
from auditor.judge import rules
from auditor.judge.rules import (bundled_header, bundled_license, classify, constants_module, cython_source, grafted,
                                 gzipped_copy, maturin_shim, sbom_step)
from auditor.judge import steps
from auditor.judge.steps import delvewheel_step, delvewheel_unpatched
from auditor.records import Difference

_LICENSE_LEAF = re.compile(r"(?i)(^|/)(licen[cs]e|copying|notice)[^/]*$")
# what can run once installed (.pyw: a module on Windows)
_RUNS = re.compile(r"\.(py|pyw|pyc|pyo|pth|so|pyd|dll|dylib|exe|sh|bat|cmd|ps1)$|\.so\.[0-9.]+$", re.I)


def _rebuilt(c: Case) -> WheelArchive | None:
    """The rebuild, when it holds this member too."""
    return c.reb if c.reb is not None and c.name in c.reb.members else None


def _from_sdist(c: Case) -> bool:
    """A rule that accounts for a member by what the sdist holds applies to platform wheels that have it."""
    return c.binary and c.files is not None


# ---- both sides hold the member (a rebuild here or another platform's)

def scm_commit_id(c: Case) -> bool:
    reb = _rebuilt(c)
    return reb is not None and generated.scm_version(c.pub, reb, c.name, c.out)


def vcs_revision_constant(c: Case) -> bool:
    reb = _rebuilt(c)
    return reb is not None and generated.vcs_revision(c.pub, reb, c.name, c.out)


def project_sbom(c: Case) -> bool:
    return _project_sbom(c.pub, _rebuilt(c), c.name, c.out)


def build_path(c: Case) -> bool:
    reb = _rebuilt(c)
    return reb is not None and generated.source_checksums(c.pub, reb, c.name, c.out)


def top_level_without_members(c: Case) -> bool:
    reb = _rebuilt(c)
    return reb is not None and steps.top_level_without_members(c.pub, reb, c.name, c.out)


def top_level_of_optional_extensions(c: Case) -> bool:
    reb = _rebuilt(c)
    return c.pure_variant and reb is not None and steps.top_level_of_optional_extensions(c.pub, reb, c.name, c.out)


def sdist_version_file(c: Case) -> bool:
    reb = _rebuilt(c)
    return reb is not None and generated.sdist_version_file(c.pub, reb, c.name, c.out, c.sdist_files)


def crlf_line_endings(c: Case) -> bool:
    """A text member that differs from the rebuild's (or, in the sources check, the sdist's) only in CRLF."""
    if c.view is not None:
        if c.data is None or not c.candidates or not any(
                d.replace(b"\r\n", b"\n") == c.data.replace(b"\r\n", b"\n") for d in c.candidates):
            return False
    elif (reb := _rebuilt(c)) is None or not crlf_only(c.pub, reb, c.name):
        return False
    c.out.normalizations.append("crlf-line-endings")
    c.out.crlf_members.append(c.name)
    c.out.members_verified += 1
    return True


def delvewheel_patch(c: Case) -> bool:
    """A Windows wheel's .py delvewheel patched: without its block, the rebuild's file or the sdist's (or none)."""
    if not c.binary:
        return False
    if c.view is not None:
        return any(delvewheel_unpatched(c.pub, c.name, d, c.out) for d in (c.candidates if c.candidates is not None
                                                                            else (None,)))
    return c.reb is not None and delvewheel_step(c.pub, c.reb, c.name, c.out)


# ---- accounted for by what the sdist holds (judge/configured.py)

def configured_file(c: Case) -> bool:
    if not _from_sdist(c):
        return False
    assert c.files is not None
    if c.view is not None:  # the sources check: no rebuild to compare with
        if c.data is None or c.installed.endswith(".pth"):
            return False
        template, said = configured_from(c.name, c.data, c.files), "not verified"
    else:
        a = c.published
        reb = _rebuilt(c)
        if reb is None and c.name.endswith(".py"):
            return False  # a module the rebuild does not produce: no build step configured it
        b = c.rebuilt if reb is not None and a is not None else None
        template, said = (configured_from(c.name, a, c.files, b) if a is not None else None), "not reproduced"
    if not template:
        return False
    c.out.compiled_differences.append(Difference(
        c.name, "content", f"configured by the build from the sdist's {template}: only its placeholders differ (the "
        f"publisher's build environment): {said}", classify(c.name), "configured-file"))
    c.out.tool_steps.append(f"configured from {template}")
    return True


def _dist_info_leaf(name: str) -> str | None:
    top, _, leaf = name.partition("/")
    return leaf if top.endswith(".dist-info") and ("/" not in leaf or leaf.startswith("licenses/")) else None


def appended_license(c: Case) -> bool:
    reb, leaf = _rebuilt(c), _dist_info_leaf(c.name)
    if not _from_sdist(c) or reb is None or leaf is None or (a := c.published) is None or (b := c.rebuilt) is None:
        return False
    used = appended_licenses(a, b, c.files)
    if not used:
        return False
    c.out.tool_steps.append(f"{leaf} with the licenses of bundled libraries appended: {', '.join(used)}")
    c.out.members_verified += 1
    return True


def bundled_library_license(c: Case) -> bool:
    """A license file of the native libraries a platform wheel bundles: added beside the grafted libraries, or
    appended to the rebuild's license file (pillow: on every platform, grafted or linked statically)."""
    if not c.binary:
        return False
    reb = _rebuilt(c)
    if reb is None:
        license_file = bundled_license(c.name, c.pub)
        if not license_file:
            return False
        c.out.compiled_differences.append(Difference(c.name, "added", "license of a bundled native library, added with "
                                                     "the grafted libraries: not verified", "metadata",
                                                     "bundled-library-license"))
        c.out.tool_steps.append(f"license {license_file} of the bundled native libraries")
        return True
    leaf = _dist_info_leaf(c.name)
    if c.files is None or leaf is None or (a := c.published) is None or (b := c.rebuilt) is None:
        return False
    lf, rebuilt_lf = a.replace(b"\r\n", b"\n"), b.replace(b"\r\n", b"\n")
    if not (len(lf) > len(rebuilt_lf) and lf.startswith(rebuilt_lf) and _LICENSE_LEAF.search(leaf)):
        return False
    c.out.compiled_differences.append(Difference(
        c.name, "content", "the rebuild's license file with more text appended (the licenses of the native libraries "
        "the wheel bundles, which the sdist does not hold): not verified", "metadata", "bundled-library-license"))
    c.out.tool_steps.append(f"licenses of the bundled native libraries appended to {leaf}")
    return True


def bytecode(c: Case) -> bool:
    if not _from_sdist(c) or (a := c.published) is None:
        return False
    source = bytecode_of(c.name, c.pub.members, a)
    if not source:
        return False
    c.out.compiled_differences.append(Difference(
        c.name, "added", f"bytecode of {source}, left by a build step that ran it with the publisher's interpreter: "
        "not reproduced", "code", "bytecode"))
    return True


# ---- only the published wheel holds the member: a repair or release tool's output

def auditwheel_sbom(c: Case) -> bool:
    step = sbom_step(c.name, c.pub)
    if step:
        c.out.tool_steps.append(step)
    return bool(step)


def delvewheel_record(c: Case) -> bool:
    step = delvewheel.delvewheel_record(c.name, c.pub)
    if step:
        c.out.tool_steps.append(step)
    return bool(step)


def _graft(c: Case) -> str | None:
    return grafted(c.name) if c.binary else None


def unneeded_grafted_library(c: Case) -> bool:
    tool = _graft(c)
    if not (tool and c.name.split("/", 1)[0].endswith(".libs") and is_shared_object(c.name)
            and unneeded_graft(c.pub, c.name)):
        return False
    c.out.differences.append(member_diff(c.name, "added", f"library grafted by {tool} that no module or library of "
                                         "the wheel needs (DT_NEEDED): nothing explains it", "code"))
    return True


def grafted_library(c: Case) -> bool:
    tool = _graft(c)
    if not tool:
        return False
    c.out.compiled_differences.append(Difference(c.name, "added", f"library grafted by {tool}: not reproduced here",
                                                 "code", "grafted-library"))
    c.out.tool_steps.append(f"{tool} grafted libraries")
    return True


def bundled_headers(c: Case) -> bool:
    if not (c.binary and bundled_header(c.pub, c.name)):
        return False
    c.out.compiled_differences.append(Difference(c.name, "added", "header of a bundled native library: not verified",
                                                 "code", "bundled-headers"))
    return True


def release_step_gzip(c: Case) -> bool:
    """Data compressed, never what runs: a gzipped module, .pth, script, native library or dist-info file is code
    the published wheel lacks."""
    plain = c.name.removesuffix(".gz")
    if c.reb is None or _RUNS.search(plain) or re.match(r"[^/]+\.(dist-info|data/scripts)/", plain) \
            or not gzipped_copy(c.pub, c.name, c.reb):
        return False
    c.out.gzipped.append(c.name)
    return True


# ---- the sources check (nothing rebuilt): a member the sdist holds no file for, or another file

def maturin_module_shim(c: Case) -> bool:
    shim = maturin_shim(c.pub, c.name, c.view.stubs) if c.view is not None else None
    if shim:
        c.out.tool_steps.append(shim)
        c.out.members_verified += 1
    return bool(shim)


def meson_install_subdir(c: Case) -> bool:
    """meson-python installs the directories a meson.build names in install_subdir() (scipy's array_api_compat)."""
    if c.view is None or c.view.rule_based != "mesonpy" or c.data is None:
        return False
    for rel in c.view.place.install_subdir_sources(c.installed):
        mine = c.view.place.files[rel].read_bytes()
        if mine == c.data or mine.replace(b"\r\n", b"\n") == c.data.replace(b"\r\n", b"\n"):
            c.out.tool_steps.append(f"meson install_subdir file {c.name} (the sdist's {rel})")
            c.out.members_verified += 1
            if mine == c.data:
                c.out.members_identical += 1
            else:
                c.out.normalizations.append("crlf-line-endings")
                c.out.crlf_members.append(c.name)
            return True
    return False


def meson_subproject_file(c: Case) -> bool:
    if c.view is None or c.view.rule_based != "mesonpy" or c.data is None:
        return False
    for rel in c.view.place.subproject_sources(c.installed):
        if c.view.place.files[rel].read_bytes() == c.data:
            c.out.tool_steps.append(f"meson subproject file {c.name} (the sdist's {rel})")
            c.out.members_verified += 1
            c.out.members_identical += 1
            return True
    return False


def generated_version_module(c: Case) -> bool:
    """A version module (version.py, _version.py, _version_meson.py: its name says so) of constants only; any other
    module of constants is none (settings a package imports when present: VERIFY_TLS = False)."""
    if c.view is None or not c.installed.endswith(".py") or c.data is None or not c.view.version \
            or "version" not in c.installed.rsplit("/", 1)[-1].lower() or not constants_module(c.data, c.view.version):
        return False
    c.out.tool_steps.append(f"version module {c.name} generated by the build (constants only)")
    c.out.members_verified += 1
    return True


def generated_by_cython(c: Case) -> bool:
    source = cython_source(c.installed, c.view.index) if c.view is not None else None
    if not source or runs(c):  # pyarrow 19.0.0's lib.h, lib_api.h; fonttools' cu2qu.c: Cython wrote them from the .pyx
        return False  # (never installed executable: Cython writes no such file)
    c.out.compiled_differences.append(Difference(
        c.name, "added", f"written by Cython from the sdist's {source} (not verifiable without a rebuild)",
        "packaging", "generated-by-cython"))
    return True


def runs(c: Case) -> bool:
    """What an import, site.py or a shell could run: a module, bytecode, a .pth, a native library, a script,
    or any file installed executable."""
    return bool(_RUNS.search(c.installed)) or c.pub.members[c.name].executable


def generated_by_build(c: Case) -> bool:
    """scipy 1.17.0's generated .pyx sources, test data, license copies: not verifiable, said where they sit;
    never a module, .pth, script or executable."""
    if c.view is None or not c.view.rule_based or runs(c):
        return False
    c.out.compiled_differences.append(Difference(
        c.name, "added", f"not in the sdist at this path: its build ({c.view.rule_based}) generates or installs it "
        "by its own rules; not verifiable without a rebuild", classify(c.name), "generated-by-build"))
    return True


def version_file(c: Case) -> bool:
    if c.view is None or not c.name.endswith(".py") or c.data is None or not c.view.version \
            or not rules.version_file(c.data, c.view.version) \
            or not any(generated.version_template(t, c.data, c.view.version) for t in c.candidates or ()):
        return False
    c.out.tool_steps.append(f"version file {c.name} written by the build (the sdist holds a templated one)")
    c.out.members_verified += 1
    return True
