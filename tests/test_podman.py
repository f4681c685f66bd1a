"""podman drives the same OCI sandbox code as docker: a real rebuild of the example lock with it.

The image is docker's, handed over with `docker save | podman load` (same image, same ID)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "fixtures" / "example" / "requirements.txt"


def _podman_ready() -> str | None:
    if not shutil.which("podman"):
        return "podman is not installed (apt-get install podman)"
    info = subprocess.run(["podman", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        return f"podman does not run here: {(info.stderr.strip().splitlines() or ['?'])[-1][:200]}"
    if subprocess.run(["podman", "image", "exists", "auditor-build:bookworm"]).returncode != 0:
        if not shutil.which("docker"):
            return "no auditor-build:bookworm image for podman and no docker to take it from"
        save = subprocess.Popen(["docker", "save", "auditor-build:bookworm"], stdout=subprocess.PIPE)
        load = subprocess.run(["podman", "load"], stdin=save.stdout, capture_output=True, text=True, timeout=600)
        save.wait()
        if load.returncode != 0 or save.returncode != 0:
            return f"could not hand docker's image to podman: {load.stderr[-200:]}"
    return None


def test_podman_rebuilds_the_example(auditor):
    why = _podman_ready()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    r = auditor("check", str(EXAMPLE), "--backend", "podman", "--no-result-cache")
    assert "Traceback" not in r.stderr, r.stderr
    env = r.results["environment"]
    assert env["backend"] == "podman" and env["isolation"] == "container" and env["image"]["id"]
    verdicts = {p["name"]: p["verdict"] for p in r.results["packages"]}
    assert verdicts == {"attrs": "identical", "idna": "identical", "six": "equivalent"}, verdicts
    assert r.code == 0
