"""Tool steps: output of a known build or repair tool, accepted only in the exact shape the tool writes
(listed in the verdict's `tool_steps`)."""

from __future__ import annotations

from auditor.judge.rule import T, Rule

TOOL_STEPS: tuple[Rule, ...] = (
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
    Rule("vcs-revision-constant", T, "a version module the build generates with the revision of the publisher's "
         "checkout: the same module but for strings assigned to revision-named variables (git, revision, commit, hash, "
         "sha), the published one a hex revision, the rebuild's 'Unknown', empty or None (an sdist has no .git)",
         "pywavelets 1.9.0 (pywt/version.py git_revision); autobahn 25.12.2 (_git_version.py)",
         emits=r"version module .+: the revision of the publisher's checkout \(g?[0-9a-f]+\)", check=True,
         never=("any other difference in the module (a statement, an import, another constant), a value that is no hex "
                "revision (an expression, code in the string), a variable not named for a revision")),
    Rule("delvewheel-patch", T, "delvewheel (Windows) inserts one `# start delvewheel patch` ... `# end delvewheel "
         "patch` block into a package's .py (adds the grafted NAME.libs/ to the DLL search path or preloads its "
         "DLLs): accepted only when the block uses nothing but those calls and names a .libs directory the wheel "
         "grafts (delvewheel 1.12: site-packages itself, `os.pardir, '.'`, when it grafts a top-level module's DLLs "
         "into NAME.data/platlib/), and the file without it equals the rebuild's",
         "shapely 2.1.2 win_amd64; pycurl 7.46.0 win_amd64 (delvewheel 1.12, platlib)",
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
         "of ; | & $ ` < > ( ). Never a .pth, a script, a file installed into a bin directory, a file with an "
         "interpreter line, entry points, bytecode or a native library, nor, on the rebuilt path, a file the rebuild "
         "does not produce",
         "numpy 1.26.4", emits=r"configured from .+", cls="code", check=True,
         never=("a .pth, a script, a launcher in .data/data/bin, a file with a #! line, entry points, bytecode, a native"
                " library, a file the rebuild here does not produce, a template from another place, a substituted value"
                " holding ; | & $ ` < > ( ), any change outside the placeholders")),
    Rule("appended-license", T, "a license file that is the rebuild's with whole files of the sdist appended (a "
         "release script appends the bundled libraries' licenses), and METADATA's License read from it",
         "numpy 1.26.4 (LICENSES_bundled.txt)",
         emits=r"(.+ with the licenses of bundled libraries appended: .+|licenses of the bundled native libraries "
         r"appended to .+|METADATA License: the text of .+, with the appended licenses)", check=True,
         never=("text the sdist does not hold or put before the license, a METADATA field but License, the sdist's "
                "files appended to anything but a dist-info license (a module)")),
    # ---- the sdist against its repository at the release's tag (auditor/sourcerepo, --source-repo)
)
