"""The checks of the source rules (judge/registry.py, kind `source`) that explain one file of an sdist against
the repository's tree at the release's tag, each `check(case) -> bool` named after its rule, run in the order a
profile of sourcerepo/__init__.py lists them by the judge's one loop (judge/profiles.py). Pure predicates: the
caller records the rule that explained the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from auditor.fsutil import inside
from auditor.judge import declared
from auditor.judge.metadata import parse_email
from auditor.judge.rules import version_file
from auditor.sourcerepo import git, rules


@dataclass(frozen=True)
class RepoCase:
    """One file of the sdist (`f`, at `rel`), the tree's entry at its place (None: the tree holds none), where it
    was looked for, its bytes, and the tree's blob there (None unless the entry is a file)."""

    f: Path
    rel: str
    entry: git.TreeEntry | None
    where: Any  # sourcerepo.Where
    version: str
    commit: str
    data: bytes
    theirs: bytes | None = None


def link_target(base: list[str], link: bytes) -> str | None:
    """Where a link of the tree at directory `base` points, inside the tree; None for an absolute target or one
    that climbs out of the tree (never followed, never read as a path inside it)."""
    text = link.decode("utf-8", "replace")
    return None if text.startswith("/") else inside(base, text)


def egg_info_setup_cfg(c: RepoCase) -> bool:
    """setup.cfg as the tree's (or, markupsafe 3.0.2, only the section) but for setuptools' [egg_info] section."""
    return c.rel.split("/")[-1] == "setup.cfg" and rules.egg_info_section_only(c.theirs or b"", c.data)


def export_subst(c: RepoCase) -> bool:
    return c.theirs is not None and b"$Format:" in c.theirs and rules.export_subst(c.theirs, c.data, c.commit)


def link_stored_as_file(c: RepoCase) -> bool:
    """A link in the repository, a file in the sdist with the bytes of the file it points to."""
    if c.entry is None:
        return False
    target = link_target(c.where.path.split("/")[:-1], git.blob(c.where.repo, c.entry.sha))
    linked = c.where.tree.get(target) if target is not None else None
    return linked is not None and linked.kind == "blob" and git.blob(c.where.repo, linked.sha) == c.data


def sdist_metadata(c: RepoCase) -> bool:
    if c.rel == "PKG-INFO":
        return _declared_requirements(c)
    return re.search(r"(^|/)[^/]+\.egg-info/", c.rel) is not None


def _declared_requirements(c: RepoCase) -> bool:
    """PKG-INFO's Requires-Dist are what the build configuration declares statically (pyproject.toml's [project],
    setup.cfg's [options]: compared with the tree's as files of their own), when it does: the sources check trusts
    a PKG-INFO of Metadata-Version 2.2 for them, and a backend may copy them into the wheel."""
    fields = parse_email(c.data.decode("utf-8", "replace"))[0]
    stated = [str(r) for r in fields.get("requires_dist") or []]
    want = declared.configured_requirements(c.f.parent, egg_info=False)
    try:
        modern = Version(str(fields.get("metadata_version") or "0")) >= Version("2.2")
    except InvalidVersion:
        modern = False
    if want.values is None or not (stated or modern):
        return True  # nothing to hold it to (a setup.py computes them), or an old PKG-INFO that states none
    return not declared.requirement_differences(stated, want.values)


def vcs_version_file(c: RepoCase) -> bool:
    return c.rel.endswith(".py") and (version_file(c.data, c.version) or rules.vcs_template(c.data, c.version))


def bytecode_of_source(c: RepoCase) -> bool:
    return c.rel.endswith(".pyc") and rules.bytecode_of_source(c.f, c.data)


def compiled_catalog(c: RepoCase) -> bool:
    """A .mo whose messages are what msgfmt compiles from the .po beside it in the tree."""
    if not c.rel.endswith(".mo"):
        return False
    po = c.where.tree.get(c.where.path[:-3] + ".po")
    if po is None or po.kind != "blob":
        return False
    mo = rules.mo_catalog(c.data)
    return mo is not None and mo == rules.po_catalog(git.blob(c.where.repo, po.sha).decode("utf-8", "replace"))


def cython_generated_source(c: RepoCase) -> bool:
    """A C file Cython wrote from a .pyx (or .py) the tree holds."""
    if not c.rel.endswith((".c", ".cpp")) or (found := rules.cython_sources(c.data)) is None:
        return False
    base = c.where.path[: len(c.where.path) - len(c.rel)]  # the project's directory in the tree
    stem = c.rel.rsplit(".", 1)[0]
    sources = found[1] or [s for s in (stem + ".pyx", stem + ".py") if base + s in c.where.tree]
    # Cython writes X.c from X.pyx: a C file that names another module's sources is not that module's output
    leaf = stem.rsplit("/", 1)[-1]
    return bool(sources) and all(base + s in c.where.tree for s in sources) \
        and any(s.rsplit("/", 1)[-1].rsplit(".", 1)[0] == leaf for s in sources)
