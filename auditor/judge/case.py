"""One member under judgement (Case): what the rules of a profile (judge/profiles.py) may read about it, for their
checks (judge/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from auditor.errors import LimitExceeded
from auditor.fetch import archives
from auditor.fetch.archives import WheelArchive
from auditor.judge.configured import SdistFiles
from auditor.records import Comparison


@dataclass(frozen=True)
class Case:
    """One member under judgement, with what the rules may read about it.

    pub/reb: the published wheel and the rebuild (None in the sources check, which has no rebuild; a rebuild
    that lacks the member is passed as is). files: the sdist's files by wheel path, for the rules that account
    for a member by what the sdist holds (platform wheels). binary: a platform wheel (the sources check: one
    that holds compiled members). view/installed/data/candidates: the sources check's sdist, where the member
    installs, its bytes, and the bytes of the sdist's files at that place (None: the sdist holds none)."""

    pub: WheelArchive
    reb: WheelArchive | None
    name: str
    out: Comparison
    files: SdistFiles | None = None
    sdist_files: SdistFiles | None = None
    binary: bool = False
    pure_variant: bool = False  # the pure wheel of a project whose extensions are optional
    view: Any = None  # judge/sources.py's view of the extracted sdist
    installed: str = ""
    data: bytes | None = None
    candidates: tuple[bytes, ...] | None = None

    @cached_property
    def published(self) -> bytes | None:
        """The published member's bytes for the rules that read it (None: unreadable), read once however many
        rules of the profile ask. A member past the run's read bound never reaches a profile (diffs.over_read_limit):
        that bound is raised, not swallowed."""
        try:
            return self.pub.read(self.name)
        except LimitExceeded:
            raise
        except Exception:
            return None

    @cached_property
    def rebuilt(self) -> bytes | None:
        """The rebuild's member (the rebuild holds it), read once; None when it is past the run's read bound (no
        rule then accounts for the published member by it: the publisher's sdist chose its size); any other error
        is raised to every rule that asks."""
        assert self.reb is not None
        if self.reb.members[self.name].size > archives.READ_LIMIT:
            return None
        return self.reb.read(self.name)
