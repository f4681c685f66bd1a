"""The audit, top-down: lock -> index files -> verified downloads -> plan -> rebuild -> judge -> results.

audit_release() audits one locked release and returns its PackageResult (records.py, serialized
into results.json by to_jsonable); run() audits a whole lock, `jobs` releases at a time, writing results.json after
every package. The stages live in their own packages, in the order they run: lockfiles/, fetch/, plan/,
rebuild/ (the builds), judge/ (judge/release.py drives a release's builds through rebuild/ and judges each wheel
against them), sourcerepo/ (--source-repo), results.py and report/.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta
from pathlib import Path
from typing import Callable

from auditor import proc, sourcerepo
from auditor.caches import verdicts as resultcache
from auditor.context import Context, slash
from auditor.fetch import (PYPI, artifact, direct_url_files, download_wheels, extract_sdist, flags, hash_files,
                           mark_new_since_baseline, mark_provenance, provenance)
from auditor.errors import AuditorError, Cancelled, HashMismatch, UnsafeArchive
from auditor.judge import findings
from auditor.judge.registry import check_causes
from auditor.plan.groups import plan_groups
from auditor.judge.release import judge_release
from auditor.judgement import WheelJudgement
from auditor.records import IndexFile, Lock, LockedRelease, PackageResult, RepoVerdict, Verdict, to_jsonable, worst
from auditor.results import ResultsWriter


def new_result(rel: LockedRelease, verdict: Verdict | None = None, reason: str | None = None) -> PackageResult:
    """The result record of one release, before (or instead of) its audit."""
    return PackageResult(name=rel.name, version=rel.version, lock_file=rel.file, lock_line=rel.line,
                         verdict=verdict, reason=reason)


def audit_release(rel: LockedRelease, lock: Lock, ctx: Context) -> PackageResult:
    t0 = time.monotonic()
    result = new_result(rel)
    ctx.stage(result, "index")

    def done(verdict: Verdict, reason: str | None = None) -> PackageResult:
        ctx.stage(result, None)
        mark_provenance(result)
        result.set(verdict=verdict, reason=reason, seconds=round(time.monotonic() - t0, 3))
        return result

    if rel.source not in ("registry", "url"):
        return done(Verdict.UNVERIFIABLE, f"{rel.source} source ({rel.url}): not a published, hashed archive; "
                    "nothing fixed to rebuild or compare")

    index_url = slash(ctx.opts.index_url or rel.index_url or (lock.index_urls[0] if lock.index_urls else PYPI))
    try:
        if rel.source == "url":
            files = direct_url_files(rel, ctx.index(index_url), result)
        else:
            index_url, files = _release_files(rel, index_url, lock, ctx)
    except AuditorError as exc:
        return done(Verdict.UNVERIFIABLE, str(exc) if rel.source == "url" else f"index: {exc}")
    result.index_url = index_url
    if not files:
        return done(Verdict.UNVERIFIABLE, f"the index serves no files for {rel.name} {rel.version}")

    k = _result_key(rel, files, index_url, ctx)
    if k is not None and ctx.results is not None:
        hit = ctx.results.get(k, ctx.opts.report_dir)
        if hit is not None:  # the same audit, maybe read from another lock file or line
            ctx.stage(result, None)
            hit.set(lock_file=rel.file, lock_line=rel.line, seconds=round(time.monotonic() - t0, 3),
                    timings=result.timings)
            return hit

    work = Path(tempfile.mkdtemp(prefix=f"auditor-{rel.name}-"))
    try:
        res = _audit_files(rel, files, index_url, ctx, work, result, done)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if k is not None and ctx.results is not None:
        ctx.results.put(k, res, ctx.opts.report_dir)
    return res


def _release_files(rel: LockedRelease, index_url: str, lock, ctx: Context) -> tuple[str, list]:
    """The release's files from its index, else from the lock's extra indexes in order (a pin that only an
    --extra-index-url serves: torch==2.5.1+cpu), unless --index-url overrides them all."""
    files = ctx.index(index_url).release_files(rel.name, rel.version)
    if files or ctx.opts.index_url:
        return index_url, files
    for extra in lock.index_urls[1:]:
        extra = slash(extra)
        if extra != index_url:
            found = ctx.index(extra).release_files(rel.name, rel.version)
            if found:
                return extra, found
    return index_url, files


def _result_key(rel: LockedRelease, files: list[IndexFile], index_url: str, ctx: Context) -> str | None:
    """The result cache's key: every input of this release's verdict (None: not cacheable)."""
    if ctx.results is None or not all(f.sha256 for f in files):
        return None
    return resultcache.key({
        "release": [rel.name, rel.version, rel.source, rel.url], "lock_hashes": sorted(rel.hashes), "index": index_url,
        "files": sorted([f.filename, f.sha256, str(f.upload_time), f.yanked, f.provenance] for f in files),
        "sandbox": ctx.sandbox.describe(), "build_index": ctx.build_index(index_url).url,
        "build_timeout": ctx.opts.build_timeout, "late_after": ctx.opts.late_after_days,
        "release_budget": ctx.opts.release_budget, "targets": ctx.opts.targets,
        "diffoscope_compiled": ctx.opts.diffoscope_compiled, "source_repo": ctx.opts.source_repo,
        "max_unpacked_gib": ctx.opts.max_unpacked_gib, "max_member_mib": ctx.opts.max_member_mib,
        **({"crate_index": ctx.opts.crate_index} if ctx.opts.crate_index else {}),
    })


def _audit_files(rel, files, index_url, ctx: Context, work: Path, result: PackageResult, done) -> PackageResult:
    hashes = hash_files(rel, files, ctx, result)
    first = min((f.upload_time for f in files if f.upload_time), default=None)
    late = timedelta(days=ctx.opts.late_after_days)
    if any(f.provenance for f in files):
        result.provenance = {f.filename: (provenance(f.provenance, ctx.http) if f.provenance else None) for f in files}
    sdist = _reference_sdist(files, hashes, rel)
    wheels = [f for f in files if f.is_wheel]
    ctx.stage(result, "download")
    entries = download_wheels(wheels, hashes, rel, first, late, ctx)
    for f, entry, _ in entries:
        (result.wheels if hashes[f.filename] in rel.hashes else result.unlocked).append(entry)

    def fail_all(verdict: Verdict, reason: str) -> PackageResult:
        for _, e, _ in entries:
            if e.verdict is None:
                e.judged(WheelJudgement(verdict, reason))
        return _finish(result, entries, done)

    if sdist is None:
        return fail_all(Verdict.UNVERIFIABLE, "no sdist for this release: nothing to rebuild from")
    sdist_locked = hashes[sdist.filename] in rel.hashes
    result.sdist = artifact(sdist, hashes[sdist.filename], flags(sdist, first, late, sdist_locked))
    if not sdist_locked:
        result.notes.append("the lock does not hash the sdist: the index's copy is the reference source")
    if not wheels:
        return done(Verdict.UNVERIFIABLE, "no wheels published for this release")
    try:
        _, sdist_path = ctx.cache.fetch(sdist, hashes[sdist.filename], ctx.http)
    except HashMismatch as exc:
        result.sdist.flags.append("hash-mismatch")
        return fail_all(Verdict.DIFFERS, f"sdist bytes do not match the expected hash: {exc}")
    except AuditorError as exc:
        return fail_all(Verdict.UNVERIFIABLE, f"sdist download failed: {exc}")
    try:
        src = extract_sdist(sdist_path, work / "src", sdist.filename)
    except UnsafeArchive as exc:
        result.sdist.flags.append("unsafe-archive")
        return fail_all(Verdict.FAILED, f"unsafe sdist: {exc}")

    if ctx.opts.source_repo:
        ctx.stage(result, "source-repo")
        attested = (result.provenance or {}).get(sdist.filename)
        result.source_repo = to_jsonable(sourcerepo.check(src, rel.name, rel.version, ctx.cache.dir("repos"), attested))
    plans, others = plan_groups(entries, src, ctx.sandbox.python_version(), ctx.sandbox.pythons(), ctx.opts.targets)
    judge_release(plans, others, src, ctx, index_url, work, rel, result)
    if result.builds:
        result.build = next((b for b in result.builds if b.chosen), result.builds[0])
    return _finish(result, entries, done)


def _reference_sdist(files, hashes: dict[str, str | None], rel: LockedRelease):
    """The sdist rebuilt from: the one the lock hashes, else the index's (a .tar.gz first), else None."""
    sdists = [f for f in files if f.is_sdist]
    locked = [f for f in sdists if hashes[f.filename] in rel.hashes]
    return (locked or sorted(sdists, key=lambda f: not f.filename.endswith(".tar.gz")) or [None])[0]


def _finish(result: PackageResult, entries, done) -> PackageResult:
    """The release's verdict: the worst of its wheels', or differs when its sdist is not its repository's."""
    result.findings = findings.group([e for _, e, _ in entries]) + \
        findings.input_mismatches(result.builds, [e for _, e, _ in entries])
    check_causes(c for f in result.findings for c in f.causes)
    # a wheel made here that stood (not one unreadable, nor of another configuration: Attempts.fell_back)
    result.rebuilt_here = any(b.rebuilt and not b.reason for b in result.builds)
    for _, e, _ in entries:
        e.check = e.check or "none"
    v = worst([Verdict(e.verdict) for _, e, _ in entries if e.verdict])
    repo = result.source_repo or {}
    if repo.get("verdict") == RepoVerdict.DIFFERS:  # the chain's first link is broken
        return done(Verdict.DIFFERS, f"sdist against the repository: {repo.get('reason')}"[:1000])
    if v is None:
        return done(Verdict.UNVERIFIABLE, "no published wheel to compare")
    reasons = sorted({e.reason for _, e, _ in entries if e.verdict == v and e.reason})
    return done(v, "; ".join(reasons)[:1000] or None)


def _audit_one(rel: LockedRelease, lock: Lock, ctx: Context) -> PackageResult:
    try:
        res = audit_release(rel, lock, ctx)
    except AuditorError as exc:  # anything a single package can throw must not end the run
        res = new_result(rel, Verdict.UNVERIFIABLE, str(exc))
    except Exception as exc:  # a bug of ours: say so for this package, keep the run and its results
        log = ctx.opts.report_dir / "logs" / f"{rel.name}-{rel.version}-internal-error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc())
        res = new_result(rel, Verdict.FAILED, f"internal error in auditor ({type(exc).__name__}: {exc}); "
                                              f"traceback in {log.relative_to(ctx.opts.report_dir)}")
    if ctx.opts.baseline is not None:
        mark_new_since_baseline(res, ctx.opts.baseline)
    return res


def run(lock: Lock, ctx: Context, writer: ResultsWriter, on_done: Callable[[dict], None] | None = None,
        jobs: int = 1) -> dict:
    """Audit every release, `jobs` at a time, those with the most locked files first. results.json is
    rewritten as each package finishes, in lock order; on_done is called in lock order too, so output
    does not depend on timing.

    Ctrl-C / SIGTERM (KeyboardInterrupt in the main thread) kills every running build and tool,
    lets the workers unwind (containers are removed in their `finally`), and re-raises."""
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="audit")
    # Longest first, so that no long audit starts last and runs alone: a release locked with many
    # hashes has many wheels, nearly always platform wheels with compiled code (the costly ones).
    order = sorted(range(len(lock.releases)), key=lambda i: -len(lock.releases[i].hashes))
    futures = {pool.submit(_audit_one, lock.releases[i], lock, ctx): i for i in order}
    done: dict[int, dict] = {}  # lock position -> the package's results.json record
    emitted = 0
    try:
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Cancelled:
                continue
            i = futures[fut]
            done[i] = res.to_dict()
            writer.put(i, done[i])
            while emitted in done:
                if on_done:
                    on_done(done[emitted])
                emitted += 1
    except BaseException:
        proc.cancel_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return writer.finish()
