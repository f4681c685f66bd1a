"""The checks of the source rules (judge/registry.py, kind `source`) that explain one file of an sdist against
the repository's tree at the release's tag, each `check(case) -> bool` named after its rule, run in the order a
profile of sourcerepo/__init__.py lists them by the judge's one loop (judge/profiles.py). Pure predicates: the
caller records the rule that explained the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.fsutil import inside
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
    return c.rel == "PKG-INFO" or re.search(r"(^|/)[^/]+\.egg-info/", c.rel) is not None


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
    return bool(sources) and all(base + s in c.where.tree for s in sources)
