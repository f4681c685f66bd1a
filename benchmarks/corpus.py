"""Audit the real-world corpus and print its verdict table: counts per verdict, and per cause.

    .venv/bin/python benchmarks/corpus.py                      # audits fixtures/corpus/warehouse (cold: ~30 min)
    .venv/bin/python benchmarks/corpus.py --lock fixtures/corpus/edx-platform/requirements.txt   # the held-out lock
    .venv/bin/python benchmarks/corpus.py --results R.json     # only the tables, from an earlier run
    .venv/bin/python benchmarks/corpus.py --compare A.json B.json   # before/after, on the releases both have

The corpus is Warehouse's (PyPI's own code) `requirements/main.txt`, a pip-compile --generate-hashes
lock of 184 pins (see fixtures/corpus/warehouse/SOURCE), the lock the rules were measured on. The held-out
corpus is Open edX's edx-platform `requirements/edx/base.txt` (302 pins, fixtures/corpus/edx-platform/SOURCE):
no rule was tuned on it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "fixtures" / "corpus" / "warehouse" / "requirements.txt"


def cause(p: dict) -> str:
    """A short, countable cause for a package that is not reproduced (its reason without the details)."""
    if p["verdict"] in ("identical", "equivalent"):
        return ""
    reason = p.get("reason") or ""
    m = re.search(r"probable cause: ([^;]+)", reason) or re.search(r"build-failed: ([^;)]+)", reason)
    if m:
        return m.group(1).strip()[:90]
    m = re.search(r"\[([a-z, ]+)\]", reason)
    if m:
        return f"{m.group(1)} difference"
    return re.sub(r"[0-9]+", "N", reason.split(":")[0])[:90]


def tables(data: dict) -> str:
    pkgs = data["packages"]
    out = [f"{len(pkgs)} releases: " + ", ".join(f"{v} {n}" for v, n in Counter(p["verdict"] for p in pkgs).most_common())]
    wheels = Counter(w["verdict"] for p in pkgs for w in p.get("wheels", []) + p.get("unlocked", []))
    out.append(f"{sum(wheels.values())} wheels: " + ", ".join(f"{v} {n}" for v, n in wheels.most_common()))
    by_cause = Counter((p["verdict"], cause(p)) for p in pkgs if p["verdict"] not in ("identical", "equivalent"))
    out.append("not reproduced, by cause:")
    out += [f"  {n:3d}  {v:12s} {c}" for (v, c), n in sorted(by_cause.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(out)


def compare(a: dict, b: dict) -> str:
    pa = {p["name"]: p for p in a["packages"]}
    pb = {p["name"]: p for p in b["packages"]}
    both = sorted(set(pa) & set(pb))
    out = [f"{len(both)} releases in both runs",
           "verdict        before  after"]
    ca, cb = Counter(pa[n]["verdict"] for n in both), Counter(pb[n]["verdict"] for n in both)
    for v in ("identical", "equivalent", "partial", "unverifiable", "failed", "differs"):
        out.append(f"  {v:12s} {ca[v]:6d} {cb[v]:6d}")
    out.append("changed:")
    for n in both:
        if pa[n]["verdict"] != pb[n]["verdict"]:
            out.append(f"  {n} {pb[n]['version']}: {pa[n]['verdict']} -> {pb[n]['verdict']}  ({(pb[n].get('reason') or '')[:120]})")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path)
    ap.add_argument("--report-dir", type=Path, default=ROOT / "reports" / "corpus")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--lock", type=Path, default=LOCK)
    a = ap.parse_args()
    if a.compare:
        print(compare(*(json.loads(p.read_text()) for p in a.compare)))
        return 0
    if a.results is None:
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "auditor", "check", str(a.lock), "--report-dir", str(a.report_dir),
                        "--jobs", a.jobs, "--quiet"])
        print(f"audited {a.lock} in {time.monotonic() - t0:.0f} s")
        a.results = a.report_dir / "results.json"
    print(tables(json.loads(a.results.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
