"""Child processes that a run can cancel: builds, container clients, the resolver and diffoscope.

Every child runs in its own process group and is registered while it runs. cancel_all() (Ctrl-C or
SIGTERM, from the main thread) kills them all and makes every later start raise Cancelled, so worker
threads unwind through their `finally` blocks (which remove containers) instead of finishing the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from auditor.errors import Cancelled

_CANCEL = threading.Event()
_RUNNING: set[subprocess.Popen] = set()
_LOCK = threading.Lock()


def check() -> None:
    """Raise Cancelled once the run is being stopped (called between stages)."""
    if _CANCEL.is_set():
        raise Cancelled()


def cancel_all() -> None:
    _CANCEL.set()
    with _LOCK:
        running = list(_RUNNING)
    for p in running:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def run_logged(cmd: list[str], env: dict[str, str] | None, timeout: float,
               cwd: str | None = None) -> tuple[int | None, str, float]:
    """Run cmd in its own process group; returns (exit code or None on timeout, output, seconds)."""
    t0 = time.monotonic()
    code, out, _ = _run(cmd, env, timeout, None, cwd, merge=True)
    return code, out.decode("utf-8", "replace"), time.monotonic() - t0


def run_captured(cmd: list[str], env: dict[str, str] | None, timeout: float,
                 stdin: str = "") -> tuple[int | None, str, str]:
    """Run cmd like run_logged (own process group, cancellable), feeding it `stdin`; returns (exit code or None
    on timeout, stdout, stderr) kept apart (a resolver's answer and its complaints)."""
    code, out, err = run_raw(cmd, env, timeout, stdin.encode())
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def run_raw(cmd: list[str], env: dict[str, str] | None, timeout: float,
            stdin: bytes = b"") -> tuple[int | None, bytes, bytes]:
    """run_captured's bytes: (exit code or None on timeout, stdout, stderr) undecoded (git's blobs)."""
    return _run(cmd, env, timeout, stdin, None, merge=False)


def _run(cmd: list[str], env: dict[str, str] | None, timeout: float, stdin: bytes | None, cwd: str | None,
         merge: bool) -> tuple[int | None, bytes, bytes]:
    """The one place a child process runs: in its own process group, registered while it runs (cancel_all()
    kills it), killed at the timeout (exit code None); stderr into stdout when `merge`."""
    check()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.PIPE if stdin is not None else None,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                         start_new_session=True)
    with _LOCK:
        _RUNNING.add(p)
    try:
        out, err = p.communicate(stdin, timeout=timeout)
        code: int | None = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        code = None
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    finally:
        with _LOCK:
            _RUNNING.discard(p)
    check()  # killed by cancel_all(): not a result
    return code, out or b"", err or b""
