"""Resolve build requirements as of a date, and download them hash-verified into a wheelhouse.

Resolution uses uv's resolver (`uv pip compile --exclude-newer`, which filters by each file's PEP 700
upload-time): a real resolver, not a hand-written one. Only wheels are allowed, for the sandbox's
Python on linux x86_64. The pins (with hashes) are recorded in results.json and are exactly what the
sandbox installs, with `pip install --require-hashes --no-index`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import parse_wheel_filename

from auditor import proc
from auditor.errors import AuditorError, HashMismatch, InputError, ResolutionError
from auditor.fetch import Cache
from auditor.fsutil import publish_dir, write_atomic
from auditor.fetch.index import HttpClient, SimpleIndex
from auditor.lockfiles.requirements import read as read_requirements
from auditor.records import BuildRequirement, LockedRelease

def target_tags(python: str) -> set[Tag]:
    """Wheel tags a CPython X.Y on glibc linux x86_64 (Debian bookworm: glibc 2.36) can install."""
    major, minor = (int(x) for x in python.split(".")[:2])
    plats = [f"manylinux_2_{m}_x86_64" for m in range(36, 4, -1)]
    plats += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
    tags = set(cpython_tags((major, minor), platforms=plats))
    tags |= set(compatible_tags((major, minor), f"cp{major}{minor}", platforms=plats))
    return tags


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        raise ResolutionError("uv is not installed (pip install uv): it resolves build requirements") from None


def resolve(
    requires: list[str], cutoff: datetime | None, index_url: str, python: str, cache: Cache,
    exempt: str | None = None,
) -> list[LockedRelease]:
    """Pin `requires` and everything they need, as of `cutoff`, with hashes. Cached by its inputs.

    exempt: a distribution pinned exactly (the backend named by Generator) that the cutoff must not
    filter out: a wheel may claim a backend uploaded after the wheel itself, and that is for the
    comparison to expose, not for the resolver to refuse."""
    key_src = json.dumps([sorted(requires), cutoff.isoformat() if cutoff else None, index_url, python, exempt])
    key = hashlib.sha256(key_src.encode()).hexdigest()
    with _once(key):  # configurations building at once that need the same resolution wait for one
        return _resolve(requires, cutoff, index_url, python, cache, exempt, key)


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _once(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _resolve(requires: list[str], cutoff: datetime | None, index_url: str, python: str, cache: Cache,
             exempt: str | None, key: str) -> list[LockedRelease]:
    cached = cache.dir("resolutions") / f"{key}.txt"
    if cached.is_file():
        try:
            return list(read_requirements(cached).releases)
        except InputError:
            cached.unlink(missing_ok=True)  # a damaged cache entry: resolve again
    args = [
        _uv(), "pip", "compile", "-", "--generate-hashes", "--only-binary", ":all:",
        "--python-version", python, "--python-platform", "x86_64-unknown-linux-gnu",
        "--index-url", index_url, "--no-header", "--no-annotate", "--no-config", "--quiet",
        "--cache-dir", str(cache.dir("uv")),
        # uv looks for an interpreter of --python-version first (pyenv shims, managed downloads): 8-21 s per
        # resolution on this machine for a version it does not have, 0.3 s with this one named (the target
        # version still decides the resolution)
        "--python", sys.executable, "--no-python-downloads",
    ]
    if cutoff is not None:
        args += ["--exclude-newer", cutoff.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")]
        if exempt:
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            args += ["--exclude-newer-package", f"{exempt}={now}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    code, stdout, stderr = proc.run_captured(args, env, 600, "\n".join(requires) + "\n")
    if code != 0:
        msg = " ".join(stderr.split())[:600] if code is not None else "uv did not answer within 600 s"
        raise ResolutionError(f"cannot resolve build requirements {requires} as of {cutoff}: {msg}")
    write_atomic(cached, stdout)
    return list(read_requirements(cached).releases)


def download(
    pins: list[LockedRelease], index: SimpleIndex, http: HttpClient, cache: Cache, python: str, dest: Path
) -> list[BuildRequirement]:
    """Fetch one compatible wheel per pin, verified against the pin's hashes, into dest (hard links)."""
    tags = target_tags(python)
    dest.mkdir(parents=True, exist_ok=True)
    out: list[BuildRequirement] = []
    for pin in pins:
        try:
            files = index.release_files(pin.name, pin.version)
        except AuditorError as exc:
            raise ResolutionError(f"{pin.name}=={pin.version}: {exc}") from None
        candidates = [
            f for f in files
            if f.is_wheel and f.sha256 in pin.hashes and set(parse_wheel_filename(f.filename)[3]) & tags
        ]
        if not candidates:
            raise ResolutionError(f"{pin.name}=={pin.version}: no wheel for Python {python} linux x86_64 with a pinned hash")
        f = candidates[0]
        try:
            digest, path = cache.fetch(f, f.sha256, http)
        except HashMismatch as exc:
            raise ResolutionError(f"build requirement {exc}") from None
        target = dest / f.filename
        if not target.exists():
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
        out.append(BuildRequirement(pin.name, pin.version, f.filename, digest))
    return out


def write_requirements(reqs: list[BuildRequirement], path: Path) -> None:
    path.write_text("".join(f"{r.name}=={r.version} --hash=sha256:{r.sha256}\n" for r in reqs))


def shared_wheelhouse(
    pins: list[LockedRelease], index: SimpleIndex, http: HttpClient, cache: Cache, python: str
) -> tuple[Path, list[BuildRequirement]]:
    """One read-only wheelhouse per distinct pin set (CACHE/wheelhouses/<key>/ with requirements.txt),
    shared by every build that needs the same pins, in this run and the next ones."""
    key = hashlib.sha256(json.dumps(
        [python, sorted([p.name, p.version, sorted(p.hashes)] for p in pins)]).encode()).hexdigest()[:24]
    root = cache.dir("wheelhouses") / key
    if (root / "requirements.txt").is_file():
        reqs = [BuildRequirement(*line.split("\t")) for line in (root / ".pins").read_text().splitlines()]
        if all((root / r.filename).is_file() for r in reqs):
            return root, reqs
    reqs = []

    def fill(tmp: Path) -> None:
        reqs[:] = download(pins, index, http, cache, python, tmp)
        (tmp / ".pins").write_text("".join(f"{r.name}\t{r.version}\t{r.filename}\t{r.sha256}\n" for r in reqs))
        write_requirements(reqs, tmp / "requirements.txt")

    publish_dir(root, fill, "requirements.txt")
    if not reqs:  # a concurrent run published it first
        reqs = [BuildRequirement(*line.split("\t")) for line in (root / ".pins").read_text().splitlines()]
    return root, reqs
