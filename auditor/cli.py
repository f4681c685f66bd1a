"""The `auditor` command line (typer). Errors the user can fix print one line and exit 2."""

from __future__ import annotations

import fcntl
import os
import platform
import re
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer
from packaging.utils import canonicalize_name
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from auditor import __version__
from auditor import shard
from auditor.errors import AuditorError, InputError, SandboxError, UnsafeArchive
from auditor.fsutil import write_json_atomic
from auditor.fetch import Cache, cache_root
from auditor.index import PYPI, HttpClient, SimpleIndex
from auditor.lockfiles import read_lock
from auditor.context import Context, Options
from auditor.pipeline import run
from auditor.records import Lock, LockedRelease, Verdict, to_jsonable
from auditor.resultcache import ResultCache, export_results, import_results
from auditor.timeline import baseline_index
from auditor.report import github_annotations, render_all
from auditor.report.common import VERDICT_STYLE
from auditor.report.terminal import summary_table, timeline_table
from auditor.results import EXIT_USAGE, FAIL_ON, ResultsWriter, counts, exit_code
from auditor.results import load as load_results

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Rebuild locked sdists and compare them with the published wheels.")
image_app = typer.Typer(no_args_is_help=True, help="Manage the pinned build image.")
app.add_typer(image_app, name="image")
cache_app = typer.Typer(no_args_is_help=True, help="Move the verdict cache between machines.")
app.add_typer(cache_app, name="cache")
err = Console(stderr=True)
out = Console() if Console().is_terminal else Console(width=160)  # logs and CI get full-width tables

def error_line(message: str) -> None:
    """One error, one line, whatever the terminal's width (grep and CI annotations see it whole); the
    message is plain text, never markup (a requirement like `pkg[extra]` stays as written)."""
    err.print(Text("auditor:", style="bold red"), Text(message), soft_wrap=True, highlight=False)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    error_line(message)
    raise typer.Exit(code)


def make_sandbox(backend: str, image: str, python: str | None = None, facts_dir: Path | None = None):
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
            return OCISandbox(engine, image or DEFAULT_IMAGE, python=python, facts_dir=facts_dir)
    if backend != "auto":
        raise SandboxError(f"{backend} does not answer: is its daemon running?")
    err.print(
        "[bold yellow]WARNING: no container engine answers: rebuilding on the host with NO isolation "
        "(the sdists' build code runs as you, with network). Results say isolation: none.[/]"
    )
    return LocalSandbox(python)


RENDER_EVERY = 2.0  # seconds between re-renders of the HTML report during a run

REPORT_DIR_OPTION = typer.Option(Path("reports/latest"), "--report-dir", help="where results.json, index.html and logs go")


@app.command()
def check(
    lockfile: Path = typer.Argument(..., help="requirements.txt with hashes (pip-compile --generate-hashes)"),
    report_dir: Path = REPORT_DIR_OPTION,
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="content-addressed download cache"),
    index_url: Optional[str] = typer.Option(None, "--index-url", help="Simple API index (overrides the lock's)"),
    build_index_url: Optional[str] = typer.Option(None, "--build-index-url", help="where build dependencies come from (default: the lock's index, else PyPI)"),
    backend: str = typer.Option("auto", "--backend", help="auto | docker | podman | local"),
    image: str = typer.Option("", "--image", help="build image (default: auditor-build:bookworm)"),
    python: Optional[str] = typer.Option(None, "--python", help="X.Y: the interpreter inside the image to build with (default: its python3)"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="packages audited at once (default: the number of cores)"),
    build_timeout: float = typer.Option(900.0, "--build-timeout", help="seconds before a rebuild is killed"),
    release_budget: float = typer.Option(3600.0, "--release-budget", help="seconds of builds per release before no more start (0: no budget)"),
    late_after: float = typer.Option(7.0, "--late-after", help="days after a release's first file that count as a late upload"),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="an earlier results.json: flag what is new since"),
    http_timeout: float = typer.Option(30.0, "--http-timeout", help="seconds an index or download request may stall"),
    no_result_cache: bool = typer.Option(False, "--no-result-cache", help="rebuild even when a verdict's inputs are unchanged"),
    diffoscope_compiled: bool = typer.Option(False, "--diffoscope-compiled", help="diffoscope also compiled members already known not to be reproduced (slow: section dumps)"),
    strict: bool = typer.Option(False, "--strict", help="exit 3 when nothing differs but something was not verified"),
    fail_on: str = typer.Option("code", "--fail-on", help="code | metadata | any: which classes of difference make the exit code 1"),
    shard_spec: Optional[str] = typer.Option(None, "--shard", help="K/N: audit only shard K of N (merge the N results.json with `auditor merge`)"),
    formats: list[str] = typer.Option([], "--format", help="extra outputs in the report directory: sarif (results.sarif), vsa (vsa.jsonl); repeatable"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key", help="PEM Ed25519/ECDSA private key: sign each verification summary (vsa.dsse.jsonl)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no per-package lines"),
) -> None:
    """Audit every locked release: rebuild its sdist and compare with the published wheels."""
    shard_info = None
    try:
        lock = read_lock(lockfile)
        if shard_spec is not None:
            k, n = shard.parse(shard_spec)
            shard_info = shard.describe(lock, k, n)
            lock = shard.select(lock, k, n)
    except InputError as exc:
        fail(str(exc))
    _execute(lock, str(lockfile), "check", RunSettings(
        report_dir=report_dir, cache_dir=cache_dir, index_url=index_url, build_index_url=build_index_url,
        backend=backend, image=image, python=python, jobs=jobs, build_timeout=build_timeout, late_after=late_after,
        release_budget=release_budget,
        baseline=baseline, http_timeout=http_timeout, use_result_cache=not no_result_cache,
        diffoscope_compiled=diffoscope_compiled, strict=strict, quiet=quiet, fail_on=fail_on, shard=shard_info,
        formats=_formats(formats, sign_key), sign_key=sign_key))


@app.command()
def investigate(
    release: str = typer.Argument(..., help="NAME==VERSION"),
    report_dir: Path = typer.Option(Path("reports/investigate"), "--report-dir"),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir"),
    index_url: Optional[str] = typer.Option(None, "--index-url", help="Simple API index (default: PyPI)"),
    build_index_url: Optional[str] = typer.Option(None, "--build-index-url"),
    backend: str = typer.Option("auto", "--backend"),
    image: str = typer.Option("", "--image"),
    python: Optional[str] = typer.Option(None, "--python", help="X.Y: the interpreter inside the image"),
    build_timeout: float = typer.Option(900.0, "--build-timeout"),
    late_after: float = typer.Option(7.0, "--late-after"),
    diffoscope_compiled: bool = typer.Option(True, "--diffoscope-compiled/--no-diffoscope-compiled",
                                             help="diffoscope compiled members too (default here: one release is worth the time)"),
    strict: bool = typer.Option(False, "--strict"),
    formats: list[str] = typer.Option([], "--format", help="sarif, vsa (repeatable)"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Audit every file of one release (no lock needed) and show its upload timeline."""
    name, sep, version = release.partition("==")
    if not sep or not name.strip() or not version.strip():
        fail(f"expected NAME==VERSION, not {release!r}")
    url = index_url or PYPI
    http = HttpClient()
    try:
        files = SimpleIndex(url, http).release_files(name.strip(), version.strip())
    except AuditorError as exc:
        fail(str(exc))
    finally:
        http.close()
    if not files:
        fail(f"{url}: no files for {name.strip()} {version.strip()}")
    # Without a lock, every file the index serves (by the index's own hashes) is the thing audited.
    rel = LockedRelease(canonicalize_name(name.strip()), version.strip(),
                        frozenset(f.sha256 for f in files if f.sha256), release, 1, index_url=url)
    lock = Lock(release, "investigate", (rel,), (url,))
    _execute(lock, None, "investigate", RunSettings(
        report_dir=report_dir, cache_dir=cache_dir, index_url=url, build_index_url=build_index_url, backend=backend,
        image=image, python=python, build_timeout=build_timeout, late_after=late_after,
        diffoscope_compiled=diffoscope_compiled, strict=strict, quiet=quiet, formats=_formats(formats, sign_key),
        sign_key=sign_key))


def _lock_report_dir(report_dir: Path):
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


def _execute(lock: Lock, label: str | None, command: str, s: RunSettings) -> None:
    report_dir, quiet = s.report_dir, s.quiet
    if s.backend not in ("auto", "docker", "podman", "local"):
        fail(f"--backend must be auto, docker, podman or local, not {s.backend!r}")
    if s.python is not None and not re.fullmatch(r"3\.[0-9]+", s.python):
        fail(f"--python takes X.Y (for example 3.11), not {s.python!r}")
    if s.fail_on not in FAIL_ON:
        fail(f"--fail-on must be code, metadata or any, not {s.fail_on!r}")
    if s.jobs < 0:
        fail(f"--jobs must be 1 or more (0: the number of cores), not {s.jobs}")
    jobs = s.jobs or os.cpu_count() or 1
    known = None
    if s.baseline is not None:
        try:
            known = baseline_index(load_results(s.baseline))
        except InputError as exc:
            fail(str(exc))
    cache = Cache(cache_root(s.cache_dir))
    try:
        sandbox = make_sandbox(s.backend, s.image, s.python, facts_dir=cache.dir("images"))
        env = sandbox.describe()
    except SandboxError as exc:
        fail(str(exc))
    lock_index = lock.index_urls[0] if lock.index_urls else PYPI
    env.update({
        "auditor_version": __version__, "host": platform.platform(), "host_python": platform.python_version(),
        "index_url": s.index_url or lock_index, "build_index_url": s.build_index_url or s.index_url or lock_index,
        "lock_format": lock.format, "baseline": str(s.baseline) if s.baseline else None,
    })
    report_lock = _lock_report_dir(report_dir)  # held (open) until the process ends
    opts = Options(report_dir=report_dir, index_url=s.index_url, build_index_url=s.build_index_url,
                   build_timeout=s.build_timeout, late_after_days=s.late_after, baseline=known,
                   release_budget=s.release_budget,
                   diffoscope_compiled=s.diffoscope_compiled)
    writer = ResultsWriter(report_dir / "results.json", label, env, command=command,
                           skipped=[to_jsonable(p) for p in lock.skipped], shard=s.shard)
    http = HttpClient(timeout=s.http_timeout)
    ctx = Context(opts=opts, http=http, cache=cache, sandbox=sandbox,
                  results=ResultCache(cache) if s.use_result_cache else None)

    last_render = [0.0]

    def on_done(p: dict) -> None:
        # results.json is already written; the HTML report follows at most every 2 s (each render
        # embeds every build log so far), and always at the end or on interruption
        if time.monotonic() - last_render[0] >= RENDER_EVERY:
            _render_safely(writer.data, report_dir)
            last_render[0] = time.monotonic()
        if not quiet:
            v = p["verdict"]
            err.print(f"  {p['name']}{'==' + p['version'] if p['version'] else ''}: [{VERDICT_STYLE.get(v, '')}]{v}[/]"
                      + (f"  ({escape(p['reason'][:200])})" if p.get("reason") and v != "identical" else ""), highlight=False,
                      soft_wrap=True)

    def on_term(signum, frame):  # SIGTERM: stop like Ctrl-C, so containers are removed and results kept
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    if not quiet:
        err.print(f"auditing {len(lock.releases)} release(s) from {lock.path} in {env['backend']} "
                  f"(isolation: {env['isolation']}, {jobs} at a time)", highlight=False)
        for p in lock.skipped:
            err.print(Text(f"  skipped {p.name} ({p.file}:{p.line}): {p.reason}"), soft_wrap=True, highlight=False)
    progress = _progress(ctx, len(lock.releases)) if not quiet and err.is_terminal else None
    try:
        if progress is not None:
            with progress:
                data = run(lock, ctx, writer, on_done, jobs=jobs)
        else:
            data = run(lock, ctx, writer, on_done, jobs=jobs)
    except KeyboardInterrupt:
        writer.finish(complete=False)
        _render_safely(writer.data, report_dir)
        _formats_out(writer.data, report_dir, s.formats, s.sign_key)
        err.print(f"interrupted: {report_dir / 'results.json'} keeps {len(writer.data['packages'])} package(s)")
        raise typer.Exit(130)
    finally:
        http.close()
        report_lock.close()
    if command == "investigate":
        for p in data["packages"]:
            out.print(timeline_table(p))
    _after_run(data, report_dir, s.formats, s.sign_key)
    raise typer.Exit(exit_code(data["packages"], s.strict, s.fail_on))


def _progress(ctx, total: int) -> Progress:
    """A live display on stderr: one line per package being audited (its stage), and the overall count."""
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True)
    overall = progress.add_task("audited", total=total)
    tasks: dict[str, object] = {}
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


FORMATS = ("sarif", "vsa")


def _formats(values: list[str], sign_key: Path | None) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))
    for f in out:
        if f not in FORMATS:
            fail(f"--format takes {' or '.join(FORMATS)}, not {f!r}")
    if sign_key is not None and "vsa" not in out:
        out += ("vsa",)
    return out


def _formats_out(data: dict, report_dir: Path, formats: tuple[str, ...], sign_key: Path | None) -> None:
    from auditor.report.sarif import render_sarif
    from auditor.report.vsa import render_vsa

    if "sarif" in formats:
        render_sarif(data, report_dir)
    if "vsa" in formats:
        try:
            render_vsa(data, report_dir, sign_key)
        except InputError as exc:
            fail(str(exc))


def _render_safely(data: dict, report_dir: Path) -> None:
    """The HTML report during a run: results.json is already written, so a report that cannot be drawn
    says so in one line and the run goes on."""
    try:
        render_all(data, report_dir)
    except Exception as exc:  # the report must never end a run and lose its results
        error_line(f"the HTML report could not be rendered ({type(exc).__name__}: {exc}); results.json is complete")


def _after_run(data: dict, report_dir: Path, formats: tuple[str, ...] = (), sign_key: Path | None = None) -> None:
    _render_safely(data, report_dir)
    _formats_out(data, report_dir, formats, sign_key)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(data):
            print(line)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as f:
                f.write((report_dir / "summary.md").read_text())
    out.print(summary_table(data))
    c = counts(data["packages"])
    out.print("  ".join(f"{k}: {v}" for k, v in c.items() if v) or "no packages", highlight=False)
    out.print(f"results: {report_dir / 'results.json'}\nreport:  {report_dir / 'index.html'}", highlight=False)


@app.command()
def report(
    results: Path = typer.Argument(..., help="a results.json written by auditor"),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir", help="where to write index.html (default: beside results.json)"),
    formats: list[str] = typer.Option([], "--format", help="sarif, vsa (repeatable)"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key"),
) -> None:
    """Render index.html and summary.md again from a results.json (and SARIF or verification summaries)."""
    try:
        data = load_results(results)
    except InputError as exc:
        fail(str(exc))
    target = report_dir or results.parent
    render_all(data, target)
    _formats_out(data, target, _formats(formats, sign_key), sign_key)
    print(target / "index.html")


@app.command()
def merge(
    results: list[Path] = typer.Argument(..., help="the results.json of every shard (auditor check --shard K/N)"),
    report_dir: Path = typer.Option(Path("reports/merged"), "--report-dir", help="where the merged results.json and report go"),
    strict: bool = typer.Option(False, "--strict", help="exit 3 when nothing fails the run but something was not verified"),
    fail_on: str = typer.Option("code", "--fail-on", help="code | metadata | any"),
    formats: list[str] = typer.Option([], "--format", help="sarif, vsa (repeatable)"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key"),
) -> None:
    """Merge the shards of one lock into one results.json, report, summary and exit code."""
    if fail_on not in FAIL_ON:
        fail(f"--fail-on must be code, metadata or any, not {fail_on!r}")
    try:
        data = shard.merge([(str(p), load_results(p)) for p in results])
    except InputError as exc:
        fail(str(exc))
    report_dir.mkdir(parents=True, exist_ok=True)
    for p in results:  # the shards' logs and diffoscope pages, beside the merged report
        for sub in ("logs", "diffoscope"):
            src = p.parent / sub
            if src.is_dir():
                shutil.copytree(src, report_dir / sub, dirs_exist_ok=True)
    write_json_atomic(report_dir / "results.json", data)
    _after_run(data, report_dir, _formats(formats, sign_key), sign_key)
    raise typer.Exit(exit_code(data["packages"], strict, fail_on))


@app.command()
def verify(
    envelopes: Path = typer.Argument(..., help="a vsa.dsse.jsonl written with --sign-key"),
    key: Path = typer.Option(..., "--key", help="the PEM public key of the signing key"),
) -> None:
    """Check the signature of every signed verification summary; print each wheel's result."""
    from auditor.report.vsa import verify_file

    try:
        stmts = verify_file(envelopes, key)
    except InputError as exc:
        error_line(f"signature check failed: {exc}")
        raise typer.Exit(1)
    for st in stmts:
        print(f"{st['subject'][0]['name']}: {st['predicate']['verificationResult']} (signature verified)")
    print(f"{len(stmts)} verification summary(ies) verified")


@cache_app.command("export")
def cache_export(
    archive: Path = typer.Argument(..., help="a .tar.gz to write the verdict cache to"),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir"),
) -> None:
    """Write the verdict cache (results/) to an archive, for a CI cache or another machine."""
    n = export_results(Cache(cache_root(cache_dir)), archive)
    print(f"{archive}: {n} verdict(s)")


@cache_app.command("import")
def cache_import(
    archive: Path = typer.Argument(..., help="a .tar.gz written by `auditor cache export`"),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir"),
) -> None:
    """Add the verdicts of an exported cache to this one (entries already here are kept)."""
    try:
        n = import_results(Cache(cache_root(cache_dir)), archive)
    except (InputError, UnsafeArchive) as exc:
        fail(str(exc))
    print(f"{archive}: {n} verdict(s) added")


@image_app.command("build")
def image_build(
    engine: str = typer.Option("auto", "--engine", help="auto | docker | podman"),
    tag: str = typer.Option("", "--tag", help="image name (default: auditor-build:SUITE)"),
    suite: str = typer.Option("bookworm", "--suite", help="Debian suite: bullseye (Python 3.9), bookworm (3.11), trixie (3.13)"),
    rebuild: bool = typer.Option(False, "--rebuild", help="build again even if the image exists"),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir"),
) -> None:
    """Make the pinned build image from Debian's archive (debootstrap + import; no registry). Prints its digest."""
    from auditor.sandbox.oci import SUITES, build_image, engine_answers, suite_tag

    engines = [engine] if engine != "auto" else [e for e in ("docker", "podman") if engine_answers(e)]
    if not engines:
        fail("no container engine answers (start dockerd, or install podman)")
    try:
        if suite not in SUITES.values():
            fail(f"--suite must be one of {', '.join(sorted(SUITES.values()))}, not {suite!r}")
        info = build_image(engines[0], tag or suite_tag(suite), rebuild, Cache(cache_root(cache_dir)).dir("images"),
                           suite=suite)
    except SandboxError as exc:
        fail(str(exc), 1)
    err.print(f"{info['ref']}: python {info['python']}, {len(info['packages'])} Debian packages")
    print(info["id"])


@app.command()
def version() -> None:
    """Print the auditor's version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except AuditorError as exc:  # last resort: never a traceback for an error we know
        error_line(str(exc))
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
