"""One build in the sandbox: resolve and fetch the plan's pins, run the sandbox, keep the log and the
rebuilt wheel (in the cache), and say in one line why when there is none."""

from __future__ import annotations

import json
import re
from pathlib import Path

from auditor.context import Context
from auditor.errors import AuditorError, SandboxError
from auditor.fetch.inputs import BuildInputError, InputMismatch, fetch_inputs
from auditor.plan.pins import read_pins
from auditor.caches import builds as buildcache
from auditor.rebuild.failures import explain
from auditor.records import BuildOutcome, BuildPlan, BuildRecord, PackageResult, to_jsonable
from auditor.resolve import resolve, shared_wheelhouse
from auditor.sandbox import BuildJob, base_env
from auditor.sandbox.frontend import driver_digest


def _ccache(release_work: Path, python: str) -> Path:
    """The compiler cache of one release and interpreter (the images carry ccache; see the recipe)."""
    d = release_work / f"ccache-{python}"
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o777)  # written by the container's unprivileged user
    return d


def _build(ctx: Context, job: BuildJob, result: PackageResult) -> tuple[BuildOutcome, bool]:
    """Run the build, or take its outcome from the build cache when the same inputs were built before
    (caches/builds.py); returns (outcome, from the cache)."""
    environment = ctx.sandbox.environment_for(job.python, job.system_packages) if job.system_packages else \
        ctx.sandbox.environment_for(job.python)
    sdist = result.sdist.sha256 if result.sdist else None
    k = None
    if environment and sdist:
        k = buildcache.key(environment, sdist, job, job.requirements.read_text(), driver_digest())
        hit = buildcache.get(ctx.cache, k, job.out_dir)
        if hit is not None:
            return hit, True
    outcome = ctx.sandbox.build(job)
    if k is not None:
        buildcache.put(ctx.cache, k, outcome)
    return outcome, False


def rebuild(plan: BuildPlan, notes, src: Path, ctx: Context, lock_index: str, work: Path, rel, n: str,
            result: PackageResult) -> tuple[BuildRecord, Path | None]:
    """Resolve and fetch the plan's pins, run the sandbox, and keep the log and the rebuilt wheel.
    Returns the build record (as in results.json) and the rebuilt wheel in the cache, or None."""
    record = _record(plan, notes, ctx)
    work.mkdir(parents=True, exist_ok=True)
    log_path = ctx.opts.report_dir / "logs" / f"{rel.name}-{rel.version}-build{n}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    record.log = str(log_path.relative_to(ctx.opts.report_dir))
    requires = list(plan.requires)
    inputs = _inputs(src, ctx, work.parent / "inputs", record, result)
    if isinstance(inputs, str):  # the build cannot be made from its pins: nothing is built
        record.reason = inputs
        _rustc(plan, record, "")
        log_path.write_text(inputs + "\n")
        return record, None
    log = ""
    for round_ in range(2):  # a second round when the backend asks for more (get_requires_for_build_wheel)
        ctx.stage(result, "resolve")
        try:
            job = _job(plan, requires, src, ctx, lock_index, work / f"out{round_}", record)
            if record.inputs:
                job.inputs_dir, job.inputs = inputs, tuple(i["sha256"] for i in record.inputs)
        except AuditorError as exc:
            record.reason = f"build requirements: {exc}"
            older = needs_older_python(str(exc), plan.python)
            if older:  # the era's requirements have no wheels for this interpreter (2022's markupsafe on 3.11)
                record.needs_python = list(older)
                record.reason += f" (no wheels of them for Python {plan.python} as of then: an older image's Python may have)"
            log_path.write_text(log + str(exc) + "\n")
            return record, None
        ctx.stage(result, "build")
        try:
            if plan.system_packages and hasattr(ctx.sandbox, "derived_image"):
                tag, ident = ctx.sandbox.derived_image(plan.python, tuple(sorted(plan.system_packages)))
                record.image = {"ref": tag, "id": ident}
            outcome, from_cache = _build(ctx, job, result)
        except SandboxError as exc:  # the image for this interpreter could not be had: this build fails
            record.reason = f"sandbox: {exc}"[:600]
            log_path.write_text(log + str(exc) + "\n")
            return record, None
        if from_cache:
            record.build_cache = True
            log += "[auditor] this build's inputs were built before: its outcome is taken from the build cache\n"
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
    _rustc(plan, record, log)
    return _outcome(record, outcome, log, job.timeout, ctx)


_NO_WHEELS = re.compile(r"has no usable wheels|no wheels with a matching Python (?:ABI|version) tag")


def needs_older_python(message: str, python: str) -> tuple[int, int] | None:
    """A resolution that failed because a pinned-as-of-then requirement has no wheel for this interpreter: the
    newest Python below it, which retry.older_python looks for among the images; None otherwise."""
    found = re.fullmatch(r"(\d+)\.(\d+)", python)
    if not found or not _NO_WHEELS.search(message):
        return None
    return int(found.group(1)), int(found.group(2)) - 1


def _outcome(record: BuildRecord, outcome: BuildOutcome, log: str, timeout: float, ctx: Context
             ) -> tuple[BuildRecord, Path | None]:
    """The record of a finished build: why it failed, or its wheel kept in the cache (and a file its log says
    it went on without: a setup.py that falls back to pure Python when a header is missing)."""
    if outcome.wheel_path is None:
        _failed(record, outcome, log)
        if record.build_cache and outcome.reason == "timeout":
            rest = (record.reason or "").removeprefix("timeout").lstrip(": ")
            record.reason = (f"timeout (this build's inputs timed out before with --build-timeout {timeout:.0f} s: taken "
                             "from the build cache; a larger --build-timeout builds again)" + (f": {rest}" if rest else ""))
        return record, None
    record.installer, record.phases = outcome.installer, outcome.phases
    found = explain(log)
    if found and found.missing:
        record.missing = list(found.missing)
    digest, cached = ctx.cache.put_file(Path(outcome.wheel_path))
    record.rebuilt = {"filename": Path(outcome.wheel_path).name, "sha256": digest}
    return record, cached


def _inputs(src: Path, ctx: Context, dest: Path, record: BuildRecord, result: PackageResult) -> Path | str | None:
    """The inputs the sdist pins by hash (Cargo.lock's crates, meson wraps) fetched and verified outside the
    sandbox into `dest` (shared by the release's builds; each file cached by its digest across the run);
    returns that directory, None when there are none, or the one-line reason no build can be made."""
    pins = read_pins(src)
    rust_unpinned = [u for u in pins.unpinned if not u.startswith("subprojects/")]
    if pins.rust and rust_unpinned:
        return "build inputs: " + "; ".join(rust_unpinned[:2]) + (f" (and {len(rust_unpinned) - 2} more)" if len(rust_unpinned) > 2 else "")
    record.notes += [u for u in pins.unpinned if u.startswith("subprojects/")]
    if pins.empty:
        return None
    ctx.stage(result, "inputs")
    try:
        fetched, notes = fetch_inputs(pins, dest, ctx.cache, ctx.http, ctx.opts.crate_index)
    except InputMismatch as exc:
        record.input_mismatch = {"kind": exc.kind, "name": exc.name, "source": exc.url, "expected": exc.expected,
                                 "actual": exc.actual}
        return f"build inputs: {exc}"
    except BuildInputError as exc:
        return f"build inputs: {exc}"
    record.notes += notes
    record.inputs = [f.record() for f in fetched]
    crates = [f for f in fetched if f.kind == "crate"]
    if crates:
        record.notes.append(f"{len(crates)} crate(s) of Cargo.lock fetched from {ctx.opts.crate_index or 'crates.io'} "
                            f"({sum(f.cached for f in crates)} from the cache by checksum), each checked against "
                            "Cargo.lock's sha256 and vendored; built offline")
    wraps = [f for f in fetched if f.kind != "crate"]
    if wraps:
        record.notes.append(f"{len(wraps)} meson wrap download(s) fetched, each checked against its wrap's sha256, "
                            "placed in subprojects/packagecache/")
    return dest if fetched else None


def _rustc(plan: BuildPlan, record: BuildRecord, log: str) -> None:
    """Name both rustc versions of a Rust build: the publisher's (its compiled members' .comment) and the
    image's (the driver logs it)."""
    found = re.search(r"\[auditor-driver\] rustc (\d+\.\d+\.\d+)", log)
    if not (found or plan.publisher_rustc):
        return
    record.toolchain = {k: v for k, v in (("rustc", found.group(1) if found else None),
                                           ("publisher_rustc", plan.publisher_rustc)) if v}
    record.notes.append(f"rustc: this build's {found.group(1) if found else 'unknown'} (Debian's, in the image); the "
                        f"publisher's {plan.publisher_rustc or 'not named by its compiled members'} (their ELF .comment)")


def _record(plan: BuildPlan, notes, ctx: Context) -> BuildRecord:
    return BuildRecord(
        backend=plan.backend, backend_version=plan.backend_version, generator=plan.generator,
        declared_requires=plan.requires, cutoff=to_jsonable(plan.cutoff),
        source_date_epoch=plan.timestamp.source_date_epoch, tz=plan.timestamp.tz or "UTC",
        timestamp_policy={"name": plan.timestamp.name, "reason": plan.timestamp.reason},
        python=plan.python, sandbox=ctx.sandbox.name,
        variant=plan.variant, variant_env=plan.env, variant_options=plan.options, notes=list(notes),
        system_packages=list(plan.system_packages) or None)


def _job(plan: BuildPlan, requires: list[str], src: Path, ctx: Context, lock_index: str, out: Path,
         record: BuildRecord) -> BuildJob:
    """The build's pins resolved as of the plan's cutoff and fetched (verified) into a wheelhouse, the job
    handed to the sandbox (raises AuditorError when a requirement cannot be had)."""
    bindex = ctx.build_index(lock_index)
    exempt = plan.backend if plan.backend_version else None
    try:
        pins = resolve(requires, plan.cutoff, bindex.url, plan.resolve_python or plan.python, ctx.cache, exempt=exempt)
    except AuditorError as exc:
        if not plan.resolve_python:
            raise
        # the pinned backend needs a newer Python than the wheel's (a Generator's exact setuptools): the era's
        # requirements cannot be had, so the interpreter's are used, and the build says so
        record.notes.append(f"the build requirements cannot be resolved for Python {plan.resolve_python} "
                            f"({str(exc)[:160]}): resolved for Python {plan.python} instead")
        pins = resolve(requires, plan.cutoff, bindex.url, plan.python, ctx.cache, exempt=exempt)
    wheelhouse, reqs = shared_wheelhouse(pins, bindex, ctx.http, ctx.cache, plan.python)
    record.requirements = [to_jsonable(r) for r in reqs]
    frontend = ctx.frontend(lock_index, plan.python)
    out.mkdir(parents=True, exist_ok=True)
    src.parent.chmod(0o755)
    return BuildJob(
        source_dir=src, wheelhouse=wheelhouse, requirements=wheelhouse / "requirements.txt",
        frontend=frontend, out_dir=out,
        env=dict(base_env(plan.timestamp.source_date_epoch, plan.timestamp.tz), **plan.env,
                 **({"AUDITOR_DRIVER_OPTIONS": json.dumps(plan.options)} if plan.options else {})),
        timeout=ctx.opts.build_timeout, python=plan.python, ccache_dir=_ccache(out.parent.parent, plan.python),
        system_packages=plan.system_packages,
    )


def _failed(record: BuildRecord, outcome, log: str) -> None:
    """A build that made no wheel: its one-line cause (judged from the log), the Python it needs if it says."""
    found = explain(log) if outcome.reason != "timeout" else None
    cause = found.text if found else None
    record.needs_python = list(found.needs_python) if found and found.needs_python else None
    record.needs_rustc = list(found.needs_rustc) if found and found.needs_rustc else None
    record.missing = list(found.missing) if found and found.missing else None
    tail = " | ".join(line for line in outcome.log.strip().splitlines()[-3:])[:400]
    record.reason = f"{outcome.reason}: {cause or tail}" if (cause or tail) else outcome.reason
    record.log_tail = tail
