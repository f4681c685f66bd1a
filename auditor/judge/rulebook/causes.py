"""Probable causes: said on a difference or on a member not verified; a cause that lists a member as not
verified instead of a difference says so (`waives`)."""

from __future__ import annotations

from auditor.judge.rule import C, Rule

CAUSES: tuple[Rule, ...] = (
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
