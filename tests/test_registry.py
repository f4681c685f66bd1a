"""The judge's registry (judge/registry.py): one list of every rule, the docs generated from it, every
emitted name registered, and the rules that only later passes or rare shapes emit exercised here through
a real comparison (the conftest fails a full unit run when a registered rule is exercised by no test)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from auditor.fetch.archives import read_wheel
from auditor.judge import registry, rulesdoc
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.sources import cross_check_sources
from auditor.judge.verdicts import verdict_of
from auditor.records import Comparison
from tests.test_compare import BASE, PLACEHOLDER, T2, wheel
from tests.test_configured import CONFIG_IN

ROOT = Path(__file__).resolve().parents[1]


def test_docs_rules_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "rules.md").read_text() == rulesdoc.markdown(rulesdoc.attacker_twins(ROOT / "tests")), \
        "docs/rules.md is stale: python -m auditor.judge.rulesdoc > docs/rules.md"


def test_names_are_unique_and_every_rule_says_why_and_who_taught_it():
    names = [r.name for r in registry.RULES]
    assert len(names) == len(set(names))
    for r in registry.RULES:
        assert r.kind in ("normalization", "tool-step", "cause", "source") and len(r.reason) > 20 and r.taught_by, r


def test_an_unregistered_name_is_an_error_under_the_tests():
    cmp = Comparison(normalizations=["made-up-normalization"], differences=[])
    with pytest.raises(registry.UnregisteredRule, match="made-up-normalization"):
        registry.check_emitted(cmp)
    with pytest.raises(registry.UnregisteredRule):
        registry.check_emitted(Comparison(normalizations=[], differences=[], tool_steps=["frobnicator 1.0"]))


def test_bytecode_a_build_step_left_is_named_through_the_comparison(tmp_path):
    pyc = (3495).to_bytes(2, "little") + b"\r\n" + bytes(12) + b"code"  # timestamp-based header (flags 0)
    reb = wheel(tmp_path / "r.whl", members=BASE[:-1] + [("pkg/__pycache__/tool.cpython-311.pyc", pyc, 0o644),
                                                       BASE[-1]])
    pub = wheel(tmp_path / "p.whl")
    cmp = compare_other_platform(pub, reb)
    assert not cmp.differences and [d.cause for d in cmp.compiled_differences] == ["bytecode"]


def test_a_configured_file_is_named_through_the_sources_check(tmp_path):
    src = tmp_path / "sdist"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__config__.py.in").write_bytes(CONFIG_IN)
    good = (CONFIG_IN.replace(b"@C_COMP@", b"gcc").replace(b"@C_VERSION@", b"10.2.1").replace(b"@C_ARGS@", b"-O2")
            .replace(b"@IS_DEBUG@", b"False"))
    pub = wheel(tmp_path / "pkg-1.0-cp311-cp311-linux_x86_64.whl", members=[
        ("pkg/__config__.py", good, 0o644), ("pkg/_x.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755),
        ("pkg-1.0.dist-info/RECORD", PLACEHOLDER, 0o644)])
    cmp = cross_check_sources(pub, src)
    assert not cmp.differences and "configured from pkg/__config__.py.in" in cmp.tool_steps
    assert [d.cause for d in cmp.compiled_differences if d.path == "pkg/__config__.py"] == ["configured-file"]


def test_a_stale_file_of_the_publishers_tree_is_named(tmp_path):
    path = tmp_path / "p.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, _ in BASE[:-1]:
            zf.writestr(zipfile.ZipInfo(name, date_time=T2), data)
        zf.writestr(zipfile.ZipInfo("pkg/old.py", date_time=(2019, 1, 1, 0, 0, 0)), b"old = 1\n")
        zf.writestr(zipfile.ZipInfo("pkg-1.0.dist-info/RECORD", date_time=(2023, 5, 7, 0, 0, 0)), b"")
    cmp = compare_wheels(read_wheel(path), wheel(tmp_path / "r.whl"))
    stale = next(d for d in cmp.differences if d.path == "pkg/old.py")
    assert stale.cause.startswith("a file the sdist does not build, dated 2019-01-01"), stale


def test_a_wheel_built_with_python_2_says_so(tmp_path):
    py2 = [(n, d.replace(b"py3-none-any", b"py2-none-any"), m) for n, d, m in BASE]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=py2), wheel(tmp_path / "r.whl"))
    assert verdict_of(cmp)[0].value == "differs"
    assert any("built with Python 2" in (d.cause or "") for d in cmp.differences), cmp.differences
