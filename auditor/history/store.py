"""The history store: every recorded run's results in one SQLite database (stdlib sqlite3), so a nightly job
can say what changed since last night.

Keyed so that the same published file judged twice is one file with two judgements: a release is
(name, version), a file is (release, filename, sha256), a judgement is (run, file). A run is identified by
its results' own identity (lock file, lock digest, command, start time, shard), so recording the same
results twice changes nothing. Recording is one transaction per run: an interrupted recording leaves the
database as it was. The schema is versioned (`meta.schema_version`); opening an older database migrates
it, one numbered step at a time, each in its own transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.errors import InputError

SCHEMA_VERSION = 2

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, started TEXT NOT NULL, finished TEXT, lockfile TEXT,
    command TEXT, auditor_version TEXT, images TEXT, options TEXT, complete INTEGER NOT NULL, counts TEXT,
    rebuilt TEXT, report_dir TEXT);
CREATE TABLE releases (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, UNIQUE (name, version));
CREATE TABLE files (
    id INTEGER PRIMARY KEY, release_id INTEGER NOT NULL REFERENCES releases(id), filename TEXT NOT NULL,
    sha256 TEXT NOT NULL, UNIQUE (release_id, filename, sha256));
CREATE TABLE run_releases (
    run_id INTEGER NOT NULL REFERENCES runs(id), release_id INTEGER NOT NULL REFERENCES releases(id),
    verdict TEXT, reason TEXT, rebuilt_here INTEGER, PRIMARY KEY (run_id, release_id));
CREATE TABLE judgements (
    run_id INTEGER NOT NULL REFERENCES runs(id), file_id INTEGER NOT NULL REFERENCES files(id),
    verdict TEXT, check_name TEXT, reason TEXT, classes TEXT, rules TEXT, differences TEXT,
    upload_time TEXT, yanked INTEGER, locked INTEGER, PRIMARY KEY (run_id, file_id));
CREATE INDEX judgements_file ON judgements(file_id);
"""

# each step takes the database from version N-1 to N
_MIGRATIONS: dict[int, str] = {
    2: """
ALTER TABLE runs ADD COLUMN lock_sha256 TEXT;
ALTER TABLE runs ADD COLUMN code_digest TEXT;
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, check_name TEXT, reason TEXT, classes TEXT, rules TEXT,
    differences TEXT, diffoscope TEXT);
ALTER TABLE judgements ADD COLUMN outcome_id INTEGER REFERENCES outcomes(id);
CREATE VIEW judged AS SELECT j.run_id, j.file_id, j.verdict, j.upload_time, j.yanked, j.locked,
    COALESCE(o.check_name, j.check_name) AS check_name, COALESCE(o.reason, j.reason) AS reason,
    COALESCE(o.classes, j.classes) AS classes, COALESCE(o.rules, j.rules) AS rules,
    COALESCE(o.differences, j.differences) AS differences, o.diffoscope AS diffoscope
    FROM judgements j LEFT JOIN outcomes o ON o.id = j.outcome_id;
CREATE INDEX runs_lock ON runs(lockfile, started);
CREATE INDEX run_releases_release ON run_releases(release_id);
""",
}


class HistoryError(InputError):
    """The history database cannot be used (not a history, a newer schema, unreadable)."""


def open_store(path: Path) -> sqlite3.Connection:
    """The history database at `path`, created or migrated to SCHEMA_VERSION."""
    try:
        db = sqlite3.connect(str(path), timeout=60)
        db.execute("PRAGMA foreign_keys = ON")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"not a history database: {exc}", file=str(path)) from None
    if not tables:
        with db:
            db.executescript(_V1)
            db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    elif "meta" not in tables:
        raise HistoryError("not an auditor history database (no meta table)", file=str(path))
    version = int(db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise HistoryError(f"written by a newer auditor (schema {version}; this one reads up to {SCHEMA_VERSION})",
                           file=str(path))
    for step in range(version + 1, SCHEMA_VERSION + 1):
        with db:  # one transaction a step: an interrupted migration leaves the previous version whole
            for statement in filter(str.strip, _MIGRATIONS[step].split(";")):
                db.execute(statement)
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(step),))
    return db


def run_uid(results: dict[str, Any]) -> str:
    """What makes a run itself: its lock, command, start and shard (the same results recorded twice are one run)."""
    shard = results.get("shard") or {}
    parts = [results.get("lockfile"), results.get("command"), results.get("started"),
             json.dumps(shard.get("merged") or shard.get("index"), sort_keys=True)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def _id(db: sqlite3.Connection, table: str, key: dict[str, Any]) -> int:
    cols = sorted(key)
    where = " AND ".join(f"{c} = ?" for c in cols)
    row = db.execute(f"SELECT id FROM {table} WHERE {where}", [key[c] for c in cols]).fetchone()
    if row:
        return row[0]
    cur = db.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                     [key[c] for c in cols])
    return int(cur.lastrowid or 0)


def _rules(w: dict[str, Any]) -> list[str]:
    return sorted(set(w.get("normalizations") or []) | set(w.get("tool_steps") or []))


def record(db: sqlite3.Connection, results: dict[str, Any], report_dir: str | None = None) -> tuple[int, bool]:
    """Record one run's results (one transaction). Returns (run id, whether it was new)."""
    uid = run_uid(results)
    row = db.execute("SELECT id FROM runs WHERE uid = ?", (uid,)).fetchone()
    if row:
        return row[0], False
    env = results.get("environment") or {}
    images = [env.get("image")] + [i for i in env.get("other_images") or [] if isinstance(i, (str, dict))]
    with db:
        cur = db.execute(
            "INSERT INTO runs (uid, started, finished, lockfile, command, auditor_version, images, options, complete, "
            "counts, rebuilt, report_dir, lock_sha256, code_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, results.get("started") or "", results.get("finished"), results.get("lockfile"), results.get("command"),
             env.get("auditor_version"), json.dumps(images), json.dumps({"targets": env.get("targets"),
                                                                         "index_url": env.get("index_url")}),
             int(bool(results.get("complete"))), json.dumps(results.get("counts") or {}),
             json.dumps(results.get("rebuilt") or {}), report_dir, (results.get("shard") or {}).get("lock_sha256"),
             env.get("code_digest")))
        run_id = int(cur.lastrowid or 0)
        for p in results.get("packages") or []:
            _record_package(db, run_id, p)
    return run_id, True


def _record_package(db: sqlite3.Connection, run_id: int, p: dict[str, Any]) -> None:
    release = _id(db, "releases", {"name": p["name"], "version": p.get("version") or ""})
    db.execute("INSERT OR REPLACE INTO run_releases VALUES (?, ?, ?, ?, ?)",
               (run_id, release, p.get("verdict"), p.get("reason"), int(bool(p.get("rebuilt_here")))))
    for locked, wheels in ((1, p.get("wheels") or []), (0, p.get("unlocked") or [])):
        for w in wheels:
            if not w.get("sha256"):
                continue
            f = _id(db, "files", {"release_id": release, "filename": w["filename"], "sha256": w["sha256"]})
            diffs = [{"path": d.get("path"), "kind": d.get("kind"), "cls": d.get("cls"), "cause": d.get("cause")}
                     for d in w.get("differences") or []]
            page = (w.get("diffoscope") or {}).get("html") if isinstance(w.get("diffoscope"), dict) else None
            outcome = [w.get("check"), w.get("reason"), json.dumps(w.get("classes") or []), json.dumps(_rules(w)),
                       json.dumps(diffs), page]
            digest = hashlib.sha256(json.dumps(outcome).encode()).hexdigest()
            row = db.execute("SELECT id FROM outcomes WHERE digest = ?", (digest,)).fetchone()
            oid = row[0] if row else db.execute(
                "INSERT INTO outcomes (digest, check_name, reason, classes, rules, differences, diffoscope) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [digest, *outcome]).lastrowid
            # the same outcome night after night is stored once: a judgement is its run, file, verdict and outcome
            db.execute("INSERT OR REPLACE INTO judgements (run_id, file_id, verdict, upload_time, yanked, locked, outcome_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (run_id, f, w.get("verdict"), w.get("upload_time"),
                                                         int(bool(w.get("yanked"))), locked, oid))


def import_results(db: sqlite3.Connection, paths: Iterable[Path]) -> list[tuple[str, int, bool]]:
    """Record earlier results.json files: (path, run id, new) each."""
    from auditor.results import load as load_results

    out = []
    for path in paths:
        run_id, new = record(db, load_results(path), str(Path(path).parent))
        out.append((str(path), run_id, new))
    return out


def runs(db: sqlite3.Connection, lockfile: str | None = None) -> list[sqlite3.Row]:
    db.row_factory = sqlite3.Row
    q = "SELECT * FROM runs" + (" WHERE lockfile = ?" if lockfile else "") + " ORDER BY started, id"
    return list(db.execute(q, (lockfile,) if lockfile else ()))
