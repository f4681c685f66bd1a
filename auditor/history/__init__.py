"""Nightly memory: runs recorded in a SQLite history (store.py), what changed between two runs (diff.py), and a
static site of verdicts over time with badges (site.py)."""

from __future__ import annotations

from pathlib import Path

from auditor.history.diff import RunDiff, default_pair, diff, fails
from auditor.history.store import HistoryError, import_results, open_store, record

__all__ = ["HistoryError", "RunDiff", "default_pair", "diff", "fails", "import_results", "open_store", "record",
           "record_run"]


def record_run(path: Path, results: dict, report_dir: Path) -> RunDiff | None:
    """Record a finished run into the history at `path`; what changed since the lock's previous run, if any."""
    db = open_store(path)
    try:
        run_id, _ = record(db, results, str(report_dir))
        pair = default_pair(db, run_id)
        return diff(db, *pair) if pair else None
    finally:
        db.close()
