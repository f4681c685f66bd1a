"""The `auditor` command line (typer). Errors the user can fix print one line and exit 2."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Optional

import typer
from packaging.utils import canonicalize_name

from auditor import __version__
from auditor import shard
from auditor.cli.console import err, error_line, fail
from auditor.errors import AuditorError, InputError, SandboxError, UnsafeArchive
from auditor.cli.execute import RunSettings, execute
from auditor.fetch import Cache, cache_root
from auditor.fsutil import write_json_atomic
from auditor.fetch.index import PYPI, HttpClient, SimpleIndex
from auditor.lockfiles import read_lock
from auditor.records import Lock, LockedRelease
from auditor.cli.outputs import after_run, parse_formats, write_formats
from auditor.report import render_all
from auditor.caches.verdicts import export_results, import_results
from auditor.fetch.archives import extract_tar
from auditor.results import EXIT_OK, EXIT_UNVERIFIED, EXIT_USAGE, FAIL_ON
from auditor.results import load as load_results

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Rebuild locked sdists and compare them with the published wheels.")
image_app = typer.Typer(no_args_is_help=True, help="Manage the pinned build image.")
app.add_typer(image_app, name="image")
cache_app = typer.Typer(no_args_is_help=True, help="Move the verdict cache between machines.")
app.add_typer(cache_app, name="cache")
history_app = typer.Typer(no_args_is_help=True, help="Runs recorded over time: import, what changed, a static site.")
app.add_typer(history_app, name="history")
REPORT_DIR_OPTION = typer.Option(Path("reports/latest"), "--report-dir", help="where results.json, index.html and logs go")


def _lock_and_shard(lockfile: Path, shard_spec: str | None):
    """The lock (only shard K of N with --shard K/N) and the shard's description; a bad one exits in one line."""
    try:
        lock = read_lock(lockfile)
        if shard_spec is None:
            return lock, None
        k, n = shard.parse(shard_spec)
        return shard.select(lock, k, n), shard.describe(lock, k, n)
    except InputError as exc:
        fail(str(exc))
        raise  # fail() exits


@app.command()
def check(
    lockfile: Path = typer.Argument(..., help="requirements.txt with hashes (pip-compile --generate-hashes)"),
    report_dir: Path = REPORT_DIR_OPTION,
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="content-addressed download cache"),
    index_url: Optional[str] = typer.Option(None, "--index-url", help="Simple API index (overrides the lock's)"),
    build_index_url: Optional[str] = typer.Option(None, "--build-index-url", help="where build dependencies come from (default: the lock's "
            "index, else PyPI)"),
    backend: str = typer.Option("auto", "--backend", help="auto | docker | podman | local"),
    image: str = typer.Option("", "--image", help="build image (default: auditor-build:bookworm)"),
    python: Optional[str] = typer.Option(None, "--python", help="X.Y: the Python the lock installs: compiled releases are rebuilt for it (default: "
            "what the lock says, else every interpreter)"),
    source_repo: bool = typer.Option(False, "--source-repo", help="also check each sdist against its project's repository "
            "at the release's tag (plain git on the host; url.<base>.insteadOf works)"),
    all_interpreters: bool = typer.Option(False, "--all-interpreters", help="rebuild compiled releases for every interpreter an image has, not only "
            "the lock's (a weekly deep audit)"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="packages audited at once (default: the number of cores)"),
    build_timeout: float = typer.Option(900.0, "--build-timeout", help="seconds before a rebuild is killed"),
    release_budget: float = typer.Option(3600.0, "--release-budget", help="seconds of builds per release before no more start (0: no budget)"),
    late_after: float = typer.Option(7.0, "--late-after", help="days after a release's first file that count as a late upload"),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="an earlier results.json: flag what is new since"),
    http_timeout: float = typer.Option(30.0, "--http-timeout", help="seconds an index or download request may stall"),
    no_result_cache: bool = typer.Option(False, "--no-result-cache", help="judge again even when a verdict's inputs are unchanged "
                                         "(builds still come from the build cache)"),
    diffoscope_compiled: bool = typer.Option(False, "--diffoscope-compiled", help="diffoscope also compiled members already known not to be "
            "reproduced (slow: section dumps)"),
    strict: bool = typer.Option(False, "--strict", help="exit 3 when nothing differs but something was not verified"),
    fail_on: str = typer.Option("code", "--fail-on", help="code | metadata | any: which classes of difference make the exit code 1"),
    shard_spec: Optional[str] = typer.Option(None, "--shard", help="K/N: audit only shard K of N (merge the N results.json with `auditor merge`)"),
    formats: list[str] = typer.Option([], "--format", help="extra outputs in the report directory: sarif (results.sarif), "
            "vsa (vsa.jsonl); repeatable"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key", help="PEM Ed25519/ECDSA private key: sign each verification "
            "summary (vsa.dsse.jsonl)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no per-package lines"),
    max_unpacked_gib: float = typer.Option(4.0, "--max-unpacked-gib", help="GiB one wheel or sdist may unpack to; past "
            "it the wheel is unverifiable (a bound of ours, not tampering); zip bombs are refused whatever it is"),
    max_member_mib: float = typer.Option(64.0, "--max-member-mib", help="MiB of one member the judge reads into memory "
            "to compare it by a rule (members are compared by sha256 whatever their size); a differing member past it "
            "is one member not judged, every other member still is"),
    build_memory: str = typer.Option("4g", "--build-memory", help="the build container's memory limit (a compiler "
            "killed by it fails the build, saying so)"),
    history: Optional[Path] = typer.Option(None, "--history", help="record the run into this SQLite history and say what "
            "changed since the lock's previous run (auditor history diff|site)"),
    crate_index_url: Optional[str] = typer.Option(None, "--crate-index-url", help="where a Rust build's crates come from, "
            "in cargo's spelling: sparse+http://HOST/index/ (a mirror), a directory of NAME-VERSION.crate files, or "
            "crates.io (default); each is checked against the sdist's Cargo.lock"),
    interpreter_images: list[str] = typer.Option([], "--interpreter-image", help="X.Y=IMAGE: an OCI image (pin it "
            "@sha256:) with CPython X.Y for an interpreter no Debian suite here has; its version is checked; repeatable"),
) -> None:
    """Audit every locked release: rebuild its sdist and compare with the published wheels."""
    lock, shard_info = _lock_and_shard(lockfile, shard_spec)
    execute(lock, str(lockfile), "check", RunSettings(
        report_dir=report_dir, cache_dir=cache_dir, index_url=index_url, build_index_url=build_index_url,
        backend=backend, image=image, python=python, jobs=jobs, build_timeout=build_timeout, late_after=late_after,
        release_budget=release_budget,
        baseline=baseline, http_timeout=http_timeout, use_result_cache=not no_result_cache,
        diffoscope_compiled=diffoscope_compiled, strict=strict, quiet=quiet, fail_on=fail_on, shard=shard_info,
        formats=parse_formats(formats, sign_key), sign_key=sign_key, all_interpreters=all_interpreters,
        source_repo=source_repo, max_unpacked_gib=max_unpacked_gib, max_member_mib=max_member_mib,
        build_memory=build_memory, history=history,
        interpreter_images=tuple(interpreter_images), crate_index_url=crate_index_url))


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
    source_repo: bool = typer.Option(False, "--source-repo", help="also check the sdist against its repository's tag"),
    formats: list[str] = typer.Option([], "--format", help="sarif, vsa (repeatable)"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
    max_unpacked_gib: float = typer.Option(4.0, "--max-unpacked-gib", help="GiB one wheel or sdist may unpack to"),
    max_member_mib: float = typer.Option(64.0, "--max-member-mib", help="MiB of one member the judge reads into memory"),
    crate_index_url: Optional[str] = typer.Option(None, "--crate-index-url", help="where a Rust build's crates come from, "
            "in cargo's spelling: sparse+http://HOST/index/ (a mirror), a directory of NAME-VERSION.crate files, or "
            "crates.io (default); each is checked against the sdist's Cargo.lock"),
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
    execute(lock, None, "investigate", RunSettings(
        report_dir=report_dir, cache_dir=cache_dir, index_url=url, build_index_url=build_index_url, backend=backend,
        image=image, python=python, build_timeout=build_timeout, late_after=late_after,
        diffoscope_compiled=diffoscope_compiled, strict=strict, quiet=quiet, formats=parse_formats(formats, sign_key),
        sign_key=sign_key, source_repo=source_repo, max_unpacked_gib=max_unpacked_gib, max_member_mib=max_member_mib,
        crate_index_url=crate_index_url))


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
    write_formats(data, target, parse_formats(formats, sign_key), sign_key)
    print(target / "index.html")


@app.command()
def merge(
    results: list[Path] = typer.Argument(..., help="the results.json of every shard (auditor check --shard K/N)"),
    report_dir: Path = typer.Option(Path("reports/merged"), "--report-dir", help="where the merged results.json and report go"),
    strict: bool = typer.Option(False, "--strict", help="exit 3 when nothing fails the run but something was not verified"),
    fail_on: str = typer.Option("code", "--fail-on", help="code | metadata | any"),
    formats: list[str] = typer.Option([], "--format", help="sarif, vsa (repeatable)"),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key"),
    history: Optional[Path] = typer.Option(None, "--history", help="record the merged run into this SQLite history"),
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
    code = after_run(data, report_dir, parse_formats(formats, sign_key), sign_key).exit_code(strict, fail_on)
    for gap in data.get("missing") or []:
        shown = ", ".join(gap["releases"][:5]) + (f" and {len(gap['releases']) - 5} more" if len(gap["releases"]) > 5 else "")
        error_line(f"{gap['file']}: shard {gap['shard']} stopped before auditing {len(gap['releases'])} of its releases "
                   f"({shown}): the merge is incomplete" + ("" if strict else " (--strict fails the run on it)"))
    if data.get("missing") and strict and code == EXIT_OK:
        code = EXIT_UNVERIFIED
    if history is not None:
        from auditor.cli.execute import say_history

        say_history(history, data, report_dir)
    raise typer.Exit(code)


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
        n = import_results(Cache(cache_root(cache_dir)), archive, extract_tar)
    except (InputError, UnsafeArchive) as exc:
        fail(str(exc))
    print(f"{archive}: {n} verdict(s) added")


@image_app.command("build")
def image_build(
    engine: str = typer.Option("auto", "--engine", help="auto | docker | podman"),
    tag: str = typer.Option("", "--tag", help="image name (default: auditor-build:SUITE)"),
    suite: str = typer.Option("bookworm", "--suite", help="Debian suite: bullseye (Python 3.9), bookworm (3.11), trixie (3.13), forky (3.14)"),
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


@history_app.command("import")
def history_import(
    db: Path = typer.Argument(..., help="the SQLite history (created when missing)"),
    results: list[Path] = typer.Argument(..., help="results.json files of earlier runs, in any order"),
) -> None:
    """Record earlier runs' results.json into the history (a run recorded twice is kept once)."""
    from auditor.history import import_results, open_store

    try:
        store = open_store(db)
        done = import_results(store, results)
    except InputError as exc:
        fail(str(exc))
    for path, run_id, new in done:
        print(f"{path}: run {run_id}" + ("" if new else " (recorded before)"))


@history_app.command("diff")
def history_diff(
    db: Path = typer.Argument(..., help="the SQLite history"),
    runs: list[int] = typer.Argument(None, help="OLD NEW run ids (default: the latest run and the one before it of the same lock)"),
    fail_on: str = typer.Option("code", "--fail-on", help="code | metadata | any: which classes of a regression make the exit code 1"),
) -> None:
    """What changed between two runs: regressions, improvements, new, replaced or yanked files, lock changes."""
    from auditor.history import default_pair, diff, fails, open_store

    if fail_on not in FAIL_ON:
        fail(f"--fail-on must be code, metadata or any, not {fail_on!r}")
    if db is not None and not db.is_file():
        fail(f"{db}: no such history")
    try:
        store = open_store(db)
        pair = (runs[0], runs[1]) if runs and len(runs) == 2 else default_pair(store, runs[0] if runs else None)
        if runs and len(runs) > 2:
            fail("history diff takes at most two run ids (OLD NEW)")
        if pair is None:
            print("only one run of this lock is recorded: nothing to compare")
            raise typer.Exit(0)
        d = diff(store, *pair)
    except InputError as exc:
        fail(str(exc))
    except LookupError as exc:
        fail(str(exc.args[0]))
    print(f"run {d.old['id']} ({d.old['started']}) -> run {d.new['id']} ({d.new['started']}), lock {d.new['lockfile']}")
    print(d.summary())
    for c in d.changes:
        where = f"{c.name} {c.version}" + (f" {c.filename}" if c.filename else "")
        print(f"  {c.kind}: {where}: {c.detail}" + (f" [{', '.join(c.classes)}]" if c.classes else ""))
    raise typer.Exit(1 if fails(d, FAIL_ON[fail_on]) else 0)


@history_app.command("site")
def history_site(
    db: Path = typer.Argument(..., help="the SQLite history"),
    out_dir: Path = typer.Option(Path("reports/history"), "--out", help="where the static site goes"),
) -> None:
    """A static site: verdicts over time, a page per project and per run, badges (opens from file://)."""
    from auditor.history import open_store
    from auditor.history.site import build_site

    if not db.is_file():
        fail(f"{db}: no such history")
    try:
        made = build_site(open_store(db), out_dir)
    except InputError as exc:
        fail(str(exc))
    print(f"{out_dir / 'index.html'}: {made['runs']} runs, {made['projects']} project pages, {made['badges']} badges")


def main() -> None:
    try:
        app()
    except AuditorError as exc:  # last resort: never a traceback for an error we know
        error_line(str(exc))
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
