"""Build-plan inference: backend pin from Generator, pinning declared requires, timestamp policy."""

from __future__ import annotations

import zipfile

import pytest

from auditor.archives import read_wheel
from auditor.buildplan import backend_pin, pin_requires, timestamp_policy


@pytest.mark.parametrize("generator,expected", [
    ("flit 3.12.0", ("flit-core", "3.12.0")),
    ("hatchling 1.27.0", ("hatchling", "1.27.0")),
    ("setuptools (75.6.0)", ("setuptools", "75.6.0")),
    ("bdist_wheel (0.42.0)", ("wheel", "0.42.0")),
    ("poetry-core 2.1.3", ("poetry-core", "2.1.3")),
    ("pdm-backend (2.4.5)", ("pdm-backend", "2.4.5")),
    ("uv 0.7.3", ("uv-build", "0.7.3")),
    ("maturin (1.8.1)", ("maturin", "1.8.1")),
    ("something else 1.0", (None, None)),
    (None, (None, None)),
])
def test_backend_pin(generator, expected):
    assert backend_pin(generator) == expected


def test_pin_requires_replaces_the_backend_and_keeps_the_rest():
    reqs, notes = pin_requires(["hatchling>=1.26", "hatch-vcs"], "hatchling", "1.27.0")
    assert reqs == ["hatchling==1.27.0", "hatch-vcs"] and notes == []
    reqs, notes = pin_requires(["setuptools>=61"], "wheel", "0.42.0")
    assert reqs == ["setuptools>=61", "wheel==0.42.0"]
    reqs, notes = pin_requires(["flit_core>=3.2,<4"], "flit-core", "4.2.0")
    assert reqs == ["flit_core==4.2.0"] and "outside" in notes[0]


def _wheel(tmp_path, times):
    p = tmp_path / "w-1.0-py3-none-any.whl"
    with zipfile.ZipFile(p, "w") as zf:
        for i, t in enumerate(times):
            zf.writestr(zipfile.ZipInfo(f"w/f{i}.py", date_time=t), "x")
    return read_wheel(p)


def test_timestamp_policy(tmp_path):
    uniform = timestamp_policy(_wheel(tmp_path, [(2024, 5, 6, 7, 8, 10)] * 3), "flit-core")
    assert uniform.source_date_epoch == 1714979290 and uniform.name == "uniform:2024-05-06T07:08:10"
    mixed = timestamp_policy(_wheel(tmp_path, [(2024, 5, 6, 7, 8, 10), (2023, 1, 1, 0, 0, 0)]), "setuptools")
    assert mixed.source_date_epoch is None and mixed.name == "mtime"
    uv = timestamp_policy(_wheel(tmp_path, [(1980, 1, 1, 0, 0, 0)] * 2), "uv-build")
    assert uv.source_date_epoch is None
