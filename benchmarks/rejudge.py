"""Judge a finished run's wheels again with this checkout's rules, against the rebuilds that run made
(taken from the cache by sha256), without building anything: how a rule change moves the verdicts of
releases too costly to rebuild for every change (a compiled release's builds take up to 20 minutes).

    .venv/bin/python benchmarks/rejudge.py RESULTS.json [--package NAME ...] [--cache-dir DIR] [--write OUT.json]

Prints, per release, the wheel verdicts before and after and the first reasons that changed. Wheels
compared with a rebuild (checks rebuilt, rebuilt-binary, rebuilt-other-platform) are judged again against
it, and wheels that got the sources check (nothing rebuilt) get it again (the causes named after a
comparison are not); `--write` saves the results with those wheels' verdicts and
reasons replaced and each release's verdict made again (the worst of its wheels), for benchmarks/corpus.py
--results. A figure, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.fetch.archives import extract_sdist, read_wheel  # noqa: E402
from auditor.fetch import Cache, cache_root  # noqa: E402
from auditor.judge.sources import extension_sources  # noqa: E402
from auditor.judge.verdicts import compare_rebuilt, other_platform_judgement, sources_judgement  # noqa: E402
from auditor.records import Verdict, worst  # noqa: E402


def rejudge(pkg: dict, cache: Cache) -> list[tuple[str, str, str, str]]:
    sdist = cache.get(pkg["sdist"]["sha256"]) if pkg.get("sdist") else None
    if sdist is None:
        return []
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        src = extract_sdist(sdist, Path(tmp), pkg["sdist"]["filename"])
        sources = extension_sources(src)
        try:
            setup_py = (src / "setup.py").read_text(encoding="utf-8", errors="replace")
        except OSError:
            setup_py = None
        by_name = {b["rebuilt"]["filename"]: b["rebuilt"]["sha256"] for b in pkg.get("builds", []) if b.get("rebuilt")}
        for w in pkg.get("wheels", []) + pkg.get("unlocked", []):
            published = cache.get(w["sha256"]) if w.get("sha256") else None
            if w.get("check") == "sources" and published is not None:
                # not rebuilt: the sources check again, with the cause the run gave (the build's reason)
                why = next((b.get("reason") for b in reversed(pkg.get("builds") or []) if b.get("reason")), None) \
                    or "rebuild failed"
                fields = sources_judgement(published, src, w["filename"], why).fields()
                out.append((w["filename"], w["verdict"], str(Verdict(fields["verdict"]).value), fields.get("reason") or ""))
                w.update({k: v for k, v in fields.items() if k in ("verdict", "reason", "verified", "differences",
                                                                     "classes", "not_reproduced")})
                continue
            if w.get("check") == "rebuilt-other-platform":
                name = w.get("compared_with")
                sha = by_name.get(name)
            elif w.get("check") in ("rebuilt", "rebuilt-binary") and w.get("build") is not None:
                rec = pkg["builds"][w["build"]].get("rebuilt") or {}
                name, sha = rec.get("filename"), rec.get("sha256")
            else:
                continue
            rebuilt = cache.get(sha) if sha else None
            if published is None or rebuilt is None:
                continue
            wa, rwa = read_wheel(published), read_wheel(rebuilt)
            if w["check"] == "rebuilt-other-platform":
                fields = other_platform_judgement(wa, rwa, name, sources, setup_py)[0].fields()
            else:
                fields = compare_rebuilt(w["sha256"], wa, name, sha, rwa, w["check"] == "rebuilt-binary", sources).fields()
            out.append((w["filename"], w["verdict"], str(Verdict(fields["verdict"]).value), fields.get("reason") or ""))
            w.update({k: v for k, v in fields.items() if k in ("verdict", "reason", "verified", "differences", "classes",
                                                                 "not_reproduced", "normalizations")})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path)
    ap.add_argument("--package", action="append", default=[])
    ap.add_argument("--cache-dir", type=Path)
    ap.add_argument("--write", type=Path)
    a = ap.parse_args()
    data = json.loads(a.results.read_text())
    cache = Cache(cache_root(a.cache_dir))
    total = Counter()
    for pkg in data["packages"]:
        if a.package and pkg["name"] not in a.package:
            continue
        rows = rejudge(pkg, cache)
        if not rows:
            continue
        verdicts = [Verdict(w["verdict"]) for w in pkg.get("wheels", []) + pkg.get("unlocked", []) if w.get("verdict")]
        if verdicts and worst(verdicts).value != pkg["verdict"]:
            v = worst(verdicts)
            pkg["verdict"] = v.value
            pkg["reason"] = "; ".join(sorted({w["reason"] for w in pkg["wheels"] + pkg.get("unlocked", [])
                                             if w["verdict"] == v.value and w.get("reason")}))[:1000] or None
        before, after = Counter(r[1] for r in rows), Counter(r[2] for r in rows)
        total.update((r[1], r[2]) for r in rows)
        print(f"{pkg['name']} {pkg['version']}: {dict(before)} -> {dict(after)}")
        for fn, b, v, reason in rows:
            if b != v:
                print(f"  {fn}: {b} -> {v}  {reason[:200]}")
                break
    print("wheels (before -> after): " + ", ".join(f"{b}->{v} {n}" for (b, v), n in sorted(total.items())))
    if a.write:
        a.write.write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
