"""An ELF extension module's interface, read the way the dynamic loader reads it, in pure Python (`struct`: no
native code parses an untrusted binary in the auditor's process): the dynamic symbols it imports (name and
version) and exports, the libraries it needs, RPATH/RUNPATH, constructors and destructors, an executable stack
and the printable strings of its loaded bytes; and the libraries around it (the wheel's grafted ones, the
image's). What the judge makes of them is judge/interface.py. How it is read: judge/elfload.py."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from auditor.judge.elfload import Interface, read_loaded

_MAX = 1 << 27  # an extension module larger than 128 MiB is not read

# glibc 2.34 merged these into libc.so.6: an older glibc's build needs them, a newer one's does not
GLIBC_MERGED = frozenset({"libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1", "libanl.so.1"})
# the libraries every Linux module may name (glibc's own): what it imports from them is compared by symbol
SYSTEM_LIBRARIES = frozenset({"libc.so.6", "libm.so.6", "libgcc_s.so.1", "libstdc++.so.6"})



def is_elf(data: bytes) -> bool:
    return data[:4] == b"\x7fELF"


_READ: OrderedDict[str, Interface | None] = OrderedDict()  # sha256 -> interface, the _KEEP most recent
_KEEP = 32  # an 8 MB module's strings hold tens of MB: a few dozen interfaces at most
_READ_LOCK = threading.Lock()


def read_interface(data: bytes) -> Interface | None:
    """The module's interface, or None when it is no ELF file this parser can read. Kept by content: an image's
    library, a wheel's grafted library or a rebuilt module is read once however many members are judged
    against it."""
    if not is_elf(data) or len(data) > _MAX:
        return None
    key = hashlib.sha256(data).hexdigest()
    with _READ_LOCK:
        if key in _READ:
            _READ.move_to_end(key)
            return _READ[key]
    found = read_loaded(data)
    with _READ_LOCK:
        _READ[key] = found
        while len(_READ) > _KEEP:
            _READ.popitem(last=False)
    return found


def needed_libraries(data: bytes) -> list[str]:
    """The libraries a rebuilt module needs that are not glibc's or the compiler's: what the build's image
    must hand the judge for the static-library rule."""
    i = read_interface(data)
    return [n for n in i.needed if n not in SYSTEM_LIBRARIES and n not in GLIBC_MERGED] if i else []


def library_closure(names: Iterable[str], read: Callable[[str], bytes | None]) -> dict[str, bytes]:
    """The libraries `names` (DT_NEEDED names) and the ones they need in turn, by name, as `read(name)` gives
    them (the build image's copies; None when it has none): a static build bundles the whole chain."""
    todo, found, seen = sorted(set(names)), {}, set[str]()
    while todo and len(seen) < 64:
        n = todo.pop(0)
        if n in seen:
            continue
        seen.add(n)
        data = read(n)
        if data is not None:
            found[n] = data
            todo += needed_libraries(data)
    return found


_SHARED_OBJECT = re.compile(r"\.so(\.[\w.]+)?$")


def is_shared_object(name: str) -> bool:
    """A member named as an ELF shared object (a module's .so, a grafted libfoo-1a2b3c4d.so.1)."""
    return _SHARED_OBJECT.search(name) is not None


def needed_in_wheel(wa) -> frozenset[str] | None:
    """Every library an ELF member of the wheel (its modules and grafted libraries) names in DT_NEEDED, or
    None when a compiled member is no ELF file this parser reads (then nothing can be said). Read once per
    archive (kept on it)."""
    if "_auditor_needed" not in vars(wa):
        vars(wa)["_auditor_needed"] = _needed_in_wheel(wa)
    return vars(wa)["_auditor_needed"]


def _needed_in_wheel(wa) -> frozenset[str] | None:
    found: set[str] = set()
    for name, member in wa.members.items():
        if member.is_dir or not is_shared_object(name):
            continue
        i = read_interface(wa.read(name, limit=_MAX))
        if i is None:
            return None
        found |= set(i.needed)
    return frozenset(found)


def unneeded_graft(wa, name: str) -> bool:
    """A library auditwheel grafted into NAME.libs/ that no module or library of the wheel needs: nothing
    explains why it is there (a grafted library is only ever copied in because something links it)."""
    needed = needed_in_wheel(wa)
    return needed is not None and name.rsplit("/", 1)[-1] not in needed


def grafted_libraries(wa) -> dict[str, bytes]:
    """The libraries auditwheel grafted into the wheel (NAME.libs/), by file name (what modules name in
    DT_NEEDED). Read once per archive (kept on it)."""
    if "_auditor_grafted" not in vars(wa):
        vars(wa)["_auditor_grafted"] = {
            name.rsplit("/", 1)[-1]: wa.read(name, limit=_MAX) for name, m in wa.members.items()
            if not m.is_dir and ".libs/" in name and is_shared_object(name)}
    return vars(wa)["_auditor_grafted"]
