"""Every rule the judge can emit, in one registry: name, kind, class, the reason users are shown, the real
release that taught it, and the pattern of what it writes into a verdict.

Kinds:
- normalization: a difference of form set aside (its name is listed in the verdict's `normalizations`);
- tool-step: output of a known build or repair tool accepted in the exact shape it writes (listed in
  `tool_steps`, with the tool's version where the wheel says it);
- cause: a probable cause named on a difference or a member not verified (`cause`), said, never hiding it.

docs/rules.md is generated from this list (`python -m auditor.judge.rulesdoc > docs/rules.md`; a test fails
when it is stale), and every comparison's emitted names are checked against it (`check_emitted`), in every
run: an unregistered name is an error that fails the wheel's judgement. Under the test suite the rules each
test run used are logged, so that a rule no test exercises is found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.records import Comparison


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # normalization | tool-step | cause
    reason: str
    taught_by: str  # the real release (or format fact) that taught it
    emits: str = ""  # regex of the text written into a verdict (default: the name itself)
    cls: str | None = None  # the class of what it names, for causes
    machine: bool = False  # normalizations: the publisher's machine, not its tool versions
    check: bool = False  # it accounts for one member in a profile: judge/checks.py's function of its name (- as _)
    # what it must never excuse, whatever the case it was written for (an added capability, constructor, .pth,
    # module, script, entry point, Requires-Dist...): the attacker twins in the tests hold it to that
    never: str = ""
    waives: bool = False  # a cause that lists a member as not verified instead of a difference (it excuses too)

    def matches(self, text: str) -> bool:
        return re.fullmatch(self.emits or re.escape(self.name), text, re.S) is not None

    @property
    def excuses(self) -> bool:
        """It accepts, waives or normalizes something: it has attacker twins in the tests (tests/conftest.py fails a
        unit run where one has none) and says what it never excuses."""
        return self.kind in ("normalization", "tool-step", "source") or self.waives


N, T, C, S = "normalization", "tool-step", "cause", "source"

RULES: tuple[Rule, ...] = (
    # ---- normalizations
    Rule("zip-mtime", N, "entry times differ (the builder's clock or SOURCE_DATE_EPOCH); content compared",
         "six 1.17.0 (setuptools without SOURCE_DATE_EPOCH)", machine=True,
         never="other decompressed content, an added or removed member, an exec bit, an added member dated apart"),
    Rule("zip-order", N, "same members in another order", "zip format: order carries no meaning",
         never="a second entry of one name, an added or removed member, other decompressed content"),
    Rule("zip-permissions-umask", N, "permission bits other than the exec bit differ (the builder's umask)",
         "setuptools writes raw modes", machine=True,
         never=("an exec bit (the owner's, the group's or anyone's; code where it lets a file run), a link or special "
                "file, other content")),
    Rule("zip-compression", N, "compressed bytes, method, sizes, creator version or flag bits differ (another "
         "zlib); decompressed content compared", "zlib-ng on the publisher's machine", machine=True,
         never="other decompressed content (bzip2, lzma or stored alike), an added or removed member"),
    Rule("zip-directory-entries", N, "directory entries present on one side only", "uv_build writes them",
         never=("a file below such a directory (an added package), a file whose mode says directory and whose name "
                "is a file's (zz.pth)")),
    Rule("crlf-line-endings", N, "(other platforms only) a text member differs only in CRLF vs LF (a Windows "
         "checkout)", "Windows wheels built from a CRLF checkout", machine=True, check=True,
         never="any other byte: changed code written with CRLF, a statement behind a lone CR (a line end to Python)"),
    Rule("metadata-format", N, "METADATA, WHEEL, entry_points.txt or DESCRIPTION.rst (wheel < 0.31) say the same "
         "things in other spellings (requirement and marker spelling, field order, Platform: UNKNOWN, trailing "
         "blank lines, description layout; Metadata-Version, License-File and Dynamic lines, which the toolchain "
         "writes)", "vine 5.1.0, amqp 5.3.1 (older setuptools' spelling)",
         never=("another requirement, marker, Version or Requires-Python; an entry point (a `;x = ...` line or a "
                "[DEFAULT] group too: importlib.metadata reads them); WHEEL's Root-Is-Purelib")),
    Rule("nspkg-pth-python-version", N, "a namespace package's NAME-VERSION-pyX.Y-nspkg.pth with the same bytes "
         "under the name of another Python: setuptools names it after the Python that builds the wheel",
         "zope.interface 7.2 (cp310 wheels against a 3.11 rebuild)",
         never=("other bytes in the .pth (CRLF aside, on another platform's wheel), a .pth of another stem, a second "
                ".pth paired with the same rebuilt one")),
    Rule("entry-point-python-version", N, "entry points the same but for names ending with the X.Y of the Python "
         "that built each wheel (a wheel for a Python no image has, compared with a rebuild for another): the "
         "project's setup.py names a script after sys.version_info; every object reference still compared",
         "coverage 7.14.0 (coverage-3.12 published, coverage-3.14 rebuilt)",
         never=("another object reference, an added or removed entry point, two entries whose names collide once the "
                "X.Y is set aside")),
    Rule("license-file-location", N, "a license file with the same bytes at NAME.dist-info/F in one wheel and "
         "under NAME.dist-info/licenses/ in the other (PEP 639 moved them; older setuptools did not)",
         "charset-normalizer 3.4.7's cp38 wheel",
         never=("a file at the dist-info's root that is no license (entry_points.txt, direct_url.json, METADATA), "
                "whatever licenses/ holds; other bytes")),
    Rule("dist-info-name", N, "the dist-info (and .data) directory spells the project name another way "
         "(PyYAML-6.0.3.dist-info by an older setuptools, pyyaml-6.0.3.dist-info by a newer one)", "pyyaml 6.0.3",
         never=("another project's name, what the renamed directories hold (entry points, Requires-Dist, scripts), a "
                "second dist-info")),
    Rule("build-path", N, "a checksum file the build writes of its own sources (sha256sum lines `HASH  PATH`, "
         "aiohttp's .hash/*.hash) names each file by the builder's absolute checkout path: accepted when both sides "
         "name the same files (or the rebuild's lines name no absolute path) and every line's hash is that file's "
         "sha256 in its own wheel", "aiohttp 3.13.3; aiohttp 3.12.14 (the rebuild's lines name no path)", check=True,
         never=("a checksum file that runs (a script, an executable, a .sh, a .pth: its `path` would be a command), "
                "a hash that is not its file's, a line for another or an added file, the stamped sources")),
    Rule("sbom-same-components", N, "a software bill of materials under NAME.dist-info/sboms/ on both sides, CycloneDX "
         "or SPDX, listing the same components: its serial number and creation time are the build's",
         "maturin's sboms/NAME.cyclonedx.json (a timestamp and a random UUID per build)",
         never="another component, a file outside NAME.dist-info/sboms/*.json, code beside it"),
    Rule("record-rows", N, "RECORD differs only where members differ under the rules above, or in row order: "
         "every published row matches its member's sha256 and size, and no member is missing from it",
         "every wheel whose other members were normalized",
         never=("a RECORD untrue to its wheel (a member unlisted, a row whose hash is not its member's, a row twice), "
                "the rows of members that differ")),
    Rule("record-path-separators", N, "RECORD names members with Windows path separators (pkg\\mod.py): read as "
         "pkg/mod.py; every row's hash and size still checked", "comrak 0.0.12's Windows wheels (maturin)",
         never="a row untrue to its member, a member listed twice, a member whose own name holds a backslash"),
    Rule("script-shebang", N, "(sources check) a NAME.data/scripts/ file is the sdist's script but for its first "
         "line: the build wrote `#!python` for the sdist's `#!...python` line (installers put the interpreter "
         "there)", "setuptools' build_scripts",
         never=("a changed body, interpreter options on the #!python line, a script whose sdist line names no python, "
                "a file the build configuration does not name as a script")),
    # ---- normalizations of a compiled module's interface (judge/interface.py): what compilers and C libraries
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
         "PyObject_Vectorcall*, PyObject_GetAttr*, PyObject_LookupAttr*, PyDict_GetItem*, PyCFunction_Call*) are never "
         "set aside: added, they are a difference", "lxml 6.1.1 (PyCallable_Check)",
         never=("the API calls that reach arbitrary Python: PyObject_Call*, PyObject_Vectorcall*, PyObject_GetAttr*, "
                "PyDict_GetItem*, PyRun_*, PyImport_*, PyEval_*, PySys_*, Py_CompileString*")),
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
    Rule("auditwheel-sbom", T, "auditwheel >= 6.2 writes NAME.dist-info/sboms/auditwheel.cdx.json (and its RECORD "
         "row) when it repairs a manylinux/musllinux wheel", "google-crc32c 1.8.0, markupsafe 3.0.3",
         emits=r"auditwheel \S+ SBOM \(.+\)", check=True,
         never=("anything but a CycloneDX document at NAME.dist-info/sboms/auditwheel.cdx.json: a .pth, a module, the "
                "same name at another path, code beside it")),
    Rule("delocate-generator", T, "delocate (macOS) appends `Generator: delocate X` to WHEEL",
         "markupsafe 3.0.3's macOS wheels", emits=r"delocate \S+ \(WHEEL Generator line\)",
         never="any other WHEEL line (Root-Is-Purelib beside it or in its place), anything outside WHEEL"),
    Rule("grafted-library", T, "auditwheel (NAME.libs/), delvewheel (NAME.libs/) and delocate (.dylibs/) copy the "
         "shared libraries an extension links to into the wheel: compiled, not reproduced here", "cffi 2.0.0",
         emits=r"(delocate|auditwheel or delvewheel) grafted libraries", check=True,
         never=("a member outside a NAME.libs/ or .dylibs/ directory (pkg_libs/, NAME.libsx/, a top-level .pth), a "
                "graft in a wheel judged pure")),
    Rule("maturin-module-shim", T, "maturin (pure-Rust layout) writes MODULE/__init__.py re-exporting the "
         "extension, MODULE/__init__.pyi from the sdist's MODULE.pyi, and an empty MODULE/py.typed", "nh3 0.3.6",
         emits=r"maturin \S+ module shim( \(CRLF line endings\))?", check=True,
         never=("another line in MODULE/__init__.py, a shim of no extension the wheel holds or below a package, a stub "
                "not the sdist's, a py.typed with content, a wheel maturin did not make, code beside")),
    Rule("bundled-headers", T, "C headers of the native libraries a platform wheel bundles (lxml's static build "
         "ships libxml2/libxslt/zlib headers under lxml/includes/, with empty __init__.py files): built from "
         "sources the sdist does not hold, listed as not verified", "lxml 5.3.2", cls="code", check=True,
         never=("an __init__.py with content, a .py or .pth among the headers (or an empty __init__.py beside code), "
                "headers in a pure wheel")),
    Rule("scm-commit-id", T, "setuptools-scm's generated version file names the commit of the publisher's git "
         "checkout (__commit_id__ = 'g...'); a build from the sdist has no checkout and writes None",
         "attrs-style hatch-vcs/setuptools-scm releases", emits=r"setuptools-scm version file .+: the commit id of "
         r"the publisher's checkout", check=True,
         never="any line but the commit id's, a commit id that is no hex string (an expression, a statement after it)"),
    Rule("delvewheel-patch", T, "delvewheel (Windows) inserts one `# start delvewheel patch` ... `# end delvewheel "
         "patch` block into a package's .py (adds the grafted NAME.libs/ to the DLL search path or preloads its "
         "DLLs): accepted only when the block uses nothing but those calls and names a .libs directory the wheel "
         "grafts, and the file without it equals the rebuild's", "shapely 2.1.2 win_amd64",
         emits=r"delvewheel \S+ patch of .+ \(adds the grafted .+ to the DLL search path\)", check=True,
         never=("a call or import the patch does not make (os.system, subprocess), a store into a module (sys.path[:0] "
                "= ...), a .libs the wheel does not graft, two blocks, any change outside the block")),
    Rule("delvewheel-record", T, "delvewheel writes NAME.dist-info/DELVEWHEEL (a Version line, then its Arguments "
         "line) in a wheel that grafts a .libs directory", "shapely 2.1.2 win_amd64",
         emits=r"delvewheel \S+ record \(.+\)", check=True,
         never="a line but Version and Arguments, a record in a wheel that grafts nothing, the name at another path"),
    Rule("sdist-version-file", T, "a .py a VCS version plugin writes (setuptools_scm, hatch-vcs): the published "
         "copy is the sdist's own file byte for byte and the rebuild's plugin, another version of it, wrote another "
         "template stating the same version; a different version or a copy that is not the sdist's stays a "
         "difference", "tabulate 0.9.0", emits=r"version file .+: the sdist's own copy, stating the rebuild's "
         r"version \(.+\) in another plugin's template", check=True,
         never=("a copy that can run anything (code beside the version, even the sdist's own bytes), another version, "
                "a copy that is not the sdist's")),
    Rule("version-file", T, "(sources check) a .py whose only statements assign the release's version string, "
         "where the sdist holds a templated one: the build writes it", "grpcio 1.76.0 (grpc/_grpcio_metadata.py)",
         emits=r"version file .+ written by the build \(the sdist holds a templated one\)", check=True,
         never=("a version file that also imports, calls or states another version, a module of the sdist that is no "
                "version template (code, a flag) rewritten into assignments of the version")),
    Rule("generated-version-module", T, "(sources check) a .py the sdist does not hold that can run nothing when "
         "imported (only names bound to constants, one of them the release's version) and whose file name says "
         "version: the version module the build generates (setuptools-scm's write_to, scikit-build-core's generate, "
         "meson's version script)",
         "scipy 1.17.0 (scipy/version.py)", emits=r"version module .+ generated by the build \(constants only\)",
         check=True, never=("an import, a call, a TYPE_CHECKING block that runs (TYPE_CHECKING bound again), another "
                            "version, a module of constants that is no version module (settings a package imports "
                            "when present)")),
    Rule("meson-install-subdir", T, "(sources check) a file a meson-python build installs from a directory a "
         "meson.build names in install_subdir(): the same bytes under that directory in the sdist",
         "scipy 1.17.0 (scipy/_lib/array_api_compat/array_api_compat/ installed as scipy/_lib/array_api_compat/)",
         emits=r"meson install_subdir file .+ \(the sdist's .+\)", check=True,
         never=("other bytes than the sdist's file under the named directory, a file that directory does not hold, "
                "a .pth")),
    Rule("meson-subproject-file", T, "(sources check) a file a meson-python build installs from one of its "
         "subprojects: the same bytes at the same package path under subprojects/NAME/",
         "scipy 1.17.0 (array_api_compat)", emits=r"meson subproject file .+ \(the sdist's subprojects/.+\)",
         check=True, never="other bytes than the subproject's file, a file the subproject does not hold, a .pth"),
    Rule("bundled-library-license", T, "a license file in dist-info of a platform wheel that grafts native "
         "libraries, which the sdist's build does not write: the release step that bundles the libraries adds "
         "their licenses; listed as not verified", "shapely 2.1.2 (LICENSE_GEOS)",
         emits=r"license .+ of the bundled native libraries", check=True,
         never=("anything but license text in dist-info (a module, a .pth, a script or module named like a license, a "
                "changed module or requirement beside it), text before the rebuild's, a wheel that grafts nothing")),
    Rule("project-sbom", T, "a software bill of materials the project's build writes under NAME.dist-info/sboms/ "
         "(PEP 770), a CycloneDX or SPDX JSON document: data, class metadata. Only in the published wheel: listed as "
         "not verified with its components; on both sides: the same components (serial number and time aside)",
         "pillow 12.3.0 (its own CycloneDX SBOM); maturin's sboms/NAME.cyclonedx.json", check=True,
         never=("a file that is no CycloneDX/SPDX JSON document directly under NAME.dist-info/sboms/ (a .pth, a .py, "
                "a nested or package directory), code beside it")),
    Rule("retag", T, "auditwheel and delocate rewrite WHEEL's Tag lines to the platform they certify",
         "every repaired platform wheel", cls="packaging",
         never=("another WHEEL field (Root-Is-Purelib), on a wheel rebuilt here another interpreter's or ABI's tag, "
                "code beside")),
    Rule("configured-file", T, "a file the build configures from the sdist's template (meson configure_file: "
         "numpy's __config__.py by syntax tree, _numpyconfig.h and .ini by line): only its placeholders differ, a code "
         "file's template at its own place (the sdist's root, src/, lib/ or python/), a module's values holding none "
         "of ; | & $ ` < > ( ). Never a .pth, a script, entry points, bytecode or a native library, nor a module "
         "the rebuild does not produce",
         "numpy 1.26.4", emits=r"configured from .+", cls="code", check=True,
         never=("a .pth, a script, entry points, bytecode, a native library, a module the rebuild does not produce, a"
                " template from another place, a substituted value holding ; | & $ ` < > ( ), any change outside the "
                "placeholders")),
    Rule("appended-license", T, "a license file that is the rebuild's with whole files of the sdist appended (a "
         "release script appends the bundled libraries' licenses), and METADATA's License read from it",
         "numpy 1.26.4 (LICENSES_bundled.txt)",
         emits=r"(.+ with the licenses of bundled libraries appended: .+|licenses of the bundled native libraries "
         r"appended to .+|METADATA License: the text of .+, with the appended licenses)", check=True,
         never=("text the sdist does not hold or put before the license, a METADATA field but License, the sdist's "
                "files appended to anything but a dist-info license (a module)")),
    # ---- the sdist against its repository at the release's tag (auditor/sourcerepo, --source-repo)
    Rule("sdist-metadata", S, "PKG-INFO and NAME.egg-info/ files that the sdist step generates, which the repository "
         "does not hold; PKG-INFO's Requires-Dist are what pyproject.toml or setup.cfg declares statically, when "
         "they do", "flask 3.1.1, markupsafe 3.0.2", check=True,
         never=("a Requires-Dist in PKG-INFO that the build configuration does not declare, any file outside PKG-INFO "
                "and NAME.egg-info/ (a module, a .pth)")),
    Rule("egg-info-setup-cfg", S, "setup.cfg is the repository's with the [egg_info] section (tag_build, tag_date) "
         "setuptools' sdist step adds; the step writes the file anew with configparser, so it is compared by "
         "meaning (the same sections, keys and values)", "markupsafe 3.0.2, six 1.17.0, requests 2.32.4", check=True,
         never=("any other section, key or value (a requirement, an entry point, a script, setup_requires), another "
                "key in [egg_info]")),
    Rule("project-subdirectory", S, "the project lives in a subdirectory of the repository (a monorepo): found as "
         "the directory whose pyproject.toml or setup.py is the sdist's byte for byte", "hatchling 1.27.0 (hatch's "
         "backend/)",
         never=("a changed or added file of the project's directory, a file only another directory of the repository "
                "holds at that path")),
    Rule("vcs-version-file", S, "a .py the repository does not hold whose only statements assign the release's "
         "version: written by a VCS version plugin at the sdist step", "urllib3 2.5.0 (src/urllib3/_version.py)",
         check=True, never=("an import but typing's, a call, another version, any statement but assignments of the "
                            "version, its tuple, __all__ and a commit id")),
    Rule("export-subst", S, "a file whose $Format:...$ placeholders git archive filled in (a commit id must be the "
         "tag's; no quote, backslash, brace or shell metacharacter), the text around each and every other line the "
         "repository's", "attrs 25.3.0 (.git_archival.txt)", check=True,
         never=("a filled value that leaves its string (a quote, a backslash, an f-string's braces) or holds a shell "
                "metacharacter, another commit, changed text around a placeholder, another line")),
    Rule("link-stored-as-file", S, "a link of the repository stored in the sdist as the file it points to, with "
         "that file's bytes (a link to a directory is followed inside the tree)",
         "requests 2.32.4 (tests/certs/*/client/ca/), meson-python 0.18.0", check=True,
         never=("bytes other than the link target's, a file the linked directory does not hold, a target outside the "
                "tree")),
    Rule("bytecode-of-source", S, "a .pyc the repository does not hold whose code object is what this interpreter "
         "compiles from the .py it is the bytecode of (instructions, names, constants, flags, argument counts, stack "
         "size, exception table; only bytecode of this interpreter's magic number can be checked)",
         "pyyaml 6.0.2 (packaging/__pycache__/_pyyaml_pep517.cpython-312.pyc)", check=True,
         never=("other instructions, names or constants, other flags, argument counts, locals or stack size, bytecode "
                "outside __pycache__ or without its source")),
    Rule("backend-force-include", S, "a file the backend's own configuration copies into the sdist from another "
         "path of the repository (hatchling's force-include: a monorepo's LICENSE, a shared file), compared with "
         "the file at that path", "a unit test's project (hatchling 1.27.0 needs only project-subdirectory)",
         never=("bytes other than the named source's, a file the configuration does not name, a source outside the "
                "tree")),
    Rule("submodule", S, "files of a submodule compared with the submodule's own repository at the commit the "
         "tag's tree records (its URL from .gitmodules at the tag, fetched by commit)", "uvloop 0.21.0 (vendor/libuv)",
         never=("its files at another commit than the tree records, a file the submodule does not hold (a module, a "
                ".pth, autotools output)")),
    Rule("submodule-gitdir-file", S, "a submodule checkout's .git file: one line pointing into the superproject's "
         ".git/modules at the submodule's own path (the publisher's checkout, nothing that runs)",
         "uvloop 0.21.0 (vendor/libuv/.git)",
         never=("a pointer anywhere else (a git directory the sdist ships, whose config can run a command), a second "
                "line, a git directory's files")),
    Rule("compiled-catalog", S, "a gettext .mo the repository does not hold whose messages are exactly what msgfmt "
         "compiles from the .po beside it in the tree (fuzzy and untranslated entries left out), and that holds no "
         "bytes but its header, tables and strings (NUL padding aside)",
         "a unit test's catalog (no release of the corpora ships one)", check=True,
         never=("other messages, bytes outside the catalog's tables and strings (data hidden for a loader elsewhere), "
                "a .mo without its .po beside it in the tree")),
    Rule("cython-generated-source", S, "a C/C++ file whose first line says Cython generated it and whose Cython "
         "metadata names .pyx/.py sources the tree holds, one of them of the C file's name: the sources are compared, "
         "the C is NOT regenerated here (the result lists such files as not regenerated)", "msgpack 1.1.1 "
         "(msgpack/_cmsgpack.c), uvloop 0.21.0 (uvloop/loop.c)", check=True,
         never=("C without Cython's header, C that names another module's .pyx or one the tree lacks, a changed .pyx "
                "(the C's own body is not regenerated: listed as such)")),
    # ---- causes (said on a difference or a member not verified; the verdict does not change for them)
    Rule("bytecode", C, "bytecode a build step left beside its source, with the sandbox's interpreter (a "
         "timestamp-based .pyc only)", "numpy 1.26.4", cls="code", check=True, waives=True,
         never=("a .pyc of no .py of the wheel or outside __pycache__ (imported without a source), a hash-based .pyc, "
                "bytecode in a wheel judged pure")),
    Rule("optional-extension", C, "an extension module the rebuild did not build (its library or switch is "
         "missing in the sandbox) whose C, C++ or Cython source the sdist holds", "pillow 12.1.0 (_webp, _avif)",
         emits="optional extension not built in the sandbox", cls="code", waives=True,
         never=("an extension module no C, C++ or Cython source of the sdist names (a .py's name: it would be "
                "imported instead), code beside it")),
    Rule("generated-by-build", C, "(sources check) a member a meson-python or scikit-build-core build generates or "
         "installs by its own rules: not verifiable without a rebuild", "scipy 1.17.0", cls="code", check=True,
         waives=True, never=("a module (.py, .pyw), bytecode, a .pth, a native library, a shell or batch script, "
                             "any file installed executable")),
    Rule("release-step-gzip", C, "published X.gz members are gzip-compressed copies of the rebuild's X: a release "
         "step outside the sdist", "botocore 1.43.22",
         emits=r"release step outside the sdist \(data compressed\)", cls="packaging", check=True, waives=True,
         never=("a .gz of other bytes or no gzip, a compressed copy of what runs (a module, .pth, script, native "
                "library) or of a dist-info file, code beside")),
    Rule("generated-by-cython", C, "(sources check) a C file or header Cython writes from a .pyx or .py the sdist "
         "holds (X.c, X.cpp, X.h and X_api.h for public/api declarations): listed as not verifiable without a "
         "rebuild, not as added code", "pyarrow 19.0.0 (lib.h, lib_api.h), fonttools 4.61.1", cls="packaging",
         check=True, waives=True,
         never="a module named after the .pyx, a .pth, any other suffix, such a file installed executable"),
    Rule("stale-file", C, "a member dated days before the wheel's newest entry, when the builder wrote file "
         "mtimes: left over in the publisher's working tree", "click-plugins 1.1.1.2",
         emits=r"a file the sdist does not build, dated .+"),
    Rule("sdist-holds-file", C, "a member only in the published wheel, said with whether the sdist holds a file at "
         "that path (its build does not package it) or none", "django-oauth-toolkit 1.7.1",
         emits=r"(the sdist holds no such file|the sdist holds a file there \(.+\), but its build does not package "
         r"it: the publisher's tree or configuration did)"),
    Rule("description-from-checkout", C, "a differing Description equal to the sdist's own PKG-INFO's: sdist and "
         "wheel were made from one checkout", "translationstring 1.4",
         emits=r"the sdist's PKG-INFO holds the published description .+"),
    Rule("top-level-without-members", C, "top_level.txt names directories no member of the wheel has",
         "pycasbin 2.7.1", emits=r"names .+, which no member of the wheel has: .+", cls="metadata", check=True,
         waives=True, never=("a name the wheel holds members for (a package, a .pth, an extension module), a name "
                             "of the rebuild's missing, code beside")),
    Rule("top-level-of-optional-extensions", C, "a pure variant's top_level.txt lacks exactly the names of the "
         "extension modules only the rebuild has (the compiled variant's): listed as not verified", "wrapt, simplejson "
         "(pure wheels of projects whose extensions are optional)", cls="code", check=True, waives=True,
         never=("a name added, a name missing that is no extension only the rebuild has, a wheel that is no pure "
                "variant, code beside")),
    Rule("unneeded-grafted-library", C, "a library under NAME.libs/ that no module or library of the wheel needs "
         "(DT_NEEDED): a repair tool grafts only what is needed, so nothing explains it; a difference",
         "the attacker tests (a grafted library nothing loads)", cls="code", check=True),
    Rule("other-python", C, "members only in a rebuild for another Python than the wheel's (no image has it)",
         "numpy 1.26.4 cp312", emits=r"rebuilt with Python .+, this wheel is for Python .+"),
    Rule("build-input-mismatch", C, "a build input the sdist pins by hash (a Cargo.lock crate, a meson wrap's download) "
         "was served with other bytes: nothing is built from it, the release is failed and the finding names both digests",
         "the tests' crate registry serving a crate that is not Cargo.lock's (issue 36)", cls="code"),
    Rule("fell-back-configuration", C, "the build went on without a file a Debian package would ship (its log says so) "
         "and its wheel lacks extension modules the published wheels hold, each with its C/C++/Cython source in the "
         "sdist: another configuration (a pure-Python fallback), not a rebuild of theirs; the wheels are failed, "
         "judged by the sources check", "google-crc32c 1.7.1 (crc32c/crc32c.h: Debian has no libcrc32c-dev)",
         emits=r"fell back to another configuration: .+", cls="code"),
    Rule("platform-chosen-extras", C, "another platform's METADATA differs only in requirements of optional extras "
         "that the sdist's setup.py names: it chooses them by the platform it builds on; listed as not verified",
         "psutil 7.2.1's Windows wheels (pywin32, wmi in dev)",
         emits=r"the sdist's setup\.py chooses these optional extras' requirements by the platform it builds on",
         cls="code", waives=True,
         never=("a requirement some platform installs without an extra (`os_name == \"nt\"`, an `or` beside the "
                "extra), one the setup.py does not name, code beside")),
    Rule("read-limit", C, "a member whose sha256 is not the other side's and that is larger than what the judge reads "
         "into memory to compare it by a rule (--max-member-mib): one member not judged, said with the bound; every "
         "other member is still judged and any difference found stands. A wheel with nothing else to say is "
         "unverifiable, never reproduced, never differs on that member alone", "issue 45: METADATA padded past "
         "4 MiB beside an added module made a failing build's wheel unverifiable instead of differs", waives=True,
         never=("a difference found in any other member of the wheel (an added module beside a padded METADATA stays "
                "differs), a member whose sha256 matches, a published member within the bound whose rebuilt twin is "
                "past it")),
    Rule("foreign-builder", C, "a wheel whose Generator names no Python build backend was made outside the "
         "sdist's build system", "protobuf 6.33.4 (bazel-wheelmaker)", emits=r"made by .+ \(its WHEEL Generator\), .+"),
    Rule("python2-wheel", C, "a py2 wheel's Tag: built with Python 2, which the sandbox does not have",
         "python3-saml 1.16.0", emits=r"built with Python 2, which tags a pure wheel py2-none-any \(the sandbox has no Python 2\)"),
)

BY_NAME = {r.name: r for r in RULES}
MACHINE_NORMALIZATIONS = frozenset(r.name for r in RULES if r.kind == N and r.machine)


class UnregisteredRule(AssertionError):
    """The judge wrote a normalization, tool step or named cause that no registered rule describes."""


class RegistryError(ValueError):
    """A profile names a rule that is not registered, has no check, or whose check does not resolve."""


def resolve_check(name: str, module: Any, where: str = "") -> Callable:
    """The check of rule `name`: the function of its name (`-` as `_`) in `module` (judge/checks.py, or
    sourcerepo/checks.py), validated."""
    rule = BY_NAME.get(name)
    at = f"{where}: " if where else ""
    if rule is None:
        raise RegistryError(f"{at}{name!r} is not a rule of judge/registry.py")
    if not rule.check:
        raise RegistryError(f"{at}rule {name!r} has no check")
    fn = getattr(module, name.replace("-", "_"), None)
    if not callable(fn):
        raise RegistryError(f"{at}rule {name!r}: {module.__name__} has no function {name.replace('-', '_')}")
    return fn


def rule_for(kind: str, text: str) -> Rule | None:
    """The registered rule of `kind` whose emitted text `text` is, if any."""
    return next((r for r in RULES if r.kind == kind and r.matches(text)), None)



def check_rules(names) -> None:
    """Names a check emits by rule name (judge/interface.py, sourcerepo/): each registered, always (an
    unregistered one raises UnregisteredRule: the wheel's judgement fails); logged under the tests."""
    names = set(names)
    unknown = sorted(n for n in names if n not in BY_NAME)
    if unknown:
        raise UnregisteredRule(f"{', '.join(unknown)} not in judge/registry.py")
    _log(names)


def check_causes(causes) -> None:
    """The causes a later pass named (on results' differences, after the comparison): each registered, always."""
    _log(_cause_rules(c for c in causes if c))


def _cause_rules(causes) -> set[str]:
    used = set()
    for cause in causes:
        rule = rule_for(C, cause) or rule_for(T, cause) or BY_NAME.get(cause)
        if rule is None:
            raise UnregisteredRule(f"cause {cause!r} is not in judge/registry.py")
        used.add(rule.name)
    return used


def _log(used: set[str]) -> None:
    log = os.environ.get("AUDITOR_RULES_LOG")
    if log and used:
        with open(log, "a", encoding="utf-8") as f:
            f.write("".join(f"{n}\n" for n in sorted(used)))


def check_emitted(cmp: Comparison) -> None:
    """Every normalization, tool step and cause of a comparison is a registered rule's, in every run: an
    unregistered name raises UnregisteredRule (the wheel's judgement is then `failed`, an internal error,
    never a verdict resting on a rule nobody registered). With AUDITOR_RULES_LOG set (the tests set it), the
    rules used are appended to that file, so that a rule no test exercises is found."""
    used: set[str] = set()
    for kind, texts in ((N, cmp.normalizations), (T, cmp.tool_steps)):
        for text in texts:
            rule = rule_for(kind, text)
            if rule is None:
                raise UnregisteredRule(f"{kind} {text!r} is not in judge/registry.py")
            used.add(rule.name)
    used |= _cause_rules(d.cause for d in cmp.differences + cmp.compiled_differences if d.cause)
    unknown = sorted(set(cmp.judged_by.values()) - set(BY_NAME))
    if unknown:
        raise UnregisteredRule(f"{', '.join(unknown)} judged a member but is not in judge/registry.py")
    used |= set(cmp.judged_by.values())
    _log(used)
