"""What changed between two recorded runs (default: the last two of the same lock): the strongest signals a
nightly job can give.

- regressions and improvements: the same published file (same sha256) judged worse or better;
- files of a release seen before that are new, replaced or yanked (a late upload: the hiredis case);
- releases the lock added or removed, with the verdict of the version a new one replaces.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from auditor.records import Verdict

SEVERITY = {v.value: v.severity for v in Verdict}


@dataclass
class Change:
    kind: str  # regression | improvement | new-file | removed-file | yanked | added-release | removed-release | upgrade
    name: str
    version: str
    detail: str
    filename: str | None = None
    before: str | None = None  # verdict in the older run
    after: str | None = None  # verdict in the newer run
    classes: list[str] = field(default_factory=list)  # of the newer judgement's differences


@dataclass
class RunDiff:
    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def summary(self) -> str:
        counts = {k: len(self.of(k)) for k in ("regression", "improvement", "new-file", "removed-file", "yanked",
                                               "added-release", "removed-release", "upgrade")}
        said = ", ".join(f"{n} {k.replace('-', ' ')}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
        return (f"run {self.new['id']} ({self.new['started']}) since run {self.old['id']} ({self.old['started']}): "
                + (said or "nothing changed"))


def _row(db: sqlite3.Connection, run_id: int) -> dict[str, Any]:
    db.row_factory = sqlite3.Row
    row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise LookupError(f"no run {run_id} in the history")
    return dict(row)


def default_pair(db: sqlite3.Connection, new: int | None = None) -> tuple[int, int] | None:
    """The run before `new` (default: the latest run) of the same lock file, and `new`."""
    db.row_factory = sqlite3.Row
    if new is None:
        row = db.execute("SELECT id FROM runs ORDER BY started DESC, id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        new = row["id"]
    this = _row(db, new)
    prev = db.execute("SELECT id FROM runs WHERE lockfile IS ? AND (started < ? OR (started = ? AND id < ?)) "
                      "ORDER BY started DESC, id DESC LIMIT 1", (this["lockfile"], this["started"], this["started"], new)
                      ).fetchone()
    return (prev["id"], new) if prev else None


def _judgements(db: sqlite3.Connection, run_id: int) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    rows = db.execute(
        "SELECT r.name, r.version, f.filename, f.sha256, j.verdict, j.classes, j.upload_time, j.yanked, j.reason "
        "FROM judged j JOIN files f ON f.id = j.file_id JOIN releases r ON r.id = f.release_id WHERE j.run_id = ?",
        (run_id,))
    return {(r[0], r[1], r[2], r[3]): {"verdict": r[4], "classes": json.loads(r[5] or "[]"), "upload_time": r[6],
                                       "yanked": bool(r[7]), "reason": r[8]} for r in rows}


def _releases(db: sqlite3.Connection, run_id: int) -> dict[tuple[str, str], str | None]:
    rows = db.execute("SELECT r.name, r.version, rr.verdict FROM run_releases rr JOIN releases r ON r.id = rr.release_id "
                      "WHERE rr.run_id = ?", (run_id,))
    return {(r[0], r[1]): r[2] for r in rows}


def diff(db: sqlite3.Connection, old: int, new: int) -> RunDiff:
    a, b = _judgements(db, old), _judgements(db, new)
    ra, rb = _releases(db, old), _releases(db, new)
    changes: list[Change] = []
    for key in sorted(set(a) & set(b)):
        va, vb = a[key]["verdict"], b[key]["verdict"]
        if va != vb and va in SEVERITY and vb in SEVERITY:
            kind = "regression" if SEVERITY[vb] > SEVERITY[va] else "improvement"
            changes.append(Change(kind, key[0], key[1], f"{va} -> {vb}: {(b[key]['reason'] or '')[:200]}", key[2], va, vb,
                                  b[key]["classes"]))
        if b[key]["yanked"] and not a[key]["yanked"]:
            changes.append(Change("yanked", key[0], key[1], "yanked since the earlier run", key[2], va, vb))
    seen = set(ra) & set(rb)
    for key in sorted(set(b) - set(a)):
        if key[:2] in seen:
            replaced = [k[2] for k in a if k[:3] == key[:3]]
            what = "replaced (same name, other bytes)" if replaced else "new"
            changes.append(Change("new-file", key[0], key[1], f"{what}, uploaded {b[key]['upload_time'] or 'at an unknown time'}"
                                  f"; judged {b[key]['verdict']}", key[2], None, b[key]["verdict"], b[key]["classes"]))
    for key in sorted(set(a) - set(b)):
        if key[:2] in seen:
            changes.append(Change("removed-file", key[0], key[1], "no longer served (deleted or replaced)", key[2],
                                  a[key]["verdict"], None))
    for c in _lock_changes(ra, rb):
        c.classes = sorted({cls for k, j in b.items() if k[:2] == (c.name, c.version) and j["verdict"] == "differs"
                            for cls in j["classes"] or ["code"]})
        changes.append(c)
    return RunDiff(_row(db, old), _row(db, new), changes)


def _lock_changes(ra: dict[tuple[str, str], str | None], rb: dict[tuple[str, str], str | None]) -> list[Change]:
    out: list[Change] = []
    old_by_name: dict[str, list[str]] = {}
    for name, version in ra:
        old_by_name.setdefault(name, []).append(version)
    new_names = {n for n, _ in rb}
    for name, version in sorted(set(rb) - set(ra)):
        olds = [v for v in old_by_name.get(name, []) if (name, v) not in rb]
        if olds:
            before = ra[(name, olds[0])]
            worse = before in SEVERITY and rb[(name, version)] in SEVERITY and \
                SEVERITY[rb[(name, version)] or ""] > SEVERITY[before or ""]
            out.append(Change("upgrade", name, version, f"{olds[0]} ({before}) -> {version} ({rb[(name, version)]})"
                              + ("; less reproducible than the version it replaces" if worse else ""),
                              before=before, after=rb[(name, version)]))
        else:
            out.append(Change("added-release", name, version, f"added to the lock; {rb[(name, version)]}",
                              after=rb[(name, version)]))
    for name, version in sorted(set(ra) - set(rb)):
        if name not in new_names:
            out.append(Change("removed-release", name, version, "no longer in the lock", before=ra[(name, version)]))
    return out


def fails(d: RunDiff, fail_on: set[str]) -> bool:
    """Like `check`'s exit code, for what changed: a file that regressed to `differs`, a new or replaced file
    that `differs`, or an upgrade into `differs`, each with a difference of a class --fail-on names."""
    return any(c.after == "differs" and set(c.classes or ["code"]) & fail_on
               for c in d.changes if c.kind in ("regression", "new-file", "upgrade", "added-release"))
