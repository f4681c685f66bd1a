"""The pinned build frontend handed into every sandbox: build, pyproject_hooks, packaging,
virtualenv, pip and uv, pinned with hashes in frontend.txt (compiled from frontend.in).

Unpacked once per pin set into the cache (CACHE/frontend/<key>/: site/ on PYTHONPATH for the
driver, pip/ and uv/ apart so that the backend's virtualenv does not see them).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from pathlib import Path

from auditor.fetch.archives import extract_zip
from auditor.fetch import Cache
from auditor.fsutil import publish_dir
from auditor.fetch.index import HttpClient, SimpleIndex
from auditor.lockfiles.requirements import read as read_requirements
from auditor.records import LockedRelease
from auditor.resolve import download

FRONTEND_LOCK = Path(__file__).parent / "frontend.txt"  # Python 3.10 and later
FRONTEND_LOCKS = {"3.9": Path(__file__).parent / "frontend-py3.9.txt"}  # older interpreters, their own pins


def frontend_pins(python: str | None = None) -> list[LockedRelease]:
    return list(read_requirements(FRONTEND_LOCKS.get(python or "", FRONTEND_LOCK)).releases)


def prepare_frontend(pins: list[LockedRelease], index: SimpleIndex, http: HttpClient, cache: Cache,
                     python: str) -> Path:
    """Unpack the pinned frontend wheels once per pin set, in the cache; returns the tree."""
    key = hashlib.sha256((python + "".join(sorted(f"{p.name}=={p.version}:{sorted(p.hashes)}" for p in pins))).encode()
                         ).hexdigest()[:16]

    def fill(tmp: Path) -> None:
        reqs = download(pins, index, http, cache, python, tmp / "wheels")
        for r in reqs:  # pip and uv apart: the backend's venv must not see them on its path
            extract_zip(tmp / "wheels" / r.filename, tmp / (r.name if r.name in ("pip", "uv") else "site"))
        (tmp / ".complete").write_text("ok\n")

    return publish_dir(cache.dir("frontend") / key, fill, ".complete")


@functools.cache
def driver_digest() -> str:
    """What the sandbox is handed besides the sources and pins, part of every build-cache key: the driver that runs
    inside it (its whole file), the frontend's pins (frontend*.txt) and the code that lays the frontend out
    (prepare_frontend, frontend_pins). Not the host modules' other lines: moving an import must not rebuild
    everything."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ["driver.py", *sorted(p.name for p in root.glob("frontend*.txt"))]:
        h.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    for fn in (prepare_frontend, frontend_pins):
        h.update(inspect.getsource(fn).encode() + b"\0")
    return h.hexdigest()
