"""--fail-on and --strict keep their meaning with the honest verdicts: `partial` (compared with a rebuild,
compiled members not reproduced) and `failed` (not rebuilt: the sources check is evidence) never fail the
run by default and both make --strict exit 3; a difference fails it by its class. Through `auditor merge`,
on results written as `auditor check --shard` writes them."""

from __future__ import annotations

import json

import pytest

WHEEL = {"filename": "x-1.0-py3-none-any.whl", "url": "u", "sha256": "0" * 64, "upload_time": None, "size": 1,
         "yanked": None, "flags": [], "rebuilt_sha256": None, "normalizations": [], "differences": [], "reason": "r"}


def package(name: str, verdict: str, classes=(), check="rebuilt") -> dict:
    w = dict(WHEEL, verdict=verdict, classes=list(classes), check=check)
    return {"name": name, "version": "1.0", "verdict": verdict, "reason": "r", "sdist": None, "wheels": [w],
            "unlocked": [], "build": None, "lock_file": "requirements.txt", "lock_line": 1,
            "rebuilt_here": check != "sources"}


def shard_results(tmp_path, k: int, n: int, packages: list[dict]):
    data = {"schema_version": 1, "command": "check", "lockfile": "requirements.txt", "started": "2026-01-01T00:00:00Z",
            "finished": "2026-01-01T00:01:00Z", "complete": True, "environment": {"auditor_version": "t"},
            "counts": {}, "packages": packages, "skipped": [],
            "shard": {"index": k, "count": n, "lock_sha256": "ab" * 32, "releases": []}}
    path = tmp_path / f"shard{k}" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("packages, flags, code", [
    ([package("a", "partial", check="rebuilt-binary"), package("b", "failed", check="sources")], [], 0),
    ([package("a", "partial", check="rebuilt-binary"), package("b", "failed", check="sources")], ["--strict"], 3),
    ([package("a", "partial", check="rebuilt-binary")], ["--strict"], 3),
    ([package("a", "failed", check="sources")], ["--fail-on", "any"], 0),
    ([package("a", "differs", ["metadata"]), package("b", "failed", check="sources")], [], 0),
    ([package("a", "differs", ["metadata"]), package("b", "failed", check="sources")], ["--fail-on", "metadata"], 1),
    ([package("a", "differs", ["packaging"])], ["--fail-on", "metadata"], 0),
    ([package("a", "differs", ["packaging"])], ["--fail-on", "metadata", "--strict"], 3),
    ([package("a", "differs", ["packaging"])], ["--fail-on", "any"], 1),
    ([package("a", "differs", ["code"], check="sources"), package("b", "partial")], [], 1),
])
def test_merge_exit_code_follows_fail_on_and_strict(tmp_path, auditor, packages, flags, code):
    one = shard_results(tmp_path, 1, 2, packages[:1])
    two = shard_results(tmp_path, 2, 2, packages[1:])
    r = auditor("merge", str(one), str(two), "--report-dir", str(tmp_path / "merged"), *flags)
    assert r.code == code, (r.stdout[-2000:], r.stderr[-2000:])
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    rebuilt = sum(1 for p in packages if p["rebuilt_here"])
    assert merged["rebuilt"]["releases"] == rebuilt and merged["rebuilt"]["of"] == len(packages)
    assert f"rebuilt here: {rebuilt} of {len(packages)} releases" in r.stdout
    assert f"rebuilt here: {rebuilt} of {len(packages)} releases" in (tmp_path / "merged" / "summary.md").read_text()
