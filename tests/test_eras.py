"""Publishers of other eras, built here as they built (`setup.py sdist bdist_wheel` with their setuptools
and wheel, on the Python those ran on, in the bullseye image), served from a local index and rebuilt:

- a setup.py-only project of 2017 with a universal (`py2.py3`) wheel: built the way its era did
  (`setup.py bdist_wheel --universal`, the setuptools and wheel of its upload date);
- a project of 2021 whose publisher had an older setuptools than the newest of its upload date: the
  toolchain search finds one that writes its METADATA, and the same wheel with an added requirement
  is not rescued by the search."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.fixtureindex import build_in_era, lock_line, make_legacy_project, rewrite_wheel

PYPI = "https://pypi.org/simple/"


@pytest.fixture(scope="module")
def bullseye(container_backend) -> str:
    from auditor.sandbox.oci import OCISandbox

    return OCISandbox("docker").image_for("3.9")[0]


def _check(auditor, index, tmp_path, name, sdist, wheel, up, backend, tag):
    lock = tmp_path / f"{tag}.txt"
    lock.write_text(lock_line(name, "1.0", index.add(name, sdist, up), index.add(name, wheel, up)))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", backend,
                report_dir=tmp_path / tag)
    assert "Traceback" not in r.stderr, r.stderr
    return r, r.package(name)


def test_a_setup_py_project_of_2017_with_a_universal_wheel(tmp_path, index, auditor, container_backend, bullseye):
    """Built as 2017 built it: `setup.py bdist_wheel --universal`, setuptools 38.2.4 and wheel 0.30.0 (the
    newest on its upload date), which need Python 3.9 (collections.MutableMapping): so does the rebuild."""
    proj = make_legacy_project(tmp_path / "src", "fixlegacy", "1.0", ["six>=1.10"], universal=True)
    sdist, wheel = build_in_era(proj, tmp_path / "pub", bullseye, "3.9", ["setuptools==38.2.4", "wheel==0.30.0"])
    assert wheel.name == "fixlegacy-1.0-py2.py3-none-any.whl"
    r, pkg = _check(auditor, index, tmp_path, "fixlegacy", sdist, wheel, datetime(2017, 12, 20, tzinfo=timezone.utc),
                    container_backend, "legacy")
    assert pkg["verdict"] in ("identical", "equivalent"), pkg["reason"]
    build = pkg["build"]
    assert build["variant"] == "universal" and build["python"] == "3.9", build
    assert {q["name"]: q["version"] for q in build["requirements"]} == {"setuptools": "38.2.4", "wheel": "0.30.0"}
    assert any("setup.py bdist_wheel" in n for n in build["notes"]), build["notes"]
    assert "MutableMapping" in pkg["builds"][0]["reason"]  # the first try, on 3.11, said why it failed
    assert r.code == 0

    # the same wheel with an added module is not rescued by the era's build
    (tmp_path / "evil").mkdir()
    evil = rewrite_wheel(wheel, tmp_path / "evil" / wheel.name,
                         lambda m: m.__setitem__("fixlegacy/evil.py", b"import os\nos.system('id')\n"))
    r, pkg = _check(auditor, index, tmp_path, "fixlegacy", sdist, evil, datetime(2017, 12, 20, tzinfo=timezone.utc),
                    container_backend, "legacy-evil")
    assert pkg["verdict"] == "differs"
    assert ("fixlegacy/evil.py", "code") in {(d["path"], d["cls"]) for d in pkg["wheels"][0]["differences"]}
    assert r.code == 1


def test_an_older_setuptools_than_the_upload_dates_is_found_and_never_rescues_a_requirement(
        tmp_path, index, auditor, container_backend, bullseye):
    """Published in 2021 with setuptools 44.1.1 (no License-File line) when 57.0.0 was the newest: the
    first rebuild's METADATA is spelled by 57, the search finds a setuptools that writes what 44 wrote
    and stops there (only the publisher's clock is left); with an added Requires-Dist the search runs
    and the wheel still differs, naming METADATA."""
    proj = make_legacy_project(tmp_path / "src", "fixoldst", "1.0", ["six<2,>=1.10"], universal=False)
    sdist, wheel = build_in_era(proj, tmp_path / "pub", bullseye, "3.9", ["setuptools==44.1.1", "wheel==0.34.2"])
    up = datetime(2021, 6, 1, tzinfo=timezone.utc)
    r, pkg = _check(auditor, index, tmp_path, "fixoldst", sdist, wheel, up, container_backend, "honest")
    # identical or, when the fixture's files were written in two different seconds, equivalent by the clock
    assert pkg["verdict"] in ("identical", "equivalent"), pkg["reason"]
    assert set(pkg["wheels"][0]["normalizations"]) <= {"zip-mtime"}, pkg["wheels"][0]
    first = pkg["builds"][0]
    assert {q["name"]: q["version"] for q in first["requirements"]}["setuptools"] == "57.0.0"
    (search,) = pkg["toolchain_search"]
    assert search["matched"] and search["chosen"] and not search["bound_hit"], search
    assert int(search["chosen"].split(".")[0]) < 57 and len(search["tried"]) < search["bound"], search
    assert r.code == 0

    (tmp_path / "evil").mkdir()
    evil = rewrite_wheel(wheel, tmp_path / "evil" / wheel.name, lambda m: m.__setitem__(
        "fixoldst-1.0.dist-info/METADATA", m["fixoldst-1.0.dist-info/METADATA"].replace(
            b"Requires-Dist: six", b"Requires-Dist: totally-not-malware\nRequires-Dist: six")))
    r, pkg = _check(auditor, index, tmp_path, "fixoldst", sdist, evil, up, container_backend, "evil")
    assert pkg["verdict"] == "differs"
    assert pkg["toolchain_search"][0]["tried"] and not pkg["toolchain_search"][0]["matched"]
    diffs = {d["path"]: d for d in pkg["wheels"][0]["differences"]}
    assert "totally-not-malware" in diffs["fixoldst-1.0.dist-info/METADATA"]["detail"], diffs
    assert r.code == 1


def test_era_requirements_without_wheels_for_the_interpreter_are_resolved_for_an_older_one(tmp_path, index, auditor,
                                                                                            container_backend, bullseye):
    """A project of 2021 whose build requires markupsafe 2.0.1 (no wheel for Python 3.11 as of its upload:
    'markupsafe==2.0.1 has no usable wheels'): its requirements are resolved for, and it is built with, the
    older image's Python 3.9, said in the build's notes; not failed."""
    from tests.fixtureindex import build_project, make_project

    proj = make_project(tmp_path / "src", "fixera", "1.0")
    pyproject = proj / "pyproject.toml"
    text = pyproject.read_text()
    start = text.index('requires = ["flit_core')
    end = text.index("]", start) + 1
    pyproject.write_text(text[:start] + 'requires = ["flit_core>=3.2,<5", "markupsafe==2.0.1"]' + text[end:])
    sdist, wheel = build_project(proj, tmp_path / "pub")
    r, pkg = _check(auditor, index, tmp_path, "fixera", sdist, wheel, datetime(2022, 1, 1, tzinfo=timezone.utc),
                    container_backend, "era-wheels")
    first, *later = pkg["builds"]
    assert first["python"] == "3.11" and "has no usable wheels" in first["reason"], first["reason"]
    assert "an older image's Python may have" in first["reason"]
    kept = next(b for b in later if b.get("rebuilt"))
    assert kept["python"] == "3.9" and any("built again with Python 3.9" in n for n in kept["notes"]), kept["notes"]
    assert {q["name"]: q["version"] for q in kept["requirements"]}["markupsafe"] == "2.0.1"
    assert pkg["verdict"] in ("identical", "equivalent"), pkg["reason"]
    assert r.code == 0
