"""The toolchain search's driver: rebuild with other setuptools versions while it may help
(plan/toolchain.py chooses them), recording what was tried, what matched and why (`toolchain_search`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from auditor.errors import AuditorError
from auditor.plan import toolchain
from auditor.records import BuildRecord

if TYPE_CHECKING:
    from auditor.judge.attempts import Attempts


def _setuptools_of(record: BuildRecord | None) -> str | None:
    return next((r["version"] for r in (record.requirements if record else []) if r["name"] == "setuptools"), None)


def search_toolchain(run: Attempts) -> None:
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
    meta = _published_metadata_version([m.archive for m in run.members] + [o.archive for o in run.others])
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
    while queue and not run.matched(by_toolchain=True) and not run.result.budget_hit:
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
    search["matched"] = run.matched(by_toolchain=True)


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
