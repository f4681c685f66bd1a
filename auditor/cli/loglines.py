"""Progress a CI log can follow (stderr not a terminal): a plain line whenever a release starts a build, finishes
its builds (it is judged next) or is done, each with `M/N releases, elapsed, ~remaining`; and, when nothing was said
for a minute, one line naming what is still running and for how long. No terminal control sequences.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# the stages worth a line in a log (every release passes index, download, ...: only builds take minutes)
_SAID = {"build": "build started", "compare": "builds done, judging", "diffoscope": "judged, diffoscope pages"}


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class LogProgress:
    """on_stage(name, stage) for ctx.on_stage; say(line) prints one line (stderr's console)."""

    def __init__(self, total: int, say: Callable[[str], None], every: float = 60.0,
                 now: Callable[[], float] = time.monotonic):
        self.total, self.say, self.every, self.now = total, say, every, now
        self.started = self.last = now()
        self.done = 0
        self.running: dict[str, tuple[str, float]] = {}  # release -> (stage, since)
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def _head(self) -> str:
        elapsed = self.now() - self.started
        left = f", ~{_clock(elapsed / self.done * (self.total - self.done))} left" if self.done else ""
        return f"[{self.done}/{self.total} releases, {_clock(elapsed)} elapsed{left}]"

    def _line(self, text: str) -> None:
        self.last = self.now()
        self.say(f"{self._head()} {text}")

    def on_stage(self, name: str, stage: str) -> None:
        with self.lock:
            if stage == "done":
                self.running.pop(name, None)
                self.done += 1
                self._line(f"{name}: done")
                return
            before = self.running.get(name, ("", 0.0))[0]
            self.running[name] = (stage, self.now())
            if stage in _SAID and stage != before:
                self._line(f"{name}: {_SAID[stage]}")

    def heartbeat(self) -> None:
        """One line naming what is still running, when nothing was said for `every` seconds."""
        with self.lock:
            if self.now() - self.last < self.every:
                return
            now = self.now()
            shown = ", ".join(f"{n} ({s}, {_clock(now - t)})" for n, (s, t) in sorted(self.running.items())[:6])
            self._line(f"still running: {shown or 'between releases'}")

    def start(self) -> None:
        def beat() -> None:
            while not self.stopped.wait(min(self.every, 15.0)):
                self.heartbeat()
        threading.Thread(target=beat, name="auditor-log-progress", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
