"""The judge of one release: rebuild each group's wheel (rebuild/) and score it against the group.

judge_release() runs one rebuild per build configuration (earliest cutoff first, at most MAX_PLANS),
each with its timestamp candidates while a wheel is not identical, keeps every wheel's best
comparison, then compares every other platform's wheel with a rebuild of its own configuration.
The pieces: attempts.py (the builds of one configuration and each wheel's best comparison),
search.py (the toolchain search that drives more of them); rebuild/ makes the builds (build.py one build in
the sandbox, retry.py which plan to build next when one fails, failures.py one-line causes).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from auditor.context import Context
from auditor.judge import diffoscope
from auditor.judge.attempts import Attempts, Rebuilt, ReleaseInputs
from auditor.judge.findings import finding_key
from auditor.judge.registry import check_causes
from auditor.judge.sources import extension_sources, name_added_files, name_description_source
from auditor.judge.search import search_toolchain
from auditor.judge.verdicts import compare_rebuilt, other_platform_judgement, sources_judgement
from auditor.plan.config import backend_pin
from auditor.plan.groups import Groups, Member, Other
from auditor.rebuild.retry import (MAX_SYSTEM_PACKAGES, newer_rustc, newer_toolchain, older_python, rust_image,
                                   with_system_package)
from auditor.judgement import WheelJudgement
from auditor.records import BuildPlan, LockedRelease, PackageResult, Verdict, WheelResult

MAX_PLANS = 6  # distinct build configurations tried per release (one per interpreter, and the other platforms' own)
MAX_TIMESTAMP_TRIES = 2
OTHERS_SCORED = 8  # other platforms' wheels that score each build of their configuration (a spread sample)


def judge_release(plans: Groups, others: Groups, src: Path, ctx: Context, index_url: str, work: Path,
                  rel: LockedRelease, result: PackageResult) -> None:
    """Every wheel of the release judged: its own configuration's rebuilds first (earliest cutoff first), the
    wheels past MAX_PLANS or the time budget against a rebuild already made, then the other platforms' wheels
    against a rebuild of their configuration; then the judge's follow-up passes and diffoscope."""
    run = _Release(src, ctx, index_url, work, rel, result)
    run.own_configurations(sorted(plans.values(), key=lambda p: str(p[0].cutoff)))
    run.past_the_limit()
    run.other_configurations(others)
    run.compare_other_platforms(others)
    every = [(group.plan, item.entry, item.archive) for group in list(plans.values()) + list(others.values())
             for item in group.items if id(item.entry) in run.judged]
    judged = [_name_foreign_builder(plan, run.judged[id(entry)]) for plan, entry, _ in every]
    judged = name_added_files(judged, src)
    judged = name_description_source([(j, wa) for j, (_, _, wa) in zip(judged, every)], src, run.setup_py)
    for j, (_, entry, _) in zip(judged, every):
        entry.judged(j)  # the one write of each wheel's verdict
    ctx.stage(result, "diffoscope")
    run_diffoscope(run.pending, ctx)


class _Release:
    """The builds of one release and what they left: the rebuild kept per configuration, why a configuration
    failed (it fails the same way again), the wheels past the limits, the diffoscope jobs for the end."""

    def __init__(self, src: Path, ctx: Context, index_url: str, work: Path, rel: LockedRelease,
                 result: PackageResult) -> None:
        self.src, self.ctx, self.index_url, self.work, self.rel, self.result = src, ctx, index_url, work, rel, result
        self.sources = extension_sources(src)  # what can account for a compiled module not built here
        self.setup_py = _setup_py(src)  # what can account for another platform's extras
        self.built: dict[tuple, Rebuilt] = {}  # build requirements (or configuration) -> the rebuild kept
        self.failed: dict[tuple, str] = {}  # build requirements (or configuration) -> why its build failed
        self.pending: list = []  # diffoscope jobs, run once per distinct finding at the end
        self.judged: dict[int, WheelJudgement] = {}  # id(entry) -> its judgement, written once at the end
        self.over: list[Member] = []  # members of configurations past MAX_PLANS or the release's time budget
        self.n = 0
        self.cause = "rebuild failed"  # why the latest configuration's build failed
        self.budget = ctx.opts.release_budget
        self.started = time.monotonic()

    def out_of_time(self) -> bool:
        if self.budget and time.monotonic() - self.started > self.budget:
            if not self.result.budget_hit:
                self.result.budget_hit = True
                self.result.notes.append(f"the release's time budget ({self.budget:.0f} s, --release-budget) was hit: "
                                         "no more builds; the remaining wheels are compared with a rebuild already made")
            return True
        return False

    def decide(self, entry: WheelResult, judged: WheelJudgement) -> None:
        """The wheel's judgement (a later one of the same wheel replaces it); written once, at the end."""
        self.judged[id(entry)] = judged

    def _build(self, plan: BuildPlan, notes, members: list[Member], others: list[Other] | None = None) -> Rebuilt | None:
        """The configuration's kept rebuild, or None (its build failed: why is the latest failure)."""
        release = ReleaseInputs(self.src, self.ctx, self.index_url, self.work, self.rel, self.result, self.sources,
                                self.setup_py)
        best = rebuild_and_compare(plan, notes, members, self.n, release, self, others)
        self.n += 1
        if isinstance(best, str):
            self.cause = best
            return None
        self.cause = (self.result.builds[-1].reason if self.result.builds else None) or "rebuild failed"
        return best

    def own_configurations(self, ordered: list) -> None:
        """The wheels this sandbox can build, one configuration at a time."""
        for plan, notes, members in ordered:
            reqs = tuple(plan.requires)
            if reqs in self.failed:
                for entry, _, path, _ in members:
                    self.decide(entry, sources_judgement(path, self.src, entry.filename, self.failed[reqs]))
                continue
            if self.n >= MAX_PLANS or self.out_of_time():
                self.over += members
                continue
            best = self._build(plan, notes, members)
            if best is None:
                self.failed[reqs] = self.cause
            elif reqs not in self.built or any(binary for *_, binary in members):
                self.built[reqs] = best

    def past_the_limit(self) -> None:
        """Past MAX_PLANS or the budget: compared with the rebuild of another configuration, said so."""
        budget_hit = self.result.budget_hit
        for entry, wa, path, binary in self.over:
            rebuilt = next(iter(self.built.values()), None)
            if rebuilt is None:
                why = "the release's time budget was hit" if budget_hit else f"more than {MAX_PLANS} build configurations"
                self.decide(entry, sources_judgement(path, self.src, entry.filename, f"{why}, none rebuilt"))
                continue
            digest = self.ctx.cache.put_file(rebuilt.path)[0]
            if binary:  # perhaps another interpreter's build: its extension modules are matched by name
                judged, _ = other_platform_judgement(wa, rebuilt.archive, rebuilt.filename, self.sources, self.setup_py)
            else:
                judged = compare_rebuilt(entry.sha256 or "", wa, rebuilt.filename, digest, rebuilt.archive, binary, self.sources)
            self.decide(entry, judged.noted(f"compared with a rebuild of another configuration ({rebuilt.filename}): "
                        + ("the release's time budget was hit" if budget_hit else f"more than {MAX_PLANS} needed")))

    def other_configurations(self, others: Groups) -> None:
        """No wheel this sandbox can build was made with such a configuration: build one to compare with."""
        for config, (plan, notes, group) in sorted(others.items(), key=lambda kv: -len(kv[1].items)):
            if config in self.built or config in self.failed or self.n >= MAX_PLANS or self.out_of_time():
                continue
            notes = notes + [f"built to check {len(group)} wheel(s) for other platforms made with "
                             f"{plan.generator or 'this configuration'}"]
            best = self._build(plan, notes, [], others=group)
            if best is not None:
                self.built[config] = best
            else:
                self.failed[config] = self.cause

    def compare_other_platforms(self, others: Groups) -> None:
        """Each other platform's wheel against its configuration's rebuild; when its configuration was never
        built (past the limits) against any rebuild made, said so; when its configuration's build failed, the
        sources check with that cause: another configuration's rebuild never stands in for a failed one (the
        publisher decides whether a build fails)."""
        fallback = next(iter(self.built.values()), None)
        for config, (plan, _, group) in others.items():
            rebuilt = None if config in self.failed else self.built.get(config, fallback)
            for entry, wa, path in group:
                if rebuilt is None:
                    why = self.failed.get(config) or next(iter(self.failed.values()), None) or (
                        "the release's time budget was hit" if self.result.budget_hit
                        else "no configuration of this release was rebuilt")
                    self.decide(entry, sources_judgement(path, self.src, entry.filename, why))
                    continue
                judged, cmp = other_platform_judgement(wa, rebuilt.archive, rebuilt.filename, self.sources, self.setup_py)
                if cmp.differences:
                    self.pending.append((entry, path, rebuilt.path, {"skip_compiled": True, "crlf_members": cmp.crlf_members}))
                if config not in self.built:
                    judged = judged.noted(f"compared with a rebuild of another configuration: more than {MAX_PLANS} needed")
                self.decide(entry, judged)


def _name_foreign_builder(plan: BuildPlan, judged: WheelJudgement) -> WheelJudgement:
    """A wheel whose Generator names no Python build backend (protobuf's `bazel-wheelmaker 1.0`) was
    made outside the sdist's build system: its differences say so (the verdict does not change)."""
    if judged.verdict != Verdict.DIFFERS or not plan.generator or backend_pin(plan.generator) != (None, None):
        return judged
    cause = f"made by {plan.generator} (its WHEEL Generator), not by a Python build backend the sdist declares"
    check_causes([cause])
    return judged.with_causes({i: cause for i in range(len(judged.differences or ()))})


def run_diffoscope(pending: list, ctx: Context) -> None:
    """diffoscope once per distinct finding (judge/findings.py): the wheels that share a finding link
    the same page."""
    done: dict[tuple, dict] = {}
    for entry, path, rebuilt, kw in pending:
        key = (finding_key(entry) or entry.filename, entry.check)
        if key in done:
            entry.diffoscope = dict(done[key], shared_with=done[key]["wheel"])
            continue
        diffoscope.attach(entry, path, rebuilt, ctx.opts.report_dir, ctx.opts.diffoscope_compiled,
                          pages=ctx.cache.dir("diffoscope"), **kw)
        done[key] = dict(entry.diffoscope or {}, wheel=entry.filename)


def rebuild_and_compare(plan: BuildPlan, notes, members: list[Member], n: int, release: ReleaseInputs, judging: _Release,
                        others: list[Other] | None = None) -> Rebuilt | str | None:
    """Rebuild with the plan's timestamp policy, then its alternatives while some wheel is not identical
    (at most MAX_TIMESTAMP_TRIES builds), then, when the differences are what another setuptools
    explains, with the publisher's likely setuptools (plan/toolchain.py, at most MAX_SEARCH_BUILDS);
    every member wheel keeps its best comparison. Returns the rebuilt wheel that was kept (for other
    platforms' wheels), None if no build succeeded, or the cause when the kept build is of another
    configuration (Attempts.fell_back). Each member's judgement goes to `judging` (written at the end of
    the release), with its diffoscope job when it differs. `others`: wheels for other platforms made with this
    configuration (no member is built here): they score each build, so the kept rebuild, and a toolchain
    search, are the ones that match them best."""
    ctx = release.ctx
    plan = rust_image(plan, notes, release.src, ctx)
    run = Attempts(plan, notes, members, n, release)
    run.others = _spread(list(others or []), OTHERS_SCORED)
    for policy in ([plan.timestamp] + plan.alternatives)[:MAX_TIMESTAMP_TRIES]:
        run.build(dataclasses.replace(plan, timestamp=policy))
        if run.failed or run.matched():
            break
    older = older_python(run, ctx)
    if older:
        # the era's build needs an older interpreter (its setuptools, or its setup.py): rebuilt with it
        run.failed = False
        run.build(dataclasses.replace(plan, python=older),
                  [f"the build needs an older Python ({run.records[-1].reason}): built again with Python {older}"])
    newer = newer_rustc(run, ctx)
    if newer:
        run.failed = False
        run.build(*newer)
    era = newer_toolchain(run, plan, members, ctx)
    if era is not None:
        run.failed = False
        run.build(*era)
    for _ in range(MAX_SYSTEM_PACKAGES):  # a second missing file shows only once the first is there
        derived = with_system_package(run, ctx)
        if derived is None:
            break
        run.failed = False
        run.build(*derived)
    cause = run.fell_back() if not run.failed else None
    if not run.failed and not run.matched():
        search_toolchain(run)
    for i, (entry, _, path, _) in enumerate(members):
        if i not in run.best:
            continue
        judged = run.best[i][1]
        if run.kept is None:
            # every build failed: the last one's cause is the one that stands (mozterm 1.0.0 needs
            # Python 3.9 on 3.11, then 3.8 on 3.9); the sources check is the evidence
            why = cause or (run.records[-1].reason if run.records else None) or judged.reason or "rebuild failed"
            judged = sources_judgement(path, release.src, entry.filename, why)
        elif judged.verdict in (Verdict.DIFFERS, Verdict.PARTIAL):
            rebuilt_path = _rebuilt_path(release.result, judged, ctx)
            if rebuilt_path is not None:
                judging.pending.append((entry, path, rebuilt_path, {}))
        judging.decide(entry, judged)
    return run.kept if cause is None else cause


def _spread(items: list, n: int) -> list:
    """At most n items spread over the list (every wheel is still compared with the kept rebuild after)."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _setup_py(src: Path) -> str | None:
    try:
        return (src / "setup.py").read_text(encoding="utf-8", errors="replace")[: 1 << 20]
    except OSError:
        return None


def _rebuilt_path(result: PackageResult, judged: WheelJudgement, ctx: Context) -> Path | None:
    rebuilt = result.builds[judged.build].rebuilt if judged.build is not None else None
    return ctx.cache.get(rebuilt["sha256"]) if rebuilt else None
