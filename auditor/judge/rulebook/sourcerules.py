"""The sdist against its repository at the release's tag (auditor/sourcerepo, --source-repo): what honest
releases add to their tag."""

from __future__ import annotations

from auditor.judge.rule import S, Rule

SOURCE_RULES: tuple[Rule, ...] = (
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
)
