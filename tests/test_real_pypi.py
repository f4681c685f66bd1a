"""Rebuild real PyPI packages in the real container (needs PyPI; runs under CI)."""

from __future__ import annotations

from tests.conftest import ROOT

EXAMPLE = ROOT / "fixtures" / "example" / "requirements.txt"


def test_real_packages_reproduce_in_the_container(auditor, container_backend):
    r = auditor("check", str(EXAMPLE), "--backend", container_backend, "--strict")
    assert "Traceback" not in r.stderr
    res = r.results
    assert res["environment"]["isolation"] == "container"
    assert res["environment"]["image"]["id"].startswith("sha256:")
    verdicts = {p["name"]: p["verdict"] for p in res["packages"]}
    assert set(verdicts) == {"idna", "attrs", "six"}
    assert all(v in ("identical", "equivalent") for v in verdicts.values()), verdicts
    backends = {p["name"]: p["build"]["backend"] for p in res["packages"]}
    assert backends == {"idna": "flit-core", "attrs": "hatchling", "six": "setuptools"}
    for p in res["packages"]:
        for w in p["wheels"]:
            if w["verdict"] == "equivalent":
                assert w["normalizations"] and not w["differences"]
    assert r.code == 0
