"""docs/rules.md, generated from the registry (judge/registry.py) and, for the attacker twins' inventory, from the
tests that are marked as twins (`python -m auditor.judge.rulesdoc > docs/rules.md`; a test fails when it is stale)."""

from __future__ import annotations

import ast
from pathlib import Path

from auditor.judge.registry import C, N, RULES, S, T


def attacker_twins(tests: Path) -> dict[str, list[str]]:
    """Rule -> the tests marked @pytest.mark.twin(rule, ...) under `tests` (file::function), read from their
    source (for docs/rules.md's twin inventory)."""
    out: dict[str, list[str]] = {}
    for f in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and ast.unparse(dec.func) == "pytest.mark.twin":
                    for arg in dec.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            out.setdefault(arg.value, []).append(f"{f.name}::{node.name}")
    return out


def markdown(twins: dict[str, list[str]] | None = None) -> str:
    """docs/rules.md: every rule, by kind, with its reason and the release that taught it; with `twins`
    (attacker_twins), the inventory of every excusing rule: what it never excuses and its attacker twins."""
    out = ["# The judge's rules", "",
           "Generated from `auditor/judge/registry.py` (`python -m auditor.judge.rulesdoc > docs/rules.md`); a test",
           "fails when this file is stale. Every name a verdict lists under `normalizations` or `tool_steps`, and",
           "every named `cause`, is one of these.", ""]
    titles = {S: "The sdist against its repository (--source-repo: what honest releases add to their tag)",
              N: "Normalizations (differences of form set aside, named in the verdict)",
              T: "Tool steps (a known tool's output, accepted only in the shape it writes)",
              C: "Probable causes (said on a difference or a member not verified; they never hide it)"}
    for kind in (N, T, C, S):
        out += [f"## {titles[kind]}", "", "| name | reason | taught by |", "|---|---|---|"]
        for r in RULES:
            if r.kind == kind:
                machine = " (the publisher's machine: the toolchain search stops there)" if r.machine else ""
                cls = f" Class `{r.cls}`." if r.cls else ""
                reason = r.reason.replace("|", "\\|")
                out.append(f"| `{r.name}` | {reason}{machine}.{cls} | {r.taught_by} |")
        out.append("")
    if twins is not None:
        out += ["## Attacker twins", "",
                "Every rule that accepts, waives or normalizes something, with what it must never excuse and the tests in",
                "which its own situation carries a payload it is not about, which stays a difference (tests marked",
                "`@pytest.mark.twin`; tests/test_mutations.py widens each rule to accept everything and expects one of",
                "them to fail). A rule with none is in tests/twins_pending.txt.", "",
                "| rule | never excuses | attacker twins |", "|---|---|---|"]
        for r in RULES:
            if r.excuses:
                shown = "<br>".join(f"`{t}`" for t in twins.get(r.name, [])) or "none yet"
                out.append(f"| `{r.name}` | {r.never.replace('|', chr(92) + '|') or '(not said yet)'} | {shown} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(attacker_twins(Path(__file__).resolve().parents[2] / "tests")), end="")
