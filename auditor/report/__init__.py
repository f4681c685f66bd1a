"""Formatters over results.json, one module a format; every one reads the same results dict.

html.py         index.html (jinja2, self-contained)
markdown.py     summary.md (CI step summaries)
annotations.py  GitHub Actions `::error` lines
terminal.py     rich tables for the terminal (summary, upload timeline)
"""

from __future__ import annotations

from pathlib import Path

from auditor.report.annotations import github_annotations
from auditor.report.html import render_html
from auditor.report.markdown import render_summary
from auditor.results import RunSummary, summarize

__all__ = ["github_annotations", "render_all", "render_html", "render_summary"]


def render_all(data: dict, report_dir: Path, summary: RunSummary | None = None) -> None:
    """The files a report directory holds: index.html and summary.md, from one summary of the run."""
    summary = summary or summarize(data)
    render_html(data, report_dir, summary=summary)
    render_summary(data, report_dir, summary)
