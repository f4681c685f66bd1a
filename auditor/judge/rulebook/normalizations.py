"""Normalizations of a wheel's members: differences of form set aside, each named in the verdict's
`normalizations`."""

from __future__ import annotations

from auditor.judge.rule import N, Rule

NORMALIZATIONS: tuple[Rule, ...] = (
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
                "[DEFAULT] group too: importlib.metadata reads them; a line break other than \\n, which str.splitlines "
                "breaks on and a config parser does not); WHEEL's Root-Is-Purelib")),
    Rule("nspkg-pth-python-version", N, "a namespace package's NAME-VERSION-pyX.Y-nspkg.pth with the same bytes "
         "under the name of another Python: setuptools names it after the Python that builds the wheel",
         "zope.interface 7.2 (cp310 wheels against a 3.11 rebuild)",
         never=("other bytes in the .pth (CRLF aside, on another platform's wheel), a .pth of another stem, a second "
                ".pth paired with the same rebuilt one")),
    Rule("entry-point-python-version", N, "entry points the same but for names ending with the X.Y of the Python "
         "that built each wheel (a wheel for a Python no image has, compared with a rebuild for another): the "
         "project's setup.py names a script after sys.version_info; every object reference still compared. The same on "
         "the sources check, against the sdist's egg-info named after the Python that made the sdist",
         "coverage 7.14.0 (coverage-3.12 published, coverage-3.14 rebuilt); memray 1.19.3 (memray3.10 against the "
         "egg-info's memray3.12)",
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
)
