"""Which Debian package ships a file a failed build asked for (a C header, a `*-config` tool, a pkg-config
file, a compiler), read from the suite's Contents index (`dists/SUITE/main/Contents-amd64.gz`: every file
path and the packages that ship it).

The index is fetched on the host, checked against the sha256 the suite's InRelease lists (its signature
checked with gpgv and Debian's archive keyring when they are installed, and said either way), and cached
by that sha256. It only names a package: the package itself is installed by debootstrap into a derived
image, which verifies it against the archive's signed Release like every package of the images.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import SandboxError

MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")

# what a build can be missing, and where Debian puts such a file
_WHERE = {
    "header": r"usr/include/(?:.+/)?{name}",
    "program": r"usr/bin/{name}",
    # (BLAS and LAPACK flavours install theirs through alternatives, one directory deeper: .../openblas-pthread/pkgconfig/)
    "pkgconfig": r"usr/(?:lib/x86_64-linux-gnu|lib|share)/(?:[\w.+-]+/)?pkgconfig/{name}",
    "library": r"usr/lib/x86_64-linux-gnu/{name}",
}


MAX_EXTRA_DEPTH = {"header": 3}  # usr/include/ + one directory of the library's own


@dataclass(frozen=True)
class Found:
    package: str
    path: str  # the file's path in the package
    candidates: tuple[str, ...]  # every package that ships it
    index: str  # which index said so, and how it was verified


def _get(url: str, timeout: float = 120) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - Debian's archive, over its own URL
        return r.read()


def _release_sha256(text: str, member: str) -> str | None:
    section = text.split("SHA256:", 1)[1] if "SHA256:" in text else ""
    for line in section.splitlines()[1:]:
        if not line.startswith(" "):
            break
        parts = line.split()
        if len(parts) == 3 and parts[2] == member:
            return parts[0]
    return None


def _verified(inrelease: bytes) -> str:
    """How the InRelease file was checked: gpgv against Debian's archive keyring, or not (said)."""
    gpgv = shutil.which("gpgv")
    if not gpgv or not KEYRING.is_file():
        return "InRelease signature not checked (gpgv or debian-archive-keyring missing)"
    with tempfile.NamedTemporaryFile(suffix=".InRelease") as f:
        f.write(inrelease)
        f.flush()
        p = subprocess.run([gpgv, "--keyring", str(KEYRING), f.name], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise SandboxError("Debian's InRelease does not verify against the archive keyring: "
                           + p.stderr.decode(errors="replace")[-300:])
    return "InRelease signature checked with Debian's archive keyring"


def contents_index(suite: str, cache_dir: Path) -> tuple[Path, str]:
    """The suite's main/Contents-amd64.gz, verified and cached; and how it was verified."""
    inrelease = _get(f"{MIRROR}/dists/{suite}/InRelease")
    how = _verified(inrelease)
    digest = _release_sha256(inrelease.decode("utf-8", "replace"), "main/Contents-amd64.gz")
    if not digest:
        raise SandboxError(f"{suite}'s InRelease lists no main/Contents-amd64.gz")
    path = cache_dir / "debian" / f"{suite}-Contents-amd64-{digest}.gz"
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
        return path, how
    # by its hash first (Acquire-By-Hash, as apt does): a mirror mid-sync serves the plain name's new bytes
    # beside the old InRelease (trixie's did, once), never other bytes under a hash
    data = b""
    for url in (f"{MIRROR}/dists/{suite}/main/by-hash/SHA256/{digest}", f"{MIRROR}/dists/{suite}/main/Contents-amd64.gz"):
        try:
            data = _get(url, timeout=600)
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == digest:
            break
    else:
        raise SandboxError(f"{suite} Contents-amd64.gz does not have the sha256 its InRelease lists")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path, how


def _choose(candidates: list[str]) -> str:
    """The development package when there is one (the one built with OpenSSL among curl's flavours, as the
    wheels of PyPI are), else the first."""
    dev = [c for c in candidates if c.endswith("-dev")] or candidates
    return next((c for c in dev if "openssl" in c), sorted(dev, key=lambda c: (len(c), c))[0])


def find_in(index: Path, kind: str, name: str) -> tuple[str, tuple[str, ...]] | None:
    """(path, packages) of the first line of the index whose path is where Debian puts a `kind` named `name`."""
    if kind not in _WHERE or not re.fullmatch(r"[\w.+-]+(?:/[\w.+-]+)*", name):
        return None
    # a pkg-config name is looked up as Debian spells it, in any case (meson asks for OpenBLAS, Debian ships openblas.pc)
    case = re.IGNORECASE if kind == "pkgconfig" else 0
    pattern = re.compile(_WHERE[kind].format(name=re.escape(name)), case)
    needle = name.lower().encode() if case else name.encode()
    hits: list[tuple[str, tuple[str, ...]]] = []
    with gzip.open(index, "rb") as f:
        for raw in f:
            if needle not in (raw.lower() if case else raw):
                continue
            path, _, where = raw.decode("utf-8", "replace").rstrip("\n").rpartition(" ")
            path = path.strip()
            if pattern.fullmatch(path):
                hits.append((path, tuple(p.rsplit("/", 1)[-1] for p in where.strip().split(","))))
    # the shallowest: a header under one directory of its library (usr/include/libxml2/libxml/tree.h) is what a
    # build's -I finds; one deep in another project's vendored tree (usr/include/tg_owt/third_party/crc32c/src/
    # include/crc32c/crc32c.h) is not that library
    hits = [h for h in hits if h[0].count("/") - name.count("/") <= MAX_EXTRA_DEPTH.get(kind, 9)]
    return min(hits, key=lambda h: (h[0].count("/"), h[0])) if hits else None


def package_for(kind: str, name: str, suite: str, cache_dir: Path) -> Found | None:
    """The Debian package of `suite` that ships the `kind` (header, program, pkgconfig, library) `name`."""
    if kind == "compiler":
        return Found("gfortran", "usr/bin/gfortran", ("gfortran",), "the compiler's own package") \
            if name in ("gfortran", "fortran") else None
    try:
        index, how = contents_index(suite, cache_dir)
        said = f"{suite} main/Contents-amd64.gz ({how})"
    except SandboxError as exc:
        # the suite's index cannot be verified (a mirror serving a Contents file its InRelease does not list):
        # the nearest suite whose index verifies names the package; the derived image then installs the package
        # of that name from `suite` itself, and fails, said, when that suite has none
        for other in sorted((x for x in NEIGHBOURS if x != suite), key=lambda x: abs(NEIGHBOURS.index(x) - _rank(suite))):
            try:
                index, how = contents_index(other, cache_dir)
            except SandboxError:
                continue
            said = f"{other} main/Contents-amd64.gz ({how}), since {exc}; the package of that name from {suite} is installed"
            break
        else:
            raise
    hit = find_in(index, kind, name) or (find_in(index, kind, name.lower()) if name != name.lower() else None)
    if hit is None:
        return None
    path, packages = hit
    return Found(_choose(list(packages)), path, packages, said)


NEIGHBOURS = ["bullseye", "bookworm", "trixie", "forky"]  # Debian's suites, oldest first


def _rank(suite: str) -> int:
    return NEIGHBOURS.index(suite) if suite in NEIGHBOURS else 1
