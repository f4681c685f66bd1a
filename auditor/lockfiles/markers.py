"""Whether two pins of one project can apply to the same environment: a lock may pin a project twice under
disjoint markers (`torch==2.5.1 ; sys_platform == 'darwin'` and `torch==2.5.1+cpu ; sys_platform == 'linux'`),
which pip installs; only pins whose markers both hold somewhere are a contradiction."""

from __future__ import annotations

import itertools

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

_PYTHONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
_PLATFORMS = [("linux", "posix", "Linux", "x86_64"), ("linux", "posix", "Linux", "aarch64"),
              ("win32", "nt", "Windows", "AMD64"), ("win32", "nt", "Windows", "ARM64"),
              ("darwin", "posix", "Darwin", "arm64"), ("darwin", "posix", "Darwin", "x86_64"),
              ("freebsd14", "posix", "FreeBSD", "amd64"), ("emscripten", "posix", "Emscripten", "wasm32")]
_IMPLS = ["CPython", "PyPy"]


def _environments():
    for py, (plat, os_name, system, machine), impl in itertools.product(_PYTHONS, _PLATFORMS, _IMPLS):
        yield {"python_version": py, "python_full_version": f"{py}.0", "sys_platform": plat, "os_name": os_name,
               "platform_system": system, "platform_machine": machine, "platform_python_implementation": impl,
               "implementation_name": impl.lower(), "extra": "", "platform_release": "", "platform_version": "",
               "implementation_version": f"{py}.0"}


def _holds(marker: Marker | None, env: dict) -> bool:
    if marker is None:
        return True
    try:
        return marker.evaluate(env)
    except (UndefinedComparison, UndefinedEnvironmentName):
        return True  # cannot tell: assume it may hold


def overlap(a: str | None, b: str | None) -> bool:
    """True when some environment of a grid of interpreters, platforms and machines selects both pins (an
    unreadable marker is taken to hold everywhere: the stricter way)."""
    try:
        ma, mb = (Marker(a) if a else None), (Marker(b) if b else None)
    except InvalidMarker:
        return True
    return any(_holds(ma, env) and _holds(mb, env) for env in _environments())
