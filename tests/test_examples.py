"""The CI and cluster examples are valid as written: the GitHub Actions workflows against the workflow
schema check-jsonschema vendors, the Kubernetes manifest against the Kubernetes API schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / "examples" / "github-actions").glob("*.yml"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflow_is_valid(workflow, tmp_path):
    ok = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / workflow.name
    broken.write_text(workflow.read_text().replace("runs-on:", "runs_on:", 1))
    bad = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)],
                         capture_output=True, text=True)
    assert bad.returncode != 0  # the check can fail


def test_kubernetes_indexed_job_is_valid(tmp_path):
    manifest = ROOT / "examples" / "kubernetes" / "indexed-job.yaml"
    ok = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", str(manifest)], capture_output=True, text=True)
    assert ok.returncode == 0 and "auditor-shards" in ok.stdout + ok.stderr, ok.stdout + ok.stderr
    broken = tmp_path / "job.yaml"
    broken.write_text(manifest.read_text().replace("completionMode: Indexed", "completionMode: Indexed\n  shards: 4", 1))
    assert subprocess.run([str(BIN / "kubernetes-validate"), "--strict", str(broken)], capture_output=True).returncode != 0


def test_the_action_is_valid(tmp_path):
    action = ROOT / "action.yml"
    run = lambda f: subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(f)],
                                   capture_output=True, text=True)
    ok = run(action)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    text = action.read_text()
    assert "--format sarif" in text and "upload-sarif" in text and "scripts/setup.sh" in text
    broken = tmp_path / "action.yml"
    broken.write_text(text.replace("using: composite", "using: docker-compose"))
    assert run(broken).returncode != 0
