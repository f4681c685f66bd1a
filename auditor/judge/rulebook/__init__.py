"""The rulebook: every rule the judge can emit, as data (judge/rule.py's Rule), by kind, in the order the docs list
them; judge/registry.py indexes and checks them."""

from __future__ import annotations

from auditor.judge.rule import Rule
from auditor.judge.rulebook.causes import CAUSES
from auditor.judge.rulebook.interface import INTERFACE
from auditor.judge.rulebook.normalizations import NORMALIZATIONS
from auditor.judge.rulebook.sourcerules import SOURCE_RULES
from auditor.judge.rulebook.toolsteps import TOOL_STEPS

RULES: tuple[Rule, ...] = NORMALIZATIONS + INTERFACE + TOOL_STEPS + SOURCE_RULES + CAUSES
