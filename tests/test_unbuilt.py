"""The sources check of a wheel that was not rebuilt (judge/unbuilt.py, judge/declared.py): it is evidence,
never `partial`; its packaging (.data/, .dist-info/) is checked against what the sdist holds and declares
statically, and a tampered wheel is `differs`, class code."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.judge import declared
from auditor.judge.verdicts import sources_judgement
from tests.test_compare import PLACEHOLDER, wheel

NAME = "demo-1.0-py3-none-any.whl"
PYPROJECT = """[build-system]
requires = ["flit_core>=3.9"]
build-backend = "flit_core.buildapi"

[project]
name = "demo"
version = "1.0"
description = "demo"
dependencies = ["requests>=2", 'tomli; python_version < "3.11"']

[project.optional-dependencies]
test = ["pytest>=8"]

[project.scripts]
demo = "demo:main"
"""
METADATA = """Metadata-Version: 2.1
Name: demo
Version: 1.0
Summary: demo
Requires-Dist: requests >=2
Requires-Dist: tomli ; python_version < '3.11'
Requires-Dist: pytest >=8 ; extra == "test"
Provides-Extra: test
"""
ENTRY_POINTS = "[console_scripts]\ndemo=demo:main\n\n"
WHEEL = "Wheel-Version: 1.0\nGenerator: flit 3.9.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def sdist(tmp_path: Path, pyproject: str = PYPROJECT, setup_py: str | None = None) -> Path:
    src = tmp_path / "src"
    (src / "demo").mkdir(parents=True)
    (src / "demo" / "__init__.py").write_text("def main():\n    print('hi')\n")
    (src / "LICENSE").write_text("MIT\n")
    (src / "pyproject.toml").write_text(pyproject)
    if setup_py is not None:
        (src / "setup.py").write_text(setup_py)
    return src


def published(tmp_path: Path, metadata: str = METADATA, entry_points: str = ENTRY_POINTS, extra=()) -> Path:
    members = [("demo/__init__.py", b"def main():\n    print('hi')\n", 0o644),
               ("demo-1.0.dist-info/METADATA", metadata.encode(), 0o644),
               ("demo-1.0.dist-info/entry_points.txt", entry_points.encode(), 0o644),
               ("demo-1.0.dist-info/licenses/LICENSE", b"MIT\n", 0o644),
               ("demo-1.0.dist-info/WHEEL", WHEEL.encode(), 0o644), *extra,
               ("demo-1.0.dist-info/RECORD", PLACEHOLDER, 0o644)]
    path = tmp_path / NAME
    wheel(path, members=members)
    return path


def check(tmp_path, **kw) -> dict:
    src = sdist(tmp_path, **{k: kw.pop(k) for k in ("pyproject", "setup_py") if k in kw})
    return sources_judgement(published(tmp_path, **kw), src, NAME, "build-failed: it tried to reach the network").fields()


@pytest.mark.unit
def test_an_honest_wheel_not_rebuilt_is_failed_with_the_sources_check_as_evidence(tmp_path):
    f = check(tmp_path)
    assert f["verdict"] == "failed" and f["check"] == "sources" and not f["differences"]
    assert f["reason"].startswith("not rebuilt (build-failed: it tried to reach the network); sources check:")
    # module, Requires-Dist (by meaning: spelling and quotes aside), entry points, license, WHEEL and RECORD
    assert f["members_verified"] == 6 and f["verified"]["bytes"] == 2 and f["verified"]["normalized"] == 4
    assert any("Requires-Dist verified against the sdist's pyproject.toml" in d["detail"] for d in f["not_reproduced"])


@pytest.mark.unit
@pytest.mark.parametrize("kw, path, words", [
    ({"metadata": METADATA + "Requires-Dist: evil>=1\n"}, "demo-1.0.dist-info/METADATA", "published adds evil>=1"),
    ({"metadata": METADATA.replace("tomli ; python_version < '3.11'", "tomli")}, "demo-1.0.dist-info/METADATA",
     "published adds tomli"),
    ({"entry_points": ENTRY_POINTS.replace("demo:main\n", "demo:main\nupdate=demo.evil:run\n")}, "demo-1.0.dist-info/entry_points.txt",
     "published adds console_scripts:update=demo.evil:run"),
    ({"extra": [("demo-1.0.data/scripts/demo-update", b"#!python\nimport os\nos.system('id')\n", 0o755)]},
     "demo-1.0.data/scripts/demo-update", "the sdist's build configuration names no script demo-update"),
    ({"extra": [("demo-1.0.data/purelib/demo-init.pth", b"import os; os.system('id')\n", 0o644)]},
     "demo-1.0.data/purelib/demo-init.pth", "a .pth file in site-packages that the sdist's build configuration does not name"),
    ({"extra": [("demo-1.0.data/purelib/demo/__init__.py", b"import os\n", 0o644)]},
     "demo-1.0.data/purelib/demo/__init__.py", "differs from the sdist's"),
])
def test_tampered_packaging_of_a_wheel_not_rebuilt_differs_as_code(tmp_path, kw, path, words):
    f = check(tmp_path, **kw)
    assert f["verdict"] == "differs" and f["check"] == "sources", f
    d = next(d for d in f["differences"] if d["path"] == path)
    assert d["cls"] == "code" and words in d["detail"], d
    assert f["reason"].startswith("not rebuilt (build-failed")


@pytest.mark.unit
def test_requirements_a_setup_py_computes_are_listed_not_verified_and_the_release_is_failed(tmp_path):
    pyproject = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    f = check(tmp_path, pyproject=pyproject, setup_py="from setuptools import setup\nsetup(install_requires=['x'])\n",
              metadata=METADATA + "Requires-Dist: evil>=1\n", entry_points=ENTRY_POINTS + "evil=demo:main\n")
    assert f["verdict"] == "failed" and not f["differences"]
    listed = {d["path"]: d["detail"] for d in f["not_reproduced"]}
    assert "does not declare its requirements statically" in listed["demo-1.0.dist-info/METADATA"]
    assert "does not declare them statically" in listed["demo-1.0.dist-info/entry_points.txt"]


@pytest.mark.unit
def test_a_script_whose_shebang_the_build_rewrote_is_the_sdists(tmp_path):
    src = sdist(tmp_path, setup_py="from setuptools import setup\nsetup(scripts=['scripts/demo-tool'])\n")
    (src / "scripts").mkdir()
    (src / "scripts" / "demo-tool").write_bytes(b"#!/usr/bin/env python3\nprint('tool')\n")
    ok = [("demo-1.0.data/scripts/demo-tool", b"#!python\nprint('tool')\n", 0o755)]
    f = sources_judgement(published(tmp_path, extra=ok), src, NAME).fields()
    assert f["verdict"] == "failed" and "script-shebang" in f["normalizations"]
    bad = [("demo-1.0.data/scripts/demo-tool", b"#!python\nprint('tool')\nimport os\n", 0o755)]
    f = sources_judgement(published(tmp_path, extra=bad), src, NAME).fields()
    assert f["verdict"] == "differs" and f["differences"][0]["cls"] == "code"


@pytest.mark.unit
def test_static_declarations_are_read_where_the_sdist_makes_them(tmp_path):
    root = tmp_path / "s"
    root.mkdir()
    (root / "PKG-INFO").write_text("Metadata-Version: 2.2\nName: x\nVersion: 1\nRequires-Dist: a>=1\n")
    assert declared.requirements(root).values == ("a>=1",)
    (root / "PKG-INFO").write_text("Metadata-Version: 2.2\nName: x\nVersion: 1\nDynamic: Requires-Dist\n")
    assert not declared.requirements(root).static
    (root / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: a>=1\n")
    (root / "setup.cfg").write_text("[options]\ninstall_requires =\n    b>=2\n[options.extras_require]\nt = c\n"
                                    "[options.entry_points]\nconsole_scripts =\n    x = x:main\n")
    assert declared.requirements(root).values == ("b>=2", 'c; extra == "t"')
    assert declared.entry_points(root).values == ("console_scripts:x=x:main",)
    (root / "setup.py").write_text("setup(install_requires=compute())\n")
    assert not declared.requirements(root).static
    # by meaning: another spelling of the same requirements, in another order, is no difference
    assert declared.requirement_differences(["b (>=2)", "c ; extra == 't'"], ('c; extra == "t"', "b>=2")) == []
    assert declared.requirement_differences(["b>=2", "c"], ('c; extra == "t"', "b>=2")) == ["published adds c"]


@pytest.mark.unit
def test_a_record_with_windows_separators_is_read_as_such_and_still_checked(tmp_path):
    """comrak 0.0.12's Windows wheels (maturin): RECORD names comrak\\__init__.py; every row still checked."""
    import base64
    import hashlib

    def row(name: str, data: bytes) -> str:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        return f"{name.replace('/', chr(92))},sha256={digest},{len(data)}\n"

    src = sdist(tmp_path)
    init = b"def main():\n    print('hi')\n"
    for lie in (False, True):
        record = row("demo/__init__.py", b"other" if lie else init) + row("demo-1.0.dist-info/WHEEL", WHEEL.encode()) \
            + "demo-1.0.dist-info\\RECORD,,\n"
        path = tmp_path / f"{lie}" / NAME
        path.parent.mkdir()
        import zipfile
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("demo/__init__.py", init)
            z.writestr("demo-1.0.dist-info/WHEEL", WHEEL)
            z.writestr("demo-1.0.dist-info/RECORD", record)
        f = sources_judgement(path, src, NAME).fields()
        if lie:
            assert f["verdict"] == "differs" and "RECORD row of demo/__init__.py" in f["differences"][0]["detail"]
        else:
            assert f["verdict"] == "failed" and "record-path-separators" in f["normalizations"], f
