"""Run `check` or `investigate` once the command line is parsed: validate the settings, set up the
run's services (cache, sandbox, index client, result cache), drive the pipeline with a progress
display and per-package lines, then write the outputs and exit with the run's code."""

from __future__ import annotations

import fcntl
import os
import platform
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import typer
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.text import Text

from auditor import __version__
from auditor.cli.loglines import LogProgress
from auditor.cli.console import err, fail, out
from auditor.context import Context, Options
from auditor.errors import AuditorError, InputError, SandboxError
from auditor.fetch import Cache, cache_root
from auditor.fetch.archives import set_limits, use_index_dir
from auditor.fetch.inputs import crate_source
from auditor.caches.verdicts import code_digest
from auditor.fetch.index import PYPI, HttpClient
from auditor.pipeline import run
from auditor.records import Lock, to_jsonable
from auditor.report.common import VERDICT_STYLE
from auditor.cli.outputs import after_run, render_safely, write_formats
from auditor.report.terminal import timeline_table
from auditor.caches.verdicts import ResultCache
from auditor.results import FAIL_ON, ResultsWriter
from auditor.results import load as load_results
from auditor.fetch.timeline import baseline_index

def make_sandbox(backend: str, image: str, python: str | None = None, facts_dir: Path | None = None,
                 memory: str = "4g", interpreter_images: dict[str, str] | None = None):
    from auditor.sandbox.local import LocalSandbox
    from auditor.sandbox.oci import (DEFAULT_IMAGE, DEFAULT_PYTHON, SUITES, OCISandbox, build_image, engine_answers,
                                     image_id, suite_tag)

    if backend == "local":
        return LocalSandbox(python)
    engines = [backend] if backend in ("docker", "podman") else ["docker", "podman"]
    for engine in engines:
        if engine_answers(engine):
            if not image and python in SUITES and python != DEFAULT_PYTHON:
                # --python X.Y: the default image is the suite's that ships X.Y (made on first use)
                image = suite_tag(SUITES[python])
                if image_id(engine, image) is None:
                    err.print(f"making the {SUITES[python]} image (Python {python}) from Debian's archive", highlight=False)
                    build_image(engine, image, record_dir=facts_dir, suite=SUITES[python])
            return OCISandbox(engine, image or DEFAULT_IMAGE, python=python, facts_dir=facts_dir, memory=memory,
                              interpreter_images=interpreter_images)
    if backend != "auto":
        raise SandboxError(f"{backend} does not answer: is its daemon running?")
    err.print(
        "[bold yellow]WARNING: no container engine answers: rebuilding on the host with NO isolation "
        "(the sdists' build code runs as you, with network). Results say isolation: none.[/]"
    )
    return LocalSandbox(python)


RENDER_EVERY = 2.0  # seconds between re-renders of the HTML report during a run


def lock_report_dir(report_dir: Path):
    """Two runs writing one report directory would interleave results.json: refuse the second.
    (Runs sharing a cache directory need no lock: every cache entry is renamed into place whole.)"""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        handle = open(report_dir / ".auditor.lock", "w")
    except OSError as exc:
        fail(f"cannot write the report directory: {exc}")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fail(f"{report_dir}: another auditor run is writing this report directory; use another --report-dir")
    return handle


@dataclass
class RunSettings:
    """What `check` and `investigate` were asked for on the command line, before validation."""

    report_dir: Path
    cache_dir: Path | None = None
    index_url: str | None = None
    build_index_url: str | None = None
    backend: str = "auto"
    image: str = ""
    python: str | None = None
    jobs: int = 0  # 0: the number of cores
    build_timeout: float = 900.0
    release_budget: float = 3600.0
    late_after: float = 7.0
    baseline: Path | None = None
    http_timeout: float = 30.0
    use_result_cache: bool = True
    diffoscope_compiled: bool = False
    strict: bool = False
    quiet: bool = False
    fail_on: str = "code"
    shard: dict | None = None  # shard.describe() of this run's shard
    formats: tuple[str, ...] = ()  # extra outputs: sarif, vsa
    sign_key: Path | None = None
    all_interpreters: bool = False  # rebuild compiled releases for every interpreter, not only the lock's
    source_repo: bool = False  # check each sdist against its repository at the release's tag
    max_unpacked_gib: float = 4.0  # what one archive may unpack to before it is unverifiable (not differs)
    max_member_mib: float = 64.0  # what the judge reads of one member into memory (a member past it: not judged)
    build_memory: str = "4g"  # the build container's memory limit (--build-memory)
    history: Path | None = None  # a SQLite history the finished run is recorded into (--history)
    interpreter_images: tuple[str, ...] = ()  # X.Y=REF: an image for an interpreter no Debian suite has
    crate_index_url: str | None = None  # where Rust builds' crates come from (--crate-index-url; crates.io)


def target_pythons(lock: Lock, s: RunSettings, pythons: list[str]) -> tuple[list[str] | None, str]:
    """The Pythons compiled releases are rebuilt for, and why: --python, else what the lock says it was made
    for (pip-compile's header, uv's requires-python...) among the interpreters the images have; None (every
    interpreter) with --all-interpreters or when the lock says nothing."""
    if s.all_interpreters:
        return None, "every interpreter (--all-interpreters)"
    wanted, source = (f"=={s.python}.*", "--python") if s.python else (lock.python, lock.python_source)
    if wanted:
        try:
            spec = SpecifierSet(wanted)
        except InvalidSpecifier:
            return None, f"every interpreter (the lock's Python {wanted!r} is not a specifier)"
        shown = s.python or wanted
        found = [p for p in pythons if Version(p) in spec]
        if found:
            return found, f"{source}: Python {shown}"
        near = nearest_python(spec, pythons)
        if near:
            return [near], (f"no image has the Python {shown} that {source} names: built once with the "
                            f"nearest an image has, {near}; its wheels for {shown} are compared with that rebuild "
                            "(--all-interpreters builds every interpreter; --interpreter-image names an image for it)")
        return None, f"every interpreter (no image has a Python {shown}, which {source} names)"
    return None, "every interpreter (the lock does not say which Python it was made for)"


def nearest_python(spec: SpecifierSet, pythons: list[str]) -> str | None:
    """The image interpreter nearest to the Pythons `spec` allows (3.12 -> 3.11 or 3.13: the newer on a tie,
    whose toolchain is the publisher's era), looked for among X.Y from 3.6 to 3.20; None when it allows none."""
    wanted = [(3, m) for m in range(6, 21) if Version(f"3.{m}") in spec]
    if not wanted or not pythons:
        return None
    have = [tuple(map(int, p.split("."))) for p in pythons]
    best = min(have, key=lambda h: (min(abs(h[1] - w[1]) for w in wanted), -h[1]))
    return f"{best[0]}.{best[1]}"


def _check_settings(s: RunSettings) -> None:
    """Bad options end the run before anything starts, each with one line saying what is accepted."""
    if s.backend not in ("auto", "docker", "podman", "local"):
        fail(f"--backend must be auto, docker, podman or local, not {s.backend!r}")
    if s.python is not None and not re.fullmatch(r"3\.[0-9]+", s.python):
        fail(f"--python takes X.Y (for example 3.11), not {s.python!r}")
    if s.fail_on not in FAIL_ON:
        fail(f"--fail-on must be code, metadata or any, not {s.fail_on!r}")
    for x in s.interpreter_images:
        if not re.fullmatch(r"3\.[0-9]+=\S+", x):
            fail(f"--interpreter-image takes X.Y=IMAGE (for example 3.12=registry.example/python:3.12@sha256:...), not {x!r}")
    if not re.fullmatch(r"[1-9][0-9]*[mg]", s.build_memory):
        fail(f"--build-memory takes a size such as 4g or 8192m, not {s.build_memory!r}")
    try:
        crate_source(s.crate_index_url)
    except AuditorError as exc:
        fail(str(exc))
    if not s.max_unpacked_gib > 0:
        fail(f"--max-unpacked-gib must be more than 0, not {s.max_unpacked_gib}")
    if not s.max_member_mib > 0:
        fail(f"--max-member-mib must be more than 0, not {s.max_member_mib}")
    if s.jobs < 0:
        fail(f"--jobs must be 1 or more (0: the number of cores), not {s.jobs}")


def _context(lock: Lock, label: str | None, command: str, s: RunSettings) -> tuple[Context, ResultsWriter]:
    """The run's context (cache, sandbox, index client, options) and its results writer."""
    known = None
    if s.baseline is not None:
        try:
            known = baseline_index(load_results(s.baseline))
        except InputError as exc:
            fail(str(exc))
    cache = Cache(cache_root(s.cache_dir))
    use_index_dir(cache.dir("wheels"))
    try:
        # --python names the lock's Python: the default image is the suite's that ships it, or the interpreter
        # inside an image the user names (--image); one no Debian suite ships is built with the nearest (target_pythons)
        from auditor.sandbox.oci import SUITES

        python = s.python if (s.image or s.backend == "local" or s.python in SUITES) else None
        sandbox = make_sandbox(s.backend, s.image, python, facts_dir=cache.dir("images"), memory=s.build_memory,
                               interpreter_images=dict(x.split("=", 1) for x in s.interpreter_images))
        env = sandbox.describe()
    except SandboxError as exc:
        fail(str(exc))
    targets, targets_why = target_pythons(lock, s, sandbox.pythons())
    lock_index = lock.index_urls[0] if lock.index_urls else PYPI
    env.update({
        "auditor_version": __version__, "code_digest": code_digest(), "host": platform.platform(), "host_python": platform.python_version(),
        "index_url": s.index_url or lock_index, "build_index_url": s.build_index_url or s.index_url or lock_index,
        "lock_format": lock.format, "baseline": str(s.baseline) if s.baseline else None,
        "targets": {"pythons": targets, "why": targets_why},
    })
    opts = Options(report_dir=s.report_dir, index_url=s.index_url, build_index_url=s.build_index_url,
                   build_timeout=s.build_timeout, late_after_days=s.late_after, baseline=known,
                   release_budget=s.release_budget, targets=targets, source_repo=s.source_repo,
                   diffoscope_compiled=s.diffoscope_compiled, max_unpacked_gib=s.max_unpacked_gib,
                   max_member_mib=s.max_member_mib, crate_index=crate_source(s.crate_index_url))
    set_limits(s.max_unpacked_gib, s.max_member_mib)
    writer = ResultsWriter(s.report_dir / "results.json", label, env, command=command,
                           skipped=[to_jsonable(p) for p in lock.skipped], shard=s.shard)
    ctx = Context(opts=opts, http=HttpClient(timeout=s.http_timeout), cache=cache, sandbox=sandbox,
                  results=ResultCache(cache) if s.use_result_cache else None)
    return ctx, writer


def _on_done(writer: ResultsWriter, report_dir: Path, quiet: bool):
    """Called as each package finishes: results.json is already written; the HTML report follows at most every
    2 s (each render embeds every build log so far), and always at the end or on interruption."""
    last_render = [0.0]

    def on_done(p: dict) -> None:
        if time.monotonic() - last_render[0] >= RENDER_EVERY:
            render_safely(writer.data, report_dir)
            last_render[0] = time.monotonic()
        if not quiet:
            v = p["verdict"]
            err.print(f"  {p['name']}{'==' + p['version'] if p['version'] else ''}: [{VERDICT_STYLE.get(v, '')}]{v}[/]"
                      + (f"  ({escape(p['reason'][:200])})" if p.get("reason") and v != "identical" else ""), highlight=False,
                      soft_wrap=True)
    return on_done


def execute(lock: Lock, label: str | None, command: str, s: RunSettings) -> None:
    _check_settings(s)
    report_dir, quiet = s.report_dir, s.quiet
    jobs = s.jobs or os.cpu_count() or 1
    report_lock = lock_report_dir(report_dir)  # held (open) until the process ends
    ctx, writer = _context(lock, label, command, s)
    on_done = _on_done(writer, report_dir, quiet)

    def on_term(signum, frame):  # SIGTERM: stop like Ctrl-C, so containers are removed and results kept
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    if not quiet:
        targets, targets_why = writer.data["environment"]["targets"]["pythons"], writer.data["environment"]["targets"]["why"]
        err.print(f"auditing {len(lock.releases)} release(s) from {lock.path} in {writer.data['environment']['backend']} "
                  f"(isolation: {writer.data['environment']['isolation']}, {jobs} at a time); compiled releases rebuilt for "
                  + (f"Python {', '.join(targets)} ({targets_why})" if targets else targets_why), highlight=False)
        for p in lock.skipped:
            err.print(Text(f"  skipped {p.name} ({p.file}:{p.line}): {p.reason}"), soft_wrap=True, highlight=False)
    progress = _progress(ctx, len(lock.releases)) if not quiet and err.is_terminal else None
    log = None
    if not quiet and progress is None:  # a CI log: plain lines as builds start and finish, a heartbeat each minute
        log = LogProgress(len(lock.releases), lambda line: err.print(Text(line), soft_wrap=True, highlight=False))
        ctx.on_stage = log.on_stage
        log.start()
    try:
        if progress is not None:
            with progress:
                data = run(lock, ctx, writer, on_done, jobs=jobs)
        else:
            data = run(lock, ctx, writer, on_done, jobs=jobs)
    except KeyboardInterrupt:
        writer.finish(complete=False)
        render_safely(writer.data, report_dir)
        write_formats(writer.data, report_dir, s.formats, s.sign_key)
        err.print(f"interrupted: {report_dir / 'results.json'} keeps {len(writer.data['packages'])} package(s)")
        raise typer.Exit(130)
    finally:
        if log is not None:
            log.stop()
        ctx.http.close()
        report_lock.close()
    if command == "investigate":
        for p in data["packages"]:
            out.print(timeline_table(p))
    summary = after_run(data, report_dir, s.formats, s.sign_key)
    if s.history is not None:
        say_history(s.history, data, report_dir)
    raise typer.Exit(summary.exit_code(s.strict, s.fail_on))


def say_history(path: Path, data: dict, report_dir: Path) -> None:
    """Record the run into the history and say what changed since the lock's previous run (never fails the run:
    a history that cannot be written is said on stderr, the results stay)."""
    from auditor.history import HistoryError, record_run

    try:
        changed = record_run(path, data, report_dir)
    except (HistoryError, OSError, Exception) as exc:  # noqa: BLE001 - the run's results are kept whatever happens here
        err.print(f"history {path}: not recorded: {exc}", highlight=False)
        return
    out.print(f"history {path}: " + (changed.summary() if changed else "first run of this lock recorded"), highlight=False)
    if changed:
        for c in changed.of("regression")[:10]:
            out.print(f"  regression: {c.name} {c.version} {c.filename}: {c.detail[:160]}", highlight=False)


def _progress(ctx, total: int) -> Progress:
    """A live display on stderr: one line per package being audited (its stage), and the overall count."""
    # each release's row shows its stage and for how long it has run; the overall row, an estimate of what
    # is left (from the releases done so far: the compiled ones go first, so it starts pessimistic)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True)
    overall = progress.add_task("audited", total=total)
    tasks: dict[str, TaskID] = {}
    guard = threading.Lock()

    def on_stage(name: str, stage: str) -> None:
        with guard:
            if stage == "done":
                task = tasks.pop(name, None)
                if task is not None:
                    progress.remove_task(task)
                progress.advance(overall)
            elif name in tasks:
                progress.update(tasks[name], description=f"  {name}: {stage}")
            else:
                tasks[name] = progress.add_task(f"  {name}: {stage}", total=None)

    ctx.on_stage = on_stage
    return progress
