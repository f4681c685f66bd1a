"""An ELF file as the dynamic loader reads it, in pure Python (`struct`: no native code parses an untrusted binary
in the auditor's process): read_loaded() gives the Interface judge/elf.py keeps and judge/interface.py compares.

Only the program headers are trusted, as ld.so trusts only them: PT_LOAD (what is mapped, and how a virtual
address found in the dynamic table is a file offset), PT_DYNAMIC (the dynamic table, read at its p_vaddr as
the loader reads it once mapped) and PT_GNU_STACK (none: glibc's default, on x86_64 an executable stack).
The segments are mapped as ld.so maps them, page by page: a PT_LOAD maps the whole file pages its bytes are in
(what precedes p_offset and follows p_filesz in them included), zeros from p_filesz to p_memsz, and every name,
table and string is read from those pages. A later segment's pages would replace an earlier one's, so PT_LOAD
segments that are not in ascending p_vaddr order, share a page, or whose p_vaddr and p_offset are not congruent
modulo the page make a module unreadable: no linker emits them, and a 1-byte segment placed in another's page
would show the loader other bytes (another import's name, another string) than the file's segment holds.
The symbol table, its versions and every name come from the dynamic table's pointers (DT_SYMTAB sized by
DT_GNU_HASH or DT_HASH and by the relocations that name its symbols, DT_VERSYM, the DT_VERNEED chain,
DT_STRTAB); a pointer given more than once is taken as the loader takes it, the last. Constructors are what
ld.so runs while loading: DT_INIT (once), the DT_INIT_ARRAY and DT_PREINIT_ARRAY entries, and every IFUNC
resolver it calls as it relocates (an R_*_IRELATIVE relocation, a defined STT_GNU_IFUNC symbol). Section
headers are ignored by the loader and so can be forged: they are read for one thing only, to add the strings
of the sections they say are allocated (nothing if they do not parse). A module whose program headers or
dynamic table do not parse, whose segments are mapped ambiguously (above), whose relocations would write into
what is read here (ld.so binds names from memory as it relocates; an R_*_NONE relocation, which it skips,
writes nothing), or that is no 64-bit little-endian ELF file, is unreadable (None)."""

from __future__ import annotations

import bisect
import re
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Interface:
    imports: frozenset[tuple[str, str]]  # (symbol, version or "")
    exports: frozenset[str]
    needed: tuple[str, ...]  # DT_NEEDED, and DT_FILTER/DT_AUXILIARY (their filtees are loaded too)
    runpath: tuple[str, ...]  # RPATH and RUNPATH entries
    constructors: int  # DT_INIT_ARRAYSZ and DT_PREINIT_ARRAYSZ entries, DT_INIT, and the IFUNC resolvers ld.so calls
    destructors: int  # DT_FINI_ARRAYSZ entries, plus DT_FINI
    execstack: bool
    strings: frozenset[bytes]


def read_loaded(data: bytes) -> Interface | None:
    """The interface of an ELF file as ld.so would load it; None when it is unreadable."""
    try:
        return _read(data)
    except Exception:  # _Unreadable, struct.error (past the end), ...: a malformed module must not stop the audit
        return None


class _Unreadable(ValueError):
    """What the loader reads is not in the file as its program headers lay it out."""


_RUN = re.compile(rb"[\x20-\x7e]{6,}")  # a printable string
_HEAD, _TAIL = re.compile(rb"[\x20-\x7e]+"), re.compile(rb"[\x20-\x7e]+\Z")
_EHDR = struct.Struct("<HHIQQQIHHHHHH")  # ELF64 header after e_ident: e_type, e_machine, ... e_shnum, e_shstrndx
_PHDR = struct.Struct("<IIQQQQQQ")  # p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
_SHDR = struct.Struct("<IIQQQQIIQQ")  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, ...
_DYN = struct.Struct("<qQ")  # d_tag, d_val
_SYM = struct.Struct("<IBBHQQ")  # st_name, st_info, st_other, st_shndx, st_value, st_size
_VERNEED = struct.Struct("<HHIII")  # vn_version, vn_cnt, vn_file, vn_aux, vn_next
_VERNAUX = struct.Struct("<IHHII")  # vna_hash, vna_flags, vna_other, vna_name, vna_next
_U32, _U16 = struct.Struct("<I"), struct.Struct("<H")
_RELA, _REL = struct.Struct("<QQ8x"), struct.Struct("<QQ")  # r_offset, r_info of an Elf64_Rela, an Elf64_Rel
_PT_LOAD, _PT_DYNAMIC, _PT_GNU_STACK = 1, 2, 0x6474E551
_EM_X86_64 = 62
_PAGE = 0x1000  # x86_64's page, the granularity ld.so and the kernel map at whatever p_align says
_LARGEST_PAGE = 0x10000  # another machine's kernel may use larger pages (aarch64: 4, 16 or 64 KiB), up to p_align
_NONE = 0  # R_X86_64_NONE, R_AARCH64_NONE: ld.so skips it
_COPY = {62: 5, 183: 1024}  # R_X86_64_COPY, R_AARCH64_COPY
_IRELATIVE = {62: 37, 183: 1032}  # R_X86_64_IRELATIVE, R_AARCH64_IRELATIVE: ld.so calls an IFUNC resolver
_STT_GNU_IFUNC = 10
_SHF_ALLOC, _SHT_NOBITS = 0x2, 8
(_DT_NEEDED, _DT_PLTRELSZ, _DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_RELA, _DT_RELASZ, _DT_INIT, _DT_FINI, _DT_RPATH,
 _DT_REL, _DT_RELSZ, _DT_PLTREL, _DT_JMPREL, _DT_INIT_ARRAYSZ, _DT_FINI_ARRAYSZ, _DT_RUNPATH,
 _DT_PREINIT_ARRAYSZ) = 1, 2, 4, 5, 6, 7, 8, 12, 13, 15, 17, 18, 20, 23, 27, 28, 29, 33
_DT_GNU_HASH, _DT_VERSYM, _DT_VERNEED, _DT_AUXILIARY, _DT_FILTER = 0x6FFFFEF5, 0x6FFFFFF0, 0x6FFFFFFE, 0x7FFFFFFD, 0x7FFFFFFF
_CHAIN = 1 << 16  # version needs, their aux entries, a GNU hash chain: far more than any real module's
_ZEROS = -1  # a region of zeros (p_memsz past p_filesz, the rest of the file's last page)


class _Image:
    """The file as ld.so maps it (_map): regions (start, end, file offset of start or _ZEROS) of the address
    space, ascending and disjoint; an address in none is not mapped (a hole between segments: PROT_NONE)."""

    def __init__(self, data: bytes, phdrs: list[tuple[int, ...]], machine: int):
        self.data = data
        self.view = memoryview(data)
        self.regions = _map(len(data), [p for p in phdrs if p[0] == _PT_LOAD], _page(phdrs, machine))
        self.starts = [start for start, _, _ in self.regions]
        self.read: list[tuple[int, int]] = []  # the address ranges read: what no relocation may write
        self.names = (1 << 64, 0)  # from the lowest name read to the end of the highest: the string table

    def _at(self, addr: int) -> int:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.regions[i][1]:
            raise _Unreadable(f"{addr:#x} is not mapped")
        return i

    def span(self, addr: int, size: int = 1) -> tuple[int, int]:
        """The file offset of virtual address `addr` and the end of the file bytes mapped from there on; raises
        when the `size` bytes there are not the file's (zeros, or nothing mapped)."""
        start, end, off = self.regions[self._at(addr)]
        if off == _ZEROS or addr + size > end:
            raise _Unreadable(f"{addr:#x} is not mapped from the file")
        self.read.append((addr, addr + size))
        return off + addr - start, off + end - start

    def zeros(self, addr: int, size: int) -> bool:
        """Whether the `size` bytes at `addr` are zeros the loader maps (past p_filesz), not the file's."""
        i = bisect.bisect_right(self.starts, addr) - 1
        while size > 0 and 0 <= i < len(self.regions) and self.regions[i][0] <= addr < self.regions[i][1]:
            if self.regions[i][2] != _ZEROS:
                return False
            size -= self.regions[i][1] - addr
            addr, i = self.regions[i][1], i + 1
        return size <= 0

    def string(self, addr: int) -> str:
        """The NUL-terminated string at virtual address `addr` (a name from DT_STRTAB), as the loader reads it
        in memory: on past its segment's file bytes into the rest of the page and into the next mapping."""
        parts, at, i = [], addr, self._at(addr)
        while self.regions[i][2] != _ZEROS:  # zeros end it
            start, end, off = self.regions[i]
            stop = self.data.find(b"\0", off + at - start, off + end - start)
            parts.append(self.data[off + at - start:off + end - start if stop < 0 else stop])
            at = end if stop < 0 else start + stop - off
            if stop >= 0:
                break
            i += 1
            if i == len(self.regions) or self.regions[i][0] != end:
                raise _Unreadable(f"the string at {addr:#x} runs past what is mapped")
        self.names = (min(self.names[0], addr), max(self.names[1], at + 1))
        return b"".join(parts).decode("utf-8", "replace")

    def rewritten(self, relocations: list[tuple[int, int]], machine: int) -> bool:
        """Whether a relocation writes into what was read (ld.so relocates the mapped module in order, and reads
        its dynamic table, symbols and names from memory as it binds: a relocation writing there would make it
        bind another name than the file's), or copies into the module (R_*_COPY: no shared object has one). An
        R_*_NONE relocation writes nothing: ld.so skips it."""
        merged: list[list[int]] = []
        for lo, hi in sorted(self.read + ([self.names] if self.names[1] else [])):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        starts = [lo for lo, _ in merged]
        for r_offset, info in relocations:
            if info & 0xFFFFFFFF == _NONE:
                continue
            i = bisect.bisect_right(starts, r_offset + 7) - 1  # a write of up to 8 bytes at r_offset
            if i >= 0 and merged[i][1] > r_offset or info & 0xFFFFFFFF == _COPY.get(machine):
                return True
        return False


def _page(phdrs: list[tuple[int, ...]], machine: int) -> int:
    """The page the segments are mapped by: x86_64's; on another machine the largest its kernel may use, as far
    as the segments' p_align allows (the linker separates segments by its max-page-size, their p_align)."""
    if machine == _EM_X86_64:
        return _PAGE
    aligns = [p[7] for p in phdrs if p[0] == _PT_LOAD and p[7] & (p[7] - 1) == 0]
    return max([_PAGE] + [a for a in aligns if a <= _LARGEST_PAGE])


def _map(size: int, loads: list[tuple[int, ...]], page: int) -> list[tuple[int, int, int]]:
    """The regions the PT_LOAD segments map, as ld.so maps them: the file's pages from round_down(p_offset) at
    round_down(p_vaddr) up to the end of the page of p_vaddr + p_filesz, zeros from there to p_memsz (within
    that last page only up to p_memsz: the page's file bytes after it stay), past the end of the file zeros to
    its page's end and nothing after. A segment that would replace pages of another (out of order, or sharing
    a page) or whose p_vaddr is not p_offset's page offset is unreadable."""
    regions: list[tuple[int, int, int]] = []
    top = 0  # the end of the pages mapped so far
    for _, _, offset, vaddr, _, filesz, memsz, _ in loads:
        if (vaddr - offset) % page:
            raise _Unreadable("a PT_LOAD whose p_vaddr and p_offset differ by no multiple of the page")
        start = vaddr - vaddr % page
        data_end, alloc_end = vaddr + filesz, vaddr + memsz
        map_end = -(-data_end // page) * page
        pages_end = max(map_end, -(-alloc_end // page) * page)
        if start < top:
            raise _Unreadable("PT_LOAD segments out of order or sharing a page")
        top = pages_end
        base = offset - vaddr % page  # the file offset mapped at `start`
        zero_lo, zero_hi = (data_end, min(map_end, alloc_end)) if alloc_end > data_end else (map_end, map_end)
        eof = start + size - base  # where the end of the file is mapped
        pieces = [(start, zero_lo, base), (zero_lo, zero_hi, _ZEROS), (zero_hi, map_end, base + zero_hi - start),
                  (map_end, pages_end, _ZEROS)]
        for lo, hi, off in pieces:
            if off != _ZEROS and hi > eof:  # past the end of the file: zeros to its page's end, then nothing
                regions.append((max(lo, eof), min(hi, -(-eof // page) * page), _ZEROS))
                hi = eof
            regions.append((lo, hi, off))
    return sorted(r for r in regions if r[0] < r[1])


def _read(data: bytes) -> Interface:
    machine, phdrs = _program_headers(data)
    image = _Image(data, phdrs, machine)
    tags = _dynamic(image, phdrs)
    last = dict(tags)  # a pointer or size given twice: ld.so keeps the last (elf_get_dynamic_info)
    if _DT_STRTAB not in last:
        raise _Unreadable("no DT_STRTAB")
    strtab = last[_DT_STRTAB]
    relocations = _relocations(image, last)
    imports, exports, resolvers = _symbols(image, last, strtab, relocations)
    needed, runpath = _tags(image, tags, strtab)
    if image.rewritten(relocations, machine):
        raise _Unreadable("a relocation writes into the dynamic table, the symbols or their names")
    resolvers += sum(1 for _, info in relocations if info & 0xFFFFFFFF == _IRELATIVE.get(machine))
    constructors = (_DT_INIT in last) + (last.get(_DT_INIT_ARRAYSZ, 0) + last.get(_DT_PREINIT_ARRAYSZ, 0)) // 8
    destructors = (_DT_FINI in last) + last.get(_DT_FINI_ARRAYSZ, 0) // 8
    stacks = [p for p in phdrs if p[0] == _PT_GNU_STACK]
    # no PT_GNU_STACK: glibc's default stack is executable on x86_64 (DEFAULT_STACK_PERMS), not on aarch64
    execstack = any(p[1] & 1 for p in stacks) or (not stacks and machine == _EM_X86_64)
    return Interface(frozenset(imports), frozenset(exports), tuple(needed), tuple(runpath), constructors + resolvers,
                     destructors, execstack, _strings(image, phdrs))


def _program_headers(data: bytes) -> tuple[int, list[tuple[int, ...]]]:
    """e_machine and the program headers of a 64-bit little-endian ELF file, as ld.so checks them."""
    if len(data) < 64 or data[4] != 2 or data[5] != 1:  # ELFCLASS64, ELFDATA2LSB
        raise _Unreadable("not a 64-bit little-endian ELF file")
    _, machine, _, _, phoff, _, _, _, phentsize, phnum, _, _, _ = _EHDR.unpack_from(data, 16)
    if phentsize != _PHDR.size or phnum == 0 or phnum >= 0xFFFF or phoff + phnum * phentsize > len(data):
        raise _Unreadable("no program headers")
    return machine, [_PHDR.unpack_from(data, phoff + i * phentsize) for i in range(phnum)]


def _dynamic(image: _Image, phdrs: list[tuple[int, ...]]) -> list[tuple[int, int]]:
    """The dynamic table's (d_tag, d_val) entries up to DT_NULL, read where ld.so reads it: at the last
    PT_DYNAMIC's p_vaddr once the PT_LOAD segments are mapped (its p_offset is not used)."""
    dynamic = [p for p in phdrs if p[0] == _PT_DYNAMIC]
    if not dynamic or dynamic[-1][5] == 0:  # p_filesz 0: "object file has no dynamic section"
        raise _Unreadable("no PT_DYNAMIC")
    at = dynamic[-1][3]
    off, end = image.span(at, _DYN.size)
    tags = []
    for tag, val in _DYN.iter_unpack(image.view[off:off + (end - off) // _DYN.size * _DYN.size]):
        if tag == 0:  # DT_NULL
            break
        tags.append((tag, val))
    else:  # past the file bytes, zeros are a DT_NULL
        if not image.zeros(at + len(tags) * _DYN.size, _DYN.size):
            raise _Unreadable("a dynamic table without DT_NULL")
    image.read.append((at, at + (len(tags) + 1) * _DYN.size))
    return tags


def _tags(image: _Image, tags: list[tuple[int, int]], strtab: int) -> tuple[list[str], list[str]]:
    needed: list[str] = []
    runpath: list[str] = []
    for tag, val in tags:
        if tag in (_DT_NEEDED, _DT_AUXILIARY, _DT_FILTER):  # a filter's filtee is loaded (and initialised) too
            needed.append(image.string(strtab + val))
        elif tag in (_DT_RPATH, _DT_RUNPATH):
            runpath += image.string(strtab + val).split(":")
    return needed, runpath


def _symbols(image: _Image, last: dict[int, int], strtab: int,
             relocations: list[tuple[int, int]]) -> tuple[set[tuple[str, str]], set[str], int]:
    """The dynamic symbols' imports (undefined: name and version), exports (global or weak, default or
    protected visibility), from DT_SYMTAB, DT_VERSYM and the DT_VERNEED chain, and how many are defined IFUNCs
    (STT_GNU_IFUNC: ld.so calls the resolver when it binds one, its own relocations' included)."""
    imports: set[tuple[str, str]] = set()
    exports: set[str] = set()
    count = _symbol_count(image, last, relocations)
    if count <= 1:
        return imports, exports, 0
    symtab = last[_DT_SYMTAB]
    off, end = image.span(symtab, _SYM.size)
    mapped = min(count, (end - off) // _SYM.size)  # past the file bytes: zeros, nameless
    if not image.zeros(symtab + mapped * _SYM.size, (count - mapped) * _SYM.size):
        raise _Unreadable("symbols past their segment")
    image.read.append((symtab, symtab + count * _SYM.size))
    versions = _needed_versions(image, last, strtab)
    versym = image.span(last[_DT_VERSYM], 2) if _DT_VERSYM in last else None
    if versym is not None:
        mapped_versions = min(count, (versym[1] - versym[0]) // 2)
        if not image.zeros(last[_DT_VERSYM] + 2 * mapped_versions, 2 * (count - mapped_versions)):
            raise _Unreadable("symbol versions past their segment")
        image.read.append((last[_DT_VERSYM], last[_DT_VERSYM] + 2 * count))
    resolvers = 0
    for i, (name_at, info, other, shndx, _, _) in enumerate(_SYM.iter_unpack(image.view[off:off + mapped * _SYM.size])):
        resolvers += i > 0 and shndx != 0 and info & 0xF == _STT_GNU_IFUNC
        name = image.string(strtab + name_at) if i else ""
        if not name:
            continue
        if shndx == 0:  # SHN_UNDEF
            ndx = 0
            if versym is not None and versym[0] + 2 * i + 2 <= versym[1]:
                ndx = _U16.unpack_from(image.data, versym[0] + 2 * i)[0] & 0x7FFF  # the hidden bit aside, as ld.so
            imports.add((name, versions.get(ndx, "") if ndx >= 2 else ""))  # 0 local, 1 global: no version
        elif info >> 4 in (1, 2) and other & 3 in (0, 3):  # STB_GLOBAL/STB_WEAK, STV_DEFAULT/STV_PROTECTED
            exports.add(name)
    return imports, exports, resolvers


def _symbol_count(image: _Image, last: dict[int, int], relocations: list[tuple[int, int]]) -> int:
    """How many entries of DT_SYMTAB ld.so can use: as many as its hash table covers (DT_GNU_HASH when there is
    one, as ld.so prefers it, else DT_HASH's nchain), and at least every symbol a relocation names (those are
    bound whatever the hash table says; an R_*_NONE relocation's is not)."""
    count = 0
    if _DT_GNU_HASH in last:
        count = _gnu_hash_count(image, last[_DT_GNU_HASH])
    elif _DT_HASH in last:
        off, _ = image.span(last[_DT_HASH], 8)
        count = _U32.unpack_from(image.data, off + 4)[0]
    count = max(count, max((info >> 32 for _, info in relocations if info & 0xFFFFFFFF != _NONE), default=-1) + 1)
    if count > 1 and _DT_SYMTAB not in last:
        raise _Unreadable("symbols without DT_SYMTAB")
    return count


def _gnu_hash_count(image: _Image, addr: int) -> int:
    off, end = image.span(addr, 16)
    nbuckets, symoffset, bloom_size, _ = struct.unpack_from("<IIII", image.data, off)
    buckets = off + 16 + 8 * bloom_size
    chain = buckets + 4 * nbuckets
    if chain > end:
        raise _Unreadable("GNU hash table past its segment")
    top = max((b for (b,) in _U32.iter_unpack(image.view[buckets:chain])), default=0)
    image.read.append((addr, addr + chain - off))
    if top < symoffset:
        return symoffset
    start = chain + 4 * (top - symoffset)
    stop = min(end, start + 4 * _CHAIN)
    for i, (h,) in enumerate(_U32.iter_unpack(image.view[start:start + max(0, stop - start) // 4 * 4])):
        if h & 1:  # the chain's last symbol
            image.read.append((addr + start - off, addr + start - off + 4 * (i + 1)))
            return top + i + 1
    raise _Unreadable("GNU hash chain without an end")


def _relocations(image: _Image, last: dict[int, int]) -> list[tuple[int, int]]:
    """(r_offset, r_info) of every relocation of DT_RELA, DT_REL and DT_JMPREL (past the file bytes, zeros: an
    R_*_NONE the loader skips)."""
    tables = [(_DT_RELA, _DT_RELASZ, _RELA), (_DT_REL, _DT_RELSZ, _REL),
              (_DT_JMPREL, _DT_PLTRELSZ, _REL if last.get(_DT_PLTREL) == _DT_REL else _RELA)]
    found: list[tuple[int, int]] = []
    for at, size, entry in tables:
        if at not in last or not last.get(size):
            continue
        off, end = image.span(last[at], entry.size)
        n = min(last[size], end - off) // entry.size
        if not image.zeros(last[at] + n * entry.size, last[size] - n * entry.size):
            raise _Unreadable("relocations past their segment")
        image.read.append((last[at], last[at] + n * entry.size))
        found += entry.iter_unpack(image.view[off:off + n * entry.size])
    return found


def _needed_versions(image: _Image, last: dict[int, int], strtab: int) -> dict[int, str]:
    """Version index -> name of the versions the module needs, from the Elf64_Verneed entries at DT_VERNEED and
    their Elf64_Vernaux entries. ld.so follows vn_next and vna_next until 0 (DT_VERNEEDNUM and vn_cnt are not
    what it reads) and keeps vna_other's low 15 bits; so does this."""
    out: dict[int, str] = {}
    if _DT_VERNEED not in last:
        return out
    need, budget = last[_DT_VERNEED], _CHAIN
    while budget > 0:
        _, _, _, vn_aux, vn_next = _VERNEED.unpack_from(image.data, image.span(need, _VERNEED.size)[0])
        aux = need + vn_aux
        while budget > 0:
            budget -= 1
            _, _, other, name, vna_next = _VERNAUX.unpack_from(image.data, image.span(aux, _VERNAUX.size)[0])
            out[other & 0x7FFF] = image.string(strtab + name)
            if vna_next == 0:
                break
            aux += vna_next
        if vn_next == 0:
            return out
        need += vn_next
    raise _Unreadable("version needs without an end")


def _strings(image: _Image, phdrs: list[tuple[int, ...]]) -> frozenset[bytes]:
    """The printable strings of the file bytes the PT_LOAD segments map (their whole pages: whatever sections a
    linker put there, the executable one included, and what precedes and follows a segment in its pages), a
    string running on from one mapping into the next in memory included; each segment's own file bytes and
    every section the section headers say is allocated are also read on their own (a string cut at their edge
    is there too)."""
    data = image.data
    mapped = [(off, off + end - start) for start, end, off in image.regions if off != _ZEROS]
    found: set[bytes] = set()
    for start, end in mapped:
        found.update(_RUN.findall(data, start, end))
    for (start, end, off), (next_start, _, next_off) in zip(image.regions, image.regions[1:]):
        if end == next_start and off != _ZEROS and next_off != _ZEROS:  # contiguous in memory
            found.update(_across(data, off + end - start, next_off))
    segments = {(p[2], min(len(data), p[2] + p[5])) for p in phdrs if p[0] == _PT_LOAD and p[2] < len(data)}
    for start, end in sorted(segments | _allocated_sections(data)):
        if any(a <= start and end <= b for a, b in mapped):
            found.update(_edges(data, start, end))
        elif start < end:
            found.update(_RUN.findall(data, start, end))
    return frozenset(found)


def _across(data: bytes, end: int, start: int) -> list[bytes]:
    """The printable string that runs from the file bytes ending at `end` on into those from `start`, mapped
    next to them (up to 4 KiB either side)."""
    tail, head = _TAIL.search(data, max(0, end - 4096), end), _HEAD.match(data, start, min(len(data), start + 4096))
    return [tail.group() + head.group()] if tail and head and len(tail.group() + head.group()) >= 6 else []


def _edges(data: bytes, start: int, end: int) -> list[bytes]:
    """The strings of data[start:end] that are not strings of the segment around it: the run of printable bytes
    at its start and the one at its end, when a printable byte beside it in the segment joins them (a run inside
    the range is a run of the segment's)."""
    found = [m.group() for m in [_RUN.match(data, start, end)] if m]
    window = 256
    while True:
        lo = max(start, end - window)
        tail = None
        for tail in _RUN.finditer(data, lo, end):
            pass
        if tail is not None and tail.start() == lo and lo > start:  # the run may go on before the window
            window *= 4
            continue
        if tail is not None and tail.end() == end:
            found.append(tail.group())
        return found


def _allocated_sections(data: bytes) -> set[tuple[int, int]]:
    """The file ranges of the sections with SHF_ALLOC (not SHT_NOBITS), or none when the section headers do not
    parse: they are read for nothing else."""
    try:
        header = _EHDR.unpack_from(data, 16)
        shoff, shentsize, shnum = header[5], header[10], header[11]
        if shoff == 0 or shentsize != _SHDR.size or shoff >= len(data):
            return set()
        if shnum == 0:  # 0xff00 sections or more: the count is section 0's sh_size
            shnum = _SHDR.unpack_from(data, shoff)[5]
        shnum = min(shnum, (len(data) - shoff) // _SHDR.size)
        headers = (_SHDR.unpack_from(data, shoff + i * _SHDR.size) for i in range(shnum))
        return {(h[4], min(len(data), h[4] + h[5])) for h in headers if h[2] & _SHF_ALLOC and h[1] != _SHT_NOBITS}
    except struct.error:
        return set()
