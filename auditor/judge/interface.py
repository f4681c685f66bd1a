"""What a compiled extension module can do, read from its ELF file and compared with the rebuild's.

Byte-for-byte reproduction of a compiled member needs the publisher's compiler; what the module can *do*
does not: the dynamic symbols it imports (name and version) and exports, the libraries it needs, its
constructors and destructors (`.init_array`, `.fini_array`, `DT_INIT`, `DT_FINI`), an executable stack,
RPATH/RUNPATH, and the printable strings of its loaded bytes. read_interface() reads them as the dynamic
loader does (judge/elfload.py, pure Python: no native code parses an untrusted binary in the auditor's process);
compare() holds the published module to the rebuild's under the named rules of judge/registry.py
(glibc's merged libraries, symbol versions, FORTIFY and stack-protector variants, compiler builtins and
runtime helpers, auditwheel's RPATH and grafted libraries). What stays is a difference of class code,
one line naming what the published module adds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from auditor.judge.elf import (GLIBC_MERGED, SYSTEM_LIBRARIES, Interface, grafted_libraries, is_elf, is_shared_object,
                               library_closure, needed_in_wheel, needed_libraries, read_interface, unneeded_graft)
from auditor.fsutil import inside
from auditor.judge.registry import check_rules
from auditor.judge.symbols import (CAPABILITIES, COMPILER_BUILTINS, COMPILER_RUNTIME, CXX_FILE_OPERATIONS,
                                   GLIBC_ALIASES, GLIBC_OBJECT_ALIASES, MATH_FUNCTIONS)

__all__ = ["GLIBC_MERGED", "SYSTEM_LIBRARIES", "Interface", "InterfaceCheck", "check_member", "compare",
           "grafted_libraries", "is_elf", "is_shared_object", "library_closure", "needed_in_wheel",
           "needed_libraries", "read_interface", "unneeded_graft"]


_URL = re.compile(rb"(?i)\b(?:https?|ftp|wss?)://[\w.-]+")
_HOST = re.compile(rb"(?i)^(?:[a-z0-9-]+\.)+(?:com|net|org|io|ru|cn|xyz|top|info|biz|su|tk|onion|co|me|dev|app)$|"
                   rb"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+$")
# a bare dotted number: a version (pillow 12.3.0's grafted library holds "3.1.4.1") as much as an address; a host
# only in a host or URL context (with a port above, or in a URL): said under its rule, never a difference alone
_DOTTED = re.compile(rb"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
# what uses an address: a dotted number in a module that imports one of these is never set aside as a version
_NETWORK = frozenset({"socket", "connect", "bind", "sendto", "sendmsg", "getaddrinfo", "gethostbyname", "gethostbyname2",
                      "gethostbyname_r", "inet_addr", "inet_aton", "inet_pton", "inet_network"})
_COMMAND = re.compile(rb"(?:/bin/(?:ba|z|da)?sh\b|\bsh -c\b|\bcurl\b|\bwget\b|\bnc -|\bchmod \+x|\brm -rf\b|"
                      rb"\bpowershell\b|\bcmd\.exe\b|\bpython[0-9.]* -c\b|/dev/tcp/|\bbase64 -d\b)")
# hosts anyone can publish on: a URL there is never explained by a library naming the same host
_OPEN_HOSTS = frozenset({"github.com", "raw.githubusercontent.com", "gist.github.com", "objects.githubusercontent.com",
                         "gitlab.com", "bitbucket.org", "pastebin.com", "s3.amazonaws.com", "storage.googleapis.com",
                         "drive.google.com", "discord.com", "cdn.discordapp.com", "t.me", "transfer.sh", "ngrok.io",
                         "pypi.org", "files.pythonhosted.org", "npmjs.org", "registry.npmjs.org", "dropbox.com"})
# where compilers ask for bug reports: their runtime's messages name them (compiler identification)
_COMPILER_HOSTS = frozenset({"gcc.gnu.org", "bugzilla.redhat.com", "bugs.llvm.org"})
# build paths and compiler identification a rebuild writes otherwise (never a reason to add a string)
_BUILD_PATH = re.compile(rb"^(?:/tmp/|/project/|/io/|/home/runner/|/build/|/src/|/usr/include/|/opt/python/|"
                         rb"/root/|/github/|/Users/runner/|C:\\\\)")


@dataclass
class InterfaceCheck:
    """The published module against the rebuild's: what it adds (each a difference), the named rules that
    set the rest aside, and what is said without being a difference (strings that are not URLs, hosts or
    commands)."""

    adds: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    unverified: bool = False  # a statically linked library leaves part of the interface unchecked


def _unfortified(name: str) -> str:
    m = re.fullmatch(r"__(\w+?)_chk", name)
    return m.group(1) if m else name


def _canonical(name: str) -> str:
    """The function a symbol calls whatever the glibc it was built against: FORTIFY variants and the old stat
    wrappers become the plain name."""
    base = _unfortified(name)
    return GLIBC_OBJECT_ALIASES.get(base) or GLIBC_ALIASES.get(base, base)


def compare(pub: Interface, reb: Interface, wheel_members: set[str] | frozenset[str] = frozenset(),
            libraries: Mapping[str, Interface] | None = None,
            grafted: Mapping[str, Interface] | None = None, module: str | None = None) -> InterfaceCheck:
    """What `pub` can do that `reb` cannot, after the named rules; `wheel_members` are the published
    wheel's member paths (auditwheel's grafted libraries and RPATH point inside it); `libraries` the
    interfaces of the libraries the rebuild links, read from the build's image: a library the published
    module links statically is then held to what that library itself imports, runs and holds; `grafted` the
    interfaces of the libraries auditwheel grafted into the published wheel, by the name the module needs."""
    out = InterfaceCheck()
    found = _statically_linked(pub, reb)
    static = found is not None
    lib = _library_union([libraries[n] for n in _closure(found[0], libraries)]) if found and libraries and \
        all(n in libraries for n in found[0]) else None
    _compare_imports(pub, reb, out, found, lib, _grafted_exports(pub, reb, grafted or {}))
    _compare_libraries(pub, reb, out, wheel_members, module)
    extra_ctors = pub.constructors - reb.constructors - (lib.constructors if lib else 0)
    if extra_ctors > 0:
        out.adds.append(f"adds {extra_ctors} constructor(s) (.init_array/DT_INIT: "
                        f"{pub.constructors} published, {reb.constructors} rebuilt): code that runs on import")
    extra_dtors = pub.destructors - reb.destructors - (lib.destructors if lib else 0)
    if extra_dtors > 0:
        (out.notes if static and lib is None else out.adds).append(
            f"adds {extra_dtors} destructor(s) (.fini_array/DT_FINI)"
            + (" (the statically linked library's?)" if static and lib is None else ""))
    if pub.execstack and not reb.execstack:
        out.adds.append("asks for an executable stack (PT_GNU_STACK)")
    missing_init = {e for e in reb.exports if e.startswith("PyInit_")} - pub.exports
    extra_init = {e for e in pub.exports if e.startswith("PyInit_")} - reb.exports
    if missing_init or extra_init:
        out.adds.append(f"module init functions differ: published {', '.join(sorted(extra_init)) or '-'}, "
                        f"rebuilt {', '.join(sorted(missing_init)) or '-'}")
    _compare_strings(pub, reb, out, static and lib is None, lib)
    check_rules(out.rules)
    return out


def _closure(names: list[str], libraries: Mapping[str, Interface]) -> list[str]:
    """The libraries and, of those the image has, the libraries they need in turn: a static build bundles the
    whole chain (xmlsec 1.3.14's module holds libxmlsec1, libxml2, libxslt and OpenSSL's libcrypto, where the
    rebuild links libxmlsec1-openssl.so.1, which links libcrypto.so.3)."""
    out: list[str] = []
    todo = list(names)
    while todo:
        n = todo.pop(0)
        if n in out or n not in libraries:
            continue
        out.append(n)
        todo += [m for m in libraries[n].needed if m not in SYSTEM_LIBRARIES and m not in GLIBC_MERGED]
    return out


# every shared object gets a constructor and a destructor hook of its own from the C runtime's startup files (DT_INIT
# and frame_dummy, DT_FINI and __do_global_dtors_aux): linked in statically, a library brings only its others
_CRT_HOOKS = 2


def _library_union(libs: list[Interface]) -> Interface:
    """The libraries a module links statically, taken together: their constructors and destructors are their own,
    beyond the C runtime's hooks every shared object has (the module has its own)."""
    return Interface(frozenset().union(*(x.imports for x in libs)), frozenset().union(*(x.exports for x in libs)),
                     tuple(n for x in libs for n in x.needed), (),
                     sum(max(0, x.constructors - _CRT_HOOKS) for x in libs),
                     sum(max(0, x.destructors - _CRT_HOOKS) for x in libs), any(x.execstack for x in libs),
                     frozenset().union(*(x.strings for x in libs)))


def _unhashed(name: str) -> str:
    """auditwheel's name of a grafted library without the hash it adds: libgeos_c-594b8b8b.so.1.19.0 ->
    libgeos_c.so.1.19.0 (compared with the rebuild's DT_NEEDED by the part before .so)."""
    return re.sub(r"-[0-9a-f]{8}(?=\.so)", "", name)


def _grafted_exports(pub: Interface, reb: Interface, grafted: Mapping[str, Interface]) -> dict[str, tuple[str, bool]]:
    """Symbol -> (the grafted library the published module needs that exports it, whether the rebuild links
    that library too): symbols a module imports from a library the wheel itself carries."""
    reb_stems = {n.split(".so")[0] for n in reb.needed}
    out: dict[str, tuple[str, bool]] = {}
    for name in pub.needed:
        i = grafted.get(name)
        if i is None:
            continue
        linked = _unhashed(name).split(".so")[0] in reb_stems
        for sym in i.exports:
            out.setdefault(sym, (name, linked))
    return out


def _compare_imports(pub: Interface, reb: Interface, out: InterfaceCheck, static: tuple[list[str], int] | None,
                     lib: Interface | None, grafted: Mapping[str, tuple[str, bool]] | None = None) -> None:
    """The published module's imports the rebuild's do not explain: the toolchain's variations set aside by
    their rules, then a statically linked library's or the grafted libraries' imports; what stays is added."""
    added, rest = _toolchain_imports(pub, reb, out)
    if static:
        added += _static_imports([n for n, _ in rest], static, lib, out)
    else:
        rest = _grafted_imports(rest, grafted or {}, out)
        added += [f"imports {n}" + (f"@{v}" if v else "") for n, v in rest]
    out.adds += added


def _toolchain_imports(pub: Interface, reb: Interface, out: InterfaceCheck) -> tuple[list[str], list[tuple[str, str]]]:
    """(imports of another version than the rebuild's, said as added; imports the rebuild lacks that no
    toolchain rule explains), the rules that explained the others added to `out`."""
    reb_names = {_canonical(n) for n, _ in reb.imports}
    pub_names = {_canonical(n) for n, _ in pub.imports}
    added: list[str] = []
    rest: list[tuple[str, str]] = []
    for name, version in sorted(pub.imports):
        base = _canonical(name)
        if _same_function(name, reb_names):
            if name not in {n for n, _ in reb.imports}:
                out.rules.add("glibc-symbol-aliases" if _canonical(name) != name and (
                    name in GLIBC_OBJECT_ALIASES or _canonical(name) in GLIBC_OBJECT_ALIASES.values())
                    else "glibc-legacy-aliases" if _unfortified(name) in GLIBC_ALIASES else "fortify-source")
            theirs = {v for n, v in reb.imports if _canonical(n) == base}
            if version and theirs and version not in theirs:
                if _glibc_versions(version, theirs):
                    out.rules.add("glibc-symbol-versions")
                else:
                    added.append(f"imports {name}@{version}")
            continue
        rule = _toolchain_rule(name, base, version, reb_names, pub_names, pub)
        if rule:
            out.rules.add(rule)
        else:
            rest.append((name, version))
    return added, rest


def _same_function(name: str, reb_names: set[str]) -> bool:
    """`name` is a function or object the rebuild imports under another of its names: its FORTIFY variant
    (fortify-source), an old glibc's stat wrapper (glibc-legacy-aliases), another alias (glibc-symbol-aliases)."""
    return _canonical(name) in reb_names


def _glibc_versions(version: str, theirs: set[str]) -> bool:
    """glibc-symbol-versions: the rebuild imports the same symbol at other GLIBC_ versions only (an older glibc
    links the older version); a version of another library (GLIBCXX_, a library's own) is not glibc's."""
    return version.startswith("GLIBC_") and all(v.startswith("GLIBC_") for v in theirs if v)


def _toolchain_rule(name: str, base: str, version: str, reb_names: set[str], pub_names: set[str],
                    pub: Interface | None = None) -> str | None:
    """The rule under which a compiler, C library or code generator imports `name` on one side only, if any."""
    if base in COMPILER_RUNTIME or name in COMPILER_RUNTIME or name.startswith("_ITM_"):
        return "compiler-runtime"  # _ITM_*: GCC's transactional-memory hooks, weak, from crtstuff and libstdc++
    if base in MATH_FUNCTIONS and pub is not None and "libm.so.6" in pub.needed:
        return "math-library"  # numpy 1.26.4's _multiarray_tests: acos, atanh... from libm, not npymath
    if name == "gettext" and pub is not None and "libstdc++.so.6" in pub.needed and any(
            v.startswith(("GLIBCXX_", "CXXABI_")) for _, v in pub.imports):
        return "cxx-runtime"  # the part of libstdc++ gcc-toolset links in statically translates its messages
    if base in COMPILER_BUILTINS and not CAPABILITIES.match(base):
        return "compiler-builtins"
    if name == "syscall" and "getrandom" in reb_names and "getrandom" not in pub_names:
        # glibc < 2.25 has no getrandom(): code built against it calls syscall(SYS_getrandom) instead
        return "getrandom-fallback"
    if name.startswith(("Py", "_Py")) and not CAPABILITIES.match(name):
        return "python-c-api"  # Cython and other generators call other API functions by version
    if (version.startswith(("GLIBCXX_", "CXXABI_")) or (not version and name.startswith("_Z"))) \
            and not CAPABILITIES.match(name) and not _cxx_file_operation(name, reb_names):
        return "cxx-runtime"  # libstdc++'s inline and out-of-line functions vary by compiler version
    return None


def _cxx_file_operation(name: str, reb_names: set[str]) -> bool:
    """A std::filesystem operation that removes, renames, copies, links or changes the permissions of files
    (unlink, rename, chmod in C++) that the rebuild does not call under either ABI's name: never the compiler's."""
    m = CXX_FILE_OPERATIONS.match(name)
    return m is not None and not any((r := CXX_FILE_OPERATIONS.match(n)) and r.group(1) == m.group(1) for n in reb_names)


def _grafted_imports(rest: list[tuple[str, str]], grafted: Mapping[str, tuple[str, bool]],
                     out: InterfaceCheck) -> list[tuple[str, str]]:
    """Imports a library grafted into the wheel exports: shapely 2.1.2, built against a newer GEOS than
    Debian's, calls functions the image's lacks (grafted-library-version); pillow 12.1.0, built with libtiff,
    openjpeg and xcb, whose -dev packages the image lacks (optional-library): the module then holds code the
    rebuild compiled out, and its other added imports, unless they give a capability, are said, not judged."""
    optional: dict[str, int] = {}
    left = []
    for name, version in rest:
        if name not in grafted or CAPABILITIES.match(_canonical(name)):  # a capability is never the library's
            left.append((name, version))
            continue
        library, linked = grafted[name]
        out.rules.add("grafted-library-version" if linked else "optional-library")
        if not linked:
            optional[library] = optional.get(library, 0) + 1
    if not optional:
        return left
    out.notes.append("built with libraries the image lacks (grafted into the wheel): "
                     + ", ".join(f"{lib_} ({n} import(s))" for lib_, n in sorted(optional.items())))
    plain = [n for n, _ in left if not CAPABILITIES.match(_canonical(n))]
    if plain:
        out.notes.append(f"{len(plain)} other import(s) from the code those libraries switch on: {', '.join(plain[:8])}")
        out.unverified = True
    return [(n, v) for n, v in left if CAPABILITIES.match(_canonical(n))]


def _static_imports(extra: list[str], static: tuple[list[str], int], lib: Interface | None,
                    out: InterfaceCheck) -> list[str]:
    """The imports left when the module links `static`'s libraries in: held to what those libraries (read from
    the build's image) import. Returns the added ones (a capability neither side explains)."""
    libs, defined = static
    out.rules.add("static-library")
    if lib is None:
        out.notes.append(f"links {', '.join(libs)} statically (defines the {defined} symbol(s) the rebuild imports "
                         "from it); its other imports are not checked against that library"
                         + (f": {', '.join(extra[:8])}" if extra else ""))
        out.unverified = True
        return []
    # the image's copy of the library is seldom the version the publisher linked in (lxml 6.1.1 bundles a
    # newer libxml2 than Debian's; cffi its own libffi): an import neither explains is a difference when it
    # gives a capability (system, socket, dlopen...), otherwise it leaves the member partly checked
    theirs = {_canonical(n) for n, _ in lib.imports}
    unexplained = [n for n in extra if _canonical(n) not in theirs]
    risky = [n for n in unexplained if CAPABILITIES.match(_canonical(n))]
    rest = [n for n in unexplained if n not in risky]
    out.notes.append(f"links {', '.join(libs)} statically: {len(extra) - len(unexplained)} other "
                     "import(s) are that library's own (read from the build's image)"
                     + (f"; {len(rest)} are not (another version of it?): {', '.join(rest[:8])}" if rest else ""))
    out.unverified = bool(rest)
    return [f"imports {n}, which neither the rebuild nor {', '.join(libs)} imports" for n in risky]


def _statically_linked(pub: Interface, reb: Interface) -> tuple[list[str], int] | None:
    """The rebuild links a library the published module does not need, and the published module defines the
    symbols the rebuild imports (unversioned, from that library): pyyaml's published module links libyaml
    statically where a Debian rebuild links libyaml-0.so.2."""
    libs = [n for n in reb.needed if n not in pub.needed and n not in SYSTEM_LIBRARIES and n not in GLIBC_MERGED]
    if not libs:
        return None
    # what the rebuild imports from other libraries than glibc and Python
    foreign = {n for n, v in reb.imports if not v.startswith("GLIBC") and not n.startswith(("Py", "_Py"))} \
        - COMPILER_RUNTIME - COMPILER_BUILTINS
    defined = foreign & pub.exports
    if not defined or len(defined) < len(foreign) // 2:
        return None
    return libs, len(defined)


def _inside_wheel(entry: str, module: str | None, wheel_members) -> bool:
    """An $ORIGIN-relative search path that stays inside the wheel: from the module's own directory
    (numpy 1.26.4's numpy/core/x.so searches $ORIGIN/../../numpy.libs), to a directory the wheel holds
    members in. Without the module's path, one level up at most (auditwheel's usual NAME.libs)."""
    rest = entry[len("$ORIGIN"):].strip("/")
    if module is None:
        return ".." not in entry.replace("$ORIGIN/..", "", 1).split("/")
    prefix = inside(module.split("/")[:-1], rest)
    if prefix is None:
        return False
    return not prefix or any(m.startswith(prefix + "/") for m in wheel_members)


def _compare_libraries(pub: Interface, reb: Interface, out: InterfaceCheck, wheel_members,
                       module: str | None = None) -> None:
    grafted = {m.rsplit("/", 1)[-1] for m in wheel_members if ".libs/" in m or ".dylibs/" in m}
    for lib in pub.needed:
        if lib in reb.needed:
            continue
        if lib in GLIBC_MERGED:
            out.rules.add("glibc-merged-libraries")
        elif lib in SYSTEM_LIBRARIES:
            out.rules.add("system-libraries")
        elif lib in grafted:
            out.rules.add("grafted-library-needed")
        else:
            out.adds.append(f"needs {lib}")
    for entry in pub.runpath:
        # an empty RPATH is no search path; an empty entry beside others ("$ORIGIN/../x.libs:") is the working directory
        if entry in reb.runpath or not entry and len(pub.runpath) == 1:
            continue
        # $ORIGINx is no $ORIGIN to the loader: a directory of that name where the process runs
        if (entry == "$ORIGIN" or entry.startswith("$ORIGIN/")) and _inside_wheel(entry, module, wheel_members):
            out.rules.add("auditwheel-rpath")
        else:
            where = entry or "the working directory (an empty entry)"
            out.adds.append(f"searches libraries in {where} (RPATH/RUNPATH)")


def _compare_strings(pub: Interface, reb: Interface, out: InterfaceCheck, static: bool,
                     lib: Interface | None = None) -> None:
    known = reb.strings | (lib.strings if lib else frozenset())
    added = [s for s in sorted(pub.strings - known) if not _BUILD_PATH.match(s) and not _joined(s, known)]
    flagged = [s for s in added if _URL.search(s) or _HOST.match(s.strip()) or _COMMAND.search(s)]
    dotted = [s for s in added if _DOTTED.match(s.strip())]
    if dotted and _NETWORK & {_canonical(n) for n, _ in pub.imports}:
        # in a module that can open a connection a dotted number may be the address it connects to (1.2.3.4
        # changed to 6.6.6.6): a difference, whatever else the module imports
        flagged += dotted
    elif dotted:
        out.rules.add("dotted-number-string")
    compilers = [s for s in flagged if _compiler_url(s)]
    if compilers:  # snowflake-connector-python 4.2.0: libstdc++'s "Please submit full bug report at gcc.gnu.org"
        out.rules.add("compiler-identification")
        flagged = [s for s in flagged if s not in compilers]
    if lib is not None:  # another version of a statically linked library names more of its own namespaces
        hosts = {h for x in lib.strings | reb.strings for h in _url_hosts(x)} - _OPEN_HOSTS
        own = [s for s in flagged if _library_url(s, hosts)]
        if own:
            out.rules.add("library-url-hosts")
            out.notes.append(f"{len(own)} URL string(s) on hosts the linked library's own strings name: "
                             + ", ".join(x[:60].decode("ascii", "replace") for x in own[:3]))
            flagged = [s for s in flagged if s not in own]
    if static:  # the statically linked library's strings are in the published module only: said, not judged
        out.notes.append(f"{len(added)} string(s) only in the published module ({len(flagged)} URL, host or command "
                         "like), not judged: it links a library statically")
        return
    for s in flagged[:5]:
        out.adds.append(f"adds the string {s[:120].decode('ascii', 'replace')!r} (a URL, host or command)")
    if len(added) > len(flagged):
        out.notes.append(f"{len(added) - len(flagged)} other string(s) only in the published module")


def _compiler_url(s: bytes) -> bool:
    """compiler-identification: a string whose URLs are all on hosts where compilers ask for bug reports, no command."""
    return not _COMMAND.search(s) and bool(_url_hosts(s)) and _url_hosts(s) <= _COMPILER_HOSTS


def _library_url(s: bytes, hosts: set[str]) -> bool:
    """library-url-hosts: a string whose URLs are all on `hosts` (the linked library's and the rebuild's, none anyone
    can publish on), no command."""
    return not _COMMAND.search(s) and bool(_url_hosts(s)) and _url_hosts(s) <= hosts


def _url_hosts(s: bytes) -> set[str]:
    """The hosts a string's URLs name: what follows the user information, up to its last @
    (https://gcc.gnu.org@evil.example/ is on evil.example)."""
    return {m.group(1).decode("ascii", "replace").lower()
            for m in re.finditer(rb"(?i)\b(?:https?|ftp|wss?)://(?:[^\s/?#]*@)?([\w.-]+)", s)}


def _joined(s: bytes, known: frozenset[bytes]) -> bool:
    """A string is a run of printable bytes: a printable byte of the data laid out beside it joins its start or
    end in one build and not in another (lxml 5.3.2: '@{http://exslt.org/...}date: ...' where the image's
    libexslt holds '{http://exslt.org/...}date: ...'). Up to 3 such bytes, the rest equal to a known string."""
    return any(s[i:] in known or s[:-i] in known for i in (1, 2, 3) if len(s) - i >= 6)


def check_member(pub_data: bytes, reb_data: bytes, wheel_members,
                 libraries: Mapping[str, bytes] | None = None,
                 grafted: Mapping[str, bytes] | None = None, module: str | None = None) -> InterfaceCheck | None:
    """The interface check of one compiled member present on both sides, or None when either side is no
    ELF module this parser reads (other platforms' formats, grafted non-ELF libraries). `libraries`: the
    bytes of the libraries the rebuild links (by DT_NEEDED name), read from the build's image."""
    a, b = read_interface(pub_data), read_interface(reb_data)
    if a is None or b is None:
        return None
    libs = {n: i for n, data in (libraries or {}).items() if (i := read_interface(data)) is not None}
    grafts = {n: i for n, data in (grafted or {}).items() if n in a.needed and (i := read_interface(data)) is not None}
    return compare(a, b, set(wheel_members), libs, grafts, module)


