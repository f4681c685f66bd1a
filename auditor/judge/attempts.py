"""The builds of one build configuration, and every member wheel's best comparison so far."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from auditor.fetch.archives import WheelArchive, extension_stem, read_wheel
from auditor.errors import LimitExceeded, UnsafeArchive
from auditor.judge.configured import SdistSources
from auditor.judge.elf import library_closure, needed_libraries
from auditor.judge.registry import MACHINE_NORMALIZATIONS, check_causes
from auditor.judge.verdicts import compare_rebuilt, failed, other_platform_judgement
from auditor.plan.groups import Member, Other
from auditor.rebuild.build import rebuild
from auditor.judgement import WheelJudgement
from auditor.records import BuildPlan, BuildRecord, Verdict


class Rebuilt(NamedTuple):
    """The rebuild kept for a configuration: its local path, its archive, its file name."""

    path: Path
    archive: WheelArchive
    filename: str


@dataclass(frozen=True)
class ReleaseInputs:
    """What every build configuration of one release shares: its extracted sdist, the run's context, the build
    index, the work directory, the pin, the result being filled, and what the sdist says about compiled
    modules (module names with a source) and platforms (its setup.py)."""

    src: Path
    ctx: Any  # context.Context
    index_url: str
    work: Path
    rel: Any  # records.LockedRelease
    result: Any  # records.PackageResult
    sources: SdistSources = SdistSources()
    setup_py: str | None = None


class Attempts:
    """The builds of one build configuration, and every member wheel's best comparison so far."""

    def __init__(self, plan: BuildPlan, notes, members: list[Member], n: int, release: ReleaseInputs) -> None:
        self.plan, self.notes, self.members, self.n = plan, notes, members, n
        self.src, self.ctx, self.index_url, self.work = release.src, release.ctx, release.index_url, release.work
        self.rel, self.result = release.rel, release.result
        self.last_plan: BuildPlan | None = None  # the plan of the latest build (a retry's interpreter, packages...)
        self.best: dict[int, tuple[tuple, WheelJudgement]] = {}
        self.kept: Rebuilt | None = None
        self.kept_score: tuple | None = None
        self.kept_plan: BuildPlan = plan
        self.records: list[BuildRecord] = []
        self.failed = False
        self.sources: SdistSources = release.sources  # module names the sdist holds a source for
        self.setup_py: str | None = release.setup_py  # the sdist's setup.py (another platform's extras)
        self.others: list[Other] = []  # other platforms' wheels of this configuration
        self.other_best: dict[int, tuple[tuple, WheelJudgement]] = {}  # their best comparison so far

    def all_identical(self) -> bool:
        return bool(self.best) and all(j.verdict == Verdict.IDENTICAL for _, j in self.best.values())

    def matched(self, by_toolchain: bool = False) -> bool:
        """Nothing left for another build to improve: every pure wheel identical, no platform wheel (whose
        compiled members are never reproduced here) differing. `by_toolchain`: nothing left that another
        toolchain could improve: a pure wheel equivalent only through normalizations of the publisher's
        machine (MACHINE_NORMALIZATIONS: its clock, umask, zlib) counts too (another timestamp policy
        may still make it identical, another setuptools cannot)."""
        def done(j: WheelJudgement, binary: bool) -> bool:
            if j.verdict == Verdict.IDENTICAL or (binary and j.verdict != Verdict.DIFFERS):
                return True
            return (by_toolchain and j.verdict == Verdict.EQUIVALENT and not j.metadata_format
                    and set(j.normalizations or ()) <= MACHINE_NORMALIZATIONS)
        members = all(done(f, self.members[i].binary) for i, (_, f) in self.best.items())
        others = all(done(f, True) for _, f in self.other_best.values())
        return bool(self.best or self.other_best) and members and others

    def linked(self, rebuilt: WheelArchive, python: str) -> dict[str, bytes]:
        """The libraries the rebuilt wheel's extension modules link (beyond glibc's and the compiler's), read
        from the build's image: the judge holds a module that links one statically to what it imports."""
        names: set[str] = set()
        for m in rebuilt.members:
            if extension_stem(m):
                try:
                    names.update(needed_libraries(rebuilt.read(m, limit=1 << 27)))
                except LimitExceeded:  # a module past the read bound: its judgement says so, the others are read
                    continue
        return library_closure(names, lambda n: self.ctx.sandbox.library(python, n))

    def lacks_extensions(self) -> list[str]:
        """Extension modules the published wheels of this configuration hold and the kept rebuild does not
        (google-crc32c 1.7.1's setup.py builds pure Python when crc32c/crc32c.h is missing): [] when none."""
        if self.kept is None:
            return []
        rebuilt = {extension_stem(m) for m in self.kept.archive.members} - {None}
        published = {extension_stem(m) for item in self.members + self.others for m in item.archive.members} - {None}
        return sorted(str(s) for s in published - rebuilt)

    def fell_back(self) -> str | None:
        """When the kept build went on without a file a Debian package would ship (its log says so) and so left
        out extension modules the published wheels hold, it built another configuration (a pure-Python
        fallback): it is not a rebuild of theirs. Every wheel is then `failed` with that cause (the sources
        check as evidence), as when the build fails; returns the cause, or None."""
        chosen = next((r for r in self.records if r.chosen), None)
        lacking = self.lacks_extensions()
        # the publisher writes the build's log: only modules whose C/C++/Cython source the sdist holds can be what a
        # fallback left out; a published module with no source stays a difference against the rebuild
        native = self.sources.native
        if chosen is None or not chosen.missing or not lacking or any(m.rsplit("/", 1)[-1] not in native for m in lacking):
            return None
        kind, name = chosen.missing
        chosen.reason = (f"fell back to another configuration: the build went on without {name} (a {kind} the image "
                         f"lacks) and its wheel lacks {', '.join(lacking[:3])}, which the published wheels hold")
        check_causes([chosen.reason])
        self.best = {i: ((99,), failed(chosen.reason)) for i in range(len(self.members))}
        self.other_best = {}
        self.kept, self.kept_score, self.failed = None, None, True
        return chosen.reason

    def outcomes(self) -> list[WheelJudgement]:
        return [j for _, j in self.best.values()] + [j for _, j in self.other_best.values()]

    def build(self, plan: BuildPlan, extra_notes: Sequence[str] = ()) -> BuildRecord:
        self.last_plan = plan
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
            except (UnsafeArchive, LimitExceeded) as exc:
                record.reason = f"rebuilt wheel unreadable: {exc}"
        if rebuilt_wa is None or rebuilt is None or record.rebuilt is None:
            for i in range(len(self.members)):  # any comparison made by another build says more than this
                self.best.setdefault(i, ((99,), failed(record.reason)))
            self.failed = self.kept is None
            return record
        total: list = []
        made = record.rebuilt
        libraries = self.linked(rebuilt_wa, plan.python)
        for i, (entry, wa, _, binary) in enumerate(self.members):
            judged = dataclasses.replace(compare_rebuilt(entry.sha256 or "", wa, made["filename"], made["sha256"],
                                                         rebuilt_wa, binary, self.sources, libraries),
                                         build=len(self.result.builds) - 1)
            s = score(judged)
            total.append(s)
            if i not in self.best or s < self.best[i][0]:
                self.best[i] = (s, judged)
        for i, (entry, wa, _) in enumerate(self.others):
            judged, _ = other_platform_judgement(wa, rebuilt_wa, made["filename"], self.sources, self.setup_py)
            s = score(judged)
            total.append(s)
            if i not in self.other_best or s < self.other_best[i][0]:
                self.other_best[i] = (s, judged)
        record.score = list(tuple(map(sum, zip(*total)))) if total else [0]
        if self.kept_score is None or tuple(record.score) < self.kept_score:
            self.kept, self.kept_score, self.kept_plan = Rebuilt(rebuilt, rebuilt_wa, made["filename"]), \
                tuple(record.score), plan
            for b in self.records:
                b.chosen = None
            record.chosen = True
        return record


def score(judged: WheelJudgement) -> tuple:
    """Lower is better: verdict, then differences, then spellings of another toolchain, then members
    whose times still differ."""
    return (judged.verdict.severity, len(judged.differences or ()), len(judged.metadata_format or ()),
            judged.mtime_members or 0)
