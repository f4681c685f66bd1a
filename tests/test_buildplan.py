"""Build-plan inference: backend pin from Generator, pinning declared requires, timestamp policy."""

from __future__ import annotations

import zipfile

import pytest

from auditor.fetch.archives import read_wheel
from auditor.plan.config import backend_pin, pin_requires, timestamp_policy


@pytest.mark.parametrize("generator,expected", [
    ("flit 3.12.0", ("flit-core", "3.12.0")),
    ("hatchling 1.27.0", ("hatchling", "1.27.0")),
    ("setuptools (75.6.0)", ("setuptools", "75.6.0")),
    ("bdist_wheel (0.42.0)", ("wheel", "0.42.0")),
    ("poetry-core 2.1.3", ("poetry-core", "2.1.3")),
    ("pdm-backend (2.4.5)", ("pdm-backend", "2.4.5")),
    ("uv 0.7.3", ("uv-build", "0.7.3")),
    ("maturin (1.8.1)", ("maturin", "1.8.1")),
    ("something else 1.0", (None, None)),
    (None, (None, None)),
])
def test_backend_pin(generator, expected):
    assert backend_pin(generator) == expected


def test_pin_requires_replaces_the_backend_and_keeps_the_rest():
    reqs, notes = pin_requires(["hatchling>=1.26", "hatch-vcs"], "hatchling", "1.27.0")
    assert reqs == ["hatchling==1.27.0", "hatch-vcs"] and notes == []
    reqs, notes = pin_requires(["setuptools>=61"], "wheel", "0.42.0")
    assert reqs == ["setuptools>=61", "setuptools<70.1", "wheel==0.42.0"]
    reqs, notes = pin_requires(["flit_core>=3.2,<4"], "flit-core", "4.2.0")
    assert reqs == ["flit_core==4.2.0"] and "outside" in notes[0]


def _wheel(tmp_path, times):
    p = tmp_path / "w-1.0-py3-none-any.whl"
    with zipfile.ZipFile(p, "w") as zf:
        for i, t in enumerate(times):
            zf.writestr(zipfile.ZipInfo(f"w/f{i}.py", date_time=t), "x")
    return read_wheel(p)


def test_timestamp_policy(tmp_path):
    uniform = timestamp_policy(_wheel(tmp_path, [(2024, 5, 6, 7, 8, 10)] * 3), "flit-core")
    assert uniform.source_date_epoch == 1714979290 and uniform.name == "uniform:2024-05-06T07:08:10"
    mixed = timestamp_policy(_wheel(tmp_path, [(2024, 5, 6, 7, 8, 10), (2023, 1, 1, 0, 0, 0)]), "setuptools")
    assert mixed.source_date_epoch is None and mixed.name == "mtime"
    uv = timestamp_policy(_wheel(tmp_path, [(1980, 1, 1, 0, 0, 0)] * 2), "uv-build")
    assert uv.source_date_epoch is None


def _sources_and_wheel(tmp_path, mtimes, offset_of):
    """Source files with the given mtimes, and a wheel whose entry times are those mtimes shifted."""
    import calendar
    import os
    import time

    src = tmp_path / "src"
    (src / "w").mkdir(parents=True)
    times = []
    for i, mtime in enumerate(mtimes):
        f = src / "w" / f"f{i}.py"
        f.write_text("x")
        os.utime(f, (mtime, mtime))
        local = mtime + offset_of(mtime)
        times.append(time.gmtime(local - local % 2)[:6])  # zip keeps even seconds
        assert calendar.timegm(times[-1]) <= local
    return src, _wheel(tmp_path, times)


def test_local_time_zone_fixed_offset(tmp_path):
    from auditor.plan.config import timestamp_candidates

    mtimes = [1700000001, 1700003333, 1710000000]
    src, wheel = _sources_and_wheel(tmp_path, mtimes, lambda t: 5 * 3600 + 1800)  # UTC+05:30
    first, second = timestamp_candidates(wheel, "flit-core", src)
    assert first.tz == "<+0530>-05:30" and first.source_date_epoch is None and "UTC+05:30" in first.reason
    assert second.name == "mtime" and second.tz is None


def test_local_time_zone_with_daylight_saving(tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from auditor.plan.config import local_time_zone

    berlin = ZoneInfo("Europe/Berlin")
    winter, summer = 1700000000, 1720000000  # November (UTC+1) and July (UTC+2)
    src, wheel = _sources_and_wheel(
        tmp_path, [winter, summer, summer + 77],
        lambda t: int(datetime.fromtimestamp(t, berlin).utcoffset().total_seconds()))
    tz, why = local_time_zone(wheel, src)
    offsets = {int(datetime.fromtimestamp(t, ZoneInfo(tz)).utcoffset().total_seconds()) for t in (winter, summer)}
    assert offsets == {3600, 7200} and "daylight saving" in why


def test_no_time_zone_when_times_are_utc_mtimes_or_unrelated(tmp_path):
    from auditor.plan.config import local_time_zone, timestamp_candidates

    src, wheel = _sources_and_wheel(tmp_path, [1700000000, 1700005000], lambda t: 0)
    assert local_time_zone(wheel, src) is None
    assert [c.name for c in timestamp_candidates(wheel, "flit-core", src)] == ["mtime"]
    src2, wheel2 = _sources_and_wheel(tmp_path / "b", [1700000000, 1700005000], lambda t: 12345)
    assert local_time_zone(wheel2, src2) is None  # not a whole quarter-hour offset: not a time zone


def test_a_setuptools_wheel_of_an_sdist_declaring_another_backend_is_built_by_its_setup_py(tmp_path):
    """python3-saml 1.16.0 (held-out corpus): pyproject.toml declares poetry, its wheels say
    `Generator: bdist_wheel (0.37.1)`: the publisher ran setup.py; the rebuild does too."""
    from auditor.plan.config import built_by_setup_py

    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["poetry-core"]\n'
                                             'build-backend = "poetry.core.masonry.api"\n')
    assert built_by_setup_py("wheel", tmp_path) is None  # no setup.py: nothing else to run
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    assert "poetry.core.masonry.api" in built_by_setup_py("wheel", tmp_path)
    assert built_by_setup_py("poetry-core", tmp_path) is None  # the declared backend made it
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n'
                                             'build-backend = "setuptools.build_meta"\n')
    assert built_by_setup_py("setuptools", tmp_path) is None
    # charset-normalizer's in-tree backend wraps setuptools (and its mypyc switch): it builds the sdist itself
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n'
                                             'build-backend = "_mypyc_hook"\nbackend-path = ["_mypyc_hook"]\n')
    assert built_by_setup_py("setuptools", tmp_path) is None


def test_a_wheel_made_outside_the_sdists_build_system_names_its_maker():
    """protobuf 6.33.4 / 7.35.1 (both corpora): `Generator: bazel-wheelmaker 1.0`."""
    from auditor.judge.release import _name_foreign_builder
    from auditor.judgement import WheelJudgement
    from auditor.records import BuildPlan, Difference, TimestampPolicy, Verdict

    def judged(verdict):
        return WheelJudgement(verdict, "1 difference(s) [code]: p/x.py", differences=(Difference("p/x.py", "added", "d"),))
    t = TimestampPolicy(None, "mtime", "")
    bazel = BuildPlan(None, None, "bazel-wheelmaker 1.0", ["setuptools"], None, t)
    differs = _name_foreign_builder(bazel, judged(Verdict.DIFFERS))
    assert "bazel-wheelmaker 1.0" in differs.differences[0].cause and "probable cause: made by" in differs.reason
    assert _name_foreign_builder(bazel, judged(Verdict.PARTIAL)).differences[0].cause is None  # only differing wheels
    known = _name_foreign_builder(BuildPlan("setuptools", "80.9.0", "setuptools (80.9.0)", ["setuptools"], None, t),
                                  judged(Verdict.DIFFERS))
    assert known.differences[0].cause is None


def test_a_wheel_poetry_itself_made_pins_poetry_not_poetry_core(tmp_path):
    """backoff 1.10.0, bridgekeeper 0.9 (held-out corpus): `Generator: poetry 0.12.10` was written by poetry
    itself before poetry-core existed, and the sdist requires poetry>=0.12."""
    from auditor.plan.config import make_plan
    from tests.test_compare import BASE, wheel

    members = [(n, b"Wheel-Version: 1.0\nGenerator: poetry 0.12.10\nRoot-Is-Purelib: true\nTag: py3-none-any\n", m)
               if n.endswith("WHEEL") else (n, d, m) for n, d, m in BASE]
    wa = wheel(tmp_path / "pkg-1.0-py3-none-any.whl", members=members)
    src = tmp_path / "src"
    src.mkdir()
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["poetry>=0.12"]\nbuild-backend = "poetry.masonry.api"\n')
    plan, _ = make_plan(wa, src, None, "3.11")
    assert plan.backend == "poetry" and "poetry==0.12.10" in plan.requires, plan.requires
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["poetry-core>=1.0.0"]\n'
                                        'build-backend = "poetry.core.masonry.api"\n')
    plan, _ = make_plan(wa, src, None, "3.11")
    assert plan.backend == "poetry-core" and "poetry-core==0.12.10" in plan.requires


def test_setup_requires_are_read_from_setup_py_and_handed_in(tmp_path):
    """mccabe 0.6.1: setup_requires=['pytest-runner'] would be downloaded while the build runs, which the
    sandbox cannot: it is read off setup.py (never run) and resolved with the other build requirements; the
    legacy default carries wheel (cachy 0.3.0: `invalid command 'bdist_wheel'` without it)."""
    from auditor.plan.config import declared_requires, setup_requires

    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='m', setup_requires=['pytest-runner', "
                                       "'not a requirement!'], tests_require=['pytest'])\n")
    assert setup_requires(tmp_path) == ["pytest-runner"]
    requires, source = declared_requires(tmp_path)
    assert requires == ["setuptools>=40.8.0", "wheel", "pytest-runner"] and "setup_requires (pytest-runner)" in source
    (tmp_path / "setup.py").write_text("import setuptools\nsetuptools.setup(setup_requires=compute())\n")
    assert setup_requires(tmp_path) == [] and declared_requires(tmp_path)[0] == ["setuptools>=40.8.0", "wheel"]
