"""Verified downloads into a content-addressed cache.

Layout (owned here; other modules ask `Cache.dir(NAME)` for theirs): CACHE/sha256/ab/abcdef… holds
bytes whose sha256 is the file's name; resolutions/, wheelhouses/, frontend/, uv/ (resolve.py and
sandbox/frontend.py), results/ (caches/verdicts.py), images/ (facts about build images), diffoscope/ and
wheels/ (pages and wheel indexes kept for a re-judge), verified/ (which cached files were hashed, by inode, size
and mtime). A cached entry is hashed again before use unless it is the very file verified (a truncated, corrupted
or replaced entry is fetched again); a download goes to a
temporary file in the cache, is hashed while streaming, and is renamed into place only when its
hash is the expected one. A mismatch is raised, never retried into success.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from typing import Callable, Protocol

from platformdirs import user_cache_dir

from auditor.errors import HashMismatch, IndexError_
from auditor.records import IndexFile


class Stream(Protocol):
    """What the cache needs of an HTTP client (fetch/index.HttpClient): stream a URL's body to a sink, restarting
    (reset) when it retries."""

    def stream_to(self, url: str, sink: Callable[[bytes], None], reset: Callable[[], None]) -> None: ...


MAX_DOWNLOAD = 2 << 30  # 2 GiB: no sdist or wheel we audit is larger


def default_cache_dir() -> Path:
    return Path(user_cache_dir("auditor"))


def cache_root(cache_dir: Path | None) -> Path:
    """The cache directory a run uses: --cache-dir, else the platform's user cache directory."""
    return Path(cache_dir) if cache_dir else default_cache_dir()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Cache:
    SUBDIRS = ("sha256", "tmp", "resolutions", "wheelhouses", "frontend", "uv", "results", "builds", "repos", "images",
               "diffoscope", "wheels", "verified")

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def dir(self, name: str) -> Path:
        """The cache's sub-directory `name` (one of SUBDIRS), created on first use."""
        if name not in self.SUBDIRS:
            raise ValueError(f"unknown cache directory {name!r}")
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def path_for(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    def get(self, sha256: str) -> Path | None:
        """The cached file with these bytes, or None. A file is hashed again unless it is the very file this cache
        verified before (same inode, size and modification time, recorded in verified/ under its digest): a re-run
        does not re-read gigabytes of wheels, and a file changed or replaced since is hashed again."""
        p = self.path_for(sha256)
        stamp = self.root / "verified" / sha256[:2] / sha256  # apart: sha256/ holds nothing but content by its digest
        try:
            st = p.stat()
        except OSError:
            return None
        seen = f"{st.st_ino} {st.st_size} {st.st_mtime_ns}"
        try:
            if stamp.read_text(encoding="ascii") == seen:
                return p
        except OSError:
            pass
        if sha256_file(p) == sha256:
            try:
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(seen, encoding="ascii")
            except OSError:
                pass
            return p
        p.unlink(missing_ok=True)  # corrupted or truncated: fetch again
        stamp.unlink(missing_ok=True)
        return None

    def put_file(self, src: Path) -> tuple[str, Path]:
        """Copy a local file in; returns (sha256, cached path)."""
        digest = sha256_file(src)
        dest = self.path_for(digest)
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
            with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    out.write(block)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        return digest, dest

    def fetch(self, file: IndexFile, expected_sha256: str | None, http: Stream) -> tuple[str, Path]:
        """Download file (or take it from the cache). Returns (sha256, path).

        expected_sha256 is what the lock (or, for unlocked files, the index) says; when None the
        bytes are hashed and returned as they are (an index that publishes no hash)."""
        if expected_sha256:
            hit = self.get(expected_sha256)
            if hit:
                return expected_sha256, hit
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp", suffix=".part")
        h = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                def reset() -> None:
                    nonlocal h, size
                    out.seek(0)
                    out.truncate()
                    h, size = hashlib.sha256(), 0

                def sink(data: bytes) -> None:
                    nonlocal size
                    size += len(data)
                    if size > MAX_DOWNLOAD:
                        raise IndexError_(f"{file.filename}: larger than {MAX_DOWNLOAD} bytes")
                    h.update(data)
                    out.write(data)

                http.stream_to(file.url, sink, reset)
            actual = h.hexdigest()
            if expected_sha256 and actual != expected_sha256:
                raise HashMismatch(file.filename, expected_sha256, actual)
            dest = self.path_for(actual)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o644)  # readable by the sandbox's unprivileged user
            os.replace(tmp, dest)
            return actual, dest
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
