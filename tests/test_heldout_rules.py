"""Rules for what legitimately varies that a second held-out application lock taught (issue 37), each with a
tampered twin that stays a difference of class code."""

from __future__ import annotations

import pytest

from auditor.judge.members import compare_other_platform
from tests.test_compare import PLACEHOLDER, wheel


def _wheel(path, python: str, entry_points: bytes):
    tag = f"cp{python.replace('.', '')}-cp{python.replace('.', '')}-manylinux_2_17_x86_64"
    return wheel(path, members=[
        ("cov/__init__.py", b"x = 1\n", 0o644),
        ("cov-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: cov\nVersion: 1.0\n", 0o644),
        ("cov-1.0.dist-info/WHEEL", f"Wheel-Version: 1.0\nGenerator: setuptools (75.0.0)\nRoot-Is-Purelib: false\n"
                                    f"Tag: {tag}\n".encode(), 0o644),
        ("cov-1.0.dist-info/entry_points.txt", entry_points, 0o644),
        ("cov-1.0.dist-info/RECORD", PLACEHOLDER, 0o644)])


EP = "[console_scripts]\ncoverage = cov:main\ncoverage-{v} = cov:main\ncoverage3 = cov:main\n"


@pytest.mark.twin("entry-point-python-version")
@pytest.mark.unit
def test_an_entry_point_named_after_the_building_python_is_the_same_entry_point(tmp_path):
    """coverage 7.14.0's cp312 wheels name a script coverage-3.12; a rebuild for 3.13 writes coverage-3.13."""
    reb = _wheel(tmp_path / "r.whl", "3.13", EP.format(v="3.13").encode())
    pub = _wheel(tmp_path / "p.whl", "3.12", EP.format(v="3.12").encode())
    cmp = compare_other_platform(pub, reb)
    assert not cmp.differences and "entry-point-python-version" in cmp.normalizations, cmp.differences
    # the tampered twins: the versioned script runs something else, or a script is added beside it
    for evil in (EP.format(v="3.12").replace("coverage-3.12 = cov:main", "coverage-3.12 = cov.evil:run"),
                 EP.format(v="3.12") + "pip-3.12 = cov.evil:run\n", EP.format(v="3.11"),
                 # a second entry whose name, once the X.Y is a placeholder, collides with the real one's: Python's
                 # entry-point reader keeps both, so the added script must not disappear in the comparison
                 EP.format(v="3.12").replace("coverage-3.12 = cov:main", "coverage-3.12 = cov.evil:run\n"
                                             "coverage-{python} = cov:main")):
        cmp = compare_other_platform(_wheel(tmp_path / "e.whl", "3.12", evil.encode()), reb)
        assert ("cov-1.0.dist-info/entry_points.txt", "code") in [(d.path, d.cls) for d in cmp.differences], evil


def _sbom_wheel(path, sbom: bytes | None, name="pil-1.0.dist-info/sboms/pil.cdx.json"):
    members = [("pil/__init__.py", b"x = 1\n", 0o644),
               ("pil-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: pil\nVersion: 1.0\n", 0o644),
               ("pil-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: false\n"
                                           b"Tag: cp311-cp311-linux_x86_64\n", 0o644)]
    if sbom is not None:
        members.append((name, sbom, 0o644))
    return wheel(path, members=members + [("pil-1.0.dist-info/RECORD", PLACEHOLDER, 0o644)])


def _cdx(serial: str, components=(("libjpeg", "3.1.0"), ("zlib", "1.3.1"))) -> bytes:
    import json

    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": serial,
                       "metadata": {"timestamp": serial, "component": {"name": "pil", "version": "1.0"}},
                       "components": [{"name": n, "version": v} for n, v in components]}).encode()


@pytest.mark.unit
def test_a_projects_own_sbom_is_a_document_of_class_metadata(tmp_path):
    """pillow 12.3.0's wheels hold their own CycloneDX SBOM, which a rebuild here does not write; maturin
    writes one with a timestamp and a random serial number. Both are data: metadata, never code."""
    from auditor.judge.members import compare_wheels

    reb = _sbom_wheel(tmp_path / "r.whl", None)
    cmp = compare_wheels(_sbom_wheel(tmp_path / "p.whl", _cdx("urn:uuid:1")), reb, binary=True)
    assert not cmp.differences, cmp.differences
    (listed,) = [d for d in cmp.compiled_differences if d.path.endswith("pil.cdx.json")]
    assert listed.cls == "metadata" and listed.cause == "project-sbom" and "libjpeg 3.1.0" in listed.detail
    both = compare_wheels(_sbom_wheel(tmp_path / "p2.whl", _cdx("urn:uuid:2")), _sbom_wheel(tmp_path / "r2.whl", _cdx("x")))
    assert not both.differences and "sbom-same-components" in both.normalizations
    # twins: a component added on one side, or a file under sboms/ that is no SBOM, stay differences (metadata)
    more = compare_wheels(_sbom_wheel(tmp_path / "p3.whl", _cdx("a", (("evil", "1"),))), _sbom_wheel(tmp_path / "r3.whl", _cdx("b")))
    assert [(d.path, d.cls) for d in more.differences if "sboms" in d.path] == [("pil-1.0.dist-info/sboms/pil.cdx.json",
                                                                                 "metadata")]
    odd = compare_wheels(_sbom_wheel(tmp_path / "p4.whl", b"import os\n"), reb, binary=True)
    assert [d.path for d in odd.differences if "sboms" in d.path] == ["pil-1.0.dist-info/sboms/pil.cdx.json"]
