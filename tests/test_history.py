"""Nightly history (auditor/history): runs recorded in SQLite, what changed between two runs, a static site.
Built from a real run's results (fixtures/history: mozterm 1.0.0 audited here) and variants a test derives
from it: a verdict that flips, a wheel uploaded to the old release, a lock upgrade."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest

from auditor.history import diff, fails, open_store, record
from auditor.history.diff import default_pair
from auditor.history.site import build_site
from auditor.history.store import _V1, SCHEMA_VERSION

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "history" / "mozterm-1.0.0.results.json"


def real() -> dict:
    return json.loads(REAL.read_text())


def later(data: dict, day: int) -> dict:
    out = copy.deepcopy(data)
    out["started"] = f"2026-12-{day:02d}T02:00:00Z"
    return out


def identical(data: dict, day: int) -> dict:
    """The same run, its wheel rebuilt byte for byte (the real one was equivalent: zip times)."""
    out = later(data, day)
    w = out["packages"][0]["wheels"][0]
    w.update(verdict="identical", reason=None, normalizations=[], differences=[])
    out["packages"][0]["verdict"] = "identical"
    return out


def flipped(data: dict, day: int) -> dict:
    out = later(data, day)
    w = out["packages"][0]["wheels"][0]
    w.update(verdict="differs", classes=["code"], reason="1 difference(s) [code]: mozterm/__init__.py",
             differences=[{"path": "mozterm/__init__.py", "kind": "content", "detail": "+import os", "cls": "code"}])
    out["packages"][0]["verdict"] = "differs"
    return out


@pytest.mark.unit
def test_a_run_recorded_twice_is_one_run_and_a_wheel_judged_twice_is_one_wheel(tmp_path):
    db = open_store(tmp_path / "h.db")
    first, new = record(db, real())
    again, new_again = record(db, real())
    assert new and not new_again and first == again
    second, _ = record(db, later(real(), 5))
    assert second != first
    assert db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 1  # one wheel
    assert db.execute("SELECT COUNT(*) FROM judgements").fetchone()[0] == 2  # two judgements
    assert db.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0] == 1  # of one outcome, stored once
    assert default_pair(db) == (first, second)


@pytest.mark.unit
def test_a_wheel_that_reproduced_and_differs_tonight_is_a_regression_naming_both_runs(tmp_path):
    db = open_store(tmp_path / "h.db")
    old, _ = record(db, later(real(), 5))
    new, _ = record(db, flipped(real(), 6))
    d = diff(db, old, new)
    (reg,) = d.of("regression")
    assert (reg.before, reg.after, reg.filename, reg.classes) == ("equivalent", "differs", "mozterm-1.0.0-py2.py3-none-any.whl",
                                                                  ["code"])
    assert fails(d, {"code"}) and not fails(d, set())
    assert d.summary().startswith(f"run {new} (2026-12-06T02:00:00Z) since run {old} (2026-12-05T02:00:00Z): ")
    assert "1 regression" in d.summary()
    back = diff(db, new, old)
    assert [c.kind for c in back.changes] == ["improvement"] and not fails(back, {"code"})
    # the claim itself: a wheel rebuilt byte for byte last night that differs tonight
    was, _ = record(db, identical(real(), 7))
    now, _ = record(db, flipped(real(), 8))
    (reg,) = diff(db, was, now).of("regression")
    assert (reg.before, reg.after, reg.classes) == ("identical", "differs", ["code"])
    assert diff(db, was, now).summary().startswith(f"run {now} (2026-12-08T02:00:00Z) since run {was} ")


@pytest.mark.unit
def test_a_wheel_added_to_an_old_release_between_runs_is_named_with_its_upload_time(tmp_path):
    db = open_store(tmp_path / "h.db")
    old, _ = record(db, later(real(), 5))
    late = later(real(), 6)
    extra = copy.deepcopy(late["packages"][0]["wheels"][0])
    extra.update(filename="mozterm-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl", sha256="ab" * 32,
                 upload_time="2026-12-05T23:00:00Z", verdict="differs", classes=["code"])
    late["packages"][0]["unlocked"].append(extra)
    new, _ = record(db, late)
    d = diff(db, old, new)
    (added,) = d.of("new-file")
    assert added.filename == extra["filename"] and "uploaded 2026-12-05T23:00:00Z" in added.detail
    assert fails(d, {"code"})  # a late upload that differs in code fails the job


@pytest.mark.unit
def test_a_lock_upgrade_shows_the_old_and_the_new_versions_verdicts(tmp_path):
    db = open_store(tmp_path / "h.db")
    old, _ = record(db, later(real(), 5))
    up = flipped(real(), 6)
    up["packages"][0]["version"] = "1.1.0"
    for w in up["packages"][0]["wheels"]:
        w["filename"], w["sha256"] = "mozterm-1.1.0-py2.py3-none-any.whl", "cd" * 32
    new, _ = record(db, up)
    (c,) = diff(db, old, new).changes
    assert c.kind == "upgrade" and c.detail.startswith("1.0.0 (equivalent) -> 1.1.0 (differs)")
    assert "less reproducible" in c.detail and c.classes == ["code"]


@pytest.mark.unit
def test_a_database_of_the_first_schema_is_migrated_and_keeps_its_runs(tmp_path):
    path = tmp_path / "old.db"
    raw = sqlite3.connect(str(path))
    raw.executescript(_V1)
    raw.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    raw.execute("INSERT INTO runs (uid, started, lockfile, complete) VALUES ('x', '2026-01-01T00:00:00Z', 'r.txt', 1)")
    raw.commit()
    raw.close()
    db = open_store(path)
    assert db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    assert db.execute("SELECT lockfile, lock_sha256 FROM runs").fetchone() == ("r.txt", None)
    assert "outcome_id" in {r[1] for r in db.execute("PRAGMA table_info(judgements)")}
    record(db, real())  # the new columns are written
    db.execute("UPDATE meta SET value = '99'")
    db.commit()
    from auditor.history import HistoryError

    with pytest.raises(HistoryError, match="newer auditor"):
        open_store(path)


@pytest.mark.unit
def test_the_site_has_an_index_a_page_per_project_and_run_and_badges(tmp_path):
    db = open_store(tmp_path / "h.db")
    for day in range(1, 6):
        record(db, flipped(real(), day) if day == 5 else later(real(), day))
    made = build_site(db, tmp_path / "site")
    assert made == {"projects": 1, "runs": 5, "badges": 1}
    index = (tmp_path / "site" / "index.html").read_text()
    assert "<svg" in index and "projects/mozterm.html" in index and "http" not in index.split("<body>")[1].split("projects")[0]
    assert "differs" in (tmp_path / "site" / "badges" / "mozterm.svg").read_text()
    from auditor.history.site import _badge_for

    assert "reproducible" in _badge_for([{"verdict": "identical"}, {"verdict": "equivalent"}])
    partial = _badge_for([{"verdict": "identical"}, {"verdict": "partial"}])
    assert "reproducible" not in partial and "2/2 wheels, partial" in partial
    run5 = (tmp_path / "site" / "runs" / "5.html").read_text()
    assert "Since run 4" in run5 and "regression" in run5
    assert "equivalent" in (tmp_path / "site" / "projects" / "mozterm.html").read_text()


def test_history_cli_diff_exits_1_on_a_regression(tmp_path, auditor):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(later(real(), 5)))
    new.write_text(json.dumps(flipped(real(), 6)))
    db = tmp_path / "h.db"
    r = auditor("history", "import", str(db), str(old), str(new))
    assert r.code == 0, r.stderr
    r = auditor("history", "diff", str(db))
    assert r.code == 1 and "regression: mozterm 1.0.0" in r.stdout, r.stdout
    assert auditor("history", "diff", str(db), "--fail-on", "any", "2", "1").code == 0  # the other way: improvement
    r = auditor("history", "site", str(db), "--out", str(tmp_path / "site"))
    assert r.code == 0 and (tmp_path / "site" / "index.html").is_file()
    bad = tmp_path / "not.db"
    bad.write_text("hello")
    r = auditor("history", "diff", str(bad))
    assert r.code == 2 and "Traceback" not in r.stderr
