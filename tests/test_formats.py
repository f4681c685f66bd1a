"""SARIF 2.1.0 validated against the official schema (from the npm package that ships it, pinned by
its sha512), verification summaries parsed with the official in-toto/SLSA protobuf definitions, and
a DSSE signature round trip: sign, verify, tamper -> refused."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from google.protobuf import json_format
from in_toto_attestation.predicates.vsa.v1 import vsa_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement

from auditor.report.sarif import sarif
from auditor.report.vsa import statements, verify_envelope, envelope

SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"  # ships the official SARIF 2.1.0 (rtm.5) schema
SARIF_SHA512 = "A1fOhPd6Ic5iDk4F9YPw1qNB4XF+7+IviR7xl8r2F6QzQkx5cpY9LsGk2rExiFIEcBbjpVnSmwWGBukASkiQ9A=="

WHEEL = {"filename": "pkg-1.0-py3-none-any.whl", "sha256": "ab" * 32, "flags": [], "upload_time": None, "verdict": "differs", "check": "rebuilt",
         "reason": "2 difference(s) [code, packaging]: evil.pth, RECORD", "normalizations": ["zip-mtime"],
         "classes": ["code", "packaging"], "build": 0, "rebuilt_sha256": "cd" * 32,
         "differences": [{"path": "evil.pth", "kind": "added", "detail": "x", "cls": "code", "cause": None}]}
DATA = {
    "lockfile": "requirements.txt", "started": "2026-11-23T10:00:00Z", "finished": "2026-11-23T10:05:00Z",
    "complete": True, "environment": {"image": {"ref": "auditor-build:bookworm", "id": "sha256:" + "ee" * 32}},
    "packages": [
        {"name": "pkg", "version": "1.0", "lock_file": "requirements.txt", "lock_line": 3, "verdict": "differs",
         "reason": "…", "sdist": {"filename": "pkg-1.0.tar.gz", "sha256": "12" * 32, "flags": []}, "flags": [],
         "builds": [{"requirements": [{"name": "flit-core", "version": "3.9.0", "filename": "flit_core-3.9.0-py3-none-any.whl",
                                       "sha256": "34" * 32}]}],
         "wheels": [WHEEL, dict(WHEEL, filename="pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", verdict="equivalent",
                                reason=None, differences=[], classes=[])],
         "findings": [{"id": "f1", "classes": ["code", "packaging"], "causes": [], "members": ["evil.pth"],
                       "wheels": ["pkg-1.0-py3-none-any.whl"], "reason": WHEEL["reason"]}]},
        {"name": "broken", "version": "2.0", "lock_file": "requirements.txt", "lock_line": 9, "verdict": "failed",
         "reason": "build-failed: needs a Rust toolchain", "flags": [], "rebuilt_here": False,
         "wheels": [dict(WHEEL, filename="broken-2.0-cp311-cp311-manylinux_2_17_x86_64.whl", verdict="failed", check="sources",
                         reason="not rebuilt (build-failed: needs a Rust toolchain); sources check: 3 members match the sdist",
                         differences=[], classes=[], build=None, rebuilt_sha256=None)]},
        {"name": "compiled", "version": "3.0", "lock_file": "requirements.txt", "lock_line": 12, "verdict": "partial",
         "reason": "9 members verified, 1 compiled members not reproduced", "flags": [], "rebuilt_here": True,
         "wheels": [dict(WHEEL, filename="compiled-3.0-cp311-cp311-manylinux_2_17_x86_64.whl", verdict="partial",
                         check="rebuilt-binary", differences=[], classes=[], build=None)]},
        {"name": "nowheel", "version": "4.0", "lock_file": "requirements.txt", "lock_line": 15, "verdict": "unverifiable",
         "reason": "no wheels published for this release", "flags": [], "wheels": []},
    ],
}


@pytest.fixture(scope="module")
def sarif_schema(tmp_path_factory):
    if not shutil.which("npm"):
        if os.environ.get("CI") == "true":
            pytest.fail("npm is needed to fetch the SARIF schema package (scripts/setup.sh installs it)")
        pytest.skip("no npm on this machine")
    d = tmp_path_factory.mktemp("npm")
    p = subprocess.run(["npm", "pack", SARIF_PACKAGE, "--silent"], cwd=d, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    tgz = next(d.glob("*.tgz")).read_bytes()
    assert base64.b64encode(hashlib.sha512(tgz).digest()).decode() == SARIF_SHA512  # the package we pinned
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
        return json.load(tar.extractfile("package/lib/schemas/sarif-2.1.0-rtm.5.json"))


def test_sarif_is_valid_and_says_what_and_where(sarif_schema):
    log = sarif(DATA)
    jsonschema.validate(log, sarif_schema)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("differs-code", "error"), ("failed", "warning"),
                                                            ("unverifiable", "note")]
    assert results[1]["properties"]["rebuilt_here"] is False
    props = log["runs"][0]["properties"]
    assert props["rebuilt"] == {"releases": 1, "of": 4, "wheels": 3, "wheels_of": 4}
    assert props["counts"]["partial"] == 1 and props["counts"]["failed"] == 1
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "requirements.txt" and loc["region"]["startLine"] == 3
    assert "evil.pth" in json.dumps(results[0]["properties"])
    bad = json.loads(json.dumps(log))
    bad["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, sarif_schema)


def test_verification_summaries_parse_with_the_official_definitions():
    stmts = statements(DATA)
    assert [s["predicate"]["verificationResult"] for s in stmts] == ["FAILED", "PASSED", "FAILED", "FAILED"]
    levels = {s["subject"][0]["name"].split("-")[0] + "/" + s["subject"][0]["annotations"]["auditor"]["verdict"]:
              s["predicate"]["verifiedLevels"] for s in stmts}
    assert levels["broken/failed"] == [] and levels["compiled/partial"] == ["AUDITOR_NONCOMPILED_MEMBERS_REPRODUCED"]
    assert levels["pkg/equivalent"] == ["AUDITOR_REPRODUCED_FROM_SDIST"]
    assert [s["subject"][0]["annotations"]["auditor"]["rebuilt_here"] for s in stmts] == [True, True, False, True]
    # a wheel that got only the sources check claims no reproduction, whatever verdict it carries
    odd = dict(DATA, packages=[dict(DATA["packages"][0], wheels=[dict(WHEEL, verdict="equivalent", check="sources")])])
    assert statements(odd)[0]["predicate"]["verifiedLevels"] == []
    for s in stmts:
        pb = statement_pb2.Statement()
        json_format.ParseDict(s, pb)  # strict: an unknown field fails
        Statement.copy_from_pb(pb).validate()
        # in-toto-attestation 0.9's vsa.proto declares verifiedLevels a single string; the SLSA VSA v1
        # spec (and consumers) have an array of levels: every other field is checked by the proto
        pred = dict(s["predicate"])
        levels = pred.pop("verifiedLevels")
        vsa = json_format.ParseDict(pred, vsa_pb2.VerificationSummary())
        assert vsa.verifier.id and vsa.verification_result in ("PASSED", "FAILED") and vsa.slsa_version == "1.0"
        assert isinstance(levels, list) and all(isinstance(v, str) and not v.startswith("SLSA_") for v in levels)
    inputs = {a["uri"]: a["digest"]["sha256"] for a in stmts[0]["predicate"]["inputAttestations"]}
    assert inputs["pkg:pypi/pkg@1.0?file_name=pkg-1.0.tar.gz"] == "12" * 32  # the sdist
    assert "ee" * 32 in inputs.values() and "34" * 32 in inputs.values()  # the image, the build requirements
    assert stmts[1]["subject"][0]["annotations"]["auditor"]["normalizations"] == ["zip-mtime"]
    with pytest.raises(json_format.ParseError):
        json_format.ParseDict(dict(pred, verdict="x"), vsa_pb2.VerificationSummary())


@pytest.mark.parametrize("make_key", [ed25519.Ed25519PrivateKey.generate, lambda: ec.generate_private_key(ec.SECP256R1())],
                         ids=["ed25519", "ecdsa-p256"])
def test_signature_round_trip_and_tamper(make_key):
    key = make_key()
    env = envelope(statements(DATA)[0], key)
    assert verify_envelope(env, key.public_key())["subject"][0]["name"] == "pkg-1.0-py3-none-any.whl"
    payload = json.loads(base64.b64decode(env["payload"]))
    payload["predicate"]["verificationResult"] = "PASSED"  # a failure turned into a pass
    forged = dict(env, payload=base64.b64encode(json.dumps(payload).encode()).decode())
    with pytest.raises(Exception, match="no signature verifies"):
        verify_envelope(forged, key.public_key())
    with pytest.raises(Exception, match="no signature verifies"):
        verify_envelope(env, make_key().public_key())  # another key


def test_cli_signs_and_verifies(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "results.json").write_text(json.dumps(dict(DATA, schema_version=1, command="check", counts={})))
    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (tmp_path / "pub.pem").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    run = lambda *a: subprocess.run([sys.executable, "-m", "auditor", *a], capture_output=True, text=True, timeout=120)
    made = run("report", str(tmp_path / "r" / "results.json"), "--format", "sarif", "--sign-key", str(tmp_path / "key.pem"))
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "r" / "results.sarif").is_file()
    ok = run("verify", str(tmp_path / "r" / "vsa.dsse.jsonl"), "--key", str(tmp_path / "pub.pem"))
    assert ok.returncode == 0 and "4 verification summary(ies) verified" in ok.stdout, ok.stderr
    lines = (tmp_path / "r" / "vsa.dsse.jsonl").read_text().splitlines()
    env = json.loads(lines[1])
    env["signatures"][0]["sig"] = base64.b64encode(b"\0" * 64).decode()
    (tmp_path / "r" / "vsa.dsse.jsonl").write_text(lines[0] + "\n" + json.dumps(env) + "\n")
    bad = run("verify", str(tmp_path / "r" / "vsa.dsse.jsonl"), "--key", str(tmp_path / "pub.pem"))
    assert bad.returncode == 1 and "vsa.dsse.jsonl:2" in bad.stderr


def test_an_unreadable_wheel_is_a_sarif_result_saying_why_not_an_unknown_cause():
    """A wheel that differs with no member difference (unreadable, bytes not the lock's) was a finding with no
    member and cause 'unknown': its one-line reason is the result's text, the archive named as the member."""
    from auditor.report.sarif import sarif

    p = {"name": "x", "version": "1.0", "verdict": "differs", "reason": "published wheel unreadable: not a zip",
         "wheels": [], "unlocked": [], "findings": [], "lock_file": "r.txt", "lock_line": 1}
    (res,) = sarif({"packages": [p], "environment": {}})["runs"][0]["results"]
    assert "unknown" not in res["message"]["text"] and "published wheel unreadable" in res["message"]["text"]
    assert res["properties"]["members"] == ["(the archive as a whole)"]
