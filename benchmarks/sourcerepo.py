"""The sdist-against-repository check (auditor/sourcerepo) over a lock's sdists, without rebuilding anything:
per release the repository, tag, verdict, the named rules it needed and the differences, and what it cost
(fetch + compare; a second pass shows the cached cost). Offline, point repository URLs at local mirrors with
git's url.<base>.insteadOf in GIT_CONFIG_GLOBAL. A figure, not a test.

    GIT_CONFIG_GLOBAL=mirrors.gitconfig .venv/bin/python benchmarks/sourcerepo.py LOCK [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor import sourcerepo  # noqa: E402
from auditor.fetch.archives import extract_sdist  # noqa: E402
from auditor.fetch import Cache, cache_root  # noqa: E402
from auditor.fetch.index import PYPI, HttpClient, SimpleIndex  # noqa: E402
from auditor.lockfiles import read_lock  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("lock", type=Path)
    ap.add_argument("--cache-dir", type=Path)
    a = ap.parse_args()
    cache = Cache(cache_root(a.cache_dir))
    http = HttpClient()
    index = SimpleIndex(PYPI, http)
    print("| release | repository | tag | verdict | rules | differences | first s | cached s |")
    print("|---|---|---|---|---|---|---|---|")
    for rel in read_lock(a.lock).releases:
        sdist = next((f for f in index.release_files(rel.name, rel.version) if f.is_sdist), None)
        if sdist is None:
            print(f"| {rel.name} {rel.version} | | | no sdist | | | | |")
            continue
        _, path = cache.fetch(sdist, sdist.sha256, http)
        with tempfile.TemporaryDirectory() as tmp:
            src = extract_sdist(path, Path(tmp), sdist.filename)
            times = []
            for _ in range(2):
                t0 = time.monotonic()
                r = sourcerepo.check(src, rel.name, rel.version, cache.dir("repos"))
                times.append(time.monotonic() - t0)
        diffs = "; ".join(f"{d.path} ({d.cls})" for d in r.differences[:4]) + (" …" if len(r.differences) > 4 else "")
        print(f"| {rel.name} {rel.version} | {r.url or '-'} | {r.tag or '-'} | {r.verdict} | {', '.join(r.rules)} | "
              f"{diffs or r.reason if r.verdict == 'unavailable' else diffs} | {times[0]:.1f} | {times[1]:.1f} |")
    http.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
