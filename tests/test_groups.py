"""Grouping and scoring without network or docker: which interpreter builds a wheel, which wheels share
one build, and which comparison a build keeps."""

from __future__ import annotations

from datetime import datetime, timezone

from auditor.plan.groups import plan_groups, wheel_python
from auditor.rebuild.attempts import score
from auditor.records import IndexFile, WheelResult
from tests.test_compare import BASE, wheel

PYTHONS = ["3.9", "3.11", "3.13", "3.14"]


def test_each_wheel_is_built_by_its_own_interpreter_when_an_image_has_it():
    assert wheel_python("p-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", PYTHONS, "3.11") == "3.13"
    assert wheel_python("p-1.0-cp314-cp314-manylinux_2_28_x86_64.whl", PYTHONS, "3.11") == "3.14"
    assert wheel_python("p-1.0-cp39-abi3-manylinux_2_17_x86_64.whl", PYTHONS, "3.11") == "3.9"  # tagged by its builder
    assert wheel_python("p-1.0-py3-none-any.whl", PYTHONS, "3.11") == "3.11"
    assert wheel_python("p-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", PYTHONS, "3.11") is None  # no 3.12 image
    assert wheel_python("p-1.0-cp313-cp313-macosx_11_0_arm64.whl", PYTHONS, "3.11") is None


def _entry(f: IndexFile) -> WheelResult:
    return WheelResult(filename=f.filename, url=f.url, sha256=None, upload_time=None, size=None, yanked=None, flags=[])


def test_wheels_built_alike_share_one_build_and_its_earliest_cutoff(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n')
    early, late = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 1, 2, tzinfo=timezone.utc)
    entries = []
    for name, when in (("pkg-1.0-py3-none-any.whl", late), ("pkg-1.0-py2.py3-none-any.whl", early),
                       ("pkg-1.0-cp312-cp312-macosx_11_0_arm64.whl", early)):
        f = IndexFile(name, f"https://x/{name}", None, when)
        wheel(tmp_path / name)
        entries.append((f, _entry(f), tmp_path / name))
    plans, others = plan_groups(entries, src, "3.11", PYTHONS)
    # both pure wheels say the same in WHEEL (Generator, Tag): one build, as of the earliest upload;
    # the other platform's wheel is grouped apart, by its build requirements
    (plan, _, members), = plans.values()
    assert sorted(m[0].filename for m in members) == ["pkg-1.0-py2.py3-none-any.whl", "pkg-1.0-py3-none-any.whl"]
    assert plan.cutoff == early and plan.python == "3.11"
    assert [[m[0].filename for m in g[2]] for g in others.values()] == [["pkg-1.0-cp312-cp312-macosx_11_0_arm64.whl"]]
    done = _entry(entries[0][0])
    done.set(verdict="differs")
    assert plan_groups([(entries[0][0], done, entries[0][2])], src, "3.11", PYTHONS) == ({}, {})  # judged already


def test_a_build_keeps_the_comparison_with_the_better_verdict_then_fewer_differences():
    identical = {"verdict": "identical"}
    spelled = {"verdict": "equivalent", "metadata_format": ["METADATA: Platform: UNKNOWN"]}
    one = {"verdict": "differs", "differences": [{}]}
    two = {"verdict": "differs", "differences": [{}, {}]}
    assert sorted([two, one, spelled, identical], key=score) == [identical, spelled, one, two]
