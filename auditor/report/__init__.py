"""Formatters over results.json: the HTML report (jinja2), a Markdown summary for CI, and GitHub
Actions annotations. One source of truth: every formatter reads the same results dict."""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.results import counts
from auditor.timeline import svg_points, timeline

VERDICTS = ["differs", "failed", "unverifiable", "partial", "equivalent", "identical"]


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    """One environment per process: jinja2 compiles the template once, not at every re-render."""
    env = Environment(loader=PackageLoader("auditor.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["short"] = lambda h: (h or "")[:12]
    env.globals["flag_counts"] = flag_counts
    return env


def flag_counts(p: dict) -> list[tuple[str, int]]:
    """A package's flags and its artifacts' flags, each once with how many artifacts carry it."""
    seen: dict[str, int] = {f: 0 for f in p.get("flags") or []}
    for a in [p.get("sdist")] + (p.get("wheels") or []) + (p.get("unlocked") or []):
        for f in (a or {}).get("flags", []):
            seen[f] = seen.get(f, 0) + 1
    return sorted(seen.items())


def _read_log(report_dir: Path, rel: str | None, limit: int = 200_000) -> str:
    if not rel:
        return ""
    p = report_dir / rel
    try:
        text = p.read_text(errors="replace")
    except OSError:
        return "(log missing)"
    return text if len(text) <= limit else "…(truncated)…\n" + text[-limit:]


def render_html(data: dict, report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    logs = {}
    for p in data.get("packages", []):
        for b in p.get("builds") or []:
            if b.get("log"):
                logs[b["log"]] = _read_log(report_dir, b["log"])
    timelines = {}
    for i, p in enumerate(data.get("packages", [])):
        rows = timeline(p)
        timelines[i] = {"rows": rows, "points": svg_points(rows)}
    html = _env().get_template("index.html.j2").render(
        data=data, counts=counts(data.get("packages", [])), verdicts=VERDICTS, logs=logs, rel=_relative(report_dir),
        timelines=timelines,
    )
    out = report_dir / "index.html"
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out


def _relative(report_dir: Path):
    def rel(path: str | None) -> str | None:
        if not path:
            return None
        p = Path(path)
        try:
            return str(p.resolve().relative_to(report_dir.resolve()))
        except ValueError:
            return str(p)
    return rel


def render_summary(data: dict, report_dir: Path) -> Path:
    c = counts(data.get("packages", []))
    lines = [f"## auditor: {data.get('lockfile') or data.get('command')}", ""]
    lines.append(" · ".join(f"**{v}**: {c[v]}" for v in VERDICTS if c[v]) or "no packages")
    if not data.get("complete"):
        lines.append("\n> ⚠ the run did not complete: these are the packages audited before it stopped.")
    env = data.get("environment", {})
    if env.get("isolation") == "none":
        lines.append("\n> ⚠ isolation: none — rebuilt on the host without a container.")
    bad = [p for p in data.get("packages", []) if p["verdict"] in ("differs", "failed", "unverifiable", "partial")]
    if bad:
        lines += ["", "| package | verdict | why |", "|---|---|---|"]
        for p in bad:
            why = (p.get("reason") or "").replace("|", "\\|").replace("\n", " ")[:200]
            lines.append(f"| {p['name']}=={p['version']} | {p['verdict']} | {why} |")
    out = report_dir / "summary.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def github_annotations(data: dict) -> list[str]:
    """`::error file=LOCK,line=N::` for each package that differs (printed under GitHub Actions)."""
    out = []
    for p in data.get("packages", []):
        if p["verdict"] == "differs":
            msg = f"{p['name']}=={p['version']} differs from its sdist: {p.get('reason') or ''}"
            msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            out.append(f"::error file={p.get('lock_file')},line={p.get('lock_line')}::{msg}")
    return out


def render_all(data: dict, report_dir: Path) -> None:
    render_html(data, report_dir)
    render_summary(data, report_dir)
