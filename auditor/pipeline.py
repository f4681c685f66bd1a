"""The audit, top-down: lock -> index files -> verified downloads -> rebuild -> compare -> results.

audit_release() audits one locked release and returns its result record (a plain dict, as written
to results.json); run() audits a whole lock, writing results.json after every package.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import traceback
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from packaging.utils import parse_wheel_filename

from auditor import diffoscope, proc, resultcache
from auditor.archives import WheelArchive, extract_sdist, read_wheel
from auditor.buildplan import make_plan
from auditor.compare import compare_other_platform, compare_wheels, cross_check_sources, is_compiled, verdict_of
from auditor.errors import AuditorError, BuildError, Cancelled, HashMismatch, IndexError_, UnsafeArchive
from auditor.fetch import Cache
from auditor.index import PYPI, HttpClient, SimpleIndex, file_name_version
from auditor.records import BuildPlan, IndexFile, Lock, LockedRelease, Verdict, to_jsonable, worst
from auditor.resolve import frontend_pins, resolve, shared_wheelhouse, target_tags
from auditor.results import ResultsWriter
from auditor.resultcache import ResultCache
from auditor.timeline import mark_new_since_baseline, provenance
from auditor.sandbox import BuildJob, Sandbox, base_env, prepare_frontend

MAX_PLANS = 4  # distinct build configurations tried per release
DOWNLOADS_PER_RELEASE = 6  # concurrent downloads of one release's files


@dataclass
class Options:
    report_dir: Path
    cache_dir: Path
    index_url: str | None = None
    build_index_url: str | None = None
    build_timeout: float = 900.0
    late_after_days: float = 7.0
    diffoscope_compiled: bool = False  # diffoscope also on compiled members known not to be reproduced
    keep_work: bool = False
    baseline: dict | None = None  # baseline_index() of an earlier results.json


@dataclass
class Context:
    opts: Options
    http: HttpClient
    cache: Cache
    sandbox: Sandbox
    results: ResultCache | None = None  # None: always audit afresh (--no-result-cache)
    on_stage: Callable[[str, str], None] | None = None  # (package, stage): for a progress display
    indexes: dict[str, SimpleIndex] = field(default_factory=dict)
    _frontend: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stage(self, result: dict[str, Any], name: str | None) -> None:
        """Enter a stage of one package's audit (None: finished); times each stage into result["timings"]."""
        now = time.monotonic()
        timings = result.setdefault("timings", {})
        last = result.pop("_stage", None)
        if last:
            timings[last[0]] = round(timings.get(last[0], 0.0) + now - last[1], 3)
        if name:
            result["_stage"] = (name, now)
            proc.check()
        if self.on_stage:
            self.on_stage(result["name"], name or "done")

    def index(self, url: str) -> SimpleIndex:
        url = _slash(url)
        if url not in self.indexes:
            self.indexes[url] = SimpleIndex(url, self.http)
        return self.indexes[url]

    def build_index(self, lock_index: str | None) -> SimpleIndex:
        return self.index(_slash(self.opts.build_index_url or lock_index or PYPI))

    def frontend(self, lock_index: str | None) -> Path:
        with self._lock:  # once per run, whichever package asks first
            if self._frontend is None:
                self._frontend = prepare_frontend(
                    frontend_pins(), self.build_index(lock_index), self.http, self.cache,
                    self.sandbox.python_version())
        return self._frontend


def _is_pure(filename: str) -> bool:
    tags = parse_wheel_filename(filename)[3]
    return all(t.abi == "none" and t.platform == "any" for t in tags)


def _artifact(f: IndexFile, sha256: str | None, flags: list[str]) -> dict[str, Any]:
    return {
        "provenance_url": f.provenance,
        "filename": f.filename,
        "url": f.url,
        "sha256": sha256 or f.sha256,
        "upload_time": to_jsonable(f.upload_time),
        "size": f.size,
        "yanked": f.yanked,
        "flags": flags,
    }


def _flags(f: IndexFile, first: datetime | None, late_after: timedelta, locked: bool) -> list[str]:
    flags = []
    if not locked:
        flags.append("not-in-lockfile")
    if f.yanked is not None:
        flags.append("yanked")
    if first and f.upload_time and f.upload_time - first > late_after:
        flags.append("late-upload")
    return flags


def new_result(rel: LockedRelease, verdict: Verdict | None = None, reason: str | None = None) -> dict[str, Any]:
    """The result record of one release, before (or instead of) its audit."""
    return {
        "name": rel.name, "version": rel.version, "lock_file": rel.file, "lock_line": rel.line,
        "verdict": verdict.value if verdict else None, "reason": reason, "flags": [], "sdist": None,
        "wheels": [], "unlocked": [], "missing": [], "builds": [], "build": None, "notes": [], "seconds": 0.0,
    }


def audit_release(rel: LockedRelease, lock: Lock, ctx: Context) -> dict[str, Any]:
    t0 = time.monotonic()
    result = new_result(rel)
    ctx.stage(result, "index")

    def done(verdict: Verdict, reason: str | None = None) -> dict[str, Any]:
        ctx.stage(result, None)
        _mark_provenance(result)
        result["verdict"] = verdict.value
        result["reason"] = reason
        result["seconds"] = round(time.monotonic() - t0, 3)
        return result

    if rel.source not in ("registry", "url"):
        return done(Verdict.UNVERIFIABLE, f"{rel.source} source ({rel.url}): not a published, hashed archive; "
                    "nothing fixed to rebuild or compare")

    index_url = _slash(ctx.opts.index_url or rel.index_url or (lock.index_urls[0] if lock.index_urls else PYPI))
    result["index_url"] = index_url
    if rel.source == "url":
        try:
            files = _direct_url_files(rel, ctx.index(index_url), result)
        except AuditorError as exc:
            return done(Verdict.UNVERIFIABLE, str(exc))
    else:
        try:
            files = ctx.index(index_url).release_files(rel.name, rel.version)
        except AuditorError as exc:
            return done(Verdict.UNVERIFIABLE, f"index: {exc}")
    if not files:
        return done(Verdict.UNVERIFIABLE, f"the index serves no files for {rel.name} {rel.version}")

    k = None
    if ctx.results is not None and all(f.sha256 for f in files):
        k = resultcache.key({
            "release": [rel.name, rel.version, rel.source, rel.url], "lock_hashes": sorted(rel.hashes), "index": index_url,
            "files": sorted([f.filename, f.sha256, str(f.upload_time), f.yanked, f.provenance] for f in files),
            "sandbox": ctx.sandbox.describe(), "build_index": ctx.build_index(index_url).url,
            "build_timeout": ctx.opts.build_timeout, "late_after": ctx.opts.late_after_days,
            "diffoscope_compiled": ctx.opts.diffoscope_compiled,
        })
        hit = ctx.results.get(k, ctx.opts.report_dir)
        if hit is not None:  # the same audit, maybe read from another lock file or line
            ctx.stage(result, None)
            hit.update(lock_file=rel.file, lock_line=rel.line, seconds=round(time.monotonic() - t0, 3),
                       timings=result["timings"])
            return hit

    work = Path(tempfile.mkdtemp(prefix=f"auditor-{rel.name}-"))
    try:
        res = _audit_files(rel, files, index_url, ctx, work, result, done)
    finally:
        if not ctx.opts.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    if k is not None:
        ctx.results.put(k, res, ctx.opts.report_dir)
    return res


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _direct_url_files(rel: LockedRelease, index: SimpleIndex, result: dict[str, Any]) -> list[IndexFile]:
    """A direct-URL pin: the locked archive itself, plus what the index publishes for the same release.

    The archive is verified against the lock's hash like any other file; an sdist is rebuilt and the
    rebuild compared with the index's wheels of that version (a wheel URL is compared with the rebuild
    of the index's sdist)."""
    filename = unquote(urlsplit(rel.url or "").path.rsplit("/", 1)[-1])
    parsed = file_name_version(filename)
    if parsed is None:
        raise IndexError_(f"direct URL {rel.url}: the file name {filename!r} is neither an sdist nor a wheel")
    name, version = parsed
    if name != rel.name:
        raise IndexError_(f"direct URL {rel.url}: the file is {name}, the lock says {rel.name}")
    result["version"] = version
    result["url"] = rel.url
    sha = next(iter(rel.hashes)) if len(rel.hashes) == 1 else None
    direct = IndexFile(filename, rel.url or "", sha)
    try:
        published = index.release_files(rel.name, version)
    except AuditorError as exc:
        result["notes"].append(f"index: {exc}")
        published = []
    if not published:
        result["notes"].append(f"{index.url} publishes no files for {rel.name} {version}")
    same = [f for f in published if f.filename == filename]
    if same and sha and same[0].sha256 == sha:
        return published  # the URL names the index's own file
    return [direct] + [f for f in published if f.filename != filename]


def _audit_files(rel, files, index_url, ctx: Context, work: Path, result, done) -> dict[str, Any]:
    hashes = _hash_files(rel, files, ctx, result)
    first = min((f.upload_time for f in files if f.upload_time), default=None)
    late = timedelta(days=ctx.opts.late_after_days)
    if any(f.provenance for f in files):
        result["provenance"] = {f.filename: (provenance(f.provenance, ctx.http) if f.provenance else None) for f in files}

    sdists = [f for f in files if f.is_sdist]
    wheels = [f for f in files if f.is_wheel]
    locked_sdists = [f for f in sdists if hashes[f.filename] in rel.hashes]
    sdist = (locked_sdists or sorted(sdists, key=lambda f: not f.filename.endswith(".tar.gz")) or [None])[0]

    ctx.stage(result, "download")
    entries = _download_wheels(wheels, hashes, rel, first, late, ctx)
    for f, entry, _ in entries:
        (result["wheels"] if hashes[f.filename] in rel.hashes else result["unlocked"]).append(entry)

    def finish() -> dict[str, Any]:
        verdicts = [Verdict(e["verdict"]) for _, e, _ in entries if e["verdict"]]
        v = worst(verdicts)
        if v is None:
            return done(Verdict.UNVERIFIABLE, "no published wheel to compare")
        reasons = sorted({e["reason"] for _, e, _ in entries if e["verdict"] == v.value and e["reason"]})
        return done(v, "; ".join(reasons)[:1000] or None)

    def fail_all(verdict: Verdict, reason: str) -> dict[str, Any]:
        for _, e, _ in entries:
            if e["verdict"] is None:
                e.update(verdict=verdict.value, reason=reason)
        return finish()

    if sdist is None:
        return fail_all(Verdict.UNVERIFIABLE, "no sdist for this release: nothing to rebuild from")
    sdist_locked = hashes[sdist.filename] in rel.hashes
    result["sdist"] = _artifact(sdist, hashes[sdist.filename], _flags(sdist, first, late, sdist_locked))
    if not sdist_locked:
        result["notes"].append("the lock does not hash the sdist: the index's copy is the reference source")
    if not wheels:
        return done(Verdict.UNVERIFIABLE, "no wheels published for this release")
    try:
        _, sdist_path = ctx.cache.fetch(sdist, hashes[sdist.filename], ctx.http)
    except HashMismatch as exc:
        result["sdist"]["flags"].append("hash-mismatch")
        return fail_all(Verdict.DIFFERS, f"sdist bytes do not match the expected hash: {exc}")
    except AuditorError as exc:
        return fail_all(Verdict.UNVERIFIABLE, f"sdist download failed: {exc}")
    try:
        src = extract_sdist(sdist_path, work / "src", sdist.filename)
    except UnsafeArchive as exc:
        result["sdist"]["flags"].append("unsafe-archive")
        return fail_all(Verdict.FAILED, f"unsafe sdist: {exc}")

    plans, others = _plan_groups(entries, src, ctx.sandbox.python_version())
    _rebuild_all(plans, others, src, ctx, index_url, work, rel, result)
    if result["builds"]:
        result["build"] = next((b for b in result["builds"] if b.get("chosen")), result["builds"][0])
    return finish()


def _hash_files(rel: LockedRelease, files: list[IndexFile], ctx: Context, result: dict) -> dict[str, str | None]:
    """Each served file's sha256 (downloading those the index does not hash); flags lock hashes no
    served file has as `missing`."""
    hashes: dict[str, str | None] = {}
    for f in files:
        if f.sha256:
            hashes[f.filename] = f.sha256
        else:
            try:
                hashes[f.filename] = ctx.cache.fetch(f, None, ctx.http)[0]
            except AuditorError as exc:
                result["notes"].append(f"{f.filename}: cannot download to hash it: {exc}")
                hashes[f.filename] = None
    result["missing"] = sorted(rel.hashes - {h for h in hashes.values() if h})
    if result["missing"]:
        result["flags"].append("missing")
    return hashes


def _download_wheels(wheels: list[IndexFile], hashes: dict[str, str | None], rel: LockedRelease, first, late,
                     ctx: Context) -> list[tuple[IndexFile, dict[str, Any], Path | None]]:
    """Verified downloads, several at a time, in index order. A mismatch is reported (differs), never
    retried into success; a failed download makes that wheel unverifiable."""
    def fetch(f: IndexFile) -> tuple[IndexFile, dict[str, Any], Path | None]:
        locked = hashes[f.filename] in rel.hashes
        entry = _artifact(f, hashes[f.filename], _flags(f, first, late, locked))
        entry.update(verdict=None, rebuilt_sha256=None, normalizations=[], differences=[], reason=None)
        path = None
        try:
            _, path = ctx.cache.fetch(f, hashes[f.filename], ctx.http)
        except HashMismatch as exc:
            entry["flags"].append("hash-mismatch")
            entry.update(verdict=Verdict.DIFFERS.value, reason=f"downloaded bytes do not match the expected hash: {exc}")
        except AuditorError as exc:
            entry.update(verdict=Verdict.UNVERIFIABLE.value, reason=f"download failed: {exc}")
        return f, entry, path

    with ThreadPoolExecutor(max_workers=DOWNLOADS_PER_RELEASE, thread_name_prefix="fetch") as pool:
        return list(pool.map(fetch, wheels))


def _plan_groups(entries, src: Path, python: str) -> tuple[dict, dict]:
    """Group the downloaded wheels by what it takes to rebuild them.

    plans: wheels this sandbox can build (pure, and platform wheels for its Python on linux x86_64),
    by build configuration (backend, requirements, timestamp policy). others: wheels for other
    platforms, by build requirements only (zip times are not compared across platforms)."""
    native = target_tags(python)
    plans: dict[tuple, tuple[BuildPlan, list[str], list[tuple[dict, WheelArchive, Path, bool]]]] = {}
    others: dict[tuple, tuple[BuildPlan, list[str], list[tuple[dict, WheelArchive, Path]]]] = {}
    for f, entry, path in entries:
        if entry["verdict"] is not None or path is None:
            continue
        try:
            wa = read_wheel(path)
            plan, notes = make_plan(wa, src, f.upload_time, python)
        except UnsafeArchive as exc:
            entry.update(verdict=Verdict.DIFFERS.value, reason=f"published wheel unreadable: {exc}")
            continue
        except BuildError as exc:
            entry.update(verdict=Verdict.FAILED.value, reason=str(exc))
            continue
        binary = not _is_pure(f.filename)
        if binary and not set(parse_wheel_filename(f.filename)[3]) & native:
            _group(others, tuple(plan.requires), plan, notes, (entry, wa, path))
        else:
            _group(plans, plan.config(), plan, notes, (entry, wa, path, binary))
    return plans, others


def _rebuild_all(plans: dict, others: dict, src: Path, ctx: Context, index_url: str, work: Path,
                 rel: LockedRelease, result: dict) -> None:
    """One rebuild per plan (earliest cutoff first, at most MAX_PLANS in all), each compared with its
    wheels; then every other-platform wheel is compared with a rebuild made with its own build
    requirements (built here when no plan made one), or else cross-checked against the sources."""
    ordered = sorted(plans.values(), key=lambda p: str(p[0].cutoff))
    built: dict[tuple, tuple[Path, WheelArchive, str]] = {}  # build requirements -> the rebuild kept
    for n, (plan, notes, members) in enumerate(ordered):
        if n >= MAX_PLANS:
            for entry, _, _, _ in members:
                entry.update(verdict=Verdict.UNVERIFIABLE.value, reason=f"more than {MAX_PLANS} distinct build configurations")
            continue
        best = _rebuild_and_compare(plan, notes, members, src, ctx, index_url, work, rel, n, result)
        if best is not None and (tuple(plan.requires) not in built or any(binary for *_, binary in members)):
            built[tuple(plan.requires)] = best
    n = min(len(ordered), MAX_PLANS)
    for config, (plan, notes, group) in sorted(others.items(), key=lambda kv: -len(kv[1][2])):
        if config in built or n >= MAX_PLANS:
            continue
        # No wheel this sandbox can build was made with this configuration: build one to compare with.
        notes = notes + [f"built to check {len(group)} wheel(s) for other platforms made with {plan.generator or 'this configuration'}"]
        best = _rebuild_and_compare(plan, notes, [], src, ctx, index_url, work, rel, n, result)
        n += 1
        if best is not None:
            built[config] = best
    fallback = next(iter(built.values()), None)
    for config, (plan, _, group) in others.items():
        rebuilt = built.get(config, fallback)
        for entry, wa, path in group:
            if rebuilt is None:
                _cross_check_into(entry, path, src)
            else:
                _compare_other_platform_into(entry, wa, path, *rebuilt, ctx)
                if config not in built:
                    entry["notes"] = [f"compared with a rebuild of another configuration: more than {MAX_PLANS} needed"]


def _group(groups: dict[tuple, tuple], key: tuple, plan: BuildPlan, notes: list[str], item: tuple) -> None:
    """Add a wheel to its build group; the group's plan is that of its earliest upload (the cutoff)."""
    group = groups.setdefault(key, (plan, notes, []))
    if plan.cutoff and group[0].cutoff and plan.cutoff < group[0].cutoff:
        groups[key] = (plan, notes, group[2])
    groups[key][2].append(item)


MAX_TIMESTAMP_TRIES = 2


def _rebuild_and_compare(plan: BuildPlan, notes, members, src: Path, ctx: Context, index_url: str, work: Path,
                         rel, n: int, result) -> tuple[Path, WheelArchive, str] | None:
    """Rebuild with the plan's timestamp policy, then its alternatives while some wheel is not identical
    (at most MAX_TIMESTAMP_TRIES builds); every member wheel keeps its best comparison. Returns the
    rebuilt wheel that was kept (for other platforms' wheels), or None if no build succeeded."""
    best: dict[int, tuple[tuple, dict]] = {}
    kept: tuple[Path, WheelArchive, str] | None = None
    kept_score: tuple | None = None
    policies = [plan.timestamp] + plan.alternatives
    mine: list[dict] = []  # this plan's build records
    for attempt, policy in enumerate(policies[:MAX_TIMESTAMP_TRIES]):
        label = f"{n}" if attempt == 0 else f"{n}.{attempt}"
        build = _rebuild(dataclasses.replace(plan, timestamp=policy), notes, src, ctx, index_url,
                         work / f"build{label}", rel, label, result)
        ctx.stage(result, "compare")
        record = build["record"]
        record["attempt"] = attempt
        result["builds"].append(record)
        mine.append(record)
        rebuilt: Path | None = build["wheel"]
        if rebuilt is None:
            for i, (entry, _, _, _) in enumerate(members):
                best.setdefault(i, ((Verdict.FAILED.severity,), {"verdict": Verdict.FAILED.value,
                                                                 "reason": record["reason"]}))
            break
        try:
            rebuilt_wa = read_wheel(rebuilt)
        except UnsafeArchive as exc:
            record["reason"] = f"rebuilt wheel unreadable: {exc}"
            for i in range(len(members)):
                best.setdefault(i, ((Verdict.FAILED.severity,), {"verdict": Verdict.FAILED.value,
                                                                 "reason": record["reason"]}))
            break
        total: list = []
        for i, (entry, wa, _, binary) in enumerate(members):
            fields = _compare(entry["sha256"], wa, record["rebuilt"]["filename"], record["rebuilt"]["sha256"],
                              rebuilt_wa, binary)
            fields["build"] = len(result["builds"]) - 1
            score = _score(fields)
            total.append(score)
            if i not in best or score < best[i][0]:
                best[i] = (score, fields)
        score = tuple(map(sum, zip(*total))) if total else (0,)
        if kept_score is None or score < kept_score:
            kept, kept_score = (rebuilt, rebuilt_wa, record["rebuilt"]["filename"]), score
            for b in mine:
                b.pop("chosen", None)
            record["chosen"] = True
        if all(fields["verdict"] == Verdict.IDENTICAL.value for _, fields in best.values()):
            break
    for i, (entry, _, path, _) in enumerate(members):
        if i in best:
            entry.update(best[i][1])
            if entry["verdict"] in (Verdict.DIFFERS.value, Verdict.PARTIAL.value) and kept is not None:
                rebuilt_path = _rebuilt_path(result, entry, ctx)
                if rebuilt_path is not None:
                    _diffoscope_into(entry, path, rebuilt_path, ctx)
    return kept


def _score(fields: dict) -> tuple:
    """Lower is better: verdict, then differences, then members whose times still differ."""
    return (Verdict(fields["verdict"]).severity, len(fields.get("differences", [])), fields.get("mtime_members", 0))


def _rebuilt_path(result, entry, ctx: Context) -> Path | None:
    rebuilt = result["builds"][entry["build"]].get("rebuilt") if entry.get("build") is not None else None
    return ctx.cache.get(rebuilt["sha256"]) if rebuilt else None


def _mark_provenance(result: dict[str, Any]) -> None:
    prov = result.get("provenance")
    if not prov:
        return
    for a in [result.get("sdist")] + result.get("wheels", []) + result.get("unlocked", []):
        if a:
            a["provenance"] = prov.get(a["filename"])
            if a["provenance"] is None:
                a["flags"].append("no-provenance")


def _rebuild(plan: BuildPlan, notes, src: Path, ctx: Context, lock_index: str, work: Path, rel, n: str,
             result: dict[str, Any]) -> dict:
    """Resolve and fetch the plan's pins, run the sandbox, and keep the log and the rebuilt wheel."""
    record: dict[str, Any] = {
        "backend": plan.backend, "backend_version": plan.backend_version, "generator": plan.generator,
        "declared_requires": plan.requires, "cutoff": to_jsonable(plan.cutoff),
        "source_date_epoch": plan.timestamp.source_date_epoch, "tz": plan.timestamp.tz or "UTC",
        "timestamp_policy": {"name": plan.timestamp.name, "reason": plan.timestamp.reason},
        "requirements": [], "python": plan.python, "sandbox": ctx.sandbox.name,
        "log": None, "reason": None, "seconds": None, "notes": list(notes),
    }
    work.mkdir(parents=True, exist_ok=True)
    log_path = ctx.opts.report_dir / "logs" / f"{rel.name}-{rel.version}-build{n}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    record["log"] = str(log_path.relative_to(ctx.opts.report_dir))
    requires = list(plan.requires)
    log = ""
    for round_ in range(2):  # a second round when the backend asks for more (get_requires_for_build_wheel)
        ctx.stage(result, "resolve")
        try:
            bindex = ctx.build_index(lock_index)
            pins = resolve(requires, plan.cutoff, bindex.url, plan.python, ctx.cache,
                           exempt=plan.backend if plan.backend_version else None)
            wheelhouse, reqs = shared_wheelhouse(pins, bindex, ctx.http, ctx.cache, plan.python)
            record["requirements"] = [to_jsonable(r) for r in reqs]
            frontend = ctx.frontend(lock_index)
        except AuditorError as exc:
            record["reason"] = f"build requirements: {exc}"
            log_path.write_text(log + str(exc) + "\n")
            return {"record": record, "wheel": None}
        out = work / f"out{round_}"
        out.mkdir(parents=True, exist_ok=True)
        src.parent.chmod(0o755)
        job = BuildJob(
            source_dir=src, wheelhouse=wheelhouse, requirements=wheelhouse / "requirements.txt",
            frontend=frontend, out_dir=out, env=base_env(plan.timestamp.source_date_epoch, plan.timestamp.tz),
            timeout=ctx.opts.build_timeout,
        )
        ctx.stage(result, "build")
        outcome = ctx.sandbox.build(job)
        log += outcome.log
        record["seconds"] = round((record["seconds"] or 0) + outcome.seconds, 3)
        new = [m for m in outcome.missing if m not in requires]
        if outcome.reason != "missing-build-dependencies" or not new or round_:
            break
        requires += new
        record["notes"].append(f"the backend asked for more build requirements (get_requires_for_build_wheel): "
                               f"{', '.join(new)}; resolved as of the same cutoff and built again")
        log += "\n[auditor] resolving the requirements the backend asked for, and building again\n\n"
    log_path.write_text(log)
    if outcome.wheel_path is None:
        tail = " | ".join(line for line in outcome.log.strip().splitlines()[-3:])[:400]
        record["reason"] = f"{outcome.reason}: {tail}" if tail else outcome.reason
        return {"record": record, "wheel": None}
    record["installer"], record["phases"] = outcome.installer, outcome.phases
    digest, cached = ctx.cache.put_file(Path(outcome.wheel_path))
    record["rebuilt"] = {"filename": Path(outcome.wheel_path).name, "sha256": digest}
    return {"record": record, "wheel": cached}


def _cross_check_into(entry: dict, published_path: Path, src: Path) -> None:
    """Platform wheels are not rebuilt yet: check what can be checked against the sdist's sources."""
    try:
        cmp = cross_check_sources(read_wheel(published_path), src)
    except UnsafeArchive as exc:
        entry.update(verdict=Verdict.DIFFERS.value, reason=f"published wheel unreadable: {exc}")
        return
    entry.update(differences=[to_jsonable(d) for d in cmp.differences], members_verified=cmp.members_verified,
                 check="sources")
    if cmp.differences:
        verdict, reason = verdict_of(cmp)
        entry.update(verdict=verdict.value, reason=f"against the sdist's sources: {reason}")
    elif cmp.members_verified == 0:
        entry.update(verdict=Verdict.UNVERIFIABLE.value,
                     reason="platform wheel (not rebuilt here) with no member checkable against the sdist's sources")
    else:
        entry.update(verdict=Verdict.PARTIAL.value, reason=(
            f"platform wheel, not rebuilt here: {cmp.members_verified} members match the sdist's sources; "
            f"{len(cmp.compiled_differences)} compiled/metadata members not verified"))


def _compare(published_sha: str, published: WheelArchive, rebuilt_name: str, rebuilt_sha: str,
             rebuilt_wa: WheelArchive, binary: bool) -> dict[str, Any]:
    """The comparison fields of one published wheel against one rebuild (no side effects)."""
    fields: dict[str, Any] = {"rebuilt_sha256": rebuilt_sha, "reason": None, "normalizations": [], "differences": [],
                              "mtime_members": 0, "check": "rebuilt-binary" if binary else "rebuilt"}
    if rebuilt_sha == published_sha:
        return dict(fields, verdict=Verdict.IDENTICAL.value)
    if not binary and not _is_pure(rebuilt_name):
        # A pure wheel of a project whose extensions are optional: the sdist builds them here.
        cmp = compare_other_platform(published, rebuilt_wa, pure_variant=True)
        fields.update(check="rebuilt-pure-variant", normalizations=cmp.normalizations,
                      differences=[to_jsonable(d) for d in cmp.differences], members_verified=cmp.members_verified,
                      not_reproduced=[to_jsonable(d) for d in cmp.compiled_differences])
        if cmp.differences:
            verdict, reason = verdict_of(cmp)
            return dict(fields, verdict=verdict.value, reason=f"against the rebuild with extensions ({rebuilt_name}): {reason}")
        return dict(fields, verdict=Verdict.PARTIAL.value, reason=(
            f"pure-Python variant: {cmp.members_verified} members match the rebuild with extensions "
            f"({rebuilt_name}); the pure variant itself was not rebuilt"))
    cmp = compare_wheels(published, rebuilt_wa, binary=binary)
    verdict, reason = verdict_of(cmp)
    fields.update(
        verdict=verdict.value, reason=reason, normalizations=cmp.normalizations,
        differences=[to_jsonable(d) for d in cmp.differences], members_verified=cmp.members_verified,
        mtime_members=cmp.mtime_members,
        not_reproduced=[to_jsonable(d) for d in cmp.compiled_differences],
    )
    return fields


def _compare_other_platform_into(entry: dict, published: WheelArchive, published_path: Path, rebuilt: Path,
                                 rebuilt_wa: WheelArchive, rebuilt_name: str, ctx: Context) -> None:
    cmp = compare_other_platform(published, rebuilt_wa)
    entry.update(differences=[to_jsonable(d) for d in cmp.differences], members_verified=cmp.members_verified,
                 not_reproduced=[to_jsonable(d) for d in cmp.compiled_differences], check="rebuilt-other-platform",
                 compared_with=rebuilt_name, normalizations=cmp.normalizations)
    if cmp.differences:
        verdict, reason = verdict_of(cmp)
        entry.update(verdict=verdict.value, reason=f"against the wheel rebuilt here ({rebuilt_name}): {reason}")
        _diffoscope_into(entry, published_path, rebuilt, ctx, skip_compiled=True, crlf_members=cmp.crlf_members)
    else:
        n = sum(1 for d in cmp.compiled_differences if d.kind == "content")
        entry.update(verdict=Verdict.PARTIAL.value, reason=(
            f"other platform: {cmp.members_verified} members match the wheel rebuilt here"
            + (f" (after {', '.join(cmp.normalizations)})" if cmp.normalizations else "")
            + f"; {n} compiled members not verifiable here"))


def _diffoscope_into(entry: dict, published_path: Path, rebuilt: Path, ctx: Context,
                     skip_compiled: bool = False, crlf_members: list[str] = ()) -> None:
    out = ctx.opts.report_dir / "diffoscope" / f"{entry['filename']}.html"
    leave_out = [] if skip_compiled or ctx.opts.diffoscope_compiled else sorted(
        {d["path"] for d in entry.get("not_reproduced", []) if d["kind"] == "content" and is_compiled(d["path"])})
    ds = diffoscope.run(published_path, rebuilt, entry["filename"], out, skip_compiled=skip_compiled,
                        leave_out=leave_out, crlf_members=crlf_members)
    if crlf_members:
        ds["line_endings"] = f"CRLF made LF in {len(crlf_members)} published members (crlf-line-endings)"
    ds["compiled_members"] = ("left out (other platform)" if skip_compiled else
                              f"left out: {', '.join(leave_out)} (not reproduced, listed above; "
                              "--diffoscope-compiled compares them)" if leave_out else "compared")
    if ds["html"]:
        ds["html"] = str(Path(ds["html"]).relative_to(ctx.opts.report_dir))
    entry["diffoscope"] = ds


def _audit_one(rel: LockedRelease, lock: Lock, ctx: Context) -> dict:
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
    done: dict[int, dict] = {}
    emitted = 0
    try:
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Cancelled:
                continue
            i = futures[fut]
            done[i] = res
            writer.put(i, res)
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
