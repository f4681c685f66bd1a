"""The HTML report (jinja2): self-contained, rendered from results.json."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.fsutil import write_atomic
from auditor.timestamps import parse_time
from auditor.results import RunSummary, summarize
from auditor.fetch.timeline import BURST_GAP, bursts, timeline

from auditor.report.common import VERDICTS

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


SPLIT_OVER = 40  # releases: a larger run is a small index.html and a page per release under releases/


def page_name(p: dict) -> str:
    """The file of a release's own page (releases/NAME-VERSION.html), safe whatever the lock spells."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{p.get('name')}-{p.get('version')}") + ".html"


def render_html(data: dict, report_dir: Path, split: bool | None = None, summary: RunSummary | None = None) -> Path:
    """index.html for the run; past SPLIT_OVER releases (or with split=True) a small index (header, counts,
    findings, the releases table) linking a page per release, each with its timeline, wheels and builds."""
    report_dir.mkdir(parents=True, exist_ok=True)
    packages = data.get("packages", [])
    split = len(packages) > SPLIT_OVER if split is None else split
    logs: dict[str, str] = {}
    total = 0
    for p in packages:
        for b in p.get("builds") or []:
            if b.get("log") and total <= EMBED_LOGS_UP_TO:
                logs[b["log"]] = _read_log(report_dir, b["log"])
                total += len(logs[b["log"]])
    if total > EMBED_LOGS_UP_TO:  # a large run (a 300-release lock wrote a 17 MB page): every log is linked instead
        logs = {}
    timelines = [timeline_view(timeline(p)) for p in packages]
    common = dict(data=data, verdicts=VERDICTS, logs=logs, rel=_relative(report_dir), split=split,
                  href=lambda p: f"releases/{page_name(p)}" if split else f"#pkg-{p.get('name')}-{p.get('version')}")
    summary = summary or summarize(data)
    html = _env().get_template("index.html.j2").render(
        counts=summary.counts, rebuilt_line=summary.rebuilt_line(), timelines=timelines, images_used=images_used(data),
        **common)
    out = report_dir / "index.html"
    write_atomic(out, html)
    if split:
        pages = report_dir / "releases"
        pages.mkdir(exist_ok=True)
        page = _env().get_template("release-page.html.j2")
        for p, tl in zip(packages, timelines):
            write_atomic(pages / page_name(p), page.render(p=p, tl=tl, **common))
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


def timeline_view(rows: list[dict[str, Any]], width: int = 640) -> dict[str, Any]:
    """A release's uploads as bursts (fetch/timeline.bursts) placed on one axis for the report's inline SVG:
    each burst's x (0..width) and width, and a one-line label (when, how many files, their verdicts)."""
    groups = bursts(rows)
    times = [t for t in (parse_time(r["upload_time"]) for r in rows) if t]
    lo, hi = (min(times), max(times)) if times else (None, None)
    span = ((hi - lo).total_seconds() if lo and hi else 0) or 1.0
    for b in groups:
        start, end = parse_time(b["start"]), parse_time(b["end"])
        if start is None or end is None or lo is None:
            b["x"], b["w"] = None, 0
            when = "upload time unknown"
        else:
            b["x"] = round(10 + (width - 20) * (start - lo).total_seconds() / span, 1)
            b["w"] = round((width - 20) * (end - start).total_seconds() / span, 1)
            when = b["start"][:16].replace("T", " ") + (f" to {b['end'][:16].replace('T', ' ')}" if b["end"][:16] != b["start"][:16] else "")
        n = len(b["rows"])
        files = b["rows"][0]["filename"] if n == 1 else f"{n} files"
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(b["verdicts"].items()))
        b["label"] = f"{when}: {files} ({verdicts})" + (" (late)" if b["late"] else "")
    known = [r["upload_time"] for r in rows if parse_time(r["upload_time"])]
    return {"bursts": groups, "files": len(rows), "gap": f"{int(BURST_GAP.total_seconds() // 3600)} h",
            "first": known[0][:16].replace("T", " ") if known else None,
            "last": known[-1][:16].replace("T", " ") if known else None}
