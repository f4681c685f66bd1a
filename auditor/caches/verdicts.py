"""A cache of package results keyed by every input of a verdict.

Key: auditor version and a digest of its code, sandbox (backend, image ID, Python), the release, the lock's hashes, every
file the index serves for it (name, sha256, upload-time, yanked), the build index, the build
timeout and the late-upload threshold. Same inputs, same verdict: no second rebuild. The index is
still asked on every run (a new or changed file changes the key). Results that depend on a
transient fault (`unverifiable`) are never cached. Logs and diffoscope pages are kept with the
entry and copied into the new report directory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Callable

from auditor import __version__
from auditor.caches.downloads import Cache
from auditor.errors import InputError
from auditor.fsutil import publish_dir
from auditor.records import PackageResult

NEVER_CACHED = {"unverifiable"}
_KEY = re.compile(r"[0-9a-f]{64}")


PACKAGE = Path(__file__).resolve().parents[1]  # auditor/: every stage's code, not this package's alone


@functools.cache
def code_digest(root: Path = PACKAGE) -> str:
    """A digest of auditor's own code, templates and data tables (the class table is TOML): a changed comparison
    rule is a changed input. (Until this was the whole package, it hashed auditor/caches/ only, where this module
    moved: a changed judge was served its old verdicts.)"""
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".j2", ".txt", ".sh", ".toml", ".in"):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def key(parts: dict[str, Any]) -> str:
    stamped = dict(parts, auditor=__version__, code=code_digest())
    return hashlib.sha256(json.dumps(stamped, sort_keys=True, default=str).encode()).hexdigest()


def _files_of(result: dict) -> list[str]:
    out = [b["log"] for b in result.get("builds") or [] if b.get("log")]
    for w in result.get("wheels", []) + result.get("unlocked", []):
        ds = w.get("diffoscope") or {}
        if ds.get("html"):
            out.append(ds["html"])
    return out


class ResultCache:
    def __init__(self, cache: Cache):
        self.root = cache.dir("results")

    def get(self, k: str, report_dir: Path) -> PackageResult | None:
        entry = self.root / k
        try:
            result = json.loads((entry / "result.json").read_text())
            record = PackageResult.from_dict(result)
        except (OSError, ValueError, TypeError, KeyError):  # unreadable, or not a record of this code's
            return None
        for rel in _files_of(result):
            src = entry / "files" / rel
            if src.is_file():
                (report_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, report_dir / rel)
        record.cached = True
        return record

    def put(self, k: str, record: PackageResult, report_dir: Path) -> None:
        if record.verdict in NEVER_CACHED:
            return
        result = record.to_dict()

        def fill(tmp: Path) -> None:
            for rel in _files_of(result):
                src = report_dir / rel
                if src.is_file():
                    (tmp / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, tmp / "files" / rel)
            result.pop("cached", None)
            (tmp / "result.json").write_text(json.dumps(result))

        try:
            publish_dir(self.root / k, fill, "result.json")  # a concurrent run sees the whole entry or none
        except OSError:
            pass  # only a shortcut for the next run


def export_results(cache: Cache, archive: Path) -> int:
    """Every finished verdict entry of the cache into a .tar.gz (for a CI cache step or another
    machine); returns how many."""
    root = cache.dir("results")
    entries = sorted(p for p in root.iterdir() if _KEY.fullmatch(p.name) and (p / "result.json").is_file())
    archive.parent.mkdir(parents=True, exist_ok=True)
    tmp = archive.with_name(f".{archive.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for e in entries:
            tar.add(e, arcname=f"results/{e.name}")
    tmp.replace(archive)
    return len(entries)


def _copy_entry(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)


def import_results(cache: Cache, archive: Path, extract_tar: Callable[[Path, Path], None]) -> int:
    """Add the entries of an exported archive, unpacked safely by `extract_tar` (fetch/archives.py's: no
    traversal, no links, bounded); an entry already here is kept. Returns how many were added."""
    if not archive.is_file():
        raise InputError("no such archive", file=str(archive))
    root = cache.dir("results")
    added = 0
    with tempfile.TemporaryDirectory(dir=root, prefix=".import-") as tmp:
        extract_tar(archive, Path(tmp))
        src = Path(tmp) / "results"
        for e in sorted(src.iterdir()) if src.is_dir() else []:
            if not _KEY.fullmatch(e.name) or not (e / "result.json").is_file() or (root / e.name).exists():
                continue
            publish_dir(root / e.name, functools.partial(_copy_entry, e), "result.json")
            added += 1
    return added
