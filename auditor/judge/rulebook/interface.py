"""Normalizations of a compiled module's interface (judge/interface.py): what compilers and C libraries
legitimately vary between the publisher's build and the rebuild here, each named in the verdict."""

from __future__ import annotations

from auditor.judge.rule import N, Rule

INTERFACE: tuple[Rule, ...] = (
    # legitimately vary between the publisher's build (manylinux: an old glibc, GCC 14) and the rebuild here
    Rule("glibc-merged-libraries", N, "the published module needs libpthread.so.0, libdl.so.2, librt.so.1, "
         "libutil.so.1 or libanl.so.1, which glibc 2.34 merged into libc.so.6 (the manylinux image's older glibc)",
         "hiredis 3.4.0, markupsafe 3.0.3",
         never=("a library of another name, one of these names loaded by path, what the merged library gives (dlopen "
                "from libdl.so.2 is still an import compared)")),
    Rule("glibc-symbol-versions", N, "the same glibc symbol imported at another GLIBC_ version (an older glibc "
         "links the older version)", "charset-normalizer 3.4.7 (mypyc)",
         never=("a name the rebuild does not import, the same name at a version that is not glibc's (another "
                "library's, GLIBCXX_) or at a glibc version where the rebuild's is another library's")),
    Rule("glibc-legacy-aliases", N, "the stat family imported through the wrappers glibc exported before 2.33 "
         "(__fxstat, __xstat, __lxstat, their 64-bit names) where the rebuild imports fstat, stat, lstat",
         "pynacl 1.6.2 (manylinux2014's glibc 2.17)",
         never="a stat wrapper whose function the rebuild does not call, any other import"),
    Rule("glibc-symbol-aliases", N, "one glibc data object imported under another of its names (environ, _environ "
         "and __environ; timezone/__timezone, tzname, daylight, program_invocation_name...): an older toolchain links "
         "another alias of the same object", "uvloop 0.21.0 (manylinux2014: _environ)",
         never=("an alias whose object the rebuild does not import (the published module's _environ where the rebuild"
                " reads no environment), any other import")),
    Rule("getrandom-fallback", N, "the published module calls syscall() where the rebuild calls getrandom(), "
         "which glibc has had only since 2.25: code built against an older glibc reaches the same system call "
         "through syscall(SYS_getrandom) (libsodium). Residual risk: syscall() can make any system call; it is "
         "set aside only when the rebuild imports getrandom and the published module does not",
         "pynacl 1.6.2 (bundled libsodium, manylinux2014)",
         never=("syscall where the rebuild calls no getrandom or where the published module imports getrandom "
                "itself, any other import")),
    Rule("fortify-source", N, "a libc function imported as its FORTIFY_SOURCE variant __NAME_chk on one side "
         "and NAME on the other (the compiler's fortify level)", "CPython extension builds with -D_FORTIFY_SOURCE",
         never=("the __NAME_chk variant of a function the rebuild does not call (__recv_chk, __read_chk), any other "
                "import")),
    Rule("compiler-runtime", N, "imports a compiler emits or not by version and defaults (stack protector, "
         "transactional-memory and profiling hooks, __cxa_finalize, ctype and errno accessors, assert and abort "
         "helpers): they give a module no new capability", "lxml 6.1.1",
         never=("an import outside its list of compiler hooks and helpers (system, connect, dlopen, glibc's private "
                "__libc_dlopen_mode), the constructor that calls them")),
    Rule("compiler-builtins", N, "libc functions a compiler inlines or calls by version and optimization level "
         "(memcpy, strlen, math functions, printf family, malloc family): no new capability",
         "charset-normalizer 3.4.7 (mypyc)",
         never=("a function that runs, loads or opens something (system, popen, execvp, dlopen, fopen, socket), any "
                "import outside its list")),
    Rule("system-libraries", N, "the published module names libc.so.6, libm.so.6, libgcc_s.so.1 or "
         "libstdc++.so.6 as needed where the rebuild does not: what it imports from them is still compared",
         "charset-normalizer 3.4.7 (cd, md)",
         never=("a library of another name, one of these names loaded by path, an import from them the rebuild does "
                "not make")),
    Rule("python-c-api", N, "Python C API functions imported on one side only (Cython and mypyc call other API "
         "functions by version); those that run code, import modules or evaluate (PyRun_*, PyImport_*, "
         "PyEval_*, PySys_*, Py_CompileString*) and those that reach any Python object (PyObject_Call*, "
         "PyObject_Vectorcall*, PyObject_GetAttr*, PyObject_LookupAttr*, PyCFunction_Call*) are never "
         "set aside: added, they are a difference", "lxml 6.1.1 (PyCallable_Check); pillow 12.1.0 (PyDict_GetItemWithError "
         "from the code its optional libraries switch on: a lookup runs nothing)",
         never=("the API calls that reach arbitrary Python: PyObject_Call*, PyObject_Vectorcall*, PyObject_GetAttr*, "
                "PyRun_*, PyImport_*, PyEval_*, PySys_*, Py_CompileString*")),
    Rule("cxx-runtime", N, "libstdc++ functions (GLIBCXX_/CXXABI_ versions, mangled names) a C++ compiler "
         "instantiates or calls by version", "greenlet 3.5.2",
         never=("a capability at a libstdc++ version (connect@GLIBCXX_3.4), a std::filesystem operation that removes, "
                "renames, copies, links or changes the permissions of files the rebuild does not call, gettext in a "
                "module that does not link libstdc++, any other import")),
    Rule("auditwheel-rpath", N, "an RPATH/RUNPATH entry below $ORIGIN that auditwheel sets to find the libraries "
         "it grafts into the wheel", "auditwheel repair",
         never=("an entry that climbs out of the wheel or into a directory the wheel holds nothing in, one not below "
                "$ORIGIN/ ($ORIGINx, an absolute or relative path), an empty entry beside others (the working "
                "directory)")),
    Rule("grafted-library-needed", N, "a needed library that the wheel itself holds in its .libs/ directory "
         "(grafted by auditwheel, under its hashed name)", "auditwheel repair",
         never=("a library the wheel does not hold in a .libs/ directory (absent, elsewhere in the wheel, another "
                "name), a library named by path")),
    Rule("static-library", N, "the rebuild links a library the published module does not need, and the published "
         "module defines the symbols the rebuild imports from it: it links that library statically. Its extra "
         "imports, constructors, destructors and strings are held to that library's as read from the build's image: "
         "what the library explains is accepted (the member is interface-verified); an unexplained import that "
         "gives a capability (system, socket, dlopen...) is a difference; any other leaves the member partly checked "
         "(another version of the library), not counted as interface-verified",
         "pyyaml 6.0.3 (libyaml: verified); cffi 2.0.0 (libffi), lxml 6.1.1 (libxml2, libxslt: other versions)",
         never=("a capability neither the rebuild nor the image's copy of the library imports, a constructor or "
                "destructor beyond the library's own (the C runtime's hooks of every shared object are not its own), "
                "a needed library, an RPATH, an executable stack, a URL, host or command the library does not hold")),
    Rule("library-url-hosts", N, "URL strings of a module that links a library statically, on hosts the image's "
         "copy of that library (or the rebuild) already names (another version names more of its own namespaces: "
         "W3C's xmldsig URIs). Never for hosts anyone can publish on (github.com, pastebin.com, cloud storage...), "
         "never for commands", "xmlsec 1.3.14 (libxmlsec1 1.3 in the wheel, 1.2 in the image)",
         never=("a host anyone can publish on, a host neither names (the one after user information: www.w3.org@evil"
                ".example is on evil.example; a look-alike), a command, a string naming another host too")),
    Rule("math-library", N, "C math library functions (math.h, complex.h, their float and long double forms) "
         "imported from libm on one side only: a compiler or build option calls libm where the other build inlines "
         "them or uses the project's own implementation", "numpy 1.26.4 (_multiarray_tests: acos, atanh... against "
         "npymath)",
         never="a math function in a module that does not need libm.so.6, any import outside the C math library's"),
    Rule("dotted-number-string", N, "a string of four dotted numbers only in the published module (3.1.4.1): a "
         "version as much as an IPv4 address, so a host only in a host or URL context (with a port, or in a URL, "
         "both still differences); said, never a difference alone, and never set aside in a module that imports "
         "what uses an address (socket, connect, bind, sendto, getaddrinfo, gethostbyname, inet_addr, inet_pton...): "
         "there an added dotted number (1.2.3.4 changed to 6.6.6.6) is a difference", "pillow 12.3.0 (its grafted library's 3.1.4.1)",
         never=("a dotted number with a port or in a URL, any dotted number in a module that imports socket, connect,"
                " getaddrinfo, inet_pton or another call that uses an address")),
    Rule("compiler-identification", N, "URL strings of where a compiler asks for bug reports (gcc.gnu.org, "
         "bugzilla.redhat.com, bugs.llvm.org), which its runtime's messages hold: the toolchain's identification, "
         "never a command", "snowflake-connector-python 4.2.0 (gcc-toolset's libstdc++ messages)",
         never=("another host, whatever precedes it (gcc.gnu.org@evil.example is on evil.example; gcc.gnu.org.evil.xyz"
                "), a command, a string naming another host too")),
    Rule("grafted-library-version", N, "imports the published module takes from a library grafted into the wheel "
         "that the rebuild links too, each exported by the wheel's copy: the publisher built against a newer "
         "version of that library than the image's (functions it only calls when they exist)",
         "shapely 2.1.2 (GEOS 3.13 grafted, Debian's 3.11 in the image)",
         never=("an import the grafted copy does not export, a capability even where the grafted copy exports that "
                "name (system, connect, __recv_chk), an import from a library the wheel does not graft")),
    Rule("optional-library", N, "imports from a library grafted into the wheel that the rebuild does not link (the "
         "image lacks its -dev package, so the build compiled that feature out), each exported by the wheel's copy; "
         "the module's other added imports come from the code that feature switches on: said, not verified (the "
         "member counts as partly checked), except one that gives a capability (system, socket, dlopen...), a "
         "difference", "pillow 12.1.0 (libtiff, openjpeg, xcb)",
         never=("a capability among the other added imports (system, connect, dlopen, __recv_chk, the C API calls "
                "that reach Python) or one the grafted copy exports under that name, a constructor, a needed library, "
                "an RPATH, a URL or command string, an executable stack")),
    # ---- tool steps
)
