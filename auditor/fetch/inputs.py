"""Fetch the build inputs an sdist pins by hash (plan/pins.py) outside the sandbox, check each against the
sdist's own pin, cache it by that digest, and lay it out for an offline build: crates vendored as cargo's
directory source (`vendor/NAME-VERSION/` with its `.cargo-checksum.json`), wrap downloads in meson's
`packagecache/`. An input whose bytes are not its pin's is never handed to a build.

The crate source (`--crate-index-url`) is spelled as cargo spells it: crates.io's sparse index (the
default), `sparse+http://HOST/index/` for a sparse-registry mirror (its `config.json` names where crates
download from), or a local directory of `NAME-VERSION.crate` files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import AuditorError, HashMismatch, IndexError_, UnsafeArchive
from auditor.fetch.archives import extract_tar
from auditor.caches.downloads import Cache
from auditor.fetch.index import HttpClient
from auditor.records import Crate, IndexFile, Pins

CRATES_IO = "sparse+https://index.crates.io/"


class BuildInputError(AuditorError):
    """A pinned build input could not be had: the build is not made, the release is `failed` with this."""


class InputMismatch(BuildInputError):
    """An input's bytes are not what the sdist pins: a supply-chain event, named with both digests."""

    def __init__(self, kind: str, name: str, url: str, expected: str, actual: str):
        self.kind, self.name, self.url, self.expected, self.actual = kind, name, url, expected, actual
        super().__init__(f"{kind} {name} from {url} does not match its pin: the sdist pins sha256 {expected}, "
                         f"the source served {actual}; nothing was built")


class InputUnreachable(BuildInputError):
    """The input's source does not answer (or has no such file)."""


@dataclass(frozen=True)
class Fetched:
    kind: str  # "crate", "wrap-source", "wrap-patch"
    name: str
    version: str
    sha256: str
    source: str  # the URL (or path) it came from
    cached: bool  # taken from the cache by its digest

    def record(self) -> dict:
        return {"kind": self.kind, "name": self.name, "version": self.version, "sha256": self.sha256,
                "source": self.source}


def crate_source(spec: str | None) -> str:
    """The crate source in cargo's spelling; crates.io's sparse index by default."""
    spec = (spec or "").strip()
    if not spec or spec in ("crates.io", "https://index.crates.io/", "https://github.com/rust-lang/crates.io-index"):
        return CRATES_IO
    if spec.startswith("sparse+"):
        return spec if spec.endswith("/") else spec + "/"
    if spec.startswith("file://"):
        return spec.removeprefix("file://")
    if "://" not in spec:
        return str(Path(spec).resolve())
    raise BuildInputError(f"--crate-index-url {spec}: not a sparse index (sparse+http://HOST/index/) or a directory")


def _prefix(name: str) -> str:
    n = name.lower()
    return {1: "1", 2: "2", 3: f"3/{n[0]}"}.get(len(n), f"{n[:2]}/{n[2:4]}")


_UNANSWERED: set[str] = set()  # sparse-index config URLs that did not answer in this process


class CrateSource:
    """Where crates download from: a sparse index's `dl` template, or a local directory."""

    def __init__(self, spec: str | None, http: HttpClient):
        self.spec = crate_source(spec)
        self.http = http
        self._dl: str | None = None

    def _template(self) -> str:
        if self._dl is None:
            index = self.spec.removeprefix("sparse+")
            url = index + "config.json"
            if url in _UNANSWERED:  # not asked again in this run: each Rust release would wait its timeouts again
                raise InputUnreachable(f"crate source unreachable: {url}")
            try:
                r = self.http.get(url)
            except IndexError_:
                _UNANSWERED.add(url)
                raise InputUnreachable(f"crate source unreachable: {url}") from None
            if r.status_code != 200:
                raise InputUnreachable(f"crate source unreachable: {url} (HTTP {r.status_code})")
            try:
                dl = json.loads(r.content)["dl"]
            except (ValueError, KeyError, TypeError):
                raise InputUnreachable(f"crate source {url}: no `dl` in its config.json") from None
            self._dl = str(dl)
        return self._dl

    def url(self, crate: Crate) -> str:
        if not self.spec.startswith("sparse+"):
            return str(Path(self.spec) / f"{crate.name}-{crate.version}.crate")
        dl = self._template()
        markers = ("{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}")
        if not any(m in dl for m in markers):
            return f"{dl.rstrip('/')}/{crate.name}/{crate.version}/download"
        return (dl.replace("{crate}", crate.name).replace("{version}", crate.version)
                .replace("{prefix}", _prefix(crate.name)).replace("{lowerprefix}", _prefix(crate.name).lower())
                .replace("{sha256-checksum}", crate.sha256))


def _fetch(kind: str, name: str, url: str, sha256: str, cache: Cache, http: HttpClient) -> tuple[Path, bool]:
    hit = cache.get(sha256)
    if hit is not None:
        return hit, True
    if "://" not in url:  # a local directory of .crate files
        path = Path(url)
        if not path.is_file():
            raise InputUnreachable(f"{kind} {name}: no {path.name} in {path.parent}")
        digest, cached = cache.put_file(path)
        if digest != sha256:
            raise InputMismatch(kind, name, url, sha256, digest)
        return cached, False
    try:
        _, path = cache.fetch(IndexFile(filename=f"{name}", url=url, sha256=sha256), sha256, http)
    except HashMismatch as exc:
        raise InputMismatch(kind, name, url, sha256, exc.actual) from None
    except IndexError_ as exc:
        unreachable = "HTTP 4" not in str(exc)
        raise InputUnreachable(f"{kind} source unreachable: {url}" if unreachable else f"{kind} {name}: {exc}") from None
    return path, False


def _vendor(crate: Crate, archive: Path, vendor: Path) -> None:
    dest = vendor / f"{crate.name}-{crate.version}"
    if (dest / ".cargo-checksum.json").is_file():
        return
    with tempfile.TemporaryDirectory(dir=vendor) as tmp:
        try:
            extract_tar(archive, Path(tmp))
        except UnsafeArchive as exc:
            raise BuildInputError(f"crate {crate.name} {crate.version}: {exc}") from None
        top = Path(tmp) / f"{crate.name}-{crate.version}"
        if not (top / "Cargo.toml").is_file():
            raise BuildInputError(f"crate {crate.name} {crate.version}: no {top.name}/Cargo.toml in its .crate")
        # cargo's directory source: the package's checksum is checked against Cargo.lock by cargo too
        (top / ".cargo-checksum.json").write_text(json.dumps({"files": {}, "package": crate.sha256}))
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(top, dest)


def fetch_inputs(pins: Pins, dest: Path, cache: Cache, http: HttpClient,
                 crate_index: str | None) -> tuple[list[Fetched], list[str]]:
    """Every pinned input of `pins` fetched, verified and laid out under `dest` (`vendor/`, `packagecache/`),
    and notes on the wraps that could not be fetched (meson may not need them: the build goes on and its
    failure, if any, names them). Raises InputMismatch, or InputUnreachable / BuildInputError for a crate, before
    anything is built."""
    out: list[Fetched] = []
    notes: list[str] = []
    if pins.crates:
        source = CrateSource(crate_index, http)
        vendor = dest / "vendor"
        vendor.mkdir(parents=True, exist_ok=True)
        for crate in pins.crates:
            hit = cache.get(crate.sha256)  # fetched once per checksum: no request at all, not even the index's
            path, cached = (hit, True) if hit is not None else \
                _fetch("crate", f"{crate.name} {crate.version}", source.url(crate), crate.sha256, cache, http)
            _vendor(crate, path, vendor)
            # the crate source as cargo spells it (the same whether this run downloaded it or had it by checksum)
            out.append(Fetched("crate", crate.name, crate.version, crate.sha256, source.spec, cached))
    for wrap in pins.wraps:
        try:
            path, cached = _fetch(f"wrap-{wrap.role}", f"{wrap.name} ({wrap.filename})", wrap.url, wrap.sha256, cache, http)
        except InputUnreachable as exc:
            notes.append(f"subprojects/{wrap.name}.wrap: {exc}; built without it (meson may not need it)")
            continue
        cachedir = dest / "packagecache"
        cachedir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, cachedir / wrap.filename)
        os.chmod(cachedir / wrap.filename, 0o644)
        out.append(Fetched(f"wrap-{wrap.role}", wrap.name, wrap.filename, wrap.sha256, wrap.url, cached))
    if out:
        for d in (dest, *dest.iterdir()):
            if d.is_dir():
                d.chmod(0o755)
    return out, notes
