"""Sandboxes that run one rebuild: `local` (a subprocess on the host) or `oci` (docker/podman).

Each backend takes a BuildJob (inputs prepared and verified on the host) and returns a
BuildOutcome. The same driver script (driver.py) runs in every backend.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

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
    python: str | None = None  # CPython X.Y to build with (None: the sandbox's default)
    ccache_dir: Path | None = None  # a compiler cache shared by the builds of one release (read-write)
    system_packages: tuple[str, ...] = ()  # Debian packages a derived image adds (sandbox/debian.py found them)
    # inputs the sdist pins by hash, fetched and verified on the host (fetch/inputs.py): `vendor/` (crates),
    # `packagecache/` (meson wraps); handed in read-only, and their sha256s are part of the build-cache key
    inputs_dir: Path | None = None
    inputs: tuple[str, ...] = ()


class Sandbox(Protocol):
    name: str  # "local", "docker", "podman"
    isolation: str  # "none" or "container"

    def python_version(self) -> str: ...

    def pythons(self) -> list[str]: ...

    def describe(self) -> dict: ...

    def environment_for(self, python: str | None, packages: tuple[str, ...] = ()) -> str | None:
        """What identifies the build environment of CPython `python` (an image ID), or None when it is not
        pinned (the host's): a build in a pinned environment can be cached by its inputs."""
        ...

    def library(self, python: str | None, name: str) -> bytes | None:
        """The bytes of shared library `name` (a DT_NEEDED name) in the build environment of CPython
        `python`, or None when it has none: what a rebuilt module links, for the judge's static-library rule."""
        ...

    def build(self, job: BuildJob) -> BuildOutcome: ...


LIBRARY_NAME = re.compile(r"lib[\w.+-]+\.so[\w.]*")  # a DT_NEEDED name, never a path
LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
                "/usr/local/lib")
MAX_LIBRARY = 1 << 26


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
