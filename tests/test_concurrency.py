"""Two runs on one cache directory at the same time, a corrupted cache entry, and a report directory
already in use."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _publish(tmp_path, index, names):
    lines, hashes = [], {}
    for name in names:
        proj = make_project(tmp_path / "src", name, "1.0")
        sdist, wheel = build_project(proj, tmp_path / "dist" / name)
        hashes[name] = (index.add(name, sdist, NOW), index.add(name, wheel, NOW))
        lines.append(lock_line(name, "1.0", *hashes[name]))
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + "".join(lines))
    return lock, hashes


def _start(lock: Path, report: Path, cache: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "auditor", "check", str(lock), "--report-dir", str(report), "--cache-dir", str(cache),
         "--build-index-url", PYPI, "-q", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, COLUMNS="200"))


def _cache_is_sound(cache: Path) -> int:
    n = 0
    for f in (cache / "sha256").rglob("*"):
        if f.is_file():
            assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name, f
            n += 1
    for entry in (cache / "results").iterdir():
        if not entry.name.startswith("."):
            json.loads((entry / "result.json").read_text())
    return n


def test_two_concurrent_runs_share_one_cache(tmp_path, index):
    lock, _ = _publish(tmp_path, index, ["fixconc1", "fixconc2", "fixconc3"])
    cache = tmp_path / "cache"  # fresh: both runs download, resolve and build at the same time
    runs = [_start(lock, tmp_path / f"report{i}", cache) for i in (1, 2)]
    outs = [p.communicate(timeout=900) for p in runs]
    for p, (out, err) in zip(runs, outs):
        assert p.returncode == 0 and "Traceback" not in err, err
    results = [json.loads((tmp_path / f"report{i}" / "results.json").read_text()) for i in (1, 2)]
    for res in results:
        assert res["complete"]
        assert [(p["name"], p["verdict"]) for p in res["packages"]] == [
            ("fixconc1", "identical"), ("fixconc2", "identical"), ("fixconc3", "identical")]
    assert _cache_is_sound(cache) >= 6
    third = _start(lock, tmp_path / "report3", cache)
    out, err = third.communicate(timeout=300)
    res3 = json.loads((tmp_path / "report3" / "results.json").read_text())
    assert third.returncode == 0 and all(p.get("cached") for p in res3["packages"]), err


def test_a_corrupted_cache_entry_is_fetched_again(tmp_path, index):
    lock, hashes = _publish(tmp_path, index, ["fixcorrupt"])
    cache = tmp_path / "cache"
    p = _start(lock, tmp_path / "r1", cache)
    p.communicate(timeout=600)
    assert p.returncode == 0
    sdist_hash, wheel_hash = hashes["fixcorrupt"]
    sdist = cache / "sha256" / sdist_hash[:2] / sdist_hash
    wheel = cache / "sha256" / wheel_hash[:2] / wheel_hash
    sdist.write_bytes(sdist.read_bytes()[:100])  # truncated
    wheel.write_bytes(b"\0" * wheel.stat().st_size)  # same size, other bytes
    before = len(index.requests)
    p = _start(lock, tmp_path / "r2", cache, "--no-result-cache")
    _, err = p.communicate(timeout=600)
    res = json.loads((tmp_path / "r2" / "results.json").read_text())
    assert p.returncode == 0 and res["packages"][0]["verdict"] == "identical", err
    fetched = [r for r in index.requests[before:] if r.startswith("/files/")]
    assert len(fetched) == 2, fetched  # both damaged entries were detected by their hash and downloaded again
    _cache_is_sound(cache)


def test_a_report_directory_in_use_is_refused(tmp_path, index):
    lock, _ = _publish(tmp_path, index, ["fixbusy"])
    report = tmp_path / "busy"
    report.mkdir()
    with open(report / ".auditor.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        p = _start(lock, report, tmp_path / "cache")
        _, err = p.communicate(timeout=120)
    assert p.returncode == 2 and "another auditor run" in err and "Traceback" not in err
    assert not (report / "results.json").exists()
