"""Direct-URL and local sources, on the fixture index: a hashed sdist URL is rebuilt and compared with
the index's wheels; VCS and path sources are unverifiable with a reason, never a crash."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import build_project, make_project

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def test_direct_url_sources(tmp_path, index, auditor):
    proj = make_project(tmp_path / "src", "fixurl", "1.0")
    sdist, wheel = build_project(proj, tmp_path / "dist")
    h_sdist = index.add("fixurl", sdist, NOW)
    index.add("fixurl", wheel, NOW)
    lone = make_project(tmp_path / "src", "fixlone", "2.0")
    lone_sdist, _ = build_project(lone, tmp_path / "dist-lone")  # its wheel is never published
    h_lone = index.add("fixother", lone_sdist, NOW)  # served by URL only (under another project's page)
    bad = make_project(tmp_path / "src", "fixbad", "1.0")
    bad_sdist, bad_wheel = build_project(bad, tmp_path / "dist-bad")
    index.add("fixbad", bad_sdist, NOW)
    index.add("fixbad", bad_wheel, NOW)
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        f"--index-url {index.url}\n"
        f"fixurl @ {index.base}/files/{sdist.name} --hash=sha256:{h_sdist}\n"
        f"fixlone @ {index.base}/files/{lone_sdist.name} --hash=sha256:{h_lone}\n"
        f"fixbad @ {index.base}/files/{bad_sdist.name} --hash=sha256:{'0' * 64}\n"
        "fixgit @ git+https://example.invalid/fixgit.git@v1.0\n"
        "-e ./somewhere/fixedit\n"
    )
    r = auditor("check", str(lock), "--build-index-url", PYPI)
    assert "Traceback" not in r.stderr, r.stderr
    url = r.package("fixurl")
    assert url["verdict"] == "identical", url
    assert url["version"] == "1.0" and url["sdist"]["filename"] == sdist.name
    # the index's wheel of that version is not in the lock: it is audited as an unlocked file
    assert url["unlocked"] and url["unlocked"][0]["rebuilt_sha256"] == url["unlocked"][0]["sha256"]
    lone_res = r.package("fixlone")
    assert lone_res["verdict"] == "unverifiable" and "no wheels" in lone_res["reason"], lone_res
    bad = r.package("fixbad")
    assert bad["verdict"] == "differs" and "hash-mismatch" in bad["sdist"]["flags"], bad
    git = r.package("fixgit")
    assert git["verdict"] == "unverifiable" and git["reason"].startswith("vcs source"), git
    edit = r.package("fixedit")
    assert edit["verdict"] == "unverifiable" and edit["reason"].startswith("editable source"), edit
    assert r.code == 1
