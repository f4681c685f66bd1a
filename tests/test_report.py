"""The HTML report, opened in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PYPI
from tests.test_tampering import published  # noqa: F401  (fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


@pytest.fixture
def browser(tmp_path):
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
        pytest.skip("chromium is not installed")

    def open_page(page: Path, screenshot: Path | None = None) -> tuple[str, str]:
        args = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'chrome-profile'}"]
        if screenshot:
            args += [f"--screenshot={screenshot}", "--window-size=1280,1800"]
        else:
            args += ["--dump-dom"]
        p = subprocess.run(args + [page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
        return p.stdout, p.stderr

    return open_page


def console_errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln or "Failed to load resource" in ln]


def test_report_in_a_real_browser(published, auditor, browser, tmp_path):  # noqa: F811
    r = auditor("check", str(published), "--build-index-url", PYPI)
    assert r.code == 1
    index = r.report_dir / "index.html"
    dom, stderr = browser(index)
    assert not console_errors(stderr), console_errors(stderr)
    assert re.search(r'id="count-differs">4<', dom) and re.search(r'id="count-identical">1<', dom)
    assert re.search(r'id="count-total">5<', dom)
    # verdicts are text, not only colour
    assert ">differs</span>" in dom and ">identical</span>" in dom
    # self-contained: no external scripts, styles or fonts
    html = index.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # the differs package links to its diffoscope page, which opens and names the tampered member
    link = re.search(r'href="(diffoscope/fixpy-1\.0-py3-none-any\.whl\.html)"', html)
    assert link, "no diffoscope link for fixpy"
    page = r.report_dir / link.group(1)
    ddom, dstderr = browser(page)
    assert "fixpy/util.py" in ddom
    assert "curl" in ddom and "evil" in ddom  # diffoscope renders spaces as spans
    shot = tmp_path / "report.png"
    browser(index, screenshot=shot)
    assert shot.is_file() and shot.stat().st_size > 10_000
    # summary.md and annotations for CI
    assert "| fixpy==1.0 | differs |" in (r.report_dir / "summary.md").read_text()
    gha = auditor("report", str(r.report_dir / "results.json"))
    assert gha.code == 0


def test_github_annotations(published, auditor, tmp_path):  # noqa: F811
    summary = tmp_path / "step-summary.md"
    r = auditor("check", str(published), "--build-index-url", PYPI,
                env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    ann = [ln for ln in r.stdout.splitlines() if ln.startswith("::error ")]
    assert len(ann) == 4
    assert all(f"file={published}" in a for a in ann)
    lines = {int(re.search(r"line=(\d+)", a).group(1)) for a in ann}
    text = published.read_text().splitlines()
    assert {text[n - 1].split("==")[0] for n in lines} == {"fixpy", "fixpth", "fixreq", "fixscript"}
    assert "differs" in summary.read_text()


def test_report_for_zero_packages(tmp_path, auditor, browser):
    lock = tmp_path / "requirements.txt"
    lock.write_text("# nothing locked\n")
    r = auditor("check", str(lock), "--backend", "local")
    assert r.code == 0
    assert r.results["packages"] == [] and r.results["complete"]
    assert r.results["environment"]["isolation"] == "none" and r.results["environment"]["image"] is None
    dom, stderr = browser(r.report_dir / "index.html")
    assert "No packages were audited" in dom and not console_errors(stderr)


def test_interrupted_run_keeps_results_and_renders(published, tmp_path, browser):  # noqa: F811
    """Its own cache: with the shared one every build and wheel index is already there, and the whole run can end
    between two looks at results.json, before the interruption lands."""
    import uuid

    from tests.conftest import auditor_containers

    run_id = f"test-{uuid.uuid4().hex[:12]}"
    report = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "check", str(published), "--build-index-url", PYPI,
         "--report-dir", str(report), "--cache-dir", str(tmp_path / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=dict(os.environ, AUDITOR_RUN_ID=run_id),
    )
    results = report / "results.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if results.is_file() and json.loads(results.read_text())["packages"]:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err
    data = json.loads(results.read_text())
    assert proc.returncode == 130, err
    assert data["complete"] is False and 1 <= len(data["packages"]) < 5
    dom, stderr = browser(report / "index.html")
    assert "Incomplete run" in dom and not console_errors(stderr)
    # no container survives the interruption
    if shutil.which("docker"):
        assert auditor_containers(run_id) == set()  # none of this run's containers is left
    # the same command again resumes: what was done is not rebuilt, the rest is, same final verdicts
    done_before = {p["name"] for p in data["packages"]}
    again = subprocess.run(
        [sys.executable, "-m", "auditor", "check", str(published), "--build-index-url", PYPI,
         "--report-dir", str(report), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, cwd=tmp_path, timeout=900,
    )
    final = json.loads(results.read_text())
    assert again.returncode == 1 and final["complete"]
    verdicts = {p["name"]: p["verdict"] for p in final["packages"]}
    assert verdicts == {"fixctl": "identical", "fixpy": "differs", "fixpth": "differs", "fixreq": "differs",
                        "fixscript": "differs"}
    assert {p["name"] for p in final["packages"] if p.get("cached")} == done_before


def test_a_large_runs_logs_are_linked_and_every_image_used_is_named(tmp_path, monkeypatch):
    """A 300-release run embedded every build log (a 17 MB page): past a bound they are linked instead, and the
    header names every interpreter and derived image the builds used, not only the run's default image."""
    import json as _json

    from auditor.report import html

    data = _json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "history" / "mozterm-1.0.0.results.json").read_text())
    data["packages"][0]["builds"][-1]["image"] = {"ref": "auditor-build:bookworm-plus-abc", "id": "sha256:1"}
    (tmp_path / "logs").mkdir()
    for b in data["packages"][0]["builds"]:
        (tmp_path / b["log"]).write_text("x" * 1000)
    monkeypatch.setattr(html, "EMBED_LOGS_UP_TO", 100)
    page = html.render_html(data, tmp_path).read_text()
    assert "(linked: this run's logs are too large to embed)" in page and "x" * 1000 not in page
    assert "in auditor-build:bookworm-plus-abc" in page and "Python 3.9" in page
