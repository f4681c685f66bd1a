"""What every stage of one run shares: the user's options and the run's services (index client,
download cache, sandbox, result cache, the build frontend), created once per run."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from auditor import proc
from auditor.fetch import Cache
from auditor.fetch.index import PYPI, HttpClient, SimpleIndex
from auditor.records import PackageResult
from auditor.caches.verdicts import ResultCache
from auditor.sandbox import Sandbox
from auditor.sandbox.frontend import frontend_pins, prepare_frontend


@dataclass
class Options:
    """What `check` and `investigate` were asked to do (the CLI's flags, validated)."""

    report_dir: Path
    index_url: str | None = None
    build_index_url: str | None = None
    build_timeout: float = 900.0
    release_budget: float = 3600.0  # seconds of builds per release before no more are started (0: none)
    late_after_days: float = 7.0
    diffoscope_compiled: bool = False  # diffoscope also on compiled members known not to be reproduced
    baseline: dict | None = None  # baseline_index() of an earlier results.json
    targets: list[str] | None = None  # the Pythons compiled releases are rebuilt for (None: every interpreter)
    source_repo: bool = False  # also check each sdist against its repository at the release's tag
    max_unpacked_gib: float = 4.0  # what one archive may unpack to (fetch/archives.py): past it, unverifiable
    max_member_mib: float = 64.0  # what the judge reads of one member (fetch/archives.READ_LIMIT): past it, not judged
    crate_index: str | None = None  # where Rust builds' crates come from (fetch/inputs.py; None: crates.io)


def slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass
class Context:
    opts: Options
    http: HttpClient
    cache: Cache
    sandbox: Sandbox
    results: ResultCache | None = None  # None: always audit afresh (--no-result-cache)
    on_stage: Callable[[str, str], None] | None = None  # (package, stage): for a progress display
    indexes: dict[str, SimpleIndex] = field(default_factory=dict)
    _frontends: dict[str, Path] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stage(self, result: PackageResult, name: str | None) -> None:
        """Enter a stage of one package's audit (None: finished); times each stage into result.timings."""
        now = time.monotonic()
        if result.timings is None:
            result.timings = {}
        last, result._stage = result._stage, None
        if last:
            result.timings[last[0]] = round(result.timings.get(last[0], 0.0) + now - last[1], 3)
        if name:
            result._stage = (name, now)
            proc.check()
        if self.on_stage:
            self.on_stage(result.name, name or "done")

    def index(self, url: str) -> SimpleIndex:
        url = slash(url)
        if url not in self.indexes:
            self.indexes[url] = SimpleIndex(url, self.http)
        return self.indexes[url]

    def build_index(self, lock_index: str | None) -> SimpleIndex:
        return self.index(slash(self.opts.build_index_url or lock_index or PYPI))

    def frontend(self, lock_index: str | None, python: str | None = None) -> Path:
        """The pinned frontend for builds with CPython `python` (default: the sandbox's), unpacked once
        per run and interpreter, whichever package asks first."""
        python = python or self.sandbox.python_version()
        with self._lock:
            if python not in self._frontends:
                self._frontends[python] = prepare_frontend(
                    frontend_pins(python), self.build_index(lock_index), self.http, self.cache, python)
        return self._frontends[python]
