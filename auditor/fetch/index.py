"""Client for a package index's Simple API: PEP 691 JSON when offered, PEP 503 HTML otherwise.

A plain static directory served over HTTP works (HTML). Optional fields (PEP 658/714/740,
PEP 700 upload-time) are kept when present and never required.
"""

from __future__ import annotations

import time
from html.parser import HTMLParser
from typing import Iterator
from urllib.parse import urldefrag, urljoin

import httpx
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)

from auditor import __version__
from auditor.errors import IndexError_
from auditor.records import IndexFile
from auditor.timestamps import parse_time

PYPI = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
RETRY_STATUS = {429, 500, 502, 503, 504}


def file_name_version(filename: str) -> tuple[str, str] | None:
    """(canonical name, version as normalized by packaging) of a wheel or sdist filename; None if neither."""
    try:
        if filename.endswith(".whl"):
            name, ver, _, _ = parse_wheel_filename(filename)
        else:
            name, ver = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return canonicalize_name(name), str(ver)


def file_version(filename: str) -> tuple[str, str] | None:
    """(canonical name, canonical version) of a wheel or sdist filename, for matching; None if neither."""
    parsed = file_name_version(filename)
    return (parsed[0], canonicalize_version(parsed[1])) if parsed else None


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))


class HttpClient:
    """httpx with bounded retries on connection errors, timeouts, 429 and 5xx (honouring Retry-After)."""

    def __init__(self, timeout: float = 30.0, tries: int = 4, backoff: float = 0.5):
        self.tries = tries
        self.backoff = backoff
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": f"auditor/{__version__}"},
        )

    def close(self) -> None:
        self.client.close()

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = self.backoff * (2**attempt)
        if response is not None:
            ra = response.headers.get("Retry-After", "")
            if ra.isdigit():
                delay = min(float(ra), 60.0)
        time.sleep(delay)

    def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        last: str = ""
        for attempt in range(self.tries):
            try:
                r = self.client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < self.tries:
                    self._wait(attempt, None)
                continue
            if r.status_code in RETRY_STATUS and attempt + 1 < self.tries:
                last = f"HTTP {r.status_code}"
                self._wait(attempt, r)
                continue
            return r
        raise IndexError_(f"{url}: {last} (after {self.tries} tries)")

    def stream_to(self, url: str, sink, reset, chunk: int = 1 << 16) -> None:
        """Stream url's body into sink(bytes). A failed try, also one cut off mid-body, calls reset()
        and starts again from the first byte, so a retry never appends to a partial download."""
        last = ""
        for attempt in range(self.tries):
            reset()
            try:
                with self.client.stream("GET", url) as r:
                    if r.status_code in RETRY_STATUS and attempt + 1 < self.tries:
                        last = f"HTTP {r.status_code}"
                        self._wait(attempt, r)
                        continue
                    if r.status_code != 200:
                        raise IndexError_(f"{url}: HTTP {r.status_code}")
                    for data in r.iter_bytes(chunk):
                        sink(data)
                return
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < self.tries:
                    self._wait(attempt, None)
        raise IndexError_(f"{url}: {last} (after {self.tries} tries)")


class SimpleIndex:
    """One Simple API index (e.g. https://pypi.org/simple/)."""

    def __init__(self, url: str, http: HttpClient):
        self.url = url if url.endswith("/") else url + "/"
        self.http = http
        self._pages: dict[str, list[IndexFile]] = {}

    def project_files(self, name: str) -> list[IndexFile]:
        key = canonicalize_name(name)
        if key not in self._pages:
            self._pages[key] = list(self._fetch(key))
        return self._pages[key]

    def release_files(self, name: str, version: str) -> list[IndexFile]:
        want = (canonicalize_name(name), canonicalize_version(version))
        return [f for f in self.project_files(name) if file_version(f.filename) == want]

    def _fetch(self, key: str) -> Iterator[IndexFile]:
        page = urljoin(self.url, key + "/")
        r = self.http.get(page, headers={"Accept": ACCEPT})
        if r.status_code == 404:
            raise IndexError_(f"{page}: project not found on the index (HTTP 404)")
        if r.status_code != 200:
            raise IndexError_(f"{page}: HTTP {r.status_code}")
        ctype = r.headers.get("content-type", "").split(";")[0].strip()
        if ctype == "application/vnd.pypi.simple.v1+json" or (ctype.endswith("json") and r.text.lstrip().startswith("{")):
            yield from self._parse_json(str(r.url), r.json())
        else:
            yield from self._parse_html(str(r.url), r.text)

    @staticmethod
    def _parse_json(page: str, data: dict) -> Iterator[IndexFile]:
        for f in data.get("files", []):
            yanked = f.get("yanked", False)
            prov = f.get("provenance")
            yield IndexFile(
                filename=f["filename"],
                url=urljoin(page, f["url"]),
                sha256=(f.get("hashes") or {}).get("sha256"),
                upload_time=parse_time(f.get("upload-time")),
                yanked=(yanked if isinstance(yanked, str) else "") if yanked else None,
                requires_python=f.get("requires-python"),
                size=f.get("size"),
                provenance=urljoin(page, prov) if isinstance(prov, str) else None,
            )

    @staticmethod
    def _parse_html(page: str, text: str) -> Iterator[IndexFile]:
        parser = _LinkParser()
        parser.feed(text)
        for a in parser.links:
            href = a.get("href")
            if not href:
                continue
            url, frag = urldefrag(urljoin(page, href))
            filename = url.rsplit("/", 1)[-1]
            algo, _, digest = frag.partition("=")
            yanked = a.get("data-yanked")
            yield IndexFile(
                filename=filename,
                url=url,
                sha256=digest.lower() if algo == "sha256" and digest else None,
                yanked=yanked if yanked is not None else None,
                requires_python=a.get("data-requires-python"),
            )
