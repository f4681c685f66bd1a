"""Toolchain search: candidates from setuptools' real history, and a search that never rescues a
tampered wheel (real paginate-sqlalchemy 0.3.1 rebuilt in the container, served from a local index)."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx

from auditor.plan import toolchain
from auditor.judgement import WheelJudgement
from auditor.records import BuildPlan, Difference, IndexFile, TimestampPolicy, Verdict
from tests.fixtureindex import lock_line, rewrite_wheel

T = TimestampPolicy(None, "mtime", "test")


def _plan(requires, cutoff, backend="wheel"):
    return BuildPlan(backend=backend, backend_version="0.34.2", generator="bdist_wheel (0.34.2)", requires=requires,
                     cutoff=cutoff, timestamp=T)


def _files(*versions_and_times):
    return [IndexFile(f"setuptools-{v}-py3-none-any.whl", "u", "0" * 64, datetime(*t, tzinfo=timezone.utc))
            for v, t in versions_and_times]


FILES = _files(("44.1.0", (2020, 4, 1)), ("45.3.0", (2020, 3, 1)), ("46.1.3", (2020, 3, 30)), ("46.0.0", (2020, 3, 5)),
               ("49.6.0", (2020, 8, 14)), ("70.0.0", (2024, 5, 21)), ("75.8.0", (2025, 1, 19)), ("80.9.0", (2025, 5, 27)))


def test_candidates_are_the_newest_of_each_major_before_the_upload_within_constraints():
    plan = _plan(["setuptools>=40.8.0", "setuptools<70.1", "wheel==0.34.2"], datetime(2020, 5, 1, tzinfo=timezone.utc))
    assert toolchain.candidates(plan, FILES, "2.1", tried=set()) == ["46.1.3", "45.3.0", "44.1.0"]
    assert toolchain.candidates(plan, FILES, "2.1", tried={"46.1.3"}) == ["45.3.0", "44.1.0"]
    late = _plan(["setuptools>=40.8.0"], datetime(2026, 1, 1, tzinfo=timezone.utc), backend="setuptools")
    assert toolchain.candidates(late, FILES, "2.4", tried=set()) == ["80.9.0"]  # Metadata-Version 2.4: 77 and later
    assert toolchain.candidates(late, FILES, "2.2", tried=set()) == ["75.8.0"]
    # a build on Python 3.11 (released 2022-10-24) does not try setuptools from before 2021-10-24
    import dataclasses
    on311 = dataclasses.replace(_plan(["setuptools"], datetime(2026, 1, 1, tzinfo=timezone.utc)), python="3.11")
    assert toolchain.candidates(on311, FILES, "2.1", tried=set()) == ["70.0.0"]
    assert toolchain.candidates(dataclasses.replace(on311, python="3.8"), FILES, "2.1", tried=set()) == \
        ["70.0.0", "49.6.0", "46.1.3", "45.3.0", "44.1.0"]


def test_search_rounds_spread_then_neighbours():
    ordered = [str(v) for v in range(70, 40, -1)]
    assert toolchain.first_round(ordered) == ["70", "56", "41"]
    assert toolchain.neighbours(ordered, "56") == ["57", "55", "58", "54"]


def test_search_is_only_for_what_a_toolchain_explains():
    plan = _plan(["setuptools"], None)
    added = WheelJudgement(Verdict.DIFFERS, "", differences=(Difference("pkg/_setup/x.py", "removed"),))
    changed = WheelJudgement(Verdict.DIFFERS, "", differences=(Difference("pkg/a.py", "content"),))
    spelled = WheelJudgement(Verdict.EQUIVALENT, None, normalizations=("metadata-format",), differences=())
    assert toolchain.worth_searching(plan, [added])
    assert toolchain.worth_searching(plan, [spelled])
    assert toolchain.worth_searching(plan, [changed]) is None  # no toolchain changes a line of code
    assert toolchain.worth_searching(plan, [added, changed]) is None
    # a platform wheel's comparison (partial: its compiled members are not reproduced): files packaged by
    # another setuptools are worth a search (fastavro 1.12.1's bdist_wheel-era wheels lack the .pyi stubs
    # setuptools >= 69 packages), a METADATA spelling alone is not (nothing more can become identical)
    partial_spelled = WheelJudgement(Verdict.PARTIAL, "", normalizations=("metadata-format",), differences=())
    assert toolchain.worth_searching(plan, [partial_spelled]) is None
    stubs = WheelJudgement(Verdict.DIFFERS, "", differences=(Difference("pkg/_read.pyi", "removed"),))
    assert toolchain.worth_searching(plan, [partial_spelled, stubs])
    flit = BuildPlan("flit-core", "3.9.0", "flit 3.9.0", ["flit_core==3.9.0"], None, T)
    assert toolchain.worth_searching(flit, [spelled]) is None


def _pypi_files(name: str, version: str) -> dict[str, bytes]:
    r = httpx.get(f"https://pypi.org/simple/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"},
                  timeout=60, follow_redirects=True)
    out = {}
    for f in r.json()["files"]:
        if f"-{version}" in f["filename"] and f["filename"].endswith((".tar.gz", ".whl")):
            out[f["filename"]] = httpx.get(f["url"], timeout=120, follow_redirects=True).content
    return out


def test_search_runs_and_never_rescues_an_added_module(tmp_path, index, auditor, container_backend):
    """paginate-sqlalchemy 0.3.1's wheel holds a LICENSE its sdist lacks: the search tries older
    setuptools (recorded), the honest wheel stays a metadata-class difference (exit 0 by default),
    and the same wheel with an added module differs naming it (exit 1)."""
    files = _pypi_files("paginate-sqlalchemy", "0.3.1")
    sdist = next(n for n in files if n.endswith(".tar.gz"))
    wheel = next(n for n in files if n.endswith(".whl"))
    for n, data in files.items():
        (tmp_path / n).write_bytes(data)
    up = datetime(2020, 5, 2, tzinfo=timezone.utc)
    sd_hash = index.add("paginate-sqlalchemy", tmp_path / sdist, up)
    honest = tmp_path / "honest.txt"
    honest.write_text(lock_line("paginate-sqlalchemy", "0.3.1", sd_hash, index.add("paginate-sqlalchemy", tmp_path / wheel, up)))
    r = auditor("check", str(honest), "--index-url", index.url, "--build-index-url", "https://pypi.org/simple/",
                "--backend", container_backend, report_dir=tmp_path / "honest")
    pkg = r.package("paginate-sqlalchemy")
    (search,) = pkg["toolchain_search"]
    assert search["tried"] and search["chosen"], search
    classes = {d["cls"] for w in pkg["wheels"] for d in w["differences"]}
    assert "code" not in classes, pkg["wheels"][0]["differences"]
    assert r.code == 0, r.stderr

    (tmp_path / "evil").mkdir()
    evil = rewrite_wheel(tmp_path / wheel, tmp_path / "evil" / wheel,
                         lambda m: m.__setitem__("paginate_sqlalchemy/evil.py", b"import os\nos.system('id')\n"))
    index.add("paginate-sqlalchemy", evil, up)
    lock = tmp_path / "evil.txt"
    lock.write_text(lock_line("paginate-sqlalchemy", "0.3.1", sd_hash, index.add("paginate-sqlalchemy", evil, up)))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", "https://pypi.org/simple/",
                "--backend", container_backend, report_dir=tmp_path / "evil-report")
    pkg = r.package("paginate-sqlalchemy")
    assert pkg["verdict"] == "differs" and pkg["toolchain_search"][0]["tried"]
    diffs = {(d["path"], d["cls"]) for d in pkg["wheels"][0]["differences"]}
    assert ("paginate_sqlalchemy/evil.py", "code") in diffs, diffs
    assert r.code == 1
