"""Lock readers. Each format is one module with `detect(path, text) -> bool` and `read(path) -> Lock`.

A new lock format is one new module added to READERS.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import InputError
from auditor.lockfiles import pylock, requirements, uvlock
from auditor.records import Lock

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
            return reader.read(p)
    raise InputError("not a lock format auditor knows (requirements.txt with hashes, pylock.toml, uv.lock)", file=str(path))
