"""Release timelines: a wheel added to a locked release after the lock, baselines, investigate,
and platform wheels cross-checked against the sdist's sources."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, lock_line, make_project, rewrite_wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def test_wheel_added_after_the_lock(tmp_path, index, auditor):
    proj = make_project(tmp_path / "src", "fixlate", "1.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    h1 = index.add("fixlate", sdist, NOW - timedelta(days=400))
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("fixlate", "1.0", h1))
    night1 = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--strict",
                     report_dir=tmp_path / "night1")
    assert night1.package("fixlate")["verdict"] == "unverifiable"  # no wheel yet: nothing to compare
    assert night1.code == 3  # --strict: nothing differs, but something was not verified
    index.add("fixlate", wheel, NOW)  # the late upload
    night2 = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI,
                     "--baseline", str(night1.report_dir / "results.json"), report_dir=tmp_path / "night2")
    pkg = night2.package("fixlate")
    (new,) = pkg["unlocked"]
    assert set(new["flags"]) == {"not-in-lockfile", "late-upload", "new-since-baseline"}
    assert new["verdict"] == "identical"  # audited, not just flagged
    assert "new-since-baseline" not in pkg["sdist"]["flags"] and "late-upload" not in pkg["sdist"]["flags"]
    assert "new-since-baseline" in pkg["flags"]
    html = (night2.report_dir / "index.html").read_text()
    assert "<svg" in html and "late-upload" in html


def test_bad_baseline_is_a_clear_error(tmp_path, auditor):
    (tmp_path / "old.json").write_text("{not json")
    (tmp_path / "requirements.txt").write_text("")
    r = auditor("check", "requirements.txt", "--baseline", "old.json", "--backend", "local")
    assert r.code == 2 and "old.json:1:" in r.stderr and "Traceback" not in r.stderr




def test_platform_wheels_are_cross_checked_against_the_sdist_when_nothing_can_be_rebuilt(tmp_path, index, auditor):
    """No rebuild is possible here (the sdist names a build backend that does not exist): the platform
    wheels' Python members are still checked against the sdist's sources (test_binary covers the
    comparison with a rebuild)."""
    proj = make_project(tmp_path / "src", "fixwin", "1.0")
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('requires = ["flit_core', 'requires = ["no-such-backend-xyz==1.0", "flit_core'))
    sdist, _ = build_project(proj, tmp_path / "dist")
    h1 = index.add("fixwin", sdist, NOW)
    hashes = [h1]
    for tag, extra in [("win_amd64", {}), ("macosx_11_0_arm64", {"fixwin/_evil.py": b"steal()\n"})]:
        w = tmp_path / "dist" / f"fixwin-1.0-cp311-cp311-{tag}.whl"
        with zipfile.ZipFile(w, "w") as zf:
            for rel in ("fixwin/__init__.py", "fixwin/util.py"):
                zf.writestr(rel, (proj / rel).read_bytes())
            zf.writestr("fixwin/_speed.cp311-win_amd64.pyd", b"MZ\x90\x00binary")
            for rel, data in extra.items():
                zf.writestr(rel, data)
            zf.writestr("fixwin-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: fixwin\nVersion: 1.0\n")
            zf.writestr("fixwin-1.0.dist-info/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-{tag}\n")
            zf.writestr("fixwin-1.0.dist-info/RECORD", "")
        hashes.append(index.add("fixwin", rewrite_wheel(w, w, lambda members: None), NOW))
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("fixwin", "1.0", *hashes))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI)
    pkg = r.package("fixwin")
    by = {w["filename"].rsplit("-", 1)[-1]: w for w in pkg["wheels"]}
    clean, evil = by["win_amd64.whl"], by["macosx_11_0_arm64.whl"]
    # not rebuilt: `failed`, never `partial`, with the sources check as evidence (two modules, WHEEL, RECORD,
    # METADATA's requirements: none, as the flit sdist's [project] declares)
    assert clean["verdict"] == "failed" and clean["reason"].startswith("not rebuilt (build requirements"), clean
    assert clean["members_verified"] == 5 and clean["verified"]["bytes"] == 2, clean
    assert evil["verdict"] == "differs"
    assert [(d["path"], d["kind"]) for d in evil["differences"]] == [("fixwin/_evil.py", "added")]
    assert pkg["verdict"] == "differs" and r.code == 1
    assert pkg["builds"] and pkg["builds"][0]["reason"].startswith("build requirements")
    assert clean["check"] == "sources" and evil["check"] == "sources"


def test_investigate_one_release(tmp_path, index, auditor):
    proj = make_project(tmp_path / "src", "fixinv", "1.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    publisher = {"kind": "GitHub", "repository": "example/fixinv", "workflow": "release.yml"}
    index.add("fixinv", sdist, NOW - timedelta(days=30),
              provenance={"version": 1, "attestation_bundles": [{"publisher": publisher, "attestations": [{}]}]})
    index.add("fixinv", wheel, NOW)  # no provenance, while its sibling has one
    r = auditor("investigate", "fixinv==1.0", "--index-url", index.url, "--build-index-url", PYPI)
    assert r.code == 0, r.stderr
    res = r.results
    assert res["command"] == "investigate"
    pkg = res["packages"][0]
    assert pkg["verdict"] == "identical"
    assert "late-upload" in pkg["wheels"][0]["flags"] and "not-in-lockfile" not in pkg["wheels"][0]["flags"]
    assert "upload timeline" in r.stdout and "fixinv-1.0-py3-none-any.whl" in r.stdout
    assert pkg["sdist"]["provenance"]["publishers"] == [publisher]
    assert "no-provenance" in pkg["wheels"][0]["flags"] and "no-provenance" not in pkg["sdist"]["flags"]
    assert "example/fixinv release.yml" in r.stdout
    bad = auditor("investigate", "fixinv", "--index-url", index.url)
    assert bad.code == 2 and "NAME==VERSION" in bad.stderr
