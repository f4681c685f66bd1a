"""A static site from the history (`auditor history site DB --out DIR`): an index with the trend of verdicts and
of the share of releases rebuilt here across runs, a page per project (every version's verdicts over time, its
wheels, what differs, links to diffoscope pages), a page per run, and an SVG badge per project. Plain HTML and
inline SVG: it works from file://, with no server, no script and no CDN."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from auditor.history.diff import default_pair, diff

ORDER = ["identical", "equivalent", "partial", "unverifiable", "failed", "differs"]
COLOR = {"identical": "#2e7d32", "equivalent": "#66bb6a", "partial": "#9ccc65", "unverifiable": "#9e9e9e",
         "failed": "#ffa726", "differs": "#d32f2f"}
CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.v{color:#fff;border-radius:3px;padding:0 5px;font-size:12px;white-space:nowrap}
a{color:#1565c0}small{color:#666}h1 small{font-weight:normal}.legend span{margin-right:1em}"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", name.lower())


def _verdict(v: str | None) -> str:
    return f'<span class="v" style="background:{COLOR.get(v or "", "#777")}">{_e(v or "-")}</span>'


def _page(title: str, body: str, depth: int = 0) -> str:
    up = "../" * depth
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title><style>{CSS}</style>'
            f'</head><body><p><a href="{up}index.html">auditor history</a></p>{body}</body></html>\n')


def _trend(runs: list[dict[str, Any]]) -> str:
    """Stacked bars of release verdicts per run, and the share rebuilt here as a line."""
    if not runs:
        return "<p>No runs recorded.</p>"
    w, h, pad = max(320, 14 * len(runs) + 60), 220, 40
    bar = (w - 2 * pad) / len(runs)
    peak = max(sum(json.loads(r["counts"] or "{}").values()) for r in runs) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 40}" role="img" '
             'aria-label="verdicts per run">']
    line = []
    for i, r in enumerate(runs):
        counts, y = json.loads(r["counts"] or "{}"), float(h)
        for v in ORDER:
            n = counts.get(v, 0)
            if not n:
                continue
            bh = (h - pad) * n / peak
            y -= bh
            parts.append(f'<rect x="{pad + i * bar:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{bh:.1f}" '
                         f'fill="{COLOR[v]}"><title>run {r["id"]} {_e(r["started"])}: {n} {v}</title></rect>')
        rebuilt = json.loads(r["rebuilt"] or "{}")
        if rebuilt.get("of"):
            share = rebuilt["releases"] / rebuilt["of"]
            line.append(f"{pad + (i + 0.5) * bar:.1f},{h - (h - pad) * share:.1f}")
    if line:
        parts.append(f'<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{" ".join(line)}">'
                     "<title>share of releases rebuilt here</title></polyline>")
    parts.append(f'<line x1="{pad}" y1="{h}" x2="{w - pad}" y2="{h}" stroke="#999"/>'
                 f'<text x="{pad}" y="{h + 16}" font-size="11">run {runs[0]["id"]} ({_e(runs[0]["started"][:10])})</text>'
                 f'<text x="{w - pad}" y="{h + 16}" font-size="11" text-anchor="end">run {runs[-1]["id"]} '
                 f'({_e(runs[-1]["started"][:10])})</text><text x="{pad}" y="14" font-size="11">{peak} releases</text></svg>')
    legend = "".join(f'<span>{_verdict(v)}</span>' for v in ORDER) + '<span style="color:#1565c0">— rebuilt here</span>'
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def badge(label: str, message: str, color: str) -> str:
    lw, mw = 7 * len(label) + 10, 7 * len(message) + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + mw}" height="20" role="img" aria-label="{_e(label)}: '
            f'{_e(message)}"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" '
            f'fill="{color}"/><g fill="#fff" font-family="Verdana,sans-serif" font-size="11">'
            f'<text x="5" y="14">{_e(label)}</text><text x="{lw + 5}" y="14">{_e(message)}</text></g></svg>\n')


def _badge_for(wheels: list) -> str:
    verdicts = [w["verdict"] for w in wheels]
    if "differs" in verdicts:
        return badge("auditor", "differs", COLOR["differs"])
    good = sum(v in ("identical", "equivalent", "partial") for v in verdicts)
    exact = sum(v in ("identical", "equivalent") for v in verdicts)
    if exact == len(verdicts) and verdicts:
        return badge("reproducible", f"{exact}/{len(verdicts)} wheels", COLOR["identical"])
    if good == len(verdicts) and verdicts:  # compiled members not reproduced byte for byte: never "reproducible"
        return badge("rebuilt", f"{good}/{len(verdicts)} wheels, partial", COLOR["partial"])
    if "failed" in verdicts:
        return badge("auditor", f"failed ({good}/{len(verdicts)} rebuilt)", COLOR["failed"])
    return badge("auditor", "unverifiable", COLOR["unverifiable"])


def build_site(db: sqlite3.Connection, out: Path) -> dict[str, int]:
    """Write the site into `out`; returns how many pages of each kind."""
    db.row_factory = sqlite3.Row
    runs = [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY started, id")]
    for sub in ("projects", "runs", "badges"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    names = [r[0] for r in db.execute("SELECT DISTINCT name FROM releases ORDER BY name")]
    latest = runs[-1]["id"] if runs else None
    rows = []
    for name in names:
        wheels = list(db.execute(
            "SELECT j.* , f.filename FROM judged j JOIN files f ON f.id = j.file_id JOIN releases r ON r.id = f.release_id "
            "WHERE r.name = ? AND j.run_id = (SELECT MAX(run_id) FROM judgements j2 JOIN files f2 ON f2.id = j2.file_id "
            "JOIN releases r2 ON r2.id = f2.release_id WHERE r2.name = ?)", (name, name)))
        (out / "badges" / f"{_slug(name)}.svg").write_text(_badge_for(wheels))
        (out / "projects" / f"{_slug(name)}.html").write_text(_project(db, name, runs, wheels))
        rel = db.execute("SELECT r.version, rr.verdict FROM run_releases rr JOIN releases r ON r.id = rr.release_id "
                         "WHERE r.name = ? ORDER BY rr.run_id DESC LIMIT 1", (name,)).fetchone()
        rows.append(f'<tr><td><a href="projects/{_slug(name)}.html">{_e(name)}</a></td><td>{_e(rel[0] if rel else "")}</td>'
                    f'<td>{_verdict(rel[1] if rel else None)}</td><td><img src="badges/{_slug(name)}.svg" alt=""></td></tr>')
    for r in runs:
        (out / "runs" / f"{r['id']}.html").write_text(_run(db, r))
    run_rows = "".join(f'<tr><td><a href="runs/{r["id"]}.html">{r["id"]}</a></td><td>{_e(r["started"])}</td>'
                       f'<td>{_e(r["lockfile"])}</td><td>{_counts(r)}</td></tr>' for r in reversed(runs))
    body = (f"<h1>Reproducibility over time <small>{len(runs)} runs, {len(names)} projects"
            f"{f', latest run {latest}' if latest else ''}</small></h1>{_trend(runs)}"
            f"<h2>Projects</h2><table><tr><th>project</th><th>version</th><th>latest verdict</th><th>badge</th></tr>"
            f"{''.join(rows)}</table><h2>Runs</h2><table><tr><th>run</th><th>started</th><th>lock</th><th>releases</th></tr>"
            f"{run_rows}</table>")
    (out / "index.html").write_text(_page("auditor history", body))
    return {"projects": len(names), "runs": len(runs), "badges": len(names)}


def _counts(r: dict[str, Any]) -> str:
    counts = json.loads(r["counts"] or "{}")
    rebuilt = json.loads(r["rebuilt"] or "{}")
    said = " ".join(f"{_verdict(v)} {counts[v]}" for v in ORDER if counts.get(v))
    return said + (f' <small>rebuilt here {rebuilt["releases"]} of {rebuilt["of"]}</small>' if rebuilt.get("of") else "")


def _project(db: sqlite3.Connection, name: str, runs: list[dict[str, Any]], wheels: list[sqlite3.Row]) -> str:
    grid = list(db.execute("SELECT rr.run_id, r.version, rr.verdict, rr.reason FROM run_releases rr JOIN releases r "
                           "ON r.id = rr.release_id WHERE r.name = ? ORDER BY rr.run_id", (name,)))
    by_run = {g["run_id"]: g for g in grid}
    started = {r["id"]: r for r in runs}
    history = "".join(f'<tr><td><a href="../runs/{rid}.html">{rid}</a></td><td>{_e(started[rid]["started"])}</td>'
                      f'<td>{_e(g["version"])}</td><td>{_verdict(g["verdict"])}</td><td><small>{_e((g["reason"] or "")[:200])}'
                      f"</small></td></tr>" for rid, g in by_run.items() if rid in started)
    report = next((started[w["run_id"]]["report_dir"] for w in wheels if w["run_id"] in started), None)
    wheel_rows = []
    for w in wheels:
        diffs = json.loads(w["differences"] or "[]")
        shown = "<br>".join(f'{_e(d.get("path"))} <small>{_e(d.get("kind"))}, {_e(d.get("cls"))}'
                            f'{", " + _e(d.get("cause")) if d.get("cause") else ""}</small>' for d in diffs[:8])
        link = (f' <a href="{_e(Path(report).resolve().as_uri())}/{_e(w["diffoscope"])}">diffoscope</a>'
                if w["diffoscope"] and report else "")
        wheel_rows.append(f"<tr><td>{_e(w['filename'])}</td><td>{_verdict(w['verdict'])}</td><td>{_e(w['check_name'])}</td>"
                          f"<td>{shown}{link}<br><small>{_e((w['reason'] or '')[:300])}</small></td></tr>")
    body = (f'<h1>{_e(name)} <img src="../badges/{_slug(name)}.svg" alt=""></h1><h2>Over time</h2><table><tr><th>run</th>'
            f"<th>started</th><th>version</th><th>verdict</th><th>why</th></tr>{history}</table>"
            f"<h2>Wheels in its latest run</h2><table><tr><th>wheel</th><th>verdict</th><th>check</th><th>what differs</th></tr>"
            f"{''.join(wheel_rows)}</table>")
    return _page(f"{name}: auditor history", body, 1)


def _run(db: sqlite3.Connection, r: dict[str, Any]) -> str:
    rels = list(db.execute("SELECT r.name, r.version, rr.verdict, rr.reason FROM run_releases rr JOIN releases r ON "
                           "r.id = rr.release_id WHERE rr.run_id = ? ORDER BY r.name", (r["id"],)))
    pair = default_pair(db, r["id"])
    changes = ""
    if pair:
        d = diff(db, *pair)
        items = "".join(f"<tr><td>{_e(c.kind)}</td><td><a href=\"../projects/{_slug(c.name)}.html\">{_e(c.name)}</a> "
                        f"{_e(c.version)}</td><td>{_e(c.filename or '')}</td><td>{_e(c.detail)}</td></tr>" for c in d.changes)
        changes = (f"<h2>Since run {pair[0]}</h2><p>{_e(d.summary())}</p>"
                   + (f"<table><tr><th>change</th><th>release</th><th>file</th><th>detail</th></tr>{items}</table>" if items else ""))
    images = ", ".join(_e(i if isinstance(i, str) else json.dumps(i)) for i in json.loads(r["images"] or "[]") if i)
    rows = "".join(f'<tr><td><a href="../projects/{_slug(x["name"])}.html">{_e(x["name"])}</a></td><td>{_e(x["version"])}</td>'
                   f'<td>{_verdict(x["verdict"])}</td><td><small>{_e((x["reason"] or "")[:200])}</small></td></tr>' for x in rels)
    body = (f"<h1>Run {r['id']} <small>{_e(r['started'])}</small></h1><p>lock {_e(r['lockfile'])}; auditor "
            f"{_e(r['auditor_version'])}; images: {images or 'not recorded'}; {'complete' if r['complete'] else 'incomplete'}</p>"
            f"<p>{_counts(r)}</p>{changes}<h2>Releases</h2><table><tr><th>release</th><th>version</th><th>verdict</th>"
            f"<th>why</th></tr>{rows}</table>")
    return _page(f"run {r['id']}: auditor history", body, 1)
