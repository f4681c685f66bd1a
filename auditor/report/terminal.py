"""Rich tables for the terminal: the run's summary and a release's upload timeline."""

from __future__ import annotations

from collections import Counter

from rich.markup import escape
from rich.table import Table

from auditor.records import Verdict
from auditor.report.common import VERDICT_STYLE
from auditor.fetch.timeline import timeline


def _severity(verdict: str) -> int:
    try:
        return Verdict(verdict).severity
    except ValueError:
        return 0


def wheel_counts(wheels: list[dict]) -> str:
    """"8 differs, 1 partial": the wheels' verdicts, worst first (a release may have 60 wheels)."""
    if len(wheels) <= 1:
        return wheels[0]["verdict"] if wheels else "-"
    counts = Counter(w["verdict"] for w in wheels)
    order = sorted(counts, key=lambda v: (-_severity(v), v))
    return ", ".join(f"{counts[v]} {v}" for v in order)


def summary_table(data: dict) -> Table:
    t = Table(title=f"auditor {data.get('command', 'check')}: {data.get('lockfile') or ''}", show_lines=False)
    for col in ("package", "version", "verdict", "wheels", "why"):
        t.add_column(col, overflow="fold")
    for p in data["packages"]:
        ws = p.get("wheels", []) + p.get("unlocked", [])
        wv = wheel_counts(ws)
        v = p["verdict"]
        t.add_row(p["name"], p["version"], f"[{VERDICT_STYLE.get(v, '')}]{v}[/]", wv, escape((p.get("reason") or "")[:160]))
    return t


def timeline_table(p: dict) -> Table:
    t = Table(title=f"{p['name']} {p['version']}: upload timeline")
    for col in ("uploaded", "file", "flags", "verdict", "publisher (PEP 740)"):
        t.add_column(col, overflow="fold")
    for row in timeline(p):
        pubs = (row["publisher"] or {}).get("publishers") if row["publisher"] else None
        who = ", ".join(f"{x.get('repository', '?')} {x.get('workflow', '')}".strip() for x in pubs) if pubs else "-"
        t.add_row(row["upload_time"] or "-", row["filename"], " ".join(row["flags"]) or "-", row["verdict"] or "(source)", who)
    return t
