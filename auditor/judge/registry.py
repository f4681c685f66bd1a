"""Every rule the judge can emit, in one registry: name, kind, class, the reason users are shown, the real
release that taught it, the pattern of what it writes into a verdict, and what it never excuses. The rules
themselves are data in judge/rulebook/ (one module per kind), each a judge/rule.py Rule; this module indexes
and checks them.

Kinds:
- normalization: a difference of form set aside (its name is listed in the verdict's `normalizations`);
- tool-step: output of a known build or repair tool accepted in the exact shape it writes (listed in
  `tool_steps`, with the tool's version where the wheel says it);
- cause: a probable cause named on a difference or a member not verified (`cause`), said, never hiding it.

docs/rules.md is generated from this list (`python -m auditor.judge.rulesdoc > docs/rules.md`; a test fails
when it is stale), and every comparison's emitted names are checked against it (`check_emitted`), in every
run: an unregistered name is an error that fails the wheel's judgement. Under the test suite the rules each
test run used are logged, so that a rule no test exercises is found.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from auditor.records import Comparison

from auditor.judge.rule import C, N, S, T, Rule
from auditor.judge.rulebook import RULES

__all__ = ["BY_NAME", "C", "MACHINE_NORMALIZATIONS", "N", "RULES", "S", "T", "RegistryError", "Rule", "UnregisteredRule",
           "check_causes", "check_emitted", "check_rules", "resolve_check", "rule_for"]


BY_NAME = {r.name: r for r in RULES}
MACHINE_NORMALIZATIONS = frozenset(r.name for r in RULES if r.kind == N and r.machine)


class UnregisteredRule(AssertionError):
    """The judge wrote a normalization, tool step or named cause that no registered rule describes."""


class RegistryError(ValueError):
    """A profile names a rule that is not registered, has no check, or whose check does not resolve."""


def resolve_check(name: str, module: Any, where: str = "") -> Callable:
    """The check of rule `name`: the function of its name (`-` as `_`) in `module` (judge/checks.py, or
    sourcerepo/checks.py), validated."""
    rule = BY_NAME.get(name)
    at = f"{where}: " if where else ""
    if rule is None:
        raise RegistryError(f"{at}{name!r} is not a rule of judge/registry.py")
    if not rule.check:
        raise RegistryError(f"{at}rule {name!r} has no check")
    fn = getattr(module, name.replace("-", "_"), None)
    if not callable(fn):
        raise RegistryError(f"{at}rule {name!r}: {module.__name__} has no function {name.replace('-', '_')}")
    return fn


def rule_for(kind: str, text: str) -> Rule | None:
    """The registered rule of `kind` whose emitted text `text` is, if any."""
    return next((r for r in RULES if r.kind == kind and r.matches(text)), None)



def check_rules(names) -> None:
    """Names a check emits by rule name (judge/interface.py, sourcerepo/): each registered, always (an
    unregistered one raises UnregisteredRule: the wheel's judgement fails); logged under the tests."""
    names = set(names)
    unknown = sorted(n for n in names if n not in BY_NAME)
    if unknown:
        raise UnregisteredRule(f"{', '.join(unknown)} not in judge/registry.py")
    _log(names)


def check_causes(causes) -> None:
    """The causes a later pass named (on results' differences, after the comparison): each registered, always."""
    _log(_cause_rules(c for c in causes if c))


def _cause_rules(causes) -> set[str]:
    used = set()
    for cause in causes:
        rule = rule_for(C, cause) or rule_for(T, cause) or BY_NAME.get(cause)
        if rule is None:
            raise UnregisteredRule(f"cause {cause!r} is not in judge/registry.py")
        used.add(rule.name)
    return used


def _log(used: set[str]) -> None:
    log = os.environ.get("AUDITOR_RULES_LOG")
    if log and used:
        with open(log, "a", encoding="utf-8") as f:
            f.write("".join(f"{n}\n" for n in sorted(used)))


def check_emitted(cmp: Comparison) -> None:
    """Every normalization, tool step and cause of a comparison is a registered rule's, in every run: an
    unregistered name raises UnregisteredRule (the wheel's judgement is then `failed`, an internal error,
    never a verdict resting on a rule nobody registered). With AUDITOR_RULES_LOG set (the tests set it), the
    rules used are appended to that file, so that a rule no test exercises is found."""
    used: set[str] = set()
    for kind, texts in ((N, cmp.normalizations), (T, cmp.tool_steps)):
        for text in texts:
            rule = rule_for(kind, text)
            if rule is None:
                raise UnregisteredRule(f"{kind} {text!r} is not in judge/registry.py")
            used.add(rule.name)
    used |= _cause_rules(d.cause for d in cmp.differences + cmp.compiled_differences if d.cause)
    unknown = sorted(set(cmp.judged_by.values()) - set(BY_NAME))
    if unknown:
        raise UnregisteredRule(f"{', '.join(unknown)} judged a member but is not in judge/registry.py")
    used |= set(cmp.judged_by.values())
    _log(used)
