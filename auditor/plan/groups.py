"""Group a release's downloaded wheels by what it takes to rebuild them (one build per group)."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import parse_wheel_filename

from auditor.archives import WheelArchive, read_wheel
from auditor.downloads import is_pure
from auditor.errors import BuildError, UnsafeArchive
from auditor.plan.config import make_plan
from auditor.records import BuildPlan, Verdict
from auditor.resolve import target_tags

# A member of a group: (result entry, its archive, its local path, binary?) for wheels built here;
# other platforms' members have no `binary`.
Groups = dict[tuple, tuple[BuildPlan, list[str], list[tuple]]]


def plan_groups(entries, src: Path, python: str) -> tuple[Groups, Groups]:
    """plans: wheels this sandbox can build (pure, and platform wheels for its Python on linux x86_64),
    by build configuration (backend, requirements, timestamp policy). others: wheels for other
    platforms, by build requirements only (zip times are not compared across platforms)."""
    native = target_tags(python)
    plans: Groups = {}
    others: Groups = {}
    for f, entry, path in entries:
        if entry["verdict"] is not None or path is None:
            continue
        try:
            wa = read_wheel(path)
            plan, notes = make_plan(wa, src, f.upload_time, python, f.filename)
        except UnsafeArchive as exc:
            entry.update(verdict=Verdict.DIFFERS.value, reason=f"published wheel unreadable: {exc}")
            continue
        except BuildError as exc:
            entry.update(verdict=Verdict.FAILED.value, reason=str(exc))
            continue
        binary = not is_pure(f.filename)
        if binary and not set(parse_wheel_filename(f.filename)[3]) & native:
            add_to_group(others, tuple(plan.requires), plan, notes, (entry, wa, path))
        else:
            add_to_group(plans, plan.config(), plan, notes, (entry, wa, path, binary))
    return plans, others


def add_to_group(groups: Groups, key: tuple, plan: BuildPlan, notes: list[str], item: tuple) -> None:
    """Add a wheel to its build group; the group's plan is that of its earliest upload (the cutoff)."""
    group = groups.setdefault(key, (plan, notes, []))
    if plan.cutoff and group[0].cutoff and plan.cutoff < group[0].cutoff:
        groups[key] = (plan, notes, group[2])
    groups[key][2].append(item)
