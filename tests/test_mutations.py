"""Rules that widen unnoticed (issue 45): each excusing rule is widened to accept everything in turn
(tests/mutations.py), and its attacker twins are run against it: at least one must fail. A loop over the registry,
each widening in its own pytest process. Slow for the fast loop (a process per rule), so an integration test
(tests/conftest.py marks this file so)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.judge.registry import RULES
from tests.conftest import pending_twins
from tests.mutations import mutable

ROOT = Path(__file__).resolve().parents[1]


def _run_twins(rule: str, widened: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, AUDITOR_TWINS_OF=rule)
    env.pop("AUDITOR_ACCEPT_ALL", None)
    if widened:
        env["AUDITOR_ACCEPT_ALL"] = rule
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "unit", "tests"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _twinned() -> list[str]:
    return sorted(r.name for r in RULES if r.excuses and r.name not in pending_twins())


@pytest.mark.parametrize("rule", [r for r in _twinned() if mutable(r)])
def test_a_rule_widened_to_accept_everything_fails_one_of_its_twins(rule):
    widened = _run_twins(rule, widened=True)
    assert widened.returncode == 1 and " failed" in widened.stdout, (
        f"{rule} widened to accept everything: no attacker twin failed\n{widened.stdout[-2000:]}{widened.stderr[-2000:]}")


def test_the_twins_pass_when_no_rule_is_widened():
    """The control: the same selection, unwidened, passes (so a failure above is the widening's)."""
    for rule in [r for r in _twinned() if mutable(r)][:3]:
        honest = _run_twins(rule, widened=False)
        assert honest.returncode == 0 and " passed" in honest.stdout, honest.stdout[-2000:]


# Excusing rules no widening reaches yet (decided inline, e.g. the zip-* normalizations in members._common_members):
# their twins exist and pass, but a widening of them would go unnoticed here. The debt may only shrink.
NOT_WIDENED_YET = {"backend-force-include", "delocate-generator", "project-subdirectory", "retag", "submodule",
                   "zip-compression", "zip-directory-entries", "zip-mtime", "zip-order", "zip-permissions-umask"}


def test_every_excusing_rule_can_be_widened_but_the_listed_debt():
    assert {r.name for r in RULES if r.excuses and not mutable(r.name)} == NOT_WIDENED_YET
