"""How the history scales: a year of nightly runs of a real corpus, simulated from one real run's results with
shifted dates (a few verdicts flipped each night), recorded into a fresh SQLite history; prints the time to
record, the database's size, and the time of `history diff` (the last two runs) and `history site`.

    .venv/bin/python benchmarks/history.py RESULTS.json [--runs 365] [--db /tmp/history-bench.db]

A figure, not a test.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.history import diff, open_store, record  # noqa: E402
from auditor.history.diff import default_pair  # noqa: E402
from auditor.history.site import build_site  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path)
    ap.add_argument("--runs", type=int, default=365)
    ap.add_argument("--db", type=Path, default=None)
    a = ap.parse_args()
    base = json.loads(a.results.read_text())
    db_path = a.db or Path(tempfile.mkdtemp()) / "history.db"
    db_path.unlink(missing_ok=True)
    db = open_store(db_path)
    start = datetime(2025, 12, 1, 2, 0, tzinfo=timezone.utc)
    t0 = time.monotonic()
    for night in range(a.runs):
        data = copy.deepcopy(base)
        data["started"] = (start + timedelta(days=night)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for i, p in enumerate(data["packages"]):  # a few wheels flip each night, as rule or image changes would
            if (i + night) % 97 == 0:
                for w in p["wheels"]:
                    w["verdict"] = "differs" if w.get("verdict") != "differs" else "equivalent"
        record(db, data)
    recorded = time.monotonic() - t0
    size = db_path.stat().st_size
    t1 = time.monotonic()
    d = diff(db, *default_pair(db))
    diffed = time.monotonic() - t1
    t2 = time.monotonic()
    made = build_site(db, Path(tempfile.mkdtemp()) / "site")
    sited = time.monotonic() - t2
    wheels = sum(len(p.get("wheels") or []) + len(p.get("unlocked") or []) for p in base["packages"])
    print(f"{a.runs} runs of {len(base['packages'])} releases ({wheels} wheels a run)")
    print(f"record: {recorded:.1f} s ({1000 * recorded / a.runs:.0f} ms a run); database {size / 1e6:.1f} MB "
          f"({size / a.runs / 1e3:.0f} kB a run)")
    print(f"diff of the last two runs: {diffed:.2f} s ({len(d.changes)} changes)")
    print(f"site: {sited:.1f} s ({made['projects']} project pages, {made['runs']} run pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
