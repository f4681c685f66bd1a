"""Stage 2 of an audit: fetch what the lock names, verified, from the index.

index.py speaks the Simple API (PEP 691 JSON or PEP 503 HTML) with retries (every download is kept
content-addressed and verified by auditor/caches/downloads.py); downloads.py hashes a release's files and fetches its wheels
(six at a time), flagging late uploads and files the lock does not hash; archives.py unpacks sdists and
reads wheels safely (no traversal, no links out, bounded sizes); timeline.py reads PEP 740 provenance and
marks what is new since a baseline run.
"""

from auditor.caches.downloads import Cache, cache_root
from auditor.fetch.archives import extract_sdist, read_wheel
from auditor.fetch.downloads import artifact, direct_url_files, download_wheels, flags, hash_files, mark_provenance
from auditor.fetch.index import PYPI, HttpClient, SimpleIndex
from auditor.fetch.timeline import mark_new_since_baseline, provenance

__all__ = ["PYPI", "Cache", "HttpClient", "SimpleIndex", "artifact", "cache_root", "direct_url_files",
           "download_wheels", "extract_sdist", "flags", "hash_files", "mark_new_since_baseline", "mark_provenance",
           "provenance", "read_wheel"]
