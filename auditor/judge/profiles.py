"""Which rules a comparison applies to a member that is not the rebuild's byte for byte, and in which order.

Each comparison is a profile: a tuple of named steps, tried in order until one accounts for the member (and
records the normalization, tool step or cause it names in the Comparison); a member no step accounts for is
a difference. judge/members.py runs them with accounted(); the rules behind the steps are registered in
judge/registry.py. METADATA, WHEEL and entry points are judged by meaning before any profile runs
(metasteps.judge_meta), RECORD once every member is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.fetch.archives import WheelArchive
from auditor.judge.diffs import crlf_only
from auditor.judge.generated import scm_version, sdist_version_file, source_checksums
from auditor.judge.metasteps import project_sbom
from auditor.judge.steps import (delvewheel_step, published_only, sdist_derived, top_level_of_optional_extensions,
                                 top_level_without_members)
from auditor.records import Comparison


@dataclass(frozen=True)
class Case:
    """One member under judgement: both wheels (the rebuild None when only the published wheel has it)."""

    pub: WheelArchive
    reb: WheelArchive | None
    name: str
    out: Comparison
    files: Mapping[str, list[Path]] | None = None  # the sdist's files by wheel path
    sdist_files: Mapping[str, list[Path]] | None = None
    binary: bool = False  # a platform wheel of this sandbox's platform
    pure_variant: bool = False  # the pure wheel of a project whose extensions are optional


Step = tuple[str, Callable[[Case], bool]]


def _crlf(c: Case) -> bool:
    """A text member that differs from the rebuild's only in CRLF line endings (Windows checkouts)."""
    if c.reb is None or not crlf_only(c.pub, c.reb, c.name):
        return False
    c.out.normalizations.append("crlf-line-endings")
    c.out.crlf_members.append(c.name)
    c.out.members_verified += 1
    return True


def _both(c: Case) -> WheelArchive:
    assert c.reb is not None, "a content step needs the rebuilt member"
    return c.reb


# a member on both sides whose content differs, in a wheel rebuilt here
REBUILT_CONTENT: tuple[Step, ...] = (
    ("scm-version", lambda c: scm_version(c.pub, _both(c), c.name, c.out)),
    ("project-sbom", lambda c: project_sbom(c.pub, _both(c), c.name, c.out)),
    ("build-path", lambda c: source_checksums(c.pub, _both(c), c.name, c.out)),
    ("top-level-without-members", lambda c: top_level_without_members(c.pub, _both(c), c.name, c.out)),
    ("sdist-derived", lambda c: sdist_derived(c.pub, c.reb, c.name, c.out, c.files)),
    ("sdist-version-file", lambda c: sdist_version_file(c.pub, _both(c), c.name, c.out, c.sdist_files)),
)

# the same, in another platform's wheel compared with a rebuild made here
OTHER_PLATFORM_CONTENT: tuple[Step, ...] = (
    ("scm-version", lambda c: scm_version(c.pub, _both(c), c.name, c.out)),
    ("project-sbom", lambda c: project_sbom(c.pub, _both(c), c.name, c.out)),
    ("build-path", lambda c: source_checksums(c.pub, _both(c), c.name, c.out)),
    ("delvewheel-patch", lambda c: delvewheel_step(c.pub, _both(c), c.name, c.out)),
    ("top-level-of-optional-extensions",
     lambda c: c.pure_variant and top_level_of_optional_extensions(c.pub, _both(c), c.name, c.out)),
    ("crlf-line-endings", _crlf),
    ("sdist-derived", lambda c: sdist_derived(c.pub, c.reb, c.name, c.out, c.files)),
)

# a member only the published wheel has, in a wheel rebuilt here
REBUILT_PUBLISHED_ONLY: tuple[Step, ...] = (
    ("repair-tool-output", lambda c: published_only(c.pub, _both(c), c.name, c.out, c.binary)),
    ("sdist-derived", lambda c: c.binary and sdist_derived(c.pub, None, c.name, c.out, c.files)),
)

# the same, in another platform's wheel
OTHER_PLATFORM_PUBLISHED_ONLY: tuple[Step, ...] = (
    ("repair-tool-output", lambda c: published_only(c.pub, _both(c), c.name, c.out, binary=True)),
    ("delvewheel-patch", lambda c: delvewheel_step(c.pub, _both(c), c.name, c.out)),
    ("sdist-derived", lambda c: sdist_derived(c.pub, None, c.name, c.out, c.files)),
)

PROFILES: dict[str, tuple[Step, ...]] = {
    "rebuilt: content": REBUILT_CONTENT, "rebuilt: published only": REBUILT_PUBLISHED_ONLY,
    "other platform: content": OTHER_PLATFORM_CONTENT, "other platform: published only": OTHER_PLATFORM_PUBLISHED_ONLY,
}


def accounted(profile: tuple[Step, ...], case: Case) -> bool:
    """The profile's steps in order until one accounts for the member; False when none does."""
    return any(step(case) for _, step in profile)
