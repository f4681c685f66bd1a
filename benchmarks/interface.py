"""The compiled-member interface check (judge/interface.py) over a finished run, per project: how many compiled
members of the wheels rebuilt here (check rebuilt-binary) are interface-verified, only partly checked (a
statically linked library), or differ, which named rules each needed, and what the check costs per member and
per wheel. Reads the published and rebuilt wheels from the cache; builds nothing. A figure, not a test.

    .venv/bin/python benchmarks/interface.py RESULTS.json [--package NAME ...] [--cache-dir DIR] [--show-adds]
                                                [--image-libraries]

--image-libraries reads the libraries the rebuilt modules link from the build images (needs docker), as
a run does, so that statically linked libraries are checked against them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.fetch.archives import read_wheel  # noqa: E402
from auditor.fetch import Cache, cache_root  # noqa: E402
from auditor.fetch.archives import extension_stem  # noqa: E402
from auditor.judge.diffs import is_compiled  # noqa: E402
from auditor.judge.interface import check_member, grafted_libraries, library_closure, needed_libraries  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path)
    ap.add_argument("--package", action="append", default=[])
    ap.add_argument("--cache-dir", type=Path)
    ap.add_argument("--show-adds", action="store_true")
    ap.add_argument("--image-libraries", action="store_true")
    a = ap.parse_args()
    cache = Cache(cache_root(a.cache_dir))
    sandbox = None
    if a.image_libraries:
        from auditor.cli.execute import make_sandbox

        sandbox = make_sandbox("docker", "", None, facts_dir=cache.dir("images"))
    rows: dict[str, Counter] = defaultdict(Counter)
    rules: dict[str, set] = defaultdict(set)
    seconds: dict[str, float] = defaultdict(float)
    for pkg in json.loads(a.results.read_text())["packages"]:
        if a.package and pkg["name"] not in a.package:
            continue
        key = f"{pkg['name']} {pkg['version']}"
        for w in pkg.get("wheels", []) + pkg.get("unlocked", []):
            if w.get("check") != "rebuilt-binary" or w.get("build") is None:
                continue
            rec = pkg["builds"][w["build"]].get("rebuilt") or {}
            pub_path, reb_path = cache.get(w["sha256"]), cache.get(rec.get("sha256", ""))
            if pub_path is None or reb_path is None:
                rows[key]["wheels not in the cache"] += 1
                continue
            pub, reb = read_wheel(pub_path), read_wheel(reb_path)
            rows[key]["wheels"] += 1
            t0 = time.monotonic()
            libraries: dict[str, bytes] = {}
            if sandbox is not None:
                python = pkg["builds"][w["build"]].get("python")
                names = {n for m in reb.members if extension_stem(m) for n in needed_libraries(reb.read(m, 1 << 27))}
                libraries = library_closure(names, lambda n, p=python: sandbox.library(p, n))
            for name in sorted(pub.members):
                if not is_compiled(name) or name not in reb.members or pub.members[name].sha256 == reb.members[name].sha256:
                    continue
                check = check_member(pub.read(name, 1 << 27), reb.read(name, 1 << 27), pub.members, libraries,
                                     grafted_libraries(pub), name)
                if check is None:
                    rows[key]["not ELF / unreadable"] += 1
                elif check.adds:
                    rows[key]["differs"] += 1
                    if a.show_adds:
                        print(f"  {key} {name}: {'; '.join(check.adds)[:300]}")
                elif check.unverified:
                    rows[key]["partly (static library)"] += 1
                else:
                    rows[key]["interface-verified"] += 1
                if check is not None:
                    rules[key] |= check.rules
            seconds[key] += time.monotonic() - t0
    cols = ["wheels", "interface-verified", "partly (static library)", "differs", "not ELF / unreadable"]
    print("| project | " + " | ".join(cols) + " | ms per wheel | rules |")
    print("|---" * (len(cols) + 3) + "|")
    total = Counter()
    for key in sorted(rows):
        total.update(rows[key])
        ms = 1000 * seconds[key] / max(rows[key]["wheels"], 1)
        print(f"| {key} | " + " | ".join(str(rows[key][c]) for c in cols) + f" | {ms:.0f} | {', '.join(sorted(rules[key]))} |")
    ms = 1000 * sum(seconds.values()) / max(total["wheels"], 1)
    print("| **total** | " + " | ".join(str(total[c]) for c in cols) + f" | {ms:.0f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
