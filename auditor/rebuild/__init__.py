"""Stage 4 of an audit: rebuild each group's wheel in the sandbox and score it against the group.

rebuild_all() runs one rebuild per build configuration (earliest cutoff first, at most MAX_PLANS),
each with its timestamp candidates while a wheel is not identical, keeps every wheel's best
comparison, then compares every other platform's wheel with a rebuild of its own configuration.
The pieces: attempts.py (the builds of one configuration and each wheel's best comparison),
search.py (the toolchain search that drives more of them), build.py (one build in the sandbox),
failures.py (one-line causes of failed builds).
"""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from auditor import diffoscope
from auditor.context import Context
from auditor.judge.findings import finding_key
from auditor.judge.registry import check_causes
from auditor.judge.sources import extension_sources, name_added_files, name_description_source, restate_causes
from auditor.judge.verdicts import compare_rebuilt, other_platform_fields, sources_fields
from auditor.plan.config import backend_pin
from auditor.plan.groups import Groups
from auditor.plan.pins import read_pins, rust_python
from auditor.rebuild.attempts import Attempts, Rebuilt, sources_instead
from auditor.rebuild.search import search_toolchain
from auditor.records import BuildPlan, LockedRelease, PackageResult, Verdict, WheelResult

MAX_PLANS = 6  # distinct build configurations tried per release (one per interpreter, and the other platforms' own)
MAX_TIMESTAMP_TRIES = 2
OTHERS_SCORED = 8  # other platforms' wheels that score each build of their configuration (a spread sample)


def rebuild_all(plans: Groups, others: Groups, src: Path, ctx: Context, index_url: str, work: Path,
                rel: LockedRelease, result: PackageResult) -> None:
    """Every wheel of the release judged: its own configuration's rebuilds first (earliest cutoff first), the
    wheels past MAX_PLANS or the time budget against a rebuild already made, then the other platforms' wheels
    against a rebuild of their configuration; then the judge's follow-up passes and diffoscope."""
    run = _Release(src, ctx, index_url, work, rel, result)
    run.own_configurations(sorted(plans.values(), key=lambda p: str(p[0].cutoff)))
    run.past_the_limit()
    run.other_configurations(others)
    run.compare_other_platforms(others)
    every = list(plans.values()) + list(others.values())
    for plan, _, items in every:
        _name_foreign_builder(plan, [item[0] for item in items])
    entries = [item[0] for _, _, items in every for item in items]
    name_added_files(entries, src)
    name_description_source([(item[0], item[1]) for _, _, items in every for item in items], src)
    restate_causes(entries)
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
        self.over: list = []  # members of configurations past MAX_PLANS or the release's time budget
        self.n = 0
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

    def _build(self, plan: BuildPlan, notes, members, **others) -> Rebuilt | None:
        best = rebuild_and_compare(plan, notes, members, self.src, self.ctx, self.index_url, self.work, self.rel,
                                   self.n, self.result, self.pending, self.sources, **others)
        self.n += 1
        return best

    def own_configurations(self, ordered: list) -> None:
        """The wheels this sandbox can build, one configuration at a time."""
        for plan, notes, members in ordered:
            reqs = tuple(plan.requires)
            if reqs in self.failed:
                for entry, _, path, _ in members:
                    entry.set(verdict=Verdict.FAILED, reason=self.failed[reqs])
                    sources_instead(entry, path, self.src)
                continue
            if self.n >= MAX_PLANS or self.out_of_time():
                self.over += members
                continue
            best = self._build(plan, notes, members)
            if best is None:
                self.failed[reqs] = self.result.builds[-1].reason or "rebuild failed"
            elif reqs not in self.built or any(binary for *_, binary in members):
                self.built[reqs] = best

    def past_the_limit(self) -> None:
        """Past MAX_PLANS or the budget: compared with the rebuild of another configuration, said so."""
        budget_hit = self.result.budget_hit
        for entry, wa, path, binary in self.over:
            rebuilt = next(iter(self.built.values()), None)
            if rebuilt is None:
                why = "the release's time budget was hit" if budget_hit else f"more than {MAX_PLANS} build configurations"
                entry.set(verdict=Verdict.FAILED, reason=f"{why}, none rebuilt")
                sources_instead(entry, path, self.src)
                continue
            digest = self.ctx.cache.put_file(rebuilt[0])[0]
            if binary:  # perhaps another interpreter's build: its extension modules are matched by name
                fields, _ = other_platform_fields(wa, rebuilt[1], rebuilt[2], self.sources, self.setup_py)
            else:
                fields = compare_rebuilt(entry.sha256, wa, rebuilt[2], digest, rebuilt[1], binary, self.sources)
            entry.set(**fields,
                      notes=(entry.notes or []) + [f"compared with a rebuild of another configuration ({rebuilt[2]}): "
                             + ("the release's time budget was hit" if budget_hit else f"more than {MAX_PLANS} needed")])

    def other_configurations(self, others: Groups) -> None:
        """No wheel this sandbox can build was made with such a configuration: build one to compare with."""
        for config, (plan, notes, group) in sorted(others.items(), key=lambda kv: -len(kv[1][2])):
            if config in self.built or config in self.failed or self.n >= MAX_PLANS or self.out_of_time():
                continue
            notes = notes + [f"built to check {len(group)} wheel(s) for other platforms made with "
                             f"{plan.generator or 'this configuration'}"]
            best = self._build(plan, notes, [], others=group, setup_py=self.setup_py)
            if best is not None:
                self.built[config] = best
            else:
                self.failed[config] = (self.result.builds[-1].reason if self.result.builds else None) or "rebuild failed"

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
                    entry.set(**sources_fields(path, self.src, entry.filename, why))
                    continue
                fields, cmp = other_platform_fields(wa, rebuilt[1], rebuilt[2], self.sources, self.setup_py)
                entry.set(**fields)
                if cmp.differences:
                    self.pending.append((entry, path, rebuilt[0], {"skip_compiled": True, "crlf_members": cmp.crlf_members}))
                if config not in self.built:
                    entry.notes = (entry.notes or []) + [
                        f"compared with a rebuild of another configuration: more than {MAX_PLANS} needed"]


def _name_foreign_builder(plan: BuildPlan, entries: list[WheelResult]) -> None:
    """Wheels whose Generator names no Python build backend (protobuf's `bazel-wheelmaker 1.0`) were
    made outside the sdist's build system: their differences say so (the verdict does not change)."""
    if not plan.generator or backend_pin(plan.generator) != (None, None):
        return
    cause = f"made by {plan.generator} (its WHEEL Generator), not by a Python build backend the sdist declares"
    for entry in entries:
        if entry.verdict != Verdict.DIFFERS:
            continue
        for d in entry.differences:
            d["cause"] = d.get("cause") or cause
        check_causes([cause])
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
                        others: list | None = None, setup_py: str | None = None) -> Rebuilt | None:
    """Rebuild with the plan's timestamp policy, then its alternatives while some wheel is not identical
    (at most MAX_TIMESTAMP_TRIES builds), then, when the differences are what another setuptools
    explains, with the publisher's likely setuptools (plan/toolchain.py, at most MAX_SEARCH_BUILDS);
    every member wheel keeps its best comparison. Returns the rebuilt wheel that was kept (for other
    platforms' wheels), or None if no build succeeded. `others`: wheels for other platforms made with this
    configuration (no member is built here): they score each build, so the kept rebuild, and a toolchain
    search, are the ones that match them best."""
    plan = _rust_image(plan, notes, src, ctx)
    run = Attempts(plan, notes, members, src, ctx, index_url, work, rel, n, result)
    run.sources = sources
    run.others = _spread(list(others or []), OTHERS_SCORED)
    run.setup_py = setup_py
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
    newer = _newer_rustc(run, ctx)
    if newer:
        run.failed = False
        run.build(*newer)
    era = _newer_toolchain(run, plan, members, ctx)
    if era is not None:
        run.failed = False
        run.build(*era)
    for _ in range(MAX_SYSTEM_PACKAGES):  # a second missing file shows only once the first is there
        derived = _with_system_package(run, ctx)
        if derived is None:
            break
        run.failed = False
        run.build(*derived)
    if not run.failed and not run.matched():
        search_toolchain(run)
    for i, (entry, _, path, _) in enumerate(members):
        if i in run.best:
            entry.set(**run.best[i][1])
            if run.kept is None:
                # every build failed: the last one's cause is the one that stands (mozterm 1.0.0 needs
                # Python 3.9 on 3.11, then 3.8 on 3.9)
                entry.reason = (run.records[-1].reason if run.records else None) or entry.reason
                sources_instead(entry, path, src)
            if entry.verdict in (Verdict.DIFFERS, Verdict.PARTIAL) and run.kept is not None:
                rebuilt_path = _rebuilt_path(result, entry, ctx)
                if rebuilt_path is not None:
                    pending.append((entry, path, rebuilt_path, {}))
    return run.kept


def _older_python(run: "Attempts", ctx: Context) -> str | None:
    """The newest interpreter a failed build's cause asks for ("needs Python 3.9 or older"), if an image
    has one older than the one that failed."""
    if not run.failed or not run.records or not run.records[-1].needs_python:
        return None
    wanted = (run.records[-1].needs_python[0], run.records[-1].needs_python[1])
    have = (int(run.plan.python.split(".")[0]), int(run.plan.python.split(".")[1])) if "." in run.plan.python else (9, 9)
    fits = [p for p in ctx.sandbox.pythons() if tuple(map(int, p.split("."))) <= wanted and tuple(map(int, p.split("."))) < have]
    return max(fits, key=lambda p: tuple(map(int, p.split(".")))) if fits else None


def _rust_image(plan: BuildPlan, notes: list, src: Path, ctx: Context) -> BuildPlan:
    """A Rust build whose sdist asks for a newer rustc (Cargo.toml's rust-version) than its interpreter's image
    has is planned in another suite's image from the start (plan/pins.rust_python), said in the notes."""
    if "rustc" not in plan.system_packages:
        return plan
    from auditor.sandbox.oci import RUSTC, SUITES

    rustc_of = {py: RUSTC[suite] for py, suite in SUITES.items() if py in ctx.sandbox.pythons() and suite in RUSTC}
    chosen = rust_python(rustc_of, plan.python, read_pins(src).rust_version, plan.publisher_rustc)
    if chosen is None:
        return plan
    notes.append(chosen[1])
    return dataclasses.replace(plan, python=chosen[0])


def _newer_rustc(run: "Attempts", ctx: Context) -> tuple[BuildPlan, list[str]] | None:
    """A Rust build whose crates need a newer rustc than its image's Debian one: built again in the image of the
    oldest suite whose rustc is new enough (another interpreter: its wheel is compared as another interpreter's
    build, as a lock's Python without an image is), said in the notes; when none is, the cause says so."""
    last = run.records[-1] if run.records else None
    if not run.failed or last is None or not last.needs_rustc:
        return None
    from auditor.sandbox.oci import RUSTC, SUITES

    plan = run.last_plan or run.plan
    have = RUSTC.get(SUITES.get(plan.python, ""), (0, 0))
    need = tuple(last.needs_rustc) if tuple(last.needs_rustc) > (1, 0) else (have[0], have[1] + 1)
    fits = sorted((RUSTC[suite], py) for py, suite in SUITES.items() if RUSTC.get(suite, (0, 0)) >= need and RUSTC[suite] > have)
    if not fits:
        newest = max(RUSTC.values())
        last.reason = f"{last.reason}; no image's rustc is new enough (the newest, Debian's, is {newest[0]}.{newest[1]})"
        return None
    (rustc, python) = fits[0]
    note = (f"the build needs a newer rustc ({last.reason}): built again in Python {python}'s image (Debian "
            f"{SUITES[python]}, rustc {rustc[0]}.{rustc[1]}); its wheel is another interpreter's build")
    return dataclasses.replace(plan, python=python), [note]


# when each interpreter an image may have was released: the newest setuptools and wheel as of that day are the
# oldest that run on it (their own test matrices included its release candidates)
PYTHON_RELEASED = {"3.9": datetime(2020, 10, 5, tzinfo=timezone.utc), "3.11": datetime(2022, 10, 24, tzinfo=timezone.utc),
                   "3.13": datetime(2024, 10, 7, tzinfo=timezone.utc), "3.14": datetime(2025, 10, 7, tzinfo=timezone.utc)}
_ERA_TOOLS = re.compile(r"^(setuptools|wheel)\s*(===?|~=|<=?|>=?|!=)")


def _newer_toolchain(run: "Attempts", plan: BuildPlan, members, ctx: Context) -> tuple[BuildPlan, list[str]] | None:
    """A pure release whose era's setuptools or wheel needs a Python older than every image's (2018-2019 releases
    calling HTMLParser.unescape on 3.9+): built again on the oldest image's Python with the oldest setuptools and
    wheel that run on it (the newest as of that Python's release), said in the build's notes. A pure wheel does
    not depend on its build tool beyond the metadata spelling the comparison names; compiled releases, and
    wheels another backend made, keep their failure (their toolchain shapes what the wheel holds)."""
    if not run.failed or not run.records or not run.records[-1].needs_python or not members or any(
            binary for *_, binary in members):
        return None
    if not re.match(r"^(bdist_wheel|setuptools)\b", plan.generator or ""):
        return None  # another backend's era (cachy 0.3.0: poetry 1.0.0a5) writes another wheel with a newer one
    oldest = min(ctx.sandbox.pythons(), key=lambda p: tuple(map(int, p.split("."))), default=None)
    released = PYTHON_RELEASED.get(oldest or "")
    if oldest is None or released is None or (plan.cutoff and plan.cutoff >= released):
        return None
    requires = [r for r in plan.requires if not _ERA_TOOLS.match(r.strip())]
    requires += [t for t in ("setuptools", "wheel") if not any(r.strip().startswith(t) for r in requires)]
    note = (f"the era's toolchain needs Python {run.records[-1].needs_python[0]}.{run.records[-1].needs_python[1]} or "
            f"older ({run.records[-1].reason}), which no image has: built again on Python {oldest} with the setuptools "
            f"and wheel of its release ({released:%Y-%m-%d}), the oldest that run on it; the pure wheel does not depend "
            "on them beyond its metadata's spelling")
    return dataclasses.replace(plan, python=oldest, cutoff=released, requires=requires), [note]


MAX_SYSTEM_PACKAGES = 2


def _with_system_package(run: "Attempts", ctx: Context) -> tuple[BuildPlan, list[str]] | None:
    """A build that failed for a file a Debian package ships (a header, a *-config tool, a pkg-config file, a
    Fortran compiler): the package found in the image suite's Contents index, and the same plan built again in
    a derived image with it (said in the build's notes, the image's ID in its record). When no package ships
    it, the failure's reason says so."""
    last = run.records[-1] if run.records else None
    if not run.failed or last is None or not last.missing or not hasattr(ctx.sandbox, "derived_image"):
        return None
    from auditor.sandbox.debian import package_for
    from auditor.sandbox.oci import SUITES

    kind, name = last.missing
    plan = run.last_plan or run.plan
    suite = SUITES.get(plan.python, "bookworm")
    try:
        found = package_for(kind, name, suite, ctx.cache.root)
    except Exception as exc:  # the archive unreachable, an index that does not verify: the failure stands, said
        last.reason = f"{last.reason}; no Debian package looked up for {name}: {str(exc)[:160]}"
        return None
    if found is None:
        last.reason = f"{last.reason}; no package of Debian {suite} ships {name} (its Contents index)"
        return None
    if found.package in plan.system_packages:
        return None
    others = f" (also in {', '.join(c for c in found.candidates if c != found.package)})" if len(found.candidates) > 1 else ""
    note = (f"the build needs {name} ({last.reason}): Debian {suite}'s {found.package} ships /{found.path}{others}, found "
            f"in {found.index}; built again in a derived image with it")
    return dataclasses.replace(plan, system_packages=tuple(sorted(set(plan.system_packages) | {found.package}))), [note]


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


def _rebuilt_path(result: PackageResult, entry: WheelResult, ctx: Context) -> Path | None:
    rebuilt = result.builds[entry.build].rebuilt if entry.build is not None else None
    return ctx.cache.get(rebuilt["sha256"]) if rebuilt else None
