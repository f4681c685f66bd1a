"""Network faults against the local fixture index: retries, stalls, dropped connections.
Verdicts and exit codes stay meaningful, the run goes on, and no traceback is printed."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _publish(tmp_path, index, names):
    lines = []
    wheels = {}
    for name in names:
        proj = make_project(tmp_path / "src", name, "1.0")
        sdist, wheel = build_project(proj, tmp_path / "dist" / name)
        lines.append(lock_line(name, "1.0", index.add(name, sdist, NOW), index.add(name, wheel, NOW)))
        wheels[name] = wheel.name
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + "".join(lines))
    return lock, wheels


def test_503_twice_then_success(tmp_path, index, auditor):
    lock, _ = _publish(tmp_path, index, ["fixflaky"])
    index.faults["/simple/fixflaky/"] = [503, 503]
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    assert r.package("fixflaky")["verdict"] == "identical", r.stderr
    assert index.requests.count("/simple/fixflaky/") == 3 and r.code == 0


def test_a_download_dropped_once_is_retried_from_the_start(tmp_path, index, auditor):
    lock, wheels = _publish(tmp_path, index, ["fixdrop1"])
    index.faults[f"/files/{wheels['fixdrop1']}"] = ["drop"]
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    assert r.package("fixdrop1")["verdict"] == "identical", r.package("fixdrop1")
    assert index.requests.count(f"/files/{wheels['fixdrop1']}") == 2


def test_stall_and_dropped_download_are_unverifiable_and_the_run_goes_on(tmp_path, index, auditor):
    lock, wheels = _publish(tmp_path, index, ["fixhang", "fixdrop", "fixok"])
    index.faults["/simple/fixhang/"] = ["hang"] * 4
    index.faults[f"/files/{wheels['fixdrop']}"] = ["drop"] * 4
    r = auditor("check", str(lock), "--build-index-url", PYPI, "--http-timeout", "2", timeout=600)
    assert "Traceback" not in r.stderr
    hang, drop, ok = r.package("fixhang"), r.package("fixdrop"), r.package("fixok")
    assert hang["verdict"] == "unverifiable" and "timed out" in hang["reason"].lower(), hang["reason"]
    assert drop["verdict"] == "unverifiable" and "download failed" in drop["reason"], drop["reason"]
    assert ok["verdict"] == "identical"
    assert r.results["complete"] and r.code == 0
    r3 = auditor("check", str(lock), "--build-index-url", PYPI, "--http-timeout", "2", "--strict", timeout=600)
    assert r3.code == 0  # the faults were used up: the same run now verifies everything
