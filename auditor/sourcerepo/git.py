"""Plain git on the host, like downloads: list a repository's tags, fetch one tag's commit (shallow, cached
by commit in CACHE/repos/), and read its tree without a work tree (no link is ever followed: blobs are read
by id). Every call goes through proc (cancellable, bounded in time); git's own configuration applies, so
`url.<base>.insteadOf` (GIT_CONFIG_GLOBAL) points a repository at a local mirror."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor import proc
from auditor.errors import AuditorError

TIMEOUT = 300.0


class GitError(AuditorError):
    """A git command failed: the repository is unavailable for this check (never a failure of the run)."""


@dataclass(frozen=True)
class TreeEntry:
    mode: str  # 100644, 100755, 120000 (a link), 160000 (a submodule)
    kind: str  # blob, tree, commit
    sha: str
    path: str


def _git(args: list[str], cwd: Path | None = None, stdin: str = "", timeout: float = TIMEOUT) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", LC_ALL="C")
    cmd = ["git", *(["-C", str(cwd)] if cwd else []), *args]
    code, out, err = proc.run_captured(cmd, env, timeout, stdin)
    if code != 0:
        why = " ".join(err.split())[-300:] if code is not None else f"no answer within {timeout:.0f} s"
        raise GitError(f"git {args[0]} failed: {why}")
    return out


def tags(url: str) -> dict[str, str]:
    """Tag name -> the commit it points to (annotated tags peeled)."""
    out: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in _git(["ls-remote", "--tags", url]).splitlines():
        sha, _, ref = line.partition("\t")
        if not ref.startswith("refs/tags/"):
            continue
        name = ref[len("refs/tags/"):]
        if name.endswith("^{}"):
            peeled[name[:-3]] = sha
        else:
            out[name] = sha
    out.update(peeled)
    return out


def fetch(url: str, ref: str, commit: str, root: Path) -> Path:
    """A bare repository holding `commit`, fetched once (`ref`: refs/tags/NAME, or the commit id itself when no
    tag points to it) and kept under root by commit."""
    repo = root / commit
    if (repo / "HEAD").is_file():
        try:
            _git(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=repo)
            return repo
        except GitError:
            pass
    tmp = root / f".{commit}.{os.getpid()}.{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    _git(["init", "-q", "--bare", str(tmp)])
    _git(["fetch", "-q", "--depth", "1", url, ref], cwd=tmp)
    _git(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=tmp)
    try:
        tmp.rename(repo)
    except OSError:  # another run published it first
        pass
    return repo if (repo / "HEAD").is_file() else tmp


def tree(repo: Path, commit: str) -> dict[str, TreeEntry]:
    """Every entry of the commit's tree, recursively, by path."""
    out: dict[str, TreeEntry] = {}
    for rec in _git(["ls-tree", "-r", "-z", "--full-tree", commit], cwd=repo).split("\0"):
        if not rec:
            continue
        meta, _, path = rec.partition("\t")
        mode, kind, sha = meta.split()
        out[path] = TreeEntry(mode, kind, sha, path)
    return out


_READ: dict[tuple[str, str], bytes] = {}  # (repository, blob id) -> bytes read ahead by prefetch()
_READ_LOCK = threading.Lock()


def prefetch(repo: Path, shas: Iterable[str], limit: int = 1 << 26) -> None:
    """Read many blobs at once (two git processes in all, `cat-file --batch-check` then `--batch`, instead of
    two per blob): blob() then answers from memory until forget(). Blobs over `limit` are left for blob()
    to refuse."""
    wanted = sorted(set(shas))
    if not wanted:
        return
    out = _cat_file(repo, "--batch-check", wanted)
    if out is None:
        return
    small = []
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob" and int(parts[2]) <= limit:
            small.append(parts[0])
    if not small:
        return
    out = _cat_file(repo, "--batch", small)
    if out is None:
        return
    found: dict[tuple[str, str], bytes] = {}
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        sha, kind, size = out[pos:end].decode("ascii").split()
        data = out[end + 1:end + 1 + int(size)]
        pos = end + 1 + int(size) + 1
        if kind == "blob":
            found[(str(repo), sha)] = data
    with _READ_LOCK:
        _READ.update(found)


def _cat_file(repo: Path, mode: str, shas: list[str]) -> bytes | None:
    """`git cat-file --batch[-check]` of the ids, its output, or None when git failed."""
    code, out, _ = proc.run_raw(["git", "-C", str(repo), "cat-file", mode], dict(os.environ, LC_ALL="C"), TIMEOUT,
                                ("\n".join(shas) + "\n").encode())
    return out if code == 0 else None


def forget(repo: Path) -> None:
    """Drop what prefetch() read from `repo`."""
    with _READ_LOCK:
        for k in [k for k in _READ if k[0] == str(repo)]:
            del _READ[k]


def blob(repo: Path, sha: str, limit: int = 1 << 26) -> bytes:
    """A blob's bytes (at most `limit`: a larger one is refused)."""
    with _READ_LOCK:
        ready = _READ.get((str(repo), sha))
    if ready is not None:
        return ready
    size = int(_git(["cat-file", "-s", sha], cwd=repo).strip())
    if size > limit:
        raise GitError(f"blob {sha} is larger than {limit} bytes")
    code, out, _ = proc.run_raw(["git", "-C", str(repo), "cat-file", "blob", sha], dict(os.environ, LC_ALL="C"), TIMEOUT)
    if code != 0:
        raise GitError(f"git cat-file failed for {sha}")
    return out
