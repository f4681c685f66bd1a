"""Grouping and scoring without network or docker: which interpreter builds a wheel, which wheels share
one build, and which comparison a build keeps."""

from __future__ import annotations

from datetime import datetime, timezone

from auditor.plan.groups import plan_groups, wheel_python
from auditor.judge.attempts import score
from auditor.judgement import WheelJudgement
from auditor.records import Difference, IndexFile, Verdict, WheelResult
from tests.test_compare import wheel

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
    done.judged(WheelJudgement(Verdict.DIFFERS, "differs"))
    assert plan_groups([(entries[0][0], done, entries[0][2])], src, "3.11", PYTHONS) == ({}, {})  # judged already


def test_a_build_keeps_the_comparison_with_the_better_verdict_then_fewer_differences():
    identical = WheelJudgement(Verdict.IDENTICAL)
    spelled = WheelJudgement(Verdict.EQUIVALENT, metadata_format=("METADATA: Platform: UNKNOWN",))
    one = WheelJudgement(Verdict.DIFFERS, differences=(Difference("a", "added"),))
    two = WheelJudgement(Verdict.DIFFERS, differences=(Difference("a", "added"), Difference("b", "added")))
    assert sorted([two, one, spelled, identical], key=score) == [identical, spelled, one, two]


def test_compiled_wheels_are_rebuilt_for_the_locks_python_and_the_others_compared_with_that_rebuild(tmp_path):
    """The lock installs Python 3.11: its cp311 wheel is rebuilt with 3.11, the cp313 and cp39 wheels join the
    other platforms' (compared with the 3.11 rebuild, said in a note); pure wheels are unaffected. Without
    targets (--all-interpreters) each interpreter's wheel is rebuilt with its own."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools>=70"]\nbuild-backend = "setuptools.build_meta"\n')
    entries = []
    for name in ("pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "pkg-1.0-cp313-cp313-manylinux_2_17_x86_64.whl",
                 "pkg-1.0-cp39-cp39-manylinux_2_17_x86_64.whl"):
        f = IndexFile(name, f"https://x/{name}", None, datetime(2025, 1, 1, tzinfo=timezone.utc))
        wheel(tmp_path / name)
        entries.append((f, _entry(f), tmp_path / name))
    plans, others = plan_groups(entries, src, "3.11", PYTHONS, targets=["3.11"])
    assert [(p.python, [m[0].filename for m in ms]) for p, _, ms in plans.values()] == \
        [("3.11", ["pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"])]
    demoted = sorted(m[0].filename for _, _, ms in others.values() for m in ms)
    assert demoted == ["pkg-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "pkg-1.0-cp39-cp39-manylinux_2_17_x86_64.whl"]
    assert all(p.python == "3.11" for p, _, _ in others.values())
    assert "compared with the rebuild for the lock's Python 3.11" in entries[1][1].notes[0]
    fresh = [(f, _entry(f), p) for f, _, p in entries]
    plans, others = plan_groups(fresh, src, "3.11", PYTHONS)
    assert sorted(p.python for p, _, _ in plans.values()) == ["3.11", "3.13", "3.9"] and not others


def test_the_locks_python_is_read_from_what_wrote_it(tmp_path):
    from auditor.cli.execute import RunSettings, target_pythons
    from auditor.lockfiles import read_lock

    lock = tmp_path / "requirements.txt"
    body = "six==1.17.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"
    lock.write_text("#\n# This file is autogenerated by pip-compile with Python 3.13\n# by the following command:\n#\n" + body)
    read = read_lock(lock)
    assert read.python == "==3.13" and "pip-compile" in read.python_source
    s = RunSettings(report_dir=tmp_path)
    assert target_pythons(read, s, PYTHONS)[0] == ["3.13"]
    assert target_pythons(read, RunSettings(report_dir=tmp_path, python="3.9"), PYTHONS)[0] == ["3.9"]
    assert target_pythons(read, RunSettings(report_dir=tmp_path, all_interpreters=True), PYTHONS)[0] is None
    lock.write_text("# uv pip compile --no-deps --generate-hashes --python-version 3.11 in.txt -o r.txt\n" + body)
    assert target_pythons(read_lock(lock), s, PYTHONS)[0] == ["3.11"]
    lock.write_text(body)
    assert target_pythons(read_lock(lock), s, PYTHONS) == (None, "every interpreter (the lock does not say which "
                                                                 "Python it was made for)")
    lock.write_text("# autogenerated by pip-compile with Python 3.12\n" + body)  # no image has 3.12
    targets, why = target_pythons(read_lock(lock), s, PYTHONS)
    # built once, with the nearest interpreter (the newer on a tie: 3.12 removed what 3.13 lacks too), not four times
    assert targets == ["3.13"] and "nearest an image has, 3.13" in why and "--all-interpreters" in why
    lock.write_text("# autogenerated by pip-compile with Python 3.10\n" + body)
    assert target_pythons(read_lock(lock), s, ["3.9", "3.13"])[0] == ["3.9"]
    assert target_pythons(read_lock(lock), RunSettings(report_dir=tmp_path, all_interpreters=True), PYTHONS)[0] is None
    # --python 3.12 says the same as the lock's header: no image has it, so the nearest one builds (it stopped the
    # run with "image auditor-build:bookworm has no usable python3.12" before)
    targets, why = target_pythons(read_lock(lock), RunSettings(report_dir=tmp_path, python="3.12"), PYTHONS)
    assert targets == ["3.13"] and "no image has the Python 3.12 that --python names" in why


def test_a_wheel_for_a_python_older_than_every_image_resolves_its_eras_toolchain():
    """multidict 6.0.5's cp37 wheels lack the .pyi and py.typed its cp311 ones ship: setuptools 69 began to
    package them, and 68.0 was the last to support Python 3.7. A wheel for a Python older than every image's
    is rebuilt with build requirements resolved for its own Python; newer Pythons no image has (cp310,
    cp312) and several interpreters at once are not."""
    from auditor.plan.groups import era_python
    pythons = ["3.9", "3.11", "3.13", "3.14"]
    assert era_python("multidict-6.0.5-cp37-cp37m-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", pythons) == "3.7"
    assert era_python("multidict-6.0.5-cp38-cp38-win_amd64.whl", pythons) == "3.8"
    assert era_python("multidict-6.0.5-cp310-cp310-win_amd64.whl", pythons) is None
    assert era_python("multidict-6.0.5-cp39-cp39-macosx_11_0_arm64.whl", pythons) is None
    assert era_python("x-1.0-cp37.cp38-abi3-manylinux1_x86_64.whl", pythons) is None
    # an abi3 wheel names the oldest Python it runs on, not the one it was built with (psutil 7.2.1's)
    assert era_python("psutil-7.2.1-cp36-abi3-win_amd64.whl", pythons) is None
    assert era_python("psutil-7.2.1-cp37-abi3-macosx_10_9_x86_64.whl", pythons) is None
    assert era_python("x-1.0-py3-none-any.whl", pythons) is None


def test_a_wheel_whose_own_configuration_failed_is_failed_never_partial_against_another(tmp_path):
    """The publisher decides whether a build fails: when a macOS wheel's own configuration failed, another
    configuration's rebuild never stands in for it (it would come out `partial`, hiding the failure); a
    configuration never built (past the limits) is still compared with a rebuild made, and says so."""
    from types import SimpleNamespace

    from auditor.fetch.archives import read_wheel
    from auditor.judge.attempts import Rebuilt
    from auditor.judge.release import _Release
    from auditor.records import PackageResult
    from tests import attacker

    src = attacker.write_sdist_dir(tmp_path / "src", "setuptools", "demo")
    rebuilt = attacker.write_wheel(tmp_path / "rebuilt", "demo", "cp311-cp311-linux_x86_64", attacker.members(
        "demo", tag="cp311-cp311-linux_x86_64"))
    mac = attacker.write_wheel(tmp_path / "pub", "demo", "cp311-cp311-macosx_11_0_arm64", attacker.members(
        "demo", tag="cp311-cp311-macosx_11_0_arm64"))
    ctx = SimpleNamespace(opts=SimpleNamespace(release_budget=0))
    result = PackageResult(name="demo", version="1.0", lock_file="requirements.txt", lock_line=1)
    run = _Release(src, ctx, "", tmp_path, None, result)  # type: ignore[arg-type]
    run.built[("setuptools>=61",)] = Rebuilt(rebuilt, read_wheel(rebuilt), rebuilt.name)
    run.failed[("setuptools>=61", "wheel")] = "build-failed: this build fails by its publisher's choice"
    entry = WheelResult(filename=mac.name, url="", sha256=None, upload_time=None, size=None, yanked=None, flags=[])
    run.compare_other_platforms({("setuptools>=61", "wheel"): (None, [], [(entry, read_wheel(mac), mac)])})
    judged = run.judged[id(entry)]
    assert judged.verdict == "failed" and judged.check == "sources", judged
    assert judged.reason.startswith("not rebuilt (build-failed: this build fails by its publisher's choice)")
    never = WheelResult(filename=mac.name, url="", sha256=None, upload_time=None, size=None, yanked=None, flags=[])
    run.compare_other_platforms({("other",): (None, [], [(never, read_wheel(mac), mac)])})
    judged = run.judged[id(never)]
    assert judged.verdict == "partial" and judged.check == "rebuilt-other-platform"
    assert any("another configuration" in n for n in judged.notes)
    never.judged(judged)
    assert never.verdict == "partial" and any("another configuration" in n for n in never.notes or [])
