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


def _unlocked_only(classes) -> dict:
    p = package("u", "differs", check="rebuilt")
    p["wheels"][0].update(verdict="identical", classes=[])
    p["unlocked"] = [dict(WHEEL, filename="u-1.0-cp311-cp311-win_amd64.whl", verdict="differs", classes=list(classes),
                          check="rebuilt-other-platform")]
    return p


def _repo_differs(cls: str) -> dict:
    p = package("r", "differs", check="rebuilt")
    p["wheels"][0].update(verdict="identical", classes=[])
    p["source_repo"] = {"verdict": "differs", "differences": [{"path": "setup.py", "kind": "content", "cls": cls}]}
    return p


@pytest.mark.parametrize("packages, flags, code", [
    ([package("a", "unverifiable", check="none")], [], 0),
    ([package("a", "unverifiable", check="none")], ["--strict"], 3),
    ([_repo_differs("code")], [], 1),  # the sdist is not its repository's: a difference of the release
    ([_repo_differs("packaging")], [], 0),
    ([_repo_differs("packaging")], ["--fail-on", "any"], 1),
    ([_unlocked_only(["code"])], [], 1),  # a wheel the lock does not hash still fails the run by its class
    ([_unlocked_only(["metadata"])], [], 0),
    ([_unlocked_only(["metadata"])], ["--fail-on", "metadata"], 1),
])
def test_exit_codes_of_verdicts_repository_checks_and_unlocked_wheels(tmp_path, auditor, packages, flags, code):
    one = shard_results(tmp_path, 1, 1, packages)
    r = auditor("merge", str(one), "--report-dir", str(tmp_path / "merged"), *flags)
    assert r.code == code, (r.stdout[-2000:], r.stderr[-2000:])


def test_an_invalid_fail_on_is_a_usage_error_on_check_too(tmp_path, auditor):
    lock = tmp_path / "requirements.txt"
    lock.write_text("")
    r = auditor("check", str(lock), "--fail-on", "everything", "--report-dir", str(tmp_path / "r"))
    assert r.code == 2 and "--fail-on must be code, metadata or any, not 'everything'" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("flags, code", [([], 0), (["--strict"], 3)])
def test_a_merge_of_a_shard_that_stopped_early_names_what_is_missing(tmp_path, auditor, flags, code):
    one = shard_results(tmp_path, 1, 2, [package("a", "identical")])
    two = shard_results(tmp_path, 2, 2, [package("b", "identical")])
    for path, given, complete in ((one, ["a==1.0"], True), (two, ["b==1.0", "c==1.0", "d==1.0"], False)):
        data = json.loads(path.read_text())
        data["shard"]["releases"], data["complete"] = given, complete
        path.write_text(json.dumps(data))
    r = auditor("merge", str(one), str(two), "--report-dir", str(tmp_path / "merged"), *flags)
    assert r.code == code, (r.stdout[-2000:], r.stderr[-2000:])
    assert "shard 2 stopped before auditing 2 of its releases (c==1.0, d==1.0)" in r.stderr
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert merged["complete"] is False and merged["missing"][0]["releases"] == ["c==1.0", "d==1.0"]
    assert merged["rebuilt"] == {"releases": 2, "of": 4, "wheels": 2, "wheels_of": 2}  # of what the lock holds
