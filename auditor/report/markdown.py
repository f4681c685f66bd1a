"""summary.md: a short Markdown summary for CI step summaries."""

from __future__ import annotations

from pathlib import Path

from auditor.report.common import VERDICTS
from auditor.results import RunSummary, summarize


def member_totals(p: dict) -> str:
    """The package's wheels' members by how they were verified, summed ("—" when no wheel says)."""
    keys = ("bytes", "normalized", "interface", "not_verified")
    totals = dict.fromkeys(keys, 0)
    seen = False
    for w in (p.get("wheels") or []) + (p.get("unlocked") or []):
        for k in keys:
            totals[k] += (w.get("verified") or {}).get(k, 0)
        seen = seen or bool(w.get("verified"))
    return " / ".join(str(totals[k]) for k in keys) if seen else "—"


def render_summary(data: dict, report_dir: Path, summary: RunSummary | None = None) -> Path:
    summary = summary or summarize(data)
    c = summary.counts
    lines = [f"## auditor: {data.get('lockfile') or data.get('command')}", ""]
    lines.append(" · ".join(f"**{v}**: {c[v]}" for v in VERDICTS if c[v]) or "no packages")
    lines.append("")
    lines.append(summary.rebuilt_line())
    lines.append("")
    lines.append(summary.time_line())
    if not data.get("complete"):
        lines.append("\n> ⚠ the run did not complete: these are the packages audited before it stopped.")
    env = data.get("environment", {})
    if env.get("isolation") == "none":
        lines.append("\n> ⚠ isolation: none — rebuilt on the host without a container.")
    bad = [p for p in data.get("packages", []) if p["verdict"] in ("differs", "failed", "unverifiable", "partial")]
    if bad:
        lines += ["", "| package | verdict | rebuilt here | members of its wheels: bytes / normalized / interface / "
                  "not verified | why |", "|---|---|---|---|---|"]
        for p in bad:
            why = (p.get("reason") or "").replace("|", "\\|").replace("\n", " ")[:200]
            lines.append(f"| {p['name']}=={p['version']} | {p['verdict']} | {'yes' if p.get('rebuilt_here') else 'no'} | "
                         f"{member_totals(p)} | {why} |")
    out = report_dir / "summary.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
