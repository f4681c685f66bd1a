"""Stage 2 of an audit: what the index serves for a locked release, hashed and downloaded
(verified against the lock), with each artifact's flags.

A mismatch is reported (differs), never retried into success; a failed download makes that wheel
unverifiable. Direct-URL pins are the locked archive plus what the index publishes for that version.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from packaging.utils import parse_wheel_filename

from auditor.errors import AuditorError, HashMismatch, IndexError_
from auditor.caches.downloads import Cache
from auditor.fetch.index import HttpClient, SimpleIndex, file_name_version
from auditor.judgement import WheelJudgement
from auditor.records import ArtifactResult, IndexFile, LockedRelease, PackageResult, Verdict, WheelResult, to_jsonable



class Fetcher(Protocol):
    """What this stage needs of the run's services (context.Context has them): the download cache and the
    index client."""

    cache: Cache
    http: HttpClient

DOWNLOADS_PER_RELEASE = 6  # concurrent downloads of one release's files


def is_pure(filename: str) -> bool:
    tags = parse_wheel_filename(filename)[3]
    return all(t.abi == "none" and t.platform == "any" for t in tags)


def artifact(f: IndexFile, sha256: str | None, flags: list[str], kind: type = ArtifactResult) -> ArtifactResult:
    return kind(filename=f.filename, url=f.url, sha256=sha256 or f.sha256, upload_time=to_jsonable(f.upload_time),
                size=f.size, yanked=f.yanked, flags=flags, provenance_url=f.provenance)


def flags(f: IndexFile, first: datetime | None, late_after: timedelta, locked: bool) -> list[str]:
    out = []
    if not locked:
        out.append("not-in-lockfile")
    if f.yanked is not None:
        out.append("yanked")
    if first and f.upload_time and f.upload_time - first > late_after:
        out.append("late-upload")
    return out


def direct_url_files(rel: LockedRelease, index: SimpleIndex, result: PackageResult) -> list[IndexFile]:
    """A direct-URL pin: the locked archive itself, plus what the index publishes for the same release.

    The archive is verified against the lock's hash like any other file; an sdist is rebuilt and the
    rebuild compared with the index's wheels of that version (a wheel URL is compared with the rebuild
    of the index's sdist)."""
    filename = unquote(urlsplit(rel.url or "").path.rsplit("/", 1)[-1])
    parsed = file_name_version(filename)
    if parsed is None:
        raise IndexError_(f"direct URL {rel.url}: the file name {filename!r} is neither an sdist nor a wheel")
    name, version = parsed
    if name != rel.name:
        raise IndexError_(f"direct URL {rel.url}: the file is {name}, the lock says {rel.name}")
    result.version = version
    result.url = rel.url
    sha = next(iter(rel.hashes)) if len(rel.hashes) == 1 else None
    direct = IndexFile(filename, rel.url or "", sha)
    try:
        published = index.release_files(rel.name, version)
    except AuditorError as exc:
        result.notes.append(f"index: {exc}")
        published = []
    if not published:
        result.notes.append(f"{index.url} publishes no files for {rel.name} {version}")
    same = [f for f in published if f.filename == filename]
    if same and sha and same[0].sha256 == sha:
        return published  # the URL names the index's own file
    return [direct] + [f for f in published if f.filename != filename]


def hash_files(rel: LockedRelease, files: list[IndexFile], ctx: Fetcher, result: PackageResult) -> dict[str, str | None]:
    """Each served file's sha256 (downloading those the index does not hash); flags lock hashes no
    served file has as `missing`."""
    hashes: dict[str, str | None] = {}
    for f in files:
        if f.sha256:
            hashes[f.filename] = f.sha256
        else:
            try:
                hashes[f.filename] = ctx.cache.fetch(f, None, ctx.http)[0]
            except AuditorError as exc:
                result.notes.append(f"{f.filename}: cannot download to hash it: {exc}")
                hashes[f.filename] = None
    result.missing = sorted(rel.hashes - {h for h in hashes.values() if h})
    if result.missing:
        result.flags.append("missing")
    return hashes


def download_wheels(wheels: list[IndexFile], hashes: dict[str, str | None], rel: LockedRelease, first, late,
                    ctx: Fetcher) -> list[tuple[IndexFile, WheelResult, Path | None]]:
    """Verified downloads, several at a time, in index order: (file, its result entry, local path)."""
    def fetch(f: IndexFile) -> tuple[IndexFile, WheelResult, Path | None]:
        locked = hashes[f.filename] in rel.hashes
        entry = artifact(f, hashes[f.filename], flags(f, first, late, locked), WheelResult)
        assert isinstance(entry, WheelResult)
        path = None
        try:
            _, path = ctx.cache.fetch(f, hashes[f.filename], ctx.http)
        except HashMismatch as exc:
            entry.flags.append("hash-mismatch")
            entry.judged(WheelJudgement(Verdict.DIFFERS, f"downloaded bytes do not match the expected hash: {exc}"))
        except AuditorError as exc:
            entry.judged(WheelJudgement(Verdict.UNVERIFIABLE, f"download failed: {exc}"))
        return f, entry, path

    with ThreadPoolExecutor(max_workers=DOWNLOADS_PER_RELEASE, thread_name_prefix="fetch") as pool:
        return list(pool.map(fetch, wheels))


def mark_provenance(result: PackageResult) -> None:
    if not result.provenance:
        return
    for a in result.artifacts():
        a.provenance = result.provenance.get(a.filename)
        if a.provenance is None:
            a.flags.append("no-provenance")
