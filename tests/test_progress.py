"""The rich progress display: on stderr when it is a terminal, off with --quiet or when stderr is a
pipe (CI logs). Runs the real CLI with its stderr on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _lock(tmp_path, index):
    proj = make_project(tmp_path / "src", "fixprog", "1.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + lock_line("fixprog", "1.0", index.add("fixprog", sdist, NOW),
                                                              index.add("fixprog", wheel, NOW)))
    return lock


def _run_on_pty(cmd: list[str], timeout: float = 600) -> tuple[int, str]:
    """Run cmd with stderr on a pseudo-terminal (stdout a pipe); returns (exit code, what stderr showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave, env=dict(os.environ, COLUMNS="120", TERM="xterm"))
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def _cmd(lock, tmp_path, cache, report: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "auditor", "check", str(lock), "--report-dir", str(tmp_path / report),
            "--cache-dir", str(cache), "--build-index-url", PYPI, "--no-result-cache", *extra]


def test_progress_on_a_terminal_only(tmp_path, index, container_backend, shared_cache):
    lock = _lock(tmp_path, index)
    code, shown = _run_on_pty(_cmd(lock, tmp_path, shared_cache, "tty", "--backend", container_backend))
    assert code == 0, shown
    # the live display: the overall count and the package's stages as it goes
    assert "audited" in shown and "0/1" in shown, shown
    assert "fixprog: build" in shown, shown  # (a stage shorter than a refresh may not be drawn)
    assert "\x1b[" in shown  # drawn with terminal control sequences

    code, quiet = _run_on_pty(_cmd(lock, tmp_path, shared_cache, "quiet", "--backend", container_backend, "--quiet"))
    assert code == 0 and "audited" not in quiet and "fixprog: build" not in quiet, quiet

    piped = subprocess.run(_cmd(lock, tmp_path, shared_cache, "pipe", "--backend", container_backend), capture_output=True,
                           text=True, timeout=600)
    assert piped.returncode == 0, piped.stderr
    assert "fixprog==1.0: identical" in piped.stderr  # the plain per-package line, for CI logs
    assert "audited" not in piped.stderr and "\x1b[" not in piped.stderr
    # and the plain progress lines a log can follow (auditor/cli/loglines.py)
    assert "[0/1 releases, " in piped.stderr and "fixprog: build started" in piped.stderr, piped.stderr
    assert "[1/1 releases, " in piped.stderr and "fixprog: done" in piped.stderr, piped.stderr


def test_an_error_is_one_line_on_a_narrow_terminal(tmp_path):
    """`auditor: FILE:LINE: …` longer than the terminal stays one line (grep and CI annotations see it whole)."""
    lock = tmp_path / ("a-rather-long-directory-name-for-this-lock-file" * 2) / "requirements.txt"
    lock.parent.mkdir()
    lock.write_text("requests==2.31.0\n")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "check", str(lock), "--report-dir", str(tmp_path / "r")],
                            stdout=subprocess.DEVNULL, stderr=slave, env=dict(os.environ, COLUMNS="80", TERM="xterm"))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 2
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode().replace("\r", ""))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and len(lines[0]) > 80, lines
    assert lines[0].startswith("auditor: ") and f"{lock}:1: requests==2.31.0: no --hash" in lines[0]


def test_a_log_sees_builds_start_and_end_and_a_line_each_minute():
    """Issue 47: without a terminal the 48-minute compiled run printed nothing for 36 minutes. A plain line as a
    release's build starts, as its builds end (it is judged next) and as it is done, with M/N, elapsed and an
    estimate; a line naming what still runs when nothing was said for a minute. No control sequences."""
    from auditor.cli.loglines import LogProgress

    clock = [0.0]
    said: list[str] = []
    log = LogProgress(3, said.append, every=60, now=lambda: clock[0])
    log.on_stage("numpy", "index")
    log.on_stage("numpy", "build")
    clock[0] = 30
    log.on_stage("scipy", "build")
    log.heartbeat()  # something was said 0 s ago: nothing
    clock[0] = 200
    log.heartbeat()
    log.on_stage("numpy", "compare")
    clock[0] = 300
    log.on_stage("numpy", "done")
    assert said == [
        "[0/3 releases, 0m00s elapsed] numpy: build started",
        "[0/3 releases, 0m30s elapsed] scipy: build started",
        "[0/3 releases, 3m20s elapsed] still running: numpy (build, 3m20s), scipy (build, 2m50s)",
        "[0/3 releases, 3m20s elapsed] numpy: builds done, judging",
        "[1/3 releases, 5m00s elapsed, ~10m00s left] numpy: done",
    ], said
    assert not any("\x1b[" in line for line in said)
