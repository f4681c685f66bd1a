"""Rebuilds are cached by their build inputs, apart from verdicts (caches/builds.py): a run whose
verdicts are not cached (a judge change, or --no-result-cache) takes every build from the build cache, with
the same verdicts and without running the sandbox; other build inputs (another SOURCE_DATE_EPOCH, another
sdist) build again."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def test_a_verdict_is_recomputed_from_cached_rebuilds(tmp_path, index, auditor, container_backend):
    sdist, wheel = build_project(make_project(tmp_path / "src", "fixbcache", "1.0"), tmp_path / "dist")
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("fixbcache", "1.0", index.add("fixbcache", sdist, NOW), index.add("fixbcache", wheel, NOW)))
    args = ("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend)
    first = auditor(*args, "--no-result-cache", report_dir=tmp_path / "r1")
    one = first.package("fixbcache")
    assert one["verdict"] == "identical" and one["builds"]
    again = auditor(*args, "--no-result-cache", report_dir=tmp_path / "r2")
    two = again.package("fixbcache")
    assert two["verdict"] == one["verdict"] and [w["reason"] for w in two["wheels"]] == [w["reason"] for w in one["wheels"]]
    assert all(b.get("build_cache") for b in two["builds"]), two["builds"]
    assert [b["rebuilt"] for b in two["builds"]] == [b["rebuilt"] for b in one["builds"]]
    log = (again.report_dir / two["builds"][0]["log"]).read_text()
    assert "taken from the build cache" in log and "[auditor-driver]" in log  # the original build's log, kept
    # another sdist of the same name and version (another index): other inputs, built again
    sdist2, wheel2 = build_project(make_project(tmp_path / "src2", "fixbcache", "1.0", extra_files={"fixbcache/more.py": "y = 2\n"}),
                                   tmp_path / "dist2")
    from tests.fixtureindex import FixtureIndex
    other = FixtureIndex(tmp_path / "index2")
    try:
        lock.write_text(lock_line("fixbcache", "1.0", other.add("fixbcache", sdist2, NOW), other.add("fixbcache", wheel2, NOW)))
        third = auditor("check", str(lock), "--index-url", other.url, "--build-index-url", PYPI, "--backend",
                        container_backend, "--no-result-cache", report_dir=tmp_path / "r3")
        assert not any(b.get("build_cache") for b in third.package("fixbcache")["builds"])
    finally:
        other.close()


def test_a_timed_out_build_is_kept_under_its_timeout(tmp_path):
    """grpcio compiles for 15 minutes on 2 cores and times out: the next nightly run takes that outcome from the
    build cache instead of compiling again; the timeout is part of the key, so a larger one builds again."""
    from auditor.fetch import Cache
    from auditor.caches import builds as buildcache
    from auditor.records import BuildOutcome
    from auditor.sandbox import BuildJob

    cache = Cache(tmp_path / "cache")
    job = BuildJob(source_dir=tmp_path, wheelhouse=tmp_path, requirements=tmp_path / "r.txt", frontend=tmp_path,
                   out_dir=tmp_path / "out", env={"SOURCE_DATE_EPOCH": "0"}, timeout=900.0, python="3.11")
    k = buildcache.key("docker sha256:x", "ab" * 32, job, "pins", "driver")
    buildcache.put(cache, k, BuildOutcome(wheel_path=None, log="gcc ...", reason="timeout", seconds=900.0))
    hit = buildcache.get(cache, k, tmp_path / "out")
    assert hit is not None and hit.reason == "timeout" and hit.wheel_path is None
    job.timeout = 3600.0
    assert buildcache.key("docker sha256:x", "ab" * 32, job, "pins", "driver") != k


def test_the_build_recipe_digest_is_what_the_sandbox_is_handed():
    """The driver, the frontend's pins and the code laying the frontend out; not frontend.py's import lines
    (moving the fetch stage into a package changed them, and every cached build was rebuilt)."""
    import inspect

    from auditor.sandbox import frontend
    src = inspect.getsource(frontend.driver_digest)
    assert "prepare_frontend, frontend_pins" in src and '"driver.py"' in src and "frontend*.txt" in src
    assert "from auditor" not in inspect.getsource(frontend.prepare_frontend)
