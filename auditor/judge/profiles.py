"""Which rules a comparison applies to a member that is not the other side's byte for byte, and in which order.

A profile is data: an ordered list of registered rule names (judge/registry.py), each rule naming its check
(judge/checks.py). One loop, apply(), runs a profile's checks in order until one accounts for the member and
records that rule's name for the member (`Comparison.judged_by`); a member no rule accounts for is a
difference, said by the caller. The profiles are validated when first used: an unknown rule, a rule without a
check, or a check that does not resolve is a RegistryError, not a silently skipped step. METADATA, WHEEL and
entry points are judged by meaning before any profile runs (metasteps.judge_meta), RECORD once every member is
known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from auditor.judge import checks
from auditor.judge.case import Case
from auditor.judge.registry import RegistryError, resolve_check

__all__ = ["PROFILES", "Case", "apply", "first", "load"]


_SDIST = ("configured-file", "appended-license", "bundled-library-license", "bytecode")
_REPAIR = ("auditwheel-sbom", "delvewheel-record", "project-sbom", "unneeded-grafted-library", "grafted-library",
           "bundled-library-license", "bundled-headers", "release-step-gzip")

PROFILES: dict[str, tuple[str, ...]] = {
    # a member on both sides whose content differs, in a wheel rebuilt here
    "rebuilt: content": ("scm-commit-id", "vcs-revision-constant", "project-sbom", "build-path", "top-level-without-members", *_SDIST,
                         "sdist-version-file"),
    # a member only the published wheel has, in a wheel rebuilt here
    # (never configured-file: a file the build configures, the rebuild here configures too)
    "rebuilt: published only": (*_REPAIR, "bytecode"),
    # the same two, in another platform's wheel compared with a rebuild made here
    "other platform: content": ("scm-commit-id", "vcs-revision-constant", "project-sbom", "build-path", "delvewheel-patch",
                                "top-level-of-optional-extensions", "crlf-line-endings", *_SDIST),
    "other platform: published only": (*_REPAIR, "delvewheel-patch", "configured-file", "bytecode"),
    # the sources check (nothing rebuilt): a member at a place the sdist holds no file for
    "sources: not in the sdist": ("bundled-headers", "maturin-module-shim", "delvewheel-patch", "configured-file",
                                  "meson-install-subdir", "meson-subproject-file", "generated-version-module",
                                  "generated-by-cython", "generated-by-build"),
    # the sources check: a member whose bytes are none of the sdist's files at its place
    "sources: differs from the sdist's file": ("crlf-line-endings", "delvewheel-patch", "version-file"),
}


def load(profiles: Mapping[str, tuple[str, ...]], module: Any = checks) -> dict[str, tuple[tuple[str, Callable], ...]]:
    """Profiles with each rule's check resolved (in `module`, judge/checks.py by default; the repository check
    passes sourcerepo/checks.py); RegistryError names a rule that is unknown or has no check."""
    out = {}
    for profile, names in profiles.items():
        if len(set(names)) != len(names):
            raise RegistryError(f"profile {profile!r} lists a rule twice")
        out[profile] = tuple((name, resolve_check(name, where=f"profile {profile!r}", module=module)) for name in names)
    return out


def first(steps: tuple[tuple[str, Callable], ...], case: Any) -> str | None:
    """The one loop: a loaded profile's checks in order; the name of the first rule whose check accounts for the
    case, or None."""
    return next((name for name, check in steps if check(case)), None)


@cache
def _loaded() -> dict[str, tuple[tuple[str, Callable], ...]]:
    return load(PROFILES)


def apply(profile: str, case: Case) -> str | None:
    """The profile's checks in order until one accounts for the member: that rule's name (also recorded in
    case.out.judged_by), or None when none does."""
    name = first(_loaded()[profile], case)
    if name is not None:
        case.out.judged_by[case.name] = name
    return name
