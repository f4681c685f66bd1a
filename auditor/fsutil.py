"""Publishing files and directories whole: write privately, then rename into place.

Readers (another thread, another run sharing the cache, a browser on the report) see either the
old content or the new, never a half-written file or a half-filled directory. Also inside(): a relative
path resolved within a root (a wheel's members, a repository's tree) that refuses to climb out of it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temp file in the same directory and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: reports and results are for others to read too
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json_atomic(path: Path, data: Any, compact: bool = False) -> None:
    """compact: one line, by json's C encoder (several times faster than indenting: used while a run
    rewrites results.json after every package; the finished file is indented)."""
    text = json.dumps(data, separators=(",", ":")) if compact else json.dumps(data, indent=1)
    write_atomic(path, text + "\n")


def publish_dir(dest: Path, fill: Callable[[Path], None], done: str) -> Path:
    """Make directory `dest` by calling fill(tmp) on a private directory beside it, then renaming it
    into place. `done` names the file inside that marks a finished tree: an existing finished `dest`
    is kept as it is (a concurrent run made it first); an unfinished one is replaced."""
    if (dest / done).is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
    try:
        fill(tmp)
        tmp.chmod(0o755)
        if dest.exists() and not (dest / done).is_file():
            shutil.rmtree(dest, ignore_errors=True)  # left half-made by a killed run
        try:
            tmp.rename(dest)  # atomic: a concurrent run sees all of it or builds its own
        except OSError:
            if not (dest / done).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def inside(base: Iterable[str], rel: str) -> str | None:
    """The '/'-joined path of `rel` ('..' and '.' resolved) taken from the directory `base` (its parts), or
    None when it climbs out of the root: a path inside a wheel or a repository's tree, never followed out."""
    parts = list(base)
    for p in rel.split("/"):
        if p == "..":
            if not parts:
                return None
            parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)
