"""pip requirements files with hashes, as written by `pip-compile --generate-hashes`.

Parsed with pip-requirements-parser (pip's own parsing code): continuations, several --hash
per pin, markers, -r/-c includes, --index-url/--extra-index-url. Anything that
`pip install --require-hashes` would refuse is an InputError naming file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import canonicalize_name
from pip_requirements_parser import InstallationError, RequirementsFile

from auditor.errors import InputError
from auditor.lockfiles.markers import overlap
from auditor.records import Lock, LockedRelease

FORMAT = "requirements.txt"
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def detect(path: Path, text: str) -> bool:
    return path.suffix in (".txt", ".in") or "--hash=" in text


def _missing_include(path: Path, message: str) -> InputError:
    """pip-requirements-parser fails without naming the including line: find it ourselves."""
    for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        m = _INCLUDE.match(line)
        if m and not (path.parent / m.group(1)).is_file():
            return InputError(f"included file {m.group(1)!r} cannot be read", file=str(path), line=lineno)
    return InputError(message.replace("|n", " "), file=str(path))


def read(path: Path) -> Lock:
    try:
        rf = RequirementsFile.from_file(str(path), include_nested=True)
    except InstallationError as exc:
        raise _missing_include(path, str(exc)) from None
    except Exception as exc:  # the parser raises assorted errors on garbage input
        raise InputError(f"cannot parse: {exc}", file=str(path)) from None

    for bad in rf.invalid_lines:
        rl = bad.requirement_line
        first = bad.error_message.splitlines()[0] if bad.error_message else "invalid line"
        raise InputError(f"{first}: {rl.line.strip()!r}", file=rl.filename, line=rl.line_number)

    index_urls: list[str] = []
    for opt in rf.options:
        o = opt.options
        if o.get("index_url"):
            index_urls.insert(0, o["index_url"])
        index_urls.extend(o.get("extra_index_urls") or [])

    releases: list[LockedRelease] = []
    seen: dict[str, list[LockedRelease]] = {}
    for req in rf.requirements:
        if req.is_constraint:
            continue  # constraints restrict versions; they install nothing to audit
        release = _release(req, index_urls)
        if release.source == "registry":
            for prev in seen.get(release.name, []):
                if overlap(prev.marker, release.marker):  # both can apply to one environment: pip would refuse
                    raise InputError(f"{req.name}: pinned twice for the same environments (also at {prev.file}:"
                                     f"{prev.line}; their markers are not disjoint)", file=release.file, line=release.line)
            seen.setdefault(release.name, []).append(release)
        releases.append(release)
    python, source = header_python(path)
    return Lock(str(path), FORMAT, tuple(releases), tuple(dict.fromkeys(index_urls)), python=python,
                python_source=source)


def _release(req, index_urls: list[str]) -> LockedRelease:
    """One requirement line as a locked release: pinned with == and hashed, or a direct URL with its hash,
    or (reported, not audited) an editable, a path or a VCS checkout. Anything pip --require-hashes would
    refuse is an InputError naming the file and line."""
    rl = req.requirement_line
    where = {"file": rl.filename, "line": rl.line_number}
    hashes = _hashes(req.hash_options, where)
    name = canonicalize_name(req.name) if req.name else None
    if req.is_editable or (req.link is not None and req.link.url.startswith(("git+", "hg+", "svn+", "bzr+", "file:"))):
        url = req.link.url if req.link else None
        if not name:  # `-e .` names no project: call it after its directory, it is only reported
            where_to = (url or "").split("#")[0].removeprefix("file://") or "."
            name = canonicalize_name((Path(rl.filename).parent / where_to).resolve().name or "unnamed")
        kind = "editable" if req.is_editable else "path" if (url or "").startswith("file:") else "vcs"
        return LockedRelease(name, "", hashes, rl.filename, rl.line_number, url=url, source=kind)
    if not name:
        raise InputError(f"no project name: {rl.line.strip()!r}", **where)
    if req.link is not None:
        if not hashes:
            raise InputError(f"{req.name}: direct URL without --hash (pip --require-hashes refuses it)", **where)
        return LockedRelease(name, "", hashes, rl.filename, rl.line_number, marker=_marker(req), url=req.link.url,
                             source="url")
    specs = list(req.specifier) if req.specifier else []
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        raise InputError(
            f"{req.name}: not pinned with '==' (pip --require-hashes refuses {str(req.specifier) or 'an unpinned requirement'!r})",
            **where,
        )
    if not hashes:
        raise InputError(f"{req.name}=={specs[0].version}: no --hash (pip --require-hashes refuses it)", **where)
    return LockedRelease(name, specs[0].version, hashes, rl.filename, rl.line_number, marker=_marker(req),
                         index_url=index_urls[0] if index_urls else None)


_HEADERS = (
    (re.compile(r"autogenerated by pip-compile with Python (\d+\.\d+)"), "pip-compile's header"),
    (re.compile(r"uv pip compile .*--python-version[ =](\d+\.\d+)"), "uv pip compile's --python-version"),
    (re.compile(r"uv pip compile .*--python[ =](?:python|cpython-?)?(\d+\.\d+)"), "uv pip compile's --python"),
)


def header_python(path: Path) -> tuple[str | None, str | None]:
    """The Python a pip-compile or uv pip compile header says the lock was made with (`==X.Y`), if any."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = [line for _, line in zip(range(40), f) if line.startswith("#")]
    except OSError:
        return None, None
    for line in head:
        for pattern, source in _HEADERS:
            m = pattern.search(line)
            if m:
                return f"=={m.group(1)}", f"{source} ({path.name})"
    return None, None


def _marker(req) -> str | None:
    return str(req.marker) if req.marker else None


def _hashes(options: list[str], where: dict) -> frozenset[str]:
    out: set[str] = set()
    for h in options or []:
        algo, _, digest = h.partition(":")
        if algo != "sha256":
            if algo in ("sha384", "sha512"):
                continue  # valid for pip, not usable to match the index's sha256: needs one sha256 too
            raise InputError(f"unknown hash algorithm in --hash={h}", **where)
        digest = digest.lower()
        if not _SHA256.match(digest):
            raise InputError(f"malformed sha256 in --hash={h}", **where)
        out.add(digest)
    if options and not out:
        raise InputError("no sha256 --hash (auditor matches files by sha256)", **where)
    return frozenset(out)
