"""A release's time budget: once it is spent no more builds start, and the report says so."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def test_release_budget_stops_further_builds(tmp_path, index, auditor, container_backend):
    sdist, wheel = build_project(make_project(tmp_path / "src", "fixbudget", "1.0"), tmp_path / "dist")
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("fixbudget", "1.0", index.add("fixbudget", sdist, NOW), index.add("fixbudget", wheel, NOW)))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend,
                "--release-budget", "0.000001", "--no-result-cache")
    pkg = r.package("fixbudget")
    assert pkg["builds"] == [] and pkg["budget_hit"] is True
    assert any("time budget" in n for n in pkg["notes"])
    (w,) = pkg["wheels"]
    assert w["verdict"] == "failed" and w["check"] == "sources" and "time budget" in w["reason"], w
    assert pkg["verdict"] == "failed" and not pkg.get("rebuilt_here") and r.results["rebuilt"]["releases"] == 0
    assert r.code == 0 and "rebuilt here: 0 of 1 releases" in r.stdout  # failed does not fail the run by default
    strict = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend",
                     container_backend, "--release-budget", "0.000001", "--strict")
    assert strict.code == 3 and strict.package("fixbudget")["verdict"] == "failed"  # ... but does under --strict
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend,
                "--no-result-cache")
    assert r.package("fixbudget")["verdict"] == "identical"  # the default budget does not get in the way
