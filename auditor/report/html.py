"""The HTML report (jinja2): self-contained, rendered from results.json."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.fsutil import write_atomic
from auditor.fetch.index import parse_time
from auditor.results import counts
from auditor.fetch.timeline import timeline

from auditor.report.common import VERDICTS, rebuilt_line

CLASS_ORDER = ["code", "metadata", "packaging"]


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    """One environment per process: jinja2 compiles the template once, not at every re-render."""
    env = Environment(loader=PackageLoader("auditor.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["short"] = lambda h: (h or "")[:12]
    env.globals["flag_counts"] = flag_counts
    # not-reproduced releases first (a reader of a 150-release report starts there), then lock order
    env.tests["record"] = lambda path: str(path).endswith(".dist-info/RECORD")  # evidence, listed last
    env.filters["worst_first"] = lambda pkgs: sorted(pkgs, key=lambda p: VERDICTS.index(p["verdict"])
                                                     if p.get("verdict") in VERDICTS else len(VERDICTS))
    env.filters["findings_order"] = lambda pairs: sorted(pairs, key=lambda pf: [CLASS_ORDER.index(c) for c in
                                                                                 pf[1]["classes"] if c in CLASS_ORDER])
    return env


def images_used(data: dict) -> list[str]:
    """Every image and interpreter the run's builds used (the run's default image is one of several when wheels
    were built for other Pythons or in derived images)."""
    seen: dict[str, None] = {}
    for p in data.get("packages", []):
        for b in p.get("builds") or []:
            image = (b.get("image") or {}).get("ref")
            seen[f"Python {b.get('python')}" + (f" in {image}" if image else "")] = None
    return sorted(seen)


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


EMBED_LOGS_UP_TO = 4 << 20  # bytes of build logs embedded in index.html; past it they are linked (logs/ beside it)


def render_html(data: dict, report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    logs: dict[str, str] = {}
    total = 0
    for p in data.get("packages", []):
        for b in p.get("builds") or []:
            if b.get("log") and total <= EMBED_LOGS_UP_TO:
                logs[b["log"]] = _read_log(report_dir, b["log"])
                total += len(logs[b["log"]])
    if total > EMBED_LOGS_UP_TO:  # a large run (a 300-release lock wrote a 17 MB page): every log is linked instead
        logs = {}
    timelines = {}
    for i, p in enumerate(data.get("packages", [])):
        rows = timeline(p)
        timelines[i] = {"rows": rows, "points": svg_points(rows)}
    html = _env().get_template("index.html.j2").render(
        data=data, counts=counts(data.get("packages", [])), rebuilt_line=rebuilt_line(data), verdicts=VERDICTS, logs=logs, rel=_relative(report_dir),
        timelines=timelines, images_used=images_used(data),
    )
    out = report_dir / "index.html"
    write_atomic(out, html)
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


def svg_points(rows: list[dict[str, Any]], width: int = 640) -> list[dict[str, Any]]:
    """x positions (0..width) of each artifact's upload time, for the report's inline SVG."""
    times = [parse_time(r["upload_time"]) for r in rows]
    known = [t for t in times if t]
    if not known:
        return []
    lo, hi = min(known), max(known)
    span = (hi - lo).total_seconds() or 1.0
    pts = []
    for r, t in zip(rows, times):
        if t:
            pts.append({"x": round(10 + (width - 20) * (t - lo).total_seconds() / span, 1), "row": r,
                        "late": "late-upload" in r["flags"]})
    return pts

