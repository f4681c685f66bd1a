"""Cold, warm and by-hand audit times on one hash-locked lock, in one run, with ratios and memory.

    .venv/bin/python benchmarks/bench.py [--lock fixtures/bench/requirements.txt] [--jobs N] [--no-by-hand]

cold    `auditor check` with an empty cache directory (downloads, build-requirement resolution,
        rebuilds in the container, comparisons, diffoscope, report);
warm    the same command again on the same cache: every release is still looked up on the index,
        nothing is rebuilt when no input changed;
re-judge the same command with --no-result-cache: what a change to the judge alone costs (every verdict made
        again from the cached builds, downloads taken from the cache without re-reading files it verified,
        diffoscope pages copied for findings already rendered); target (issue 34) <= 0.10 x cold;
by hand for each pin: `pip download --no-binary NAME` of the sdist, `pip download` of the wheel pip
        picks for this machine and of every other published wheel (by URL, with the target flags
        pip needs for a foreign wheel: the files the auditor fetches), then `pip wheel --no-deps` of
        the sdist (isolated build env from PyPI), no pip cache, one command after another, and no
        comparison at all. Also printed without the other wheels (one wheel per pin: stricter).
Targets (issue 8): cold <= 0.25 x by hand; warm <= 5 s and >= 20 x faster than cold; auditor
process peak RSS < 500 MB. Prints figures, not pass/fail: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, int, float]:
    """(seconds, exit code, peak RSS in MB of the largest process in the tree) of one command."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if p.returncode not in (0, 1, 3):
        print(f"  ! {' '.join(cmd[:6])}… exited {p.returncode}: {err.strip()[-500:]}", file=sys.stderr)
    return time.monotonic() - t0, p.returncode, usage.ru_maxrss / 1024


def pins(lock: Path) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from auditor.lockfiles import read_lock

    return [(r.name, r.version) for r in read_lock(lock).releases]


def audit(lock: Path, cache: Path, report: Path, jobs: int, *extra: str) -> tuple[float, int, float, dict]:
    cmd = [sys.executable, "-m", "auditor", "check", str(lock), "--cache-dir", str(cache),
           "--report-dir", str(report), "--quiet", "--jobs", str(jobs), *extra]
    secs, code, tree_rss = timed(cmd, cwd=ROOT)
    return secs, code, tree_rss, json.loads((report / "results.json").read_text())


def published_wheels(name: str, version: str) -> list[tuple[str, str]]:
    """(filename, url) of every wheel the index serves for the release: what the auditor fetches.
    Looked up before the by-hand clock starts (a person would read them off the project page)."""
    from auditor.fetch.index import PYPI, HttpClient, SimpleIndex

    http = HttpClient()
    try:
        return [(f.filename, f.url) for f in SimpleIndex(PYPI, http).release_files(name, version)
                if f.filename.endswith(".whl")]
    finally:
        http.close()


def target_flags(filename: str) -> list[str]:
    """pip download flags that make pip accept this wheel file whatever this machine is."""
    from packaging.utils import parse_wheel_filename

    tags = sorted(parse_wheel_filename(filename)[3], key=str)
    if all(t.platform == "any" and t.abi == "none" for t in tags):
        return []
    t = tags[0]
    digits = t.interpreter[2:]
    impl = t.interpreter[:2] if t.interpreter[:2] in ("cp", "pp", "ip", "jy") else "py"
    flags = ["--only-binary", ":all:", "--implementation", impl, "--abi", t.abi,
             "--python-version", f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits]
    for plat in sorted({x.platform for x in tags}):
        flags += ["--platform", plat]
    return flags


def by_hand(releases: list[tuple[str, str]], work: Path) -> dict[str, float]:
    """Seconds per part, summed over the pins: sdist download, the wheel pip picks for this machine,
    every other published wheel (one `pip download` each, by URL, as a person fetching them would),
    and `pip wheel --no-deps` of the sdist."""
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = [sys.executable, "-m", "pip"]
    common = ["--no-deps", "--no-cache-dir", "--index-url", "https://pypi.org/simple", "--quiet"]
    total: dict[str, float] = defaultdict(float)
    for name, version in releases:
        spec = f"{name}=={version}"
        wheels = published_wheels(name, version)
        d = work / f"{name}-{version}"
        d.mkdir(parents=True)
        part: dict[str, float] = {}
        t0 = time.monotonic()  # --no-binary NAME: the build requirements pip fetches stay wheels
        subprocess.run(pip + ["download", *common, "--no-binary", name, "-d", str(d / "sdist"), spec],
                       env=env, capture_output=True)
        part["sdist"] = time.monotonic() - t0
        t0 = time.monotonic()
        subprocess.run(pip + ["download", *common, "--only-binary", ":all:", "-d", str(d / "wheel"), spec],
                       env=env, capture_output=True)
        part["this wheel"] = time.monotonic() - t0
        got = {p.name for p in (d / "wheel").glob("*.whl")}
        t0 = time.monotonic()
        failed = 0
        for filename, url in wheels:
            if filename in got:
                continue
            failed += subprocess.run(pip + ["download", *common, *target_flags(filename), "-d", str(d / "wheels"),
                                            f"{name} @ {url}"], env=env, capture_output=True).returncode != 0
        part["other wheels"] = time.monotonic() - t0
        sdists = list((d / "sdist").glob("*"))
        t0 = time.monotonic()
        ok = bool(sdists) and subprocess.run(
            pip + ["wheel", *common, "-w", str(d / "built"), str(sdists[0])], env=env, capture_output=True
        ).returncode == 0
        part["pip wheel"] = time.monotonic() - t0
        for k, v in part.items():
            total[k] += v
        print(f"  by hand {spec:28} {sum(part.values()):6.1f} s  ({len(wheels)} wheels; "
              + ", ".join(f"{k} {v:.1f}" for k, v in part.items()) + ")"
              + ("" if ok else "  (pip wheel failed)") + (f"  ({failed} wheel downloads failed)" if failed else ""))
    return dict(total)


def profile(results: dict) -> None:
    stages: dict[str, float] = defaultdict(float)
    diffoscope = 0.0
    files = 0
    for p in results["packages"]:
        for k, v in (p.get("timings") or {}).items():
            stages[k] += v
        for w in p.get("wheels", []) + p.get("unlocked", []):
            files += 1
            diffoscope += (w.get("diffoscope") or {}).get("seconds", 0.0)
    total = sum(stages.values()) or 1.0
    print(f"  where the cold run's time goes (summed over packages, which overlap with --jobs): "
          f"{total:.1f} s over {len(results['packages'])} packages, {files} published wheels")
    for k, v in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"    {k:10} {v:7.1f} s  {100 * v / total:5.1f}%")
    print(f"    (of compare: diffoscope {diffoscope:.1f} s)")
    slow = sorted(results["packages"], key=lambda p: -p.get("seconds", 0))[:5]
    print("  slowest packages: " + ", ".join(f"{p['name']} {p['seconds']:.1f} s" for p in slow))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lock", type=Path, default=ROOT / "fixtures" / "bench" / "requirements.txt")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-by-hand", action="store_true")
    a = ap.parse_args()
    specs = pins(a.lock)
    print(f"lock: {a.lock} ({len(specs)} pins), jobs: {a.jobs}, cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="auditor-bench-") as tmp:
        tmp = Path(tmp)
        cold, code, cold_tree, res = audit(a.lock, tmp / "cache", tmp / "cold", a.jobs)
        print(f"cold: {cold:7.1f} s  exit {code}  verdicts {dict(Counter(p['verdict'] for p in res['packages']))}  "
              f"auditor peak RSS {res['stats']['peak_rss_mb']:.0f} MB (largest process in its tree: {cold_tree:.0f} MB)")
        warm, code2, _, res2 = audit(a.lock, tmp / "cache", tmp / "warm", a.jobs)
        same = [(p["name"], p["verdict"]) for p in res["packages"]] == [(p["name"], p["verdict"]) for p in res2["packages"]]
        cached = sum(1 for p in res2["packages"] if p.get("cached"))
        print(f"warm: {warm:7.1f} s  exit {code2}  {cached}/{len(res2['packages'])} from the result cache, "
              f"same verdicts: {same}, auditor peak RSS {res2['stats']['peak_rss_mb']:.0f} MB")
        rejudge, code3, _, res3 = audit(a.lock, tmp / "cache", tmp / "rejudge", a.jobs, "--no-result-cache")
        same3 = [(p["name"], p["verdict"]) for p in res["packages"]] == [(p["name"], p["verdict"]) for p in res3["packages"]]
        print(f"re-judge: {rejudge:7.1f} s  exit {code3}  same verdicts: {same3}, time by stage "
              f"{ {k: round(v) for k, v in res3['stats']['stage_seconds'].items()} }")
        profile(res)
        hand = None
        if not a.no_by_hand:
            parts = by_hand(specs, tmp / "hand")
            hand = sum(parts.values())
            one = hand - parts["other wheels"]
            print(f"by hand: {hand:7.1f} s  (" + ", ".join(f"{k} {v:.1f} s" for k, v in parts.items()) + ")")
    print("ratios:")
    if hand:
        print(f"  cold / by hand = {cold / hand:.3f}   (target <= 0.25; by hand = sdist + every published wheel + pip wheel: "
              f"{hand:.1f} s)")
        print(f"  cold / by hand with one wheel per pin = {cold / one:.3f}   (stricter: sdist + this machine's wheel "
              f"+ pip wheel: {one:.1f} s)")
    print(f"  cold / warm    = {cold / warm:.1f}x  (target >= 20x);  warm = {warm:.1f} s (target <= 5 s)")
    print(f"  re-judge / cold = {rejudge / cold:.3f}  (target <= 0.10)")
    print(f"  auditor peak RSS = {max(res['stats']['peak_rss_mb'], res2['stats']['peak_rss_mb']):.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
