"""One class table (judge/classes.toml) for every judging path: the same member added on each path (a wheel
rebuilt here, another platform's wheel, the sources check when nothing was rebuilt, the sdist against its
repository) gets the same class, and the table refuses to load when it is malformed."""

from __future__ import annotations

import shutil

import pytest

from auditor.judge import classes
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.sources import cross_check_sources
from tests.test_compare import PLACEHOLDER, wheel

# added members whose class does not depend on where they are judged
MEMBERS = {
    "demo/evil.py": "code",
    "zz-evil.pth": "code",
    "demo/data.json": "code",  # data the code reads
    "demo/types.pyi": "packaging",
    "demo/py.typed": "packaging",
    "demo/NOTES.md": "packaging",
}
WHEEL_ONLY = {  # members only a wheel can hold
    "demo-1.0.data/scripts/tool": "code",
    "demo-1.0.data/purelib/evil.pth": "code",
    "demo-1.0.data/data/share/doc/demo/AUTHORS": "packaging",
    "demo-1.0.data/data/bin/tool": "code",
    "demo-1.0.dist-info/top_level.txt": "metadata",  # descriptive (issue 47: tomli 2.4.0)
    "demo-1.0.dist-info/namespace_packages.txt": "code",  # pkg_resources declares namespace packages from it
    "demo-1.0.dist-info/licenses/COPYING": "metadata",
    "demo-1.0.dist-info/sboms/demo.cdx.json": "metadata",
}
BASE = [("demo/__init__.py", b"x = 1\n", 0o644),
        ("demo-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", 0o644),
        ("demo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n", 0o644),
        ("demo-1.0.dist-info/RECORD", PLACEHOLDER, 0o644)]


@pytest.mark.unit
def test_the_same_member_gets_the_same_class_on_every_path(tmp_path):
    added = {**MEMBERS, **WHEEL_ONLY}
    reb = wheel(tmp_path / "rebuilt.whl", members=BASE)
    pub = wheel(tmp_path / "published.whl", members=BASE[:1] + [(n, b"import os\n", 0o644) for n in added] + BASE[1:])
    src = tmp_path / "src"
    (src / "demo").mkdir(parents=True)
    (src / "demo" / "__init__.py").write_text("x = 1\n")
    paths = {
        "rebuilt here": compare_wheels(pub, reb).differences,
        "other platform": compare_other_platform(pub, reb).differences,
        "sources check": (lambda c: c.differences + [d for d in c.compiled_differences if ".dist-info/" in d.path])(
            cross_check_sources(pub, src)),
    }
    for path, diffs in paths.items():
        got = {d.path: d.cls for d in diffs if d.path in added}
        assert got == added, (path, got)
    for name, cls in MEMBERS.items():
        assert classes.member_class(name) == cls == classes.sdist_class(name)


@pytest.mark.unit
def test_the_repository_check_reads_the_same_table(tmp_path, monkeypatch):
    """The sdist against its repository: an added file's class is the table's (a .pth and a module are code,
    a stub and a document packaging; what the build compiles is code in an sdist)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    from auditor import sourcerepo
    from tests.test_sourcerepo import sdist_of, tag_and_serve

    r = tmp_path / "upstream"
    (r / "demo").mkdir(parents=True)
    (r / "demo" / "__init__.py").write_text("x = 1\n")
    (r / "demo" / "util.py").write_text("X = 1\n")
    (r / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (r / "setup.cfg").write_text("[metadata]\nname = demo\n")
    src = sdist_of(tag_and_serve(r, tmp_path, monkeypatch), tmp_path / "s")
    for name in [*MEMBERS, "demo/_speedups.c"]:
        (src / name).write_bytes(b"import os\n")
    result = sourcerepo.check(src, "demo", "1.0", tmp_path / "repos")
    got = {d.path: d.cls for d in result.differences if d.path != ".git_archival.txt"}
    assert got == {**MEMBERS, "demo/_speedups.c": "code"}, got  # a C source is code in an sdist: the build compiles it


@pytest.mark.unit
@pytest.mark.parametrize("text, words", [
    ('[[wheel]]\npattern = "x"\nclass = "evil"\nwhy = "w"\n', "class 'evil'"),
    ('[[wheel]]\npattern = "("\nclass = "code"\nwhy = "w"\n', "does not compile"),
    ('[[wheel]]\npattern = "x"\nclass = "code"\nwhy = "w"\n[[sdist]]\npattern = ""\nclass = "code"\nwhy = "w"\n',
     "must match everything"),
    ('[[wheel]]\npattern = ""\nclass = "code"\n', "exactly pattern, class and why"),
])
def test_a_malformed_class_table_is_refused_when_loaded(text, words):
    with pytest.raises(classes.ClassTableError, match=words):
        classes.parse(text)


@pytest.mark.unit
def test_the_shipped_table_loads_and_metadata_fields_are_classed_from_it():
    t = classes.table()
    assert t.field("Requires-Dist") == "code" and t.field("name") == "code" and t.field("summary") == "metadata"
    assert t.wheel_field("Root-Is-Purelib") == "code" and t.wheel_field("Build") == "packaging"
