"""Sandboxes that run one rebuild: `local` (a subprocess on the host) or `oci` (docker/podman).

Each backend takes a BuildJob (inputs prepared and verified on the host) and returns a
BuildOutcome. The same driver script (driver.py) runs in every backend.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from auditor.archives import extract_zip
from auditor.fetch import Cache
from auditor.index import HttpClient, SimpleIndex
from auditor.records import BuildOutcome

DRIVER = Path(__file__).parent / "driver.py"
BUILD_ROOT = "/build"  # fixed build path inside containers


@dataclass
class BuildJob:
    source_dir: Path  # extracted sdist's top directory (NAME-VERSION) on the host
    wheelhouse: Path
    requirements: Path
    frontend: Path  # directory with site/ and pip/
    out_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 900.0


class Sandbox(Protocol):
    name: str  # "local", "docker", "podman"
    isolation: str  # "none" or "container"

    def python_version(self) -> str: ...

    def describe(self) -> dict: ...

    def build(self, job: BuildJob) -> BuildOutcome: ...


def base_env(source_date_epoch: int | None, tz: str | None = None) -> dict[str, str]:
    env = {
        "TZ": tz or "UTC",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    }
    if source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    return env


def prepare_frontend(pins, index: SimpleIndex, http: HttpClient, cache: Cache, python: str) -> Path:
    """Unpack the pinned frontend wheels (build, virtualenv, pip, uv, …) once per pin set, in the cache."""
    from auditor.resolve import download  # local import: resolve imports this package's siblings

    key = hashlib.sha256("".join(sorted(f"{p.name}=={p.version}:{sorted(p.hashes)}" for p in pins)).encode()).hexdigest()[:16]
    root = cache.root / "frontend" / key
    if (root / ".complete").is_file():
        return root
    # Built in a private directory and renamed into place: a concurrent run sharing the cache either
    # sees the finished tree or builds its own; neither removes the other's.
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{key}-"))
    try:
        reqs = download(pins, index, http, cache, python, tmp / "wheels")
        for r in reqs:  # pip and uv apart: the backend's venv must not see them on its path
            extract_zip(tmp / "wheels" / r.filename, tmp / (r.name if r.name in ("pip", "uv") else "site"))
        (tmp / ".complete").write_text("ok\n")
        tmp.chmod(0o755)
        if root.exists() and not (root / ".complete").is_file():
            shutil.rmtree(root, ignore_errors=True)  # left half-made by a run killed before this fix
        try:
            tmp.rename(root)
        except OSError:
            if not (root / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root
