"""Lock readers. Each format is one module with `detect(path, text) -> bool` and `read(path) -> Lock`.

A new lock format is one new module added to READERS.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import unquote, urlsplit

from auditor.errors import InputError
from auditor.lockfiles import pylock, requirements, uvlock
from auditor.records import Lock, LockedRelease, SkippedPin

READERS = [pylock, uvlock, requirements]  # most specific detection first


def read_lock(path: str | Path) -> Lock:
    p = Path(path)
    if not p.is_file():
        raise InputError("no such lock file", file=str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read lock file: {exc}", file=str(path)) from None
    for reader in READERS:
        if reader.detect(p, text):
            return split_project_root(reader.read(p))
    raise InputError("not a lock format auditor knows (requirements.txt with hashes, pylock.toml, uv.lock)", file=str(path))


def _root_reason(lock_path: str, rel: LockedRelease) -> str | None:
    """Why a lock entry is the project being locked (and so no dependency to audit), or None."""
    if rel.source == "virtual":
        return f"uv virtual package ({rel.url}): installs nothing"
    if rel.source not in ("editable", "directory", "path") or not rel.url:
        return None
    where = unquote(urlsplit(rel.url).path) if rel.url.startswith("file:") else rel.url
    here = Path(lock_path).resolve().parent
    target = (here / where).resolve() if not Path(where).is_absolute() else Path(where).resolve()
    if target != here:
        return None
    return f"the project being locked ({rel.source} {rel.url}): developed here, not installed from an index"


def split_project_root(lock: Lock) -> Lock:
    """The project's own root (uv.lock's editable or virtual `.`, pylock's directory `.`, `-e .`) is listed
    as skipped with its reason; every other editable, path or directory pin stays to be judged."""
    keep, skipped = [], []
    for rel in lock.releases:
        reason = _root_reason(lock.path, rel)
        if reason:
            skipped.append(SkippedPin(rel.name, rel.file, rel.line, reason))
        else:
            keep.append(rel)
    return dataclasses.replace(lock, releases=tuple(keep), skipped=lock.skipped + tuple(skipped))
