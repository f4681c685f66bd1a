"""uv's `uv.lock` (lock `version = 1`).

Registry packages become pins audited against their index (`source = { registry = URL }`); a
`source = { url = ... }` is a direct-URL pin; git, path, directory and editable sources (the locked
project itself, unless it is virtual) are kept as unverifiable pins with a reason; virtual packages
install nothing and are skipped. `upload-time` is
accepted as written by uv (RFC 3339, with or without milliseconds), and so is the older `upload_time`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.errors import InputError
from auditor.timestamps import parse_time
from auditor.lockfiles import toml
from auditor.lockfiles.toml import Where
from auditor.records import Lock, LockedRelease

FORMAT = "uv.lock"
_HASH = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_LOCAL_SOURCES = ("git", "path", "directory", "editable")


def detect(path: Path, text: str) -> bool:
    return path.name == "uv.lock" or (path.suffix == ".lock" and "[[package]]" in text and "source = {" in text)


def _file_hash(entry: Any, key: str, where: Where) -> str:
    if not isinstance(entry, dict):
        raise InputError("expected a table", **where, key=key)
    h = entry.get("hash")
    m = _HASH.match(h) if isinstance(h, str) else None
    if not m:
        raise InputError(f"expected 'sha256:<64 hex digits>', got {h!r}", **where, key=f"{key}.hash")
    for spelling in ("upload-time", "upload_time"):
        if spelling in entry:
            value = entry[spelling]
            if not isinstance(value, str) or parse_time(value) is None:
                raise InputError(f"not an RFC 3339 time: {value!r}", **where, key=f"{key}.{spelling}")
    return m.group(1).lower()


def read(path: Path) -> Lock:
    text = path.read_text(encoding="utf-8")
    data = toml.load(path, text)
    if data.get("version") != 1:
        raise InputError(f"unsupported uv.lock version {data.get('version')!r} (auditor reads version 1)",
                         file=str(path), line=toml.line_of(text, "version"), key="version")
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise InputError("expected an array of tables", file=str(path), key="package")
    lines = toml.table_lines(text, "package")
    releases = [_package(pkg, f"package[{i}]", path, lines[i] if i < len(lines) else 0)
                for i, pkg in enumerate(packages)]
    rp = data.get("requires-python")
    return Lock(str(path), FORMAT, tuple(releases), python=rp if isinstance(rp, str) else None,
                python_source=f"uv.lock's requires-python ({path.name})" if isinstance(rp, str) else None)


def _package(pkg, key: str, path: Path, line: int) -> LockedRelease:
    """One [[package]] table as a locked release (registry, direct URL, or a local/virtual one reported only)."""
    where: Where = {"file": str(path), "line": line or None}
    if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
        raise InputError("a package needs a name", **where, key=f"{key}.name")
    name = canonicalize_name(pkg["name"])
    version = pkg.get("version", "")
    if version:
        try:
            Version(str(version))
        except InvalidVersion:
            raise InputError(f"invalid version {version!r}", **where, key=f"{key}.version") from None
    source = pkg.get("source")
    if not isinstance(source, dict) or not source:
        raise InputError("a package needs a source table", **where, key=f"{key}.source")
    if "virtual" in source:  # a virtual package (e.g. the locking project with package = false)
        return LockedRelease(name, str(version), frozenset(), str(path), line, url=str(source["virtual"]), source="virtual")
    local = next((s for s in _LOCAL_SOURCES if s in source), None)
    if local:
        return LockedRelease(name, str(version), frozenset(), str(path), line, url=str(source[local]), source=local)
    hashes: set[str] = set()
    if "sdist" in pkg:
        hashes.add(_file_hash(pkg["sdist"], f"{key}.sdist", where))
    wheels = pkg.get("wheels", [])
    if not isinstance(wheels, list):
        raise InputError("expected an array", **where, key=f"{key}.wheels")
    for j, w in enumerate(wheels):
        hashes.add(_file_hash(w, f"{key}.wheels[{j}]", where))
    if "url" in source:
        if not hashes:
            raise InputError("a direct URL needs a hash", **where, key=f"{key}.sdist.hash")
        return LockedRelease(name, str(version), frozenset(hashes), str(path), line, url=str(source["url"]), source="url")
    if "registry" not in source:
        raise InputError(f"unknown source kind {sorted(source)}", **where, key=f"{key}.source")
    if not version:
        raise InputError("a registry package needs a version", **where, key=f"{key}.version")
    if not hashes:
        raise InputError("no sdist or wheel hash to audit", **where, key=key)
    return LockedRelease(name, str(version), frozenset(hashes), str(path), line, index_url=str(source["registry"]))
