"""A rule of the judge, as one value (judge/rulebook/ holds them all; judge/registry.py indexes them)."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
