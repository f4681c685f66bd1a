"""A published wheel's judgement: the one typed record every path that decides a wheel's verdict returns (the
rebuild comparison, another platform's, the sources check when nothing was rebuilt, and the stages before them
that cannot judge at all: a download that failed, a wheel that cannot be read). Frozen: a later pass that finds
a cause makes a new judgement (`with_causes`), and the pipeline writes each wheel's judgement into its result
once (`records.WheelResult.judged`).

The one-line reason is what the judge said (`said`) followed by the probable causes of its differences, made
when the judgement is written, so a cause found after the comparison (the sdist's files, the description's
source, the wheel's builder) is named without editing the text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.records import Difference, Verdict, to_jsonable


@dataclass(frozen=True)
class WheelJudgement:
    """What the judge decided of one published wheel. A field left None was not said by this judgement (the
    result keeps its default); `classes` is the differences' classes, most dangerous first, set by the judge
    that listed them (judge/verdicts.py)."""

    verdict: Verdict
    said: str | None = None  # the one-line reason, without the probable causes (see `reason`)
    check: str | None = None  # rebuilt | rebuilt-binary | rebuilt-pure-variant | rebuilt-other-platform | sources
    differences: tuple[Difference, ...] | None = None
    not_reproduced: tuple[Difference, ...] | None = None  # compiled members and tool steps listed, not verified
    classes: tuple[str, ...] | None = None
    normalizations: tuple[str, ...] | None = None
    tool_steps: tuple[str, ...] | None = None
    metadata_format: tuple[str, ...] | None = None
    judged_by: Mapping[str, str] | None = None  # member -> the registered rule whose check judged it
    members_verified: int | None = None
    verified: Mapping[str, int] | None = None  # bytes | normalized | interface | not_verified
    mtime_members: int | None = None
    rebuilt_sha256: str | None = None
    compared_with: str | None = None  # the rebuild another platform's wheel was compared with
    build: int | None = None  # index of the build (PackageResult.builds) it was compared with
    notes: tuple[str, ...] = field(default=())  # added to the wheel's notes

    @property
    def reason(self) -> str | None:
        """The one line a person can check: what was said, then (a differing wheel) its differences' causes."""
        causes = sorted({d.cause for d in self.differences or () if d.cause})
        if self.verdict is Verdict.DIFFERS and causes and self.said:
            return f"{self.said}; probable cause: {', '.join(causes)}"
        return self.said

    def with_causes(self, causes: Mapping[int, str]) -> WheelJudgement:
        """A copy whose differences at these indexes name these causes (a difference that already names one
        keeps it)."""
        if not causes or not self.differences:
            return self
        return dataclasses.replace(self, differences=tuple(
            dataclasses.replace(d, cause=d.cause or causes[i]) if i in causes else d
            for i, d in enumerate(self.differences)))

    def noted(self, *notes: str) -> WheelJudgement:
        return dataclasses.replace(self, notes=self.notes + notes)

    def fields(self) -> dict[str, Any]:
        """The result fields this judgement writes (records.WheelResult): verdict and reason always, the rest
        when said. Differences are serialized here, once."""
        out: dict[str, Any] = {"verdict": self.verdict, "reason": self.reason}
        for f in dataclasses.fields(self):
            if f.name in ("verdict", "said", "notes"):
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in ("differences", "not_reproduced"):
                value = [to_jsonable(d) for d in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

