"""Stage 4 of an audit: rebuild each group's wheel in the sandbox and score it against the group.

rebuild_all() runs one rebuild per build configuration (earliest cutoff first, at most MAX_PLANS),
each with its timestamp candidates while a wheel is not identical, keeps every wheel's best
comparison, then compares every other platform's wheel with a rebuild of its own configuration.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Any

from auditor import diffoscope
from auditor.archives import WheelArchive, read_wheel
from auditor.context import Context
from auditor.errors import AuditorError, SandboxError, UnsafeArchive
from auditor.judge.findings import finding_key
from auditor.judge.sources import extension_sources
from auditor.judge.verdicts import compare_rebuilt, other_platform_fields, sources_fields
from auditor.plan import toolchain
from auditor.plan.config import backend_pin
from auditor.plan.groups import Groups
from auditor.records import BuildPlan, BuildRecord, LockedRelease, PackageResult, Verdict, WheelResult, to_jsonable
from auditor.rebuild_failures import failure_cause
from auditor.resolve import resolve, shared_wheelhouse
from auditor.sandbox import BuildJob, base_env

MAX_PLANS = 6  # distinct build configurations tried per release (one per interpreter, and the other platforms' own)
MAX_TIMESTAMP_TRIES = 2

Rebuilt = tuple[Path, WheelArchive, str]  # the kept rebuild: local path, archive, file name


def rebuild_all(plans: Groups, others: Groups, src: Path, ctx: Context, index_url: str, work: Path,
                rel: LockedRelease, result: PackageResult) -> None:
    ordered = sorted(plans.values(), key=lambda p: str(p[0].cutoff))
    sources = extension_sources(src)  # what can account for a compiled module not built here
    built: dict[tuple, Rebuilt] = {}  # build requirements -> the rebuild kept
    pending: list = []  # diffoscope jobs, run once per distinct finding at the end
    failed: dict[tuple, str] = {}  # build requirements -> why their build failed (it fails the same way again)
    over: list = []  # members of configurations past MAX_PLANS or the release's time budget
    n = 0
    budget = ctx.opts.release_budget
    started = time.monotonic()

    def out_of_time() -> bool:
        if budget and time.monotonic() - started > budget:
            if not result.budget_hit:
                result.budget_hit = True
                result.notes.append(f"the release's time budget ({budget:.0f} s, --release-budget) was hit: "
                                       "no more builds; the remaining wheels are compared with a rebuild already made")
            return True
        return False

    for plan, notes, members in ordered:
        reqs = tuple(plan.requires)
        if reqs in failed:
            for entry, _, path, _ in members:
                entry.set(verdict=Verdict.FAILED.value, reason=failed[reqs])
                _sources_instead(entry, path, src)
            continue
        if n >= MAX_PLANS or out_of_time():
            over += members
            continue
        best = rebuild_and_compare(plan, notes, members, src, ctx, index_url, work, rel, n, result, pending, sources)
        n += 1
        if best is None:
            failed[reqs] = result.builds[-1].reason or "rebuild failed"
        elif reqs not in built or any(binary for *_, binary in members):
            built[reqs] = best
    for entry, wa, path, binary in over:
        # past MAX_PLANS: compared with the rebuild of another configuration (other timestamps), said so
        rebuilt = next(iter(built.values()), None)
        if rebuilt is None:
            why = "the release's time budget was hit" if result.budget_hit else f"more than {MAX_PLANS} build configurations"
            entry.set(verdict=Verdict.FAILED.value, reason=f"{why}, none rebuilt")
            _sources_instead(entry, path, src)
            continue
        digest = ctx.cache.put_file(rebuilt[0])[0]
        if binary:  # perhaps another interpreter's build: its extension modules are matched by name
            fields, _ = other_platform_fields(wa, rebuilt[1], rebuilt[2], sources)
        else:
            fields = compare_rebuilt(entry.sha256, wa, rebuilt[2], digest, rebuilt[1], binary, sources)
        entry.set(**fields,
                  notes=[f"compared with a rebuild of another configuration ({rebuilt[2]}): "
                         + ("the release's time budget was hit" if result.budget_hit else f"more than {MAX_PLANS} needed")])
    for config, (plan, notes, group) in sorted(others.items(), key=lambda kv: -len(kv[1][2])):
        if config in built or config in failed or n >= MAX_PLANS or out_of_time():
            continue
        # No wheel this sandbox can build was made with this configuration: build one to compare with.
        notes = notes + [f"built to check {len(group)} wheel(s) for other platforms made with {plan.generator or 'this configuration'}"]
        best = rebuild_and_compare(plan, notes, [], src, ctx, index_url, work, rel, n, result, pending, sources,
                                   others=group)
        n += 1
        if best is not None:
            built[config] = best
    fallback = next(iter(built.values()), None)
    for config, (plan, _, group) in others.items():
        rebuilt = built.get(config, fallback)
        for entry, wa, path in group:
            if rebuilt is None:
                entry.set(**sources_fields(path, src))
                continue
            fields, cmp = other_platform_fields(wa, rebuilt[1], rebuilt[2], sources)
            entry.set(**fields)
            if cmp.differences:
                pending.append((entry, path, rebuilt[0], {"skip_compiled": True, "crlf_members": cmp.crlf_members}))
            if config not in built:
                entry.notes = [f"compared with a rebuild of another configuration: more than {MAX_PLANS} needed"]
    for plan, _, items in list(plans.values()) + list(others.values()):
        _name_foreign_builder(plan, [item[0] for item in items])
    run_diffoscope(pending, ctx)


def _name_foreign_builder(plan: BuildPlan, entries: list[WheelResult]) -> None:
    """Wheels whose Generator names no Python build backend (protobuf's `bazel-wheelmaker 1.0`) were
    made outside the sdist's build system: their differences say so (the verdict does not change)."""
    if not plan.generator or backend_pin(plan.generator) != (None, None):
        return
    cause = f"made by {plan.generator} (its WHEEL Generator), not by a Python build backend the sdist declares"
    for entry in entries:
        if entry.verdict != Verdict.DIFFERS.value:
            continue
        for d in entry.differences:
            d["cause"] = d.get("cause") or cause
        if entry.reason and "probable cause" not in entry.reason:
            entry.reason += f"; probable cause: {cause}"

def run_diffoscope(pending: list, ctx: Context) -> None:
    """diffoscope once per distinct finding (judge/findings.py): the wheels that share a finding link
    the same page."""
    done: dict[tuple, dict] = {}
    for entry, path, rebuilt, kw in pending:
        key = (finding_key(entry) or entry.filename, entry.check)
        if key in done:
            entry.diffoscope = dict(done[key], shared_with=done[key]["wheel"])
            continue
        diffoscope.attach(entry, path, rebuilt, ctx.opts.report_dir, ctx.opts.diffoscope_compiled, **kw)
        done[key] = dict(entry.diffoscope or {}, wheel=entry.filename)


def rebuild_and_compare(plan: BuildPlan, notes, members, src: Path, ctx: Context, index_url: str, work: Path,
                        rel, n: int, result, pending: list, sources: frozenset[str] = frozenset(),
                        others: list | None = None) -> Rebuilt | None:
    """Rebuild with the plan's timestamp policy, then its alternatives while some wheel is not identical
    (at most MAX_TIMESTAMP_TRIES builds), then, when the differences are what another setuptools
    explains, with the publisher's likely setuptools (plan/toolchain.py, at most MAX_SEARCH_BUILDS);
    every member wheel keeps its best comparison. Returns the rebuilt wheel that was kept (for other
    platforms' wheels), or None if no build succeeded. `others`: wheels for other platforms made with this
    configuration (no member is built here): they score each build, so the kept rebuild, and a toolchain
    search, are the ones that match them best."""
    run = _Attempts(plan, notes, members, src, ctx, index_url, work, rel, n, result)
    run.sources = sources
    run.others = list(others or [])
    for policy in ([plan.timestamp] + plan.alternatives)[:MAX_TIMESTAMP_TRIES]:
        run.build(dataclasses.replace(plan, timestamp=policy))
        if run.failed or run.matched():
            break
    older = _older_python(run, ctx)
    if older:
        # the era's build needs an older interpreter (its setuptools, or its setup.py): rebuilt with it
        run.failed = False
        run.build(dataclasses.replace(plan, python=older),
                  [f"the build needs an older Python ({run.records[-1].reason}): built again with Python {older}"])
    if not run.failed and not run.matched():
        _search_toolchain(run)
    for i, (entry, _, path, _) in enumerate(members):
        if i in run.best:
            entry.set(**run.best[i][1])
            if run.kept is None:
                _sources_instead(entry, path, src)
            if entry.verdict in (Verdict.DIFFERS.value, Verdict.PARTIAL.value) and run.kept is not None:
                rebuilt_path = _rebuilt_path(result, entry, ctx)
                if rebuilt_path is not None:
                    pending.append((entry, path, rebuilt_path, {}))
    return run.kept


def _older_python(run: "_Attempts", ctx: Context) -> str | None:
    """The newest interpreter a failed build's cause asks for ("needs Python 3.9 or older"), if an image
    has one older than the one that failed."""
    if not run.failed or not run.records:
        return None
    m = re.search(r"needs Python (\d+)\.(\d+) or older", run.records[-1].reason or "")
    if not m:
        return None
    wanted = (int(m.group(1)), int(m.group(2)))
    have = (int(run.plan.python.split(".")[0]), int(run.plan.python.split(".")[1])) if "." in run.plan.python else (9, 9)
    fits = [p for p in ctx.sandbox.pythons() if tuple(map(int, p.split("."))) <= wanted and tuple(map(int, p.split("."))) < have]
    return max(fits, key=lambda p: tuple(map(int, p.split(".")))) if fits else None


class _Attempts:
    """The builds of one build configuration, and every member wheel's best comparison so far."""

    def __init__(self, plan, notes, members, src, ctx, index_url, work, rel, n, result):
        self.plan, self.notes, self.members, self.src, self.ctx = plan, notes, members, src, ctx
        self.index_url, self.work, self.rel, self.n, self.result = index_url, work, rel, n, result
        self.best: dict[int, tuple[tuple, dict]] = {}
        self.kept: Rebuilt | None = None
        self.kept_score: tuple | None = None
        self.kept_plan: BuildPlan = plan
        self.records: list[BuildRecord] = []
        self.failed = False
        self.sources: frozenset[str] = frozenset()  # module names the sdist holds a source for
        self.others: list = []  # (entry, archive, path) of other platforms' wheels of this configuration
        self.other_best: dict[int, tuple[tuple, dict]] = {}  # their best comparison so far

    def all_identical(self) -> bool:
        return bool(self.best) and all(f["verdict"] == Verdict.IDENTICAL.value for _, f in self.best.values())

    def matched(self) -> bool:
        """Nothing left for another build to improve: every pure member identical, no platform wheel
        (whose compiled members are never reproduced here) differing."""
        def done(f: dict, binary: bool) -> bool:
            return f["verdict"] == Verdict.IDENTICAL.value or (binary and f["verdict"] != Verdict.DIFFERS.value)
        members = all(done(f, self.members[i][3]) for i, (_, f) in self.best.items())
        others = all(done(f, True) for _, f in self.other_best.values())
        return bool(self.best or self.other_best) and members and others

    def outcomes(self) -> list[dict]:
        return [f for _, f in self.best.values()] + [f for _, f in self.other_best.values()]

    def build(self, plan: BuildPlan, extra_notes: list[str] = ()) -> BuildRecord:
        attempt = len(self.records)
        label = f"{self.n}" if attempt == 0 else f"{self.n}.{attempt}"
        record, rebuilt = rebuild(plan, list(self.notes) + list(extra_notes), self.src, self.ctx, self.index_url,
                                  self.work / f"build{label}", self.rel, label, self.result)
        self.ctx.stage(self.result, "compare")
        record.attempt = attempt
        self.result.builds.append(record)
        self.records.append(record)
        rebuilt_wa = None
        if rebuilt is not None:
            try:
                rebuilt_wa = read_wheel(rebuilt)
            except UnsafeArchive as exc:
                record.reason = f"rebuilt wheel unreadable: {exc}"
        if rebuilt_wa is None:
            failed = {"verdict": Verdict.FAILED.value, "reason": record.reason}
            for i in range(len(self.members)):  # any comparison made by another build says more than this
                self.best.setdefault(i, ((99,), failed))
            self.failed = self.kept is None
            return record
        total: list = []
        for i, (entry, wa, _, binary) in enumerate(self.members):
            fields = compare_rebuilt(entry.sha256, wa, record.rebuilt["filename"], record.rebuilt["sha256"],
                                     rebuilt_wa, binary, self.sources)
            fields["build"] = len(self.result.builds) - 1
            s = score(fields)
            total.append(s)
            if i not in self.best or s < self.best[i][0]:
                self.best[i] = (s, fields)
        for i, (entry, wa, _) in enumerate(self.others):
            fields, _ = other_platform_fields(wa, rebuilt_wa, record.rebuilt["filename"], self.sources)
            s = score(fields)
            total.append(s)
            if i not in self.other_best or s < self.other_best[i][0]:
                self.other_best[i] = (s, fields)
        record.score = list(tuple(map(sum, zip(*total)))) if total else [0]
        if self.kept_score is None or tuple(record.score) < self.kept_score:
            self.kept, self.kept_score, self.kept_plan = (rebuilt, rebuilt_wa, record.rebuilt["filename"]), \
                tuple(record.score), plan
            for b in self.records:
                b.chosen = None
            record.chosen = True
        return record


def _setuptools_of(record: BuildRecord | None) -> str | None:
    return next((r["version"] for r in (record.requirements if record else []) if r["name"] == "setuptools"), None)


def _search_toolchain(run: _Attempts) -> None:
    """Rebuild with other setuptools versions while it may help (plan/toolchain.py); records what was
    tried, what matched and why, in results.json (`toolchain_search`)."""
    why = toolchain.worth_searching(run.plan, run.outcomes())
    if why is None:
        return
    try:
        files = run.ctx.build_index(run.index_url).project_files("setuptools")
    except AuditorError as exc:
        run.result.notes.append(f"toolchain search skipped: setuptools' files: {exc}")
        return
    meta = _published_metadata_version([m[1] for m in run.members] + [o[1] for o in run.others])
    tried = {v for v in (_setuptools_of(r) for r in run.records) if v}
    ordered = toolchain.candidates(run.plan, files, meta, tried)
    search: dict[str, Any] = {"why": why, "metadata_version": meta, "candidates": len(ordered), "tried": [],
                              "bound": toolchain.MAX_SEARCH_BUILDS, "bound_hit": False}
    if run.result.toolchain_search is None:
        run.result.toolchain_search = []
    run.result.toolchain_search.append(search)
    base = dataclasses.replace(run.kept_plan)
    queue = toolchain.first_round(ordered)
    done: set[str] = set()
    best_version, best_score = None, None
    while queue and not run.matched() and not run.result.budget_hit:
        version = queue.pop(0)
        if version in done:
            continue
        if len(done) >= toolchain.MAX_SEARCH_BUILDS:
            search["bound_hit"] = True
            break
        done.add(version)
        record = run.build(toolchain.with_setuptools(base, version),
                           [f"toolchain search: setuptools {version} ({why})"])
        score_ = tuple(record.score or [99])
        search["tried"].append({"setuptools": version, "build": len(run.result.builds) - 1,
                                "score": list(score_), "reason": record.reason})
        if record.rebuilt and (best_score is None or score_ < best_score):
            best_version, best_score = version, score_
        if not queue and best_version:
            queue = [v for v in toolchain.neighbours(ordered, best_version) if v not in done]
    chosen = _setuptools_of(next((r for r in run.records if r.chosen), None))
    search["chosen"] = chosen
    search["matched"] = run.matched()


def _published_metadata_version(archives) -> str | None:
    for wa in archives:
        names = [n for n in wa.members if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
        if names:
            for line in wa.read(names[0], limit=1 << 20).decode("utf-8", "replace").splitlines():
                if line.startswith("Metadata-Version:"):
                    return line.split(":", 1)[1].strip()
                if not line.strip():
                    break
    return None


def _ccache(release_work: Path, python: str) -> Path:
    """The compiler cache of one release and interpreter (the images carry ccache; see the recipe)."""
    d = release_work / f"ccache-{python}"
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o777)  # written by the container's unprivileged user
    return d


def _sources_instead(entry: WheelResult, path: Path, src: Path) -> None:
    """No rebuild could be made: check what can be checked against the sdist's sources instead. The
    verdict is at best `partial`, and its reason starts with why the rebuild failed."""
    fields = sources_fields(path, src)
    if fields.get("verdict") in (Verdict.PARTIAL.value, Verdict.DIFFERS.value):
        failed = entry.reason or "rebuild failed"
        entry.set(**dict(fields, reason=f"rebuild failed ({failed}); {fields['reason']}"))


def score(fields: dict) -> tuple:
    """Lower is better: verdict, then differences, then spellings of another toolchain, then members
    whose times still differ."""
    return (Verdict(fields["verdict"]).severity, len(fields.get("differences", [])),
            len(fields.get("metadata_format") or []), fields.get("mtime_members", 0))


def _rebuilt_path(result: PackageResult, entry: WheelResult, ctx: Context) -> Path | None:
    rebuilt = result.builds[entry.build].rebuilt if entry.build is not None else None
    return ctx.cache.get(rebuilt["sha256"]) if rebuilt else None


def rebuild(plan: BuildPlan, notes, src: Path, ctx: Context, lock_index: str, work: Path, rel, n: str,
            result: PackageResult) -> tuple[BuildRecord, Path | None]:
    """Resolve and fetch the plan's pins, run the sandbox, and keep the log and the rebuilt wheel.
    Returns the build record (as in results.json) and the rebuilt wheel in the cache, or None."""
    record = BuildRecord(
        backend=plan.backend, backend_version=plan.backend_version, generator=plan.generator,
        declared_requires=plan.requires, cutoff=to_jsonable(plan.cutoff),
        source_date_epoch=plan.timestamp.source_date_epoch, tz=plan.timestamp.tz or "UTC",
        timestamp_policy={"name": plan.timestamp.name, "reason": plan.timestamp.reason},
        python=plan.python, sandbox=ctx.sandbox.name,
        variant=plan.variant, variant_env=plan.env, variant_options=plan.options, notes=list(notes))
    work.mkdir(parents=True, exist_ok=True)
    log_path = ctx.opts.report_dir / "logs" / f"{rel.name}-{rel.version}-build{n}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    record.log = str(log_path.relative_to(ctx.opts.report_dir))
    requires = list(plan.requires)
    log = ""
    for round_ in range(2):  # a second round when the backend asks for more (get_requires_for_build_wheel)
        ctx.stage(result, "resolve")
        try:
            bindex = ctx.build_index(lock_index)
            pins = resolve(requires, plan.cutoff, bindex.url, plan.python, ctx.cache,
                           exempt=plan.backend if plan.backend_version else None)
            wheelhouse, reqs = shared_wheelhouse(pins, bindex, ctx.http, ctx.cache, plan.python)
            record.requirements = [to_jsonable(r) for r in reqs]
            frontend = ctx.frontend(lock_index, plan.python)
        except AuditorError as exc:
            record.reason = f"build requirements: {exc}"
            log_path.write_text(log + str(exc) + "\n")
            return record, None
        out = work / f"out{round_}"
        out.mkdir(parents=True, exist_ok=True)
        src.parent.chmod(0o755)
        job = BuildJob(
            source_dir=src, wheelhouse=wheelhouse, requirements=wheelhouse / "requirements.txt",
            frontend=frontend, out_dir=out,
            env=dict(base_env(plan.timestamp.source_date_epoch, plan.timestamp.tz), **plan.env,
                     **({"AUDITOR_DRIVER_OPTIONS": json.dumps(plan.options)} if plan.options else {})),
            timeout=ctx.opts.build_timeout, python=plan.python, ccache_dir=_ccache(work.parent, plan.python),
        )
        ctx.stage(result, "build")
        try:
            outcome = ctx.sandbox.build(job)
        except SandboxError as exc:  # the image for this interpreter could not be had: this build fails
            record.reason = f"sandbox: {exc}"[:600]
            log_path.write_text(log + str(exc) + "\n")
            return record, None
        log += outcome.log
        record.seconds = round((record.seconds or 0) + outcome.seconds, 3)
        new = [m for m in outcome.missing if m not in requires]
        if outcome.reason != "missing-build-dependencies" or not new or round_:
            break
        requires += new
        record.notes.append(f"the backend asked for more build requirements (get_requires_for_build_wheel): "
                               f"{', '.join(new)}; resolved as of the same cutoff and built again")
        log += "\n[auditor] resolving the requirements the backend asked for, and building again\n\n"
    log_path.write_text(log)
    if outcome.wheel_path is None:
        cause = failure_cause(log) if outcome.reason != "timeout" else None
        tail = " | ".join(line for line in outcome.log.strip().splitlines()[-3:])[:400]
        record.reason = f"{outcome.reason}: {cause or tail}" if (cause or tail) else outcome.reason
        record.log_tail = tail
        return record, None
    record.installer, record.phases = outcome.installer, outcome.phases
    digest, cached = ctx.cache.put_file(Path(outcome.wheel_path))
    record.rebuilt = {"filename": Path(outcome.wheel_path).name, "sha256": digest}
    return record, cached
