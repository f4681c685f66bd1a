"""What a finished (or interrupted) run writes besides results.json: the HTML report and summary, the
extra formats (--format sarif|vsa), GitHub annotations and step summary, and the terminal tables."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.cli.console import error_line, fail, out
from auditor.errors import InputError
from auditor.report import github_annotations, render_all
from auditor.report.terminal import summary_table
from auditor.results import RunSummary, summarize

FORMATS = ("sarif", "vsa")


def parse_formats(values: list[str], sign_key: Path | None) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))
    for f in out:
        if f not in FORMATS:
            fail(f"--format takes {' or '.join(FORMATS)}, not {f!r}")
    if sign_key is not None and "vsa" not in out:
        out += ("vsa",)
    return out


def write_formats(data: dict, report_dir: Path, formats: tuple[str, ...], sign_key: Path | None,
                  summary: RunSummary | None = None) -> None:
    from auditor.report.sarif import render_sarif
    from auditor.report.vsa import render_vsa

    if "sarif" in formats:
        render_sarif(data, report_dir, summary)
    if "vsa" in formats:
        try:
            render_vsa(data, report_dir, sign_key)
        except InputError as exc:
            fail(str(exc))


def render_safely(data: dict, report_dir: Path, summary: RunSummary | None = None) -> None:
    """The HTML report during a run: results.json is already written, so a report that cannot be drawn
    says so in one line and the run goes on."""
    try:
        render_all(data, report_dir, summary)
    except Exception as exc:  # the report must never end a run and lose its results
        error_line(f"the HTML report could not be rendered ({type(exc).__name__}: {exc}); results.json is complete")


def after_run(data: dict, report_dir: Path, formats: tuple[str, ...] = (), sign_key: Path | None = None) -> RunSummary:
    """Everything a finished run writes and prints, from one summary of it (returned: the exit code is its)."""
    summary = summarize(data)
    render_safely(data, report_dir, summary)
    write_formats(data, report_dir, formats, sign_key, summary)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(data):
            print(line)
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as f:
                f.write((report_dir / "summary.md").read_text())
    out.print(summary_table(data))
    out.print(summary.counts_line(), highlight=False)
    out.print(summary.rebuilt_line(), highlight=False)
    out.print(summary.time_line(), highlight=False)
    out.print(f"results: {report_dir / 'results.json'}\nreport:  {report_dir / 'index.html'}", highlight=False)
    return summary
