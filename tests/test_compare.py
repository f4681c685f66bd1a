"""The comparer on small wheels built here: each normalization named, no content normalized away."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from auditor.fetch.archives import read_wheel
from auditor.judge.members import compare_wheels
from auditor.judge.verdicts import verdict_of
from auditor.records import Verdict

T1 = (2020, 2, 2, 0, 0, 0)
T2 = (2023, 5, 6, 7, 8, 10)
BASE = [
    ("pkg/__init__.py", b"x = 1\n", 0o644),
    ("pkg/tool.py", b"def f():\n    return 2\n", 0o644),
    ("pkg-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n", 0o644),
    ("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: flit 3.9.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n", 0o644),
    ("pkg-1.0.dist-info/RECORD", b"pkg/__init__.py,,\n", 0o644),
]


def true_record(members) -> list:
    """BASE's RECORD placeholder replaced by the rows a real builder writes (sha256 and size of every
    other member); any other RECORD content is kept as the test wrote it."""
    import base64
    import hashlib

    rows = "".join(f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
                   for n, d, _ in members if not n.endswith("/RECORD"))
    return [(n, (rows + n + ",,\n").encode() if n.endswith("/RECORD") and d == PLACEHOLDER else d, m) for n, d, m in members]


PLACEHOLDER = b"pkg/__init__.py,,\n"


def wheel(path: Path, members=BASE, date_time=T1, compress=zipfile.ZIP_DEFLATED, comment=b"", prefix=b"", suffix=b"",
          dirs=()):
    members = true_record(members)
    with zipfile.ZipFile(path, "w") as zf:
        for d in dirs:
            zf.writestr(zipfile.ZipInfo(d, date_time=date_time), b"")
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = (0o100000 | mode) << 16 if mode < 0o170000 else mode << 16
            info.compress_type = compress
            zf.writestr(info, data)
        zf.comment = comment
    if prefix or suffix:
        path.write_bytes(prefix + path.read_bytes() + suffix)
    return read_wheel(path)


def verdict(tmp_path, **published):
    reb = wheel(tmp_path / "rebuilt.whl")
    pub = wheel(tmp_path / "published.whl", **published)
    cmp = compare_wheels(pub, reb)
    return cmp, verdict_of(cmp)[0]


def test_same_content_other_times_is_equivalent_with_zip_mtime(tmp_path):
    cmp, v = verdict(tmp_path, date_time=T2)
    assert v is Verdict.EQUIVALENT and cmp.normalizations == ["zip-mtime"] and not cmp.differences


def test_compression_and_order_are_named(tmp_path):
    cmp, v = verdict(tmp_path, members=list(reversed(BASE)), compress=zipfile.ZIP_STORED)
    assert v is Verdict.EQUIVALENT
    assert cmp.normalizations == ["record-rows", "zip-compression", "zip-order"]  # RECORD rows reversed too


def test_umask_permissions_are_normalized_but_exec_bit_is_not(tmp_path):
    m = [(n, d, 0o664 if n.endswith("tool.py") else p) for n, d, p in BASE]
    cmp, v = verdict(tmp_path, members=m)
    assert v is Verdict.EQUIVALENT and cmp.normalizations == ["zip-permissions-umask"]
    m = [(n, d, 0o755 if n.endswith("tool.py") else p) for n, d, p in BASE]
    cmp, v = verdict(tmp_path, members=m)
    assert v is Verdict.DIFFERS
    assert [(d.path, d.kind) for d in cmp.differences] == [("pkg/tool.py", "mode")]


def test_directory_entries_are_a_named_normalization(tmp_path):
    cmp, v = verdict(tmp_path, dirs=["pkg/"])
    assert v is Verdict.EQUIVALENT and cmp.normalizations == ["zip-directory-entries"]


@pytest.mark.parametrize(
    "change,path,kind",
    [
        (lambda m: m[:1] + [("pkg/tool.py", b"def f():\n    return 3\n", 0o644)] + m[2:], "pkg/tool.py", "content"),
        (lambda m: m + [("evil.pth", b"import os\n", 0o644)], "evil.pth", "added"),
        (lambda m: [x for x in m if x[0] != "pkg/tool.py"], "pkg/tool.py", "removed"),
        (lambda m: [(n, d + b"Requires-Dist: evil\n" if n.endswith("METADATA") else d, p) for n, d, p in m],
         "pkg-1.0.dist-info/METADATA", "metadata"),
        (lambda m: [(n, d.replace(b"py3-none-any", b"py2.py3-none-any") if n.endswith("WHEEL") else d, p) for n, d, p in m],
         "pkg-1.0.dist-info/WHEEL", "metadata"),
        (lambda m: [(n, d + b"x,," if n.endswith("RECORD") else d, p) for n, d, p in m],
         "pkg-1.0.dist-info/RECORD", "metadata"),
        (lambda m: m[:1] + [("pkg/tool.py", b"/etc/passwd", 0o120777)] + m[2:], "pkg/tool.py", "mode"),
    ],
)
def test_content_changes_differ_naming_the_member(tmp_path, change, path, kind):
    cmp, v = verdict(tmp_path, members=change(list(BASE)), date_time=T2)
    assert v is Verdict.DIFFERS
    assert (path, kind) in [(d.path, d.kind) for d in cmp.differences]


def test_metadata_difference_shows_the_line(tmp_path):
    m = [(n, d + b"Requires-Dist: evil\n" if n.endswith("METADATA") else d, p) for n, d, p in BASE]
    cmp, _ = verdict(tmp_path, members=m)
    assert "+Requires-Dist: evil" in cmp.differences[0].detail


@pytest.mark.parametrize("kw", [{"comment": b"hi"}, {"prefix": b"#!/bin/sh\n"}, {"suffix": b"TRAILING"}])
def test_archive_level_tricks_differ(tmp_path, kw):
    cmp, v = verdict(tmp_path, **kw)
    assert v is Verdict.DIFFERS and cmp.differences[0].kind == "archive"


def test_duplicate_member_differs(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp, v = verdict(tmp_path, members=BASE + [("pkg/tool.py", b"evil()\n", 0o644)])
    assert v is Verdict.DIFFERS
    assert any(d.kind == "archive" and "duplicate" in d.detail for d in cmp.differences)


def test_binary_mode_separates_compiled_members(tmp_path):
    so = [("pkg/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF-one", 0o755)]
    reb = wheel(tmp_path / "r.whl", members=BASE + so)
    pub = wheel(tmp_path / "p.whl", members=BASE + [(so[0][0], b"\x7fELF-two", 0o755)])
    cmp = compare_wheels(pub, reb, binary=True)
    v, reason = verdict_of(cmp)
    assert v is Verdict.PARTIAL and "1 compiled members not reproduced" in reason
    # without binary mode the same difference is a plain difference
    assert verdict_of(compare_wheels(pub, reb))[0] is Verdict.DIFFERS
    # a changed .py next to it is still `differs`
    pub2 = wheel(tmp_path / "p2.whl", members=[BASE[0], ("pkg/tool.py", b"evil()\n", 0o644)] + BASE[2:] + so)
    assert verdict_of(compare_wheels(pub2, reb, binary=True))[0] is Verdict.DIFFERS


def _other_platform(members, tag="cp311-cp311-win_amd64"):
    out = []
    for name, data, mode in members:
        if name.endswith("/WHEEL"):
            data = data.replace(b"Root-Is-Purelib: true\nTag: py3-none-any", f"Root-Is-Purelib: true\nTag: {tag}".encode())
        out.append((name, data, mode))
    return out + [("pkg/_speed.cp311-win_amd64.pyd", b"MZ", 0o644)]


def test_other_platform_crlf_is_a_named_normalization_and_other_changes_differ(tmp_path):
    from auditor.judge.members import compare_other_platform

    reb = wheel(tmp_path / "rebuilt.whl", members=BASE + [("pkg/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)])
    crlf = [(n, d.replace(b"\n", b"\r\n") if n == "pkg/tool.py" else d, m) for n, d, m in BASE]
    cmp = compare_other_platform(wheel(tmp_path / "win.whl", members=_other_platform(crlf)), reb)
    assert cmp.normalizations == ["crlf-line-endings"] and not cmp.differences
    assert cmp.crlf_members == ["pkg/tool.py"]
    assert verdict_of(cmp)[0] == Verdict.PARTIAL
    # diffoscope's normalized copy makes exactly those members LF (so its page shows what remains)
    from auditor.fetch.archives import read_wheel
    from auditor.judge.normalize import normalized_copy

    copy = read_wheel(normalized_copy(tmp_path / "win.whl", tmp_path / "copy.whl", frozenset(cmp.crlf_members)))
    assert copy.read("pkg/tool.py") == dict((n, d) for n, d, _ in BASE)["pkg/tool.py"]
    untouched = read_wheel(normalized_copy(tmp_path / "win.whl", tmp_path / "copy2.whl"))
    assert b"\r\n" in untouched.read("pkg/tool.py")
    assert {d.path for d in cmp.compiled_differences} >= {"pkg/_speed.cp311-win_amd64.pyd", "pkg-1.0.dist-info/WHEEL"}
    changed = [(n, b"def f():\r\n    return 3\r\n" if n == "pkg/tool.py" else d, m) for n, d, m in BASE]
    cmp = compare_other_platform(wheel(tmp_path / "win2.whl", members=_other_platform(changed)), reb)
    assert [(d.path, d.kind) for d in cmp.differences] == [("pkg/tool.py", "content"), ("pkg-1.0.dist-info/RECORD", "metadata")]
    assert verdict_of(cmp)[0] == Verdict.DIFFERS


def test_old_wheels_description_file_is_read_as_a_description(tmp_path):
    """wheel < 0.31 wrote DESCRIPTION.rst (pymacaroons 0.13.0: one more trailing newline when rebuilt on
    Python 3): trailing blank lines are a spelling, an added line of text is a difference."""
    desc = ("pkg-1.0.dist-info/DESCRIPTION.rst", b"Pkg\n===\n\nA package.\n\n\n", 0o644)
    reb = wheel(tmp_path / "rebuilt.whl", members=BASE + [desc])
    pub = wheel(tmp_path / "published.whl", members=BASE + [(desc[0], b"Pkg\n===\n\nA package.\n\n", 0o644)])
    cmp = compare_wheels(pub, reb)
    assert verdict_of(cmp)[0] is Verdict.EQUIVALENT and "metadata-format" in cmp.normalizations
    evil = wheel(tmp_path / "evil.whl", members=BASE + [(desc[0], b"Pkg\n===\n\nA package. Also run evil.\n", 0o644)])
    cmp = compare_wheels(evil, reb)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS
    assert desc[0] in [d.path for d in cmp.differences]


def test_an_extension_the_rebuild_did_not_build_is_accounted_for_only_by_its_source(tmp_path):
    """pillow 12.1.0's _webp, _avif… are built only where their library is: a published module whose
    source the sdist holds is not reproduced (partial); one no source accounts for differs."""
    from auditor.judge.sources import SdistSources

    so = [("pkg/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF-one", 0o755)]
    reb = wheel(tmp_path / "r.whl", members=BASE + so)
    extra = ("pkg/_webp.cpython-311-x86_64-linux-gnu.so", b"\x7fELF\x00PyInit__webp\x00", 0o755)
    pub = wheel(tmp_path / "p.whl", members=BASE + so + [extra])
    def sources(modules, native):
        return SdistSources(modules, native)

    cmp = compare_wheels(pub, reb, binary=True, sources=sources({"_speed", "_webp"}, {"_speed", "_webp"}))
    assert verdict_of(cmp)[0] is Verdict.PARTIAL
    assert extra[0] in [d.path for d in cmp.compiled_differences]
    cmp = compare_wheels(pub, reb, binary=True, sources=sources({"_speed"}, {"_speed"}))
    assert verdict_of(cmp)[0] is Verdict.DIFFERS and extra[0] in [d.path for d in cmp.differences]
    # a module named after a .py of the sdist would be imported instead of it: never accounted for this way
    cmp = compare_wheels(pub, reb, binary=True, sources=sources({"_speed", "_webp"}, {"_speed"}))
    assert verdict_of(cmp)[0] is Verdict.DIFFERS


def test_members_only_a_rebuild_for_another_python_has_name_that_cause(tmp_path):
    """numpy 1.26.4's cp312 wheels against a 3.9 rebuild lack numpy/distutils (installed below 3.12 only):
    the cause says which Pythons; the verdict stays differs. A wheel for the rebuild's Python gets none."""
    from auditor.judge.verdicts import other_platform_judgement

    extra = ("pkg/old.py", b"x = 2\n", 0o644)
    reb = wheel(tmp_path / "r.whl", members=BASE + [extra])
    pub = wheel(tmp_path / "p.whl", members=_other_platform(BASE, tag="cp312-cp312-macosx_11_0_arm64"))
    judged, _ = other_platform_judgement(pub, reb, "pkg-1.0-cp39-cp39-linux_x86_64.whl")
    assert judged.verdict == "differs"
    assert "rebuilt with Python 3.9, this wheel is for Python 3.12" in judged.reason
    judged, _ = other_platform_judgement(pub, reb, "pkg-1.0-cp312-cp312-linux_x86_64.whl")
    assert judged.verdict == "differs" and "rebuilt with Python" not in judged.reason


def test_members_verified_byte_for_byte_are_counted_apart(tmp_path):
    """verified.bytes counts the members equal byte for byte, verified.normalized those equal under a rule."""
    from auditor.judge.verdicts import member_counts

    cmp = compare_wheels(wheel(tmp_path / "p.whl", date_time=T2), wheel(tmp_path / "r.whl"))
    assert member_counts(cmp) == {"bytes": len(BASE), "normalized": 0, "interface": 0, "not_verified": 0}
    spelled = [(n, d + b"Platform: UNKNOWN\n" if n.endswith("/METADATA") else d, m) for n, d, m in BASE]  # older setuptools
    cmp = compare_wheels(wheel(tmp_path / "s.whl", members=spelled), wheel(tmp_path / "r2.whl"))
    assert "metadata-format" in cmp.normalizations and not cmp.differences
    # METADATA by meaning, RECORD by its rows: two after a rule, the other three byte for byte
    assert member_counts(cmp) == {"bytes": len(BASE) - 2, "normalized": 2, "interface": 0, "not_verified": 0}


def test_a_namespace_pth_named_after_another_python_and_an_msvc_object_file(tmp_path):
    """zope.interface 7.2's cp310 wheels hold zope.interface-7.2-py3.10-nspkg.pth where a 3.11 rebuild writes
    -py3.11-: the same bytes, the named nspkg-pth-python-version; other bytes, or another .pth, differ (class
    code). yarl 1.18.3's cp313 Windows wheels ship the compiler's _quoting_c.obj: listed as not verifiable."""
    from auditor.judge.members import compare_other_platform

    pth = b"import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('zope',))\n"
    so = ("pkg/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)
    reb = wheel(tmp_path / "rebuilt.whl", members=BASE + [so, ("pkg-1.0-py3.11-nspkg.pth", pth, 0o644)])
    pub = _other_platform(BASE + [("pkg-1.0-py3.10-nspkg.pth", pth, 0o644), ("pkg/_quoting_c.obj", b"L\x01", 0o644)],
                          "cp310-cp310-win_amd64")
    cmp = compare_other_platform(wheel(tmp_path / "win.whl", members=pub), reb)
    assert not cmp.differences and "nspkg-pth-python-version" in cmp.normalizations, cmp.differences
    assert any(d.path == "pkg/_quoting_c.obj" and "by-product" in d.detail for d in cmp.compiled_differences)
    crlf = [(n, d.replace(b"\n", b"\r\n") if n.endswith("nspkg.pth") else d, m) for n, d, m in pub]
    cmp = compare_other_platform(wheel(tmp_path / "crlf.whl", members=crlf), reb)  # the cp310 Windows wheels'
    assert not cmp.differences and {"nspkg-pth-python-version", "crlf-line-endings"} <= set(cmp.normalizations)
    evil = [(n, pth + b"import os; os.system('id')\n" if n.endswith("nspkg.pth") else d, m) for n, d, m in pub]
    cmp = compare_other_platform(wheel(tmp_path / "evil.whl", members=evil), reb)
    assert {d.path for d in cmp.differences if d.cls == "code"} >= {"pkg-1.0-py3.10-nspkg.pth"}, cmp.differences


def test_an_exec_bit_is_code_only_where_it_lets_a_file_run(tmp_path):
    """orderedmultidict 1.0.1's publisher set the exec bit on its modules and dist-info files: a difference (the
    bit is never normalized away), class packaging; on a script an installer puts on PATH, class code."""
    reb = wheel(tmp_path / "r.whl", members=BASE[:-1] + [("pkg-1.0.data/scripts/tool", b"#!python\nprint(1)\n", 0o644),
                                                         BASE[-1]])
    modes = {"pkg/tool.py": 0o755, "pkg-1.0.dist-info/METADATA": 0o755, "pkg-1.0.data/scripts/tool": 0o755}
    pub = wheel(tmp_path / "p.whl", members=[(n, d, modes.get(n, m)) for n, d, m in
                                             BASE[:-1] + [("pkg-1.0.data/scripts/tool", b"#!python\nprint(1)\n", 0o644),
                                                          BASE[-1]]])
    cmp = compare_wheels(pub, reb)
    assert {(d.path, d.kind, d.cls) for d in cmp.differences if d.kind == "mode"} == {
        ("pkg/tool.py", "mode", "packaging"), ("pkg-1.0.dist-info/METADATA", "mode", "packaging"),
        ("pkg-1.0.data/scripts/tool", "mode", "code")}
    assert verdict_of(cmp)[0] is Verdict.DIFFERS


def test_top_level_txt_and_metadata_json_are_metadata_wherever_they_are_judged(tmp_path):
    """tomli 2.4.0's top_level.txt only in the published wheels, pytimeparse 1.1.8's old bdist_wheel metadata.json:
    descriptive, class metadata on every path; an added module beside them stays code."""
    from auditor.judge.classes import member_class
    from auditor.judge.members import compare_other_platform

    for name in ("pkg-1.0.dist-info/top_level.txt", "pkg-1.0.dist-info/metadata.json"):
        assert member_class(name) == "metadata"
    extra = [("pkg-1.0.dist-info/top_level.txt", b"pkg\n", 0o644), ("pkg-1.0.dist-info/metadata.json", b"{}", 0o644),
             ("pkg/evil.py", b"import os\n", 0o644)]
    pub = wheel(tmp_path / "p.whl", members=BASE[:-1] + extra + BASE[-1:])
    for cmp in (compare_wheels(pub, wheel(tmp_path / "r.whl")), compare_other_platform(pub, wheel(tmp_path / "r2.whl"))):
        classes = {d.path: d.cls for d in cmp.differences}
        assert classes["pkg-1.0.dist-info/top_level.txt"] == classes["pkg-1.0.dist-info/metadata.json"] == "metadata"
        assert classes["pkg/evil.py"] == "code"
