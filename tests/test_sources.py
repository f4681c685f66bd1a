"""Direct-URL and local sources, on the fixture index: a hashed sdist URL is rebuilt and compared with
the index's wheels; VCS and path sources are unverifiable with a reason, never a crash."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, make_project
from tests.test_compare import PLACEHOLDER, wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def test_direct_url_sources(tmp_path, index, auditor):
    proj = make_project(tmp_path / "src", "fixurl", "1.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    h_sdist = index.add("fixurl", sdist, NOW)
    index.add("fixurl", wheel, NOW)
    lone = make_project(tmp_path / "src", "fixlone", "2.0")
    lone_sdist, _ = build_project(lone, tmp_path / "dist-lone")  # its wheel is never published
    h_lone = index.add("fixother", lone_sdist, NOW)  # served by URL only (under another project's page)
    bad = make_project(tmp_path / "src", "fixbad", "1.0")
    bad_sdist, bad_wheel = build_project(bad, tmp_path / "dist-bad")
    index.add("fixbad", bad_sdist, NOW)
    index.add("fixbad", bad_wheel, NOW)
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        f"--index-url {index.url}\n"
        f"fixurl @ {index.base}/files/{sdist.name} --hash=sha256:{h_sdist}\n"
        f"fixlone @ {index.base}/files/{lone_sdist.name} --hash=sha256:{h_lone}\n"
        f"fixbad @ {index.base}/files/{bad_sdist.name} --hash=sha256:{'0' * 64}\n"
        "fixgit @ git+https://example.invalid/fixgit.git@v1.0\n"
        "-e ./somewhere/fixedit\n"
    )
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    assert "Traceback" not in r.stderr, r.stderr
    url = r.package("fixurl")
    assert url["verdict"] == "identical", url
    assert url["version"] == "1.0" and url["sdist"]["filename"] == sdist.name
    # the index's wheel of that version is not in the lock: it is audited as an unlocked file
    assert url["unlocked"] and url["unlocked"][0]["rebuilt_sha256"] == url["unlocked"][0]["sha256"]
    lone_res = r.package("fixlone")
    assert lone_res["verdict"] == "unverifiable" and "no wheels" in lone_res["reason"], lone_res
    bad = r.package("fixbad")
    assert bad["verdict"] == "differs" and "hash-mismatch" in bad["sdist"]["flags"], bad
    git = r.package("fixgit")
    assert git["verdict"] == "unverifiable" and git["reason"].startswith("vcs source"), git
    edit = r.package("fixedit")
    assert edit["verdict"] == "unverifiable" and edit["reason"].startswith("editable source"), edit
    assert r.code == 1


def test_files_only_in_a_differing_wheel_say_whether_the_sdist_holds_them(tmp_path):
    """django-oauth-toolkit 1.7.1 (its sdist holds tests/migrations/, its build does not package them) and
    enmerkar 0.7.1 (a dist-info/AUTHORS its sdist lacks), from the held-out corpus."""
    from auditor.judge.sources import name_added_files
    from auditor.judgement import WheelJudgement
    from auditor.records import Difference, Verdict

    (tmp_path / "tests" / "migrations").mkdir(parents=True)
    (tmp_path / "tests" / "migrations" / "0001_initial.py").write_text("x = 1\n")
    diffs = (Difference("tests/migrations/0001_initial.py", "added"), Difference("p-1.0.dist-info/AUTHORS", "added"),
             Difference("p/a.py", "content"))
    judged = WheelJudgement(Verdict.DIFFERS, "3 difference(s) [code]", differences=diffs)
    (named,) = name_added_files([judged], tmp_path)
    out = named.differences
    assert "the sdist holds a file there (tests/migrations/0001_initial.py)" in out[0].cause
    assert out[1].cause == "the sdist holds no such file" and out[2].cause is None
    assert all(d.cause is None for d in judged.differences)  # a new judgement: the comparison's is not edited
    assert named.reason == ("3 difference(s) [code]; probable cause: the sdist holds a file there (tests/migrations/"
                            "0001_initial.py), but its build does not package it: the publisher's tree or configuration "
                            "did, the sdist holds no such file")


def test_a_description_from_the_publishers_checkout_is_named_by_the_sdists_pkg_info(tmp_path):
    """translationstring 1.4: its setup.py reads changes.rst (left out of the sdist) and falls back to '';
    the wheel's description is the sdist's own PKG-INFO's. The cause says both; a description that is
    not the PKG-INFO's gets none, and the reason is restated only for what was found."""
    import zipfile

    from auditor.fetch.archives import read_wheel
    from auditor.judge.sources import name_description_source
    from auditor.judgement import WheelJudgement
    from auditor.records import Difference, Verdict

    sdist = tmp_path / "sdist"
    sdist.mkdir()
    (sdist / "README.rst").write_text("p\n=\n")
    (sdist / "setup.py").write_text("try:\n    R = open('README.rst').read() + open('changes.rst').read()\n"
                                    "except IOError:\n    R = ''\n")
    (sdist / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: p\nVersion: 1.0\nDescription: p\n        =\n"
                                    "        \n        1.0: first\n        \nPlatform: UNKNOWN\n")

    def entry(desc: str):
        w = tmp_path / f"p-{len(desc)}.whl"
        with zipfile.ZipFile(w, "w") as zf:
            zf.writestr("p-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: p\nVersion: 1.0\n\n{desc}")
        diffs = (Difference("p-1.0.dist-info/METADATA", "metadata", "Description: published 'p…'", "metadata"),)
        judged = WheelJudgement(Verdict.DIFFERS, "1 difference(s) [metadata]: p-1.0.dist-info/METADATA", differences=diffs)
        return judged, read_wheel(w)

    same, other = name_description_source([entry("p\n=\n\n1.0: first\n"), entry("p\n=\n\nsomething else\n")], sdist,
                                          (sdist / "setup.py").read_text())
    assert same.differences[0].cause == ("the sdist's PKG-INFO holds the published description (sdist and "
                                         "wheel were made from one checkout); its setup.py reads changes.rst, "
                                         "which the sdist does not hold")
    assert same.reason.endswith("which the sdist does not hold")
    assert other.differences[0].cause is None and "probable cause" not in other.reason


def test_a_version_file_the_build_writes_is_named_and_nothing_else_passes_for_one(tmp_path):
    """grpcio 1.76.0 (both corpora): its compile outlasts the build timeout; the sources check finds
    grpc/_grpcio_metadata.py written by setup.py (`__version__ = \"\"\"1.76.0\"\"\"`) where the sdist holds
    the templated file with a licence header."""

    from auditor.judge.sources import cross_check_sources

    src = tmp_path / "src"
    (src / "src" / "python" / "grpcio" / "grpc").mkdir(parents=True)
    (src / "src" / "python" / "grpcio" / "grpc" / "_grpcio_metadata.py").write_text(
        "# Copyright\n# AUTO-GENERATED FROM a template\n\n__version__ = \"\"\"1.76.0\"\"\"\n")
    # its setup.py computes package_dir = {"": os.path.join("src", "python", "grpcio")}: the package is found
    # where the sdist holds its __init__.py
    (src / "src" / "python" / "grpcio" / "grpc" / "__init__.py").write_text("from grpc._channel import *\n")
    (src / "setup.py").write_text('import os\nimport setuptools\nPYTHON_STEM = os.path.join("src", "python", "grpcio")\n'
                                  'setuptools.setup(package_dir={"": PYTHON_STEM}, packages=setuptools.find_packages(PYTHON_STEM))\n')

    def wheel_with(body: bytes):
        return wheel(tmp_path / "grpcio-1.76.0-cp311-cp311-linux_x86_64.whl", members=[
            ("grpc/__init__.py", b"from grpc._channel import *\n", 0o644), ("grpc/_grpcio_metadata.py", body, 0o644),
            ("grpc/_cython/cygrpc.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755),
            ("grpcio-1.76.0.dist-info/RECORD", PLACEHOLDER, 0o644)])

    cmp = cross_check_sources(wheel_with(b'__version__ = """1.76.0"""'), src)
    assert not cmp.differences and any("version file" in s for s in cmp.tool_steps)
    for evil in (b'__version__ = """1.76.0"""\nimport os\n', b'__version__ = """1.77.0"""'):
        assert [d.path for d in cross_check_sources(wheel_with(evil), src).differences] == ["grpc/_grpcio_metadata.py"]


def test_files_a_meson_build_generates_are_named_by_what_they_are_not_waived(tmp_path):
    """scipy 1.17.0 (held-out corpus): no Fortran compiler here, so no rebuild; its wheel holds files meson
    configures (scipy/__config__.py from __config__.py.in), generates (scipy/version.py: constants only) or
    installs from subprojects (scipy/_lib/array_api_compat/...): each named, the wheel `failed`. A build that
    installs by its own rules waives nothing else: an added module or .pth differs, class code; a data file it
    generates is not verifiable; a file the sdist holds at that path, changed, differs."""

    from auditor.judge.verdicts import sources_judgement

    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("x = 1\n")
    (src / "pkg" / "__config__.py.in").write_text('CONFIG = {"compiler": "@CC@"}\n')
    (src / "subprojects" / "compat" / "compat").mkdir(parents=True)
    (src / "subprojects" / "compat" / "compat" / "helpers.py").write_text("def f():\n    return 1\n")
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n')
    (src / "pkg" / "vendored" / "vendored").mkdir(parents=True)  # scipy's array_api_compat, a vendored checkout
    (src / "pkg" / "vendored" / "vendored" / "api.py").write_text("def g():\n    return 2\n")
    (src / "pkg" / "meson.build").write_text("install_subdir('vendored/vendored', install_dir: py.get_install_dir() / 'pkg')\n")

    def wheel_with(init: bytes, *extra):
        path = tmp_path / "pkg-1.0-cp311-cp311-linux_x86_64.whl"
        wheel(path, members=[("pkg/__init__.py", init, 0o644), ("pkg/__config__.py", b'CONFIG = {"compiler": "gcc"}\n', 0o644),
                             ("pkg/version.py", b'version = "1.0"\nfull_version = version\nrelease = True\n', 0o644),
                             ("pkg/_lib/compat/helpers.py", b"def f():\n    return 1\n", 0o644),
                             ("pkg/vendored/api.py", b"def g():\n    return 2\n", 0o644),
                             ("pkg/_x.pyi", b"def f() -> int: ...\n", 0o644),
                             ("pkg/_x.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755), *extra,
                             ("pkg-1.0.dist-info/RECORD", PLACEHOLDER, 0o644)])
        return path

    f = sources_judgement(wheel_with(b"x = 1\n"), src).fields()
    assert f["verdict"] == "failed" and not f["differences"] and f["check"] == "sources", f
    assert "generated or installed by the build's own rules" in f["reason"]  # pkg/_x.pyi, the stub its build generates
    steps = " ".join(f["tool_steps"])
    assert "configured from pkg/__config__.py.in" in steps and "version module pkg/version.py" in steps
    assert "meson subproject file pkg/_lib/compat/helpers.py" in steps and "meson install_subdir file pkg/vendored/api.py" in steps
    assert sources_judgement(wheel_with(b"x = 2\n"), src).fields()["verdict"] == "differs"
    for evil in (("pkg/evil.py", b"import os\n", 0o644), ("zz-evil.pth", b"import pkg.evil\n", 0o644),
                 ("pkg/version2.py", b'version = "1.0"\nimport os\n', 0o644), ("pkg/vendored/evil.py", b"import os\n", 0o644)):
        f = sources_judgement(wheel_with(b"x = 1\n", evil), src).fields()
        assert f["verdict"] == "differs" and [(d["path"], d["cls"]) for d in f["differences"]] == [(evil[0], "code")], f
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    assert sources_judgement(wheel_with(b"x = 1\n"), src).fields()["verdict"] == "differs"  # setuptools generates no such file


def test_headers_cython_writes_for_a_pyx_are_named_not_added_code(tmp_path):
    """pyarrow 19.0.0 (not buildable here): its wheel holds pyarrow/lib.h and lib_api.h, which Cython writes for
    lib.pyx's public/api declarations; a header with no .pyx or .py of its name is still added code."""
    from auditor.judge.sources import cross_check_sources

    src = tmp_path / "src"
    (src / "pyarrow").mkdir(parents=True)
    (src / "pyarrow" / "lib.pyx").write_text("cdef public int x\n")
    members = [("pyarrow/lib.h", b"/* Generated by Cython */\n", 0o644), ("pyarrow/lib_api.h", b"/* api */\n", 0o644),
               ("pyarrow/lib.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755), ("pyarrow-19.0.0.dist-info/RECORD", PLACEHOLDER, 0o644)]
    cmp = cross_check_sources(wheel(tmp_path / "pyarrow-19.0.0-cp311-cp311-manylinux_2_28_x86_64.whl", members=members), src)
    assert not cmp.differences
    assert {d.path: d.cause for d in cmp.compiled_differences if d.cause} == {
        "pyarrow/lib.h": "generated-by-cython", "pyarrow/lib_api.h": "generated-by-cython"}
    other = members + [("pyarrow/evil.h", b"#define x\n", 0o644)]
    cmp = cross_check_sources(wheel(tmp_path / "o.whl", members=other), src)
    assert [d.path for d in cmp.differences] == ["pyarrow/evil.h"]
