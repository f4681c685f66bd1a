"""PEP 740 provenance: a recorded Integrity API response (fixtures/provenance) and certificates made here with
Fulcio's source extensions; where the sdist-against-repository check looks when provenance names a commit."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from auditor import sourcerepo
from auditor.fetch.timeline import publishers_of, source_claims

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "provenance" / "rfc8785-0.1.2-py3-none-any.whl.provenance.json"
COMMIT = "0f3a5c1d2e4b6a8c9d0e1f2a3b4c5d6e7f8a9b0c"


def _utf8(text: str) -> bytes:  # a DER UTF8String (short form length)
    data = text.encode()
    return bytes([0x0C, len(data)]) + data


def certificate(extensions: dict[str, bytes]) -> str:
    """A self-signed certificate with Fulcio's extensions, base64 as the provenance's verification material."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    b = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()) \
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(minutes=10))
    for oid, value in extensions.items():
        b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
    return base64.b64encode(b.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)).decode()


def test_a_recorded_provenance_names_its_publisher_and_no_commit():
    data = json.loads(RECORDED.read_text())
    got = publishers_of(data)
    assert got == {"publishers": [{"kind": "GitHub", "repository": "trailofbits/rfc8785.py", "workflow": "release.yml"}],
                   "attestations": 1}
    # an e-mail identity's certificate (sigstage) names no source: the repository is the publisher's
    assert source_claims(data["attestation_bundles"][0]["attestations"][0]["verification_material"]["certificate"]) == {}
    assert sourcerepo.from_provenance(got) == ("https://github.com/trailofbits/rfc8785.py", None)


def test_a_workflow_certificate_names_the_source_commit_and_ref():
    cert = certificate({"1.3.6.1.4.1.57264.1.12": _utf8("https://github.com/example/demo"),
                        "1.3.6.1.4.1.57264.1.13": _utf8(COMMIT), "1.3.6.1.4.1.57264.1.14": _utf8("refs/tags/v1.0"),
                        "1.3.6.1.4.1.57264.1.3": b"1" * 40})  # the legacy workflow-sha: the v2 digest wins
    assert source_claims(cert) == {"source": "https://github.com/example/demo", "commit": COMMIT, "ref": "refs/tags/v1.0"}
    legacy = certificate({"1.3.6.1.4.1.57264.1.3": COMMIT.encode(), "1.3.6.1.4.1.57264.1.6": b"refs/tags/v1.0"})
    assert source_claims(legacy) == {"commit": COMMIT, "ref": "refs/tags/v1.0"}
    assert source_claims("not base64 of a certificate") == {} and source_claims(None) == {}
    data = {"attestation_bundles": [{"publisher": {"kind": "GitHub", "repository": "example/demo", "workflow": "r.yml"},
                                     "attestations": [{"verification_material": {"certificate": cert}}]}]}
    pubs = publishers_of(data)
    assert pubs["publishers"][0]["commit"] == COMMIT
    assert sourcerepo.from_provenance(pubs) == ("https://github.com/example/demo", COMMIT)
    assert sourcerepo.from_provenance({"publishers": [{"kind": "GitLab", "repository": "g/p"}]}) == ("https://gitlab.com/g/p", None)
    assert sourcerepo.from_provenance(None) is None and sourcerepo.from_provenance({"publishers": [{"kind": "Other"}]}) is None


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_the_provenance_commit_is_what_the_sdist_is_compared_with(tmp_path, monkeypatch):
    """The tag 1.0 was moved after the release: the provenance's commit, not the tag's, is compared, and the
    reason says the two differ; a commit no tag points to is fetched by its id."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "demo.py").write_text("X = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "release")
    built = _git(repo, "rev-parse", "HEAD")
    (repo / "demo.py").write_text("X = 2\n")
    _git(repo, "commit", "-q", "-am", "later")
    _git(repo, "tag", "1.0")  # points to the later commit
    url = "https://github.com/example/demo"
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "file://{repo}"]\n\tinsteadOf = {url}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    sdist = tmp_path / "sdist"
    sdist.mkdir()
    (sdist / "demo.py").write_text("X = 1\n")
    (sdist / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    prov = {"publishers": [{"kind": "GitHub", "repository": "example/demo", "commit": built}]}
    r = sourcerepo.check(sdist, "demo", "1.0", tmp_path / "repos", prov)
    assert (r.verdict, r.origin, r.commit, r.tag) == ("explained", "provenance", built, None), r.reason
    assert "the tag 1.0 points to" in (r.reason or "")
    # without provenance the tag is compared, and the sdist's demo.py is not the tag's
    r = sourcerepo.check(sdist, "demo", "1.0", tmp_path / "repos", {"publishers": [{"kind": "GitHub", "repository": "example/demo"}]})
    assert (r.verdict, r.tag) == ("differs", "1.0") and [d.path for d in r.differences] == ["demo.py"]
