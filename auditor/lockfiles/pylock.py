"""PEP 751 lock files (`pylock.toml`, `pylock.<name>.toml`), validated by `packaging.pylock`.

Registry packages (an sdist and/or wheels) become pins audited against their index; an `archive`
is a direct-URL pin; `vcs` and `directory` sources are kept as unverifiable pins with a reason.
"""

from __future__ import annotations

from pathlib import Path

from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError, is_valid_pylock_path
from packaging.utils import canonicalize_name

from auditor.errors import InputError
from auditor.lockfiles import toml
from auditor.lockfiles.toml import Where
from auditor.records import Lock, LockedRelease

FORMAT = "pylock.toml"


def detect(path: Path, text: str) -> bool:
    return is_valid_pylock_path(path) or (path.suffix == ".toml" and "lock-version" in text and "[[packages" in text)


def _sha256(hashes, key: str, where: Where) -> set[str]:
    digest = (hashes or {}).get("sha256")
    if not digest:
        raise InputError("no sha256 hash (auditor matches files by sha256)", **where, key=key)
    return {digest.lower()}


def read(path: Path) -> Lock:
    text = path.read_text(encoding="utf-8")
    data = toml.load(path, text)
    version = data.get("lock-version")
    if isinstance(version, str) and not version.startswith("1."):
        raise InputError(f"lock-version {version} is not supported (auditor reads 1.x)", file=str(path),
                         line=toml.line_of(text, "lock-version"), key="lock-version")
    try:
        lock = Pylock.from_dict(data)
    except PylockUnsupportedVersionError as exc:
        raise InputError(str(exc), file=str(path), line=toml.line_of(text, "lock-version"), key="lock-version") from None
    except PylockValidationError as exc:
        raise InputError(exc.message, file=str(path), line=toml.line_of(text, exc.context), key=exc.context) from None
    except Exception as exc:  # defensive: packaging raises its own types, but never a traceback for input
        raise InputError(f"not a valid pylock file: {exc}", file=str(path)) from None

    lines = toml.table_lines(text, "packages")
    releases: list[LockedRelease] = []
    for i, pkg in enumerate(lock.packages):
        key = f"packages[{i}]"
        where: Where = {"file": str(path), "line": lines[i] if i < len(lines) else None}
        name = canonicalize_name(pkg.name)
        version = str(pkg.version) if pkg.version is not None else ""
        marker = str(pkg.marker) if pkg.marker else None
        if pkg.vcs is not None:
            url = f"{pkg.vcs.type}+{pkg.vcs.url or pkg.vcs.path}@{pkg.vcs.commit_id}"
            releases.append(LockedRelease(name, version, frozenset(), str(path), where["line"] or 0, marker,
                                          url=url, source="vcs"))
            continue
        if pkg.directory is not None:
            releases.append(LockedRelease(name, version, frozenset(), str(path), where["line"] or 0, marker,
                                          url=pkg.directory.path, source="directory"))
            continue
        if pkg.archive is not None:
            a = pkg.archive
            if a.url is None:
                releases.append(LockedRelease(name, version, frozenset(), str(path), where["line"] or 0, marker,
                                              url=a.path, source="path"))
                continue
            archive_hashes = _sha256(a.hashes, f"{key}.archive.hashes", where)
            releases.append(LockedRelease(name, version, frozenset(archive_hashes), str(path), where["line"] or 0, marker,
                                          url=a.url, source="url"))
            continue
        if not version:
            raise InputError("a package from an index needs a version", **where, key=f"{key}.version")
        hashes: set[str] = set()
        if pkg.sdist is not None:
            hashes |= _sha256(pkg.sdist.hashes, f"{key}.sdist.hashes", where)
        for j, w in enumerate(pkg.wheels or ()):
            hashes |= _sha256(w.hashes, f"{key}.wheels[{j}].hashes", where)
        if not hashes:
            raise InputError("no sdist or wheel to audit", **where, key=key)
        releases.append(LockedRelease(name, version, frozenset(hashes), str(path), where["line"] or 0, marker,
                                      index_url=pkg.index))
    rp = data.get("requires-python")
    return Lock(str(path), FORMAT, tuple(releases), python=rp if isinstance(rp, str) else None,
                python_source=f"pylock's requires-python ({path.name})" if isinstance(rp, str) else None)
