"""Verification summaries: for every audited wheel an in-toto Statement v1 whose predicate is a SLSA
Verification Summary (https://slsa.dev/verification_summary/v1), written as JSON Lines; optionally each
wrapped in a DSSE envelope signed with the user's key (Ed25519 or ECDSA P-256, PEM), and checked back
by `auditor verify`.

Subject: the published wheel (file name, sha256), annotated with the verdict, its normalizations and
accepted tool steps. verificationResult: PASSED when the wheel was reproduced from the sdist
(identical or equivalent), FAILED otherwise: failures are attested too. verifiedLevels: custom levels,
never SLSA_*: AUDITOR_REPRODUCED_FROM_SDIST (+ AUDITOR_BYTE_IDENTICAL), or for a `partial` wheel
AUDITOR_NONCOMPILED_MEMBERS_REPRODUCED. inputAttestations: the sdist, the build image and every build
requirement, each with its digest.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.results import REBUILT_CHECKS
from auditor.errors import InputError
from auditor.fsutil import write_atomic

STATEMENT = "https://in-toto.io/Statement/v1"
VSA = "https://slsa.dev/verification_summary/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
VERIFIER = "urn:auditor:reproducibility-auditor"
POLICY = "urn:auditor:policy:wheel-reproduced-from-locked-sdist"


def _levels(verdict: str | None, check: str | None) -> tuple[str, list[str]]:
    """PASSED with AUDITOR_REPRODUCED_FROM_SDIST only for a wheel compared with a rebuild made here; a wheel
    that got only the sources check (or none) claims no level, whatever its verdict."""
    if check not in REBUILT_CHECKS:
        return "FAILED", []
    if verdict == "identical":
        return "PASSED", ["AUDITOR_REPRODUCED_FROM_SDIST", "AUDITOR_BYTE_IDENTICAL"]
    if verdict == "equivalent":
        return "PASSED", ["AUDITOR_REPRODUCED_FROM_SDIST"]
    if verdict == "partial":
        return "FAILED", ["AUDITOR_NONCOMPILED_MEMBERS_REPRODUCED"]
    return "FAILED", []


def _purl(name: str, version: str, filename: str) -> str:
    return f"pkg:pypi/{name}@{version}?file_name={filename}"


def statements(data: dict) -> list[dict[str, Any]]:
    env = data.get("environment") or {}
    image = (env.get("image") or {}).get("id") or ""
    out = []
    for p in data.get("packages", []):
        inputs = []
        if p.get("sdist"):
            s = p["sdist"]
            inputs.append({"uri": _purl(p["name"], p["version"], s["filename"]), "digest": {"sha256": s["sha256"]}})
        for w in (p.get("wheels") or []) + (p.get("unlocked") or []):
            if not w.get("verdict"):
                continue
            result, levels = _levels(w["verdict"], w.get("check"))
            wheel_inputs = list(inputs)
            build = (p.get("builds") or [])[w["build"]] if w.get("build") is not None and p.get("builds") else None
            if build is not None and image.startswith("sha256:"):
                wheel_inputs.append({"uri": f"oci:{(env.get('image') or {}).get('ref') or 'auditor-build'}",
                                     "digest": {"sha256": image.split(":", 1)[1]}})
            for r in (build or {}).get("requirements") or []:
                wheel_inputs.append({"uri": _purl(r["name"], r["version"], r["filename"]), "digest": {"sha256": r["sha256"]}})
            for i in (build or {}).get("inputs") or []:  # crates and wrap downloads, by the sdist's own pins
                uri = f"pkg:cargo/{i['name']}@{i['version']}" if i["kind"] == "crate" else i["source"]
                wheel_inputs.append({"uri": uri, "digest": {"sha256": i["sha256"]}})
            out.append({
                "_type": STATEMENT,
                "subject": [{"name": w["filename"], "digest": {"sha256": w["sha256"]},
                             "annotations": {"auditor": {
                                 "verdict": w["verdict"], "reason": w.get("reason"), "check": w.get("check"),
                                 "rebuilt_here": w.get("check") in REBUILT_CHECKS, "verified": w.get("verified"),
                                 "normalizations": w.get("normalizations") or [], "tool_steps": w.get("tool_steps") or [],
                                 "classes": w.get("classes") or [], "rebuilt_sha256": w.get("rebuilt_sha256"),
                                 "auditor_version": __version__}}}],
                "predicateType": VSA,
                "predicate": {
                    "verifier": {"id": VERIFIER},
                    "timeVerified": data.get("finished") or data.get("started"),
                    "resourceUri": _purl(p["name"], p["version"], w["filename"]),
                    "policy": {"uri": POLICY},
                    "inputAttestations": wheel_inputs,
                    "verificationResult": result,
                    "verifiedLevels": levels,
                    "slsaVersion": "1.0",
                },
            })
    return out


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def _load_private(path: Path):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"not a PEM private key without password: {exc}", file=str(path)) from None


def _load_public(path: Path):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        return load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"not a PEM public key: {exc}", file=str(path)) from None


def _keyid(public) -> str:
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def _sign(key, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    raise InputError("the signing key must be Ed25519 or ECDSA")


def envelope(statement: dict, key) -> dict[str, Any]:
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    sig = _sign(key, pae(PAYLOAD_TYPE, payload))
    return {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": _keyid(key.public_key()), "sig": base64.b64encode(sig).decode()}]}


def verify_envelope(env: dict, public) -> dict:
    """The statement of a DSSE envelope whose signature verifies with `public`; raises InputError."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    try:
        payload = base64.b64decode(env["payload"], validate=True)
        sigs = [base64.b64decode(s["sig"], validate=True) for s in env["signatures"]]
        ptype = env["payloadType"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"not a DSSE envelope: {exc}") from None
    for sig in sigs:
        try:
            if isinstance(public, ed25519.Ed25519PublicKey):
                public.verify(sig, pae(ptype, payload))
            elif isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(sig, pae(ptype, payload), ec.ECDSA(hashes.SHA256()))
            else:
                raise InputError("the public key must be Ed25519 or ECDSA")
            return json.loads(payload)
        except InvalidSignature:
            continue
    raise InputError("no signature verifies with this key")


def render_vsa(data: dict, report_dir: Path, sign_key: Path | None = None) -> Path:
    """vsa.jsonl (one statement a line), or vsa.dsse.jsonl (one signed envelope a line) with a key."""
    stmts = statements(data)
    if sign_key is None:
        out = report_dir / "vsa.jsonl"
        write_atomic(out, "".join(json.dumps(s, sort_keys=True) + "\n" for s in stmts))
        return out
    key = _load_private(sign_key)
    out = report_dir / "vsa.dsse.jsonl"
    write_atomic(out, "".join(json.dumps(envelope(s, key), sort_keys=True) + "\n" for s in stmts))
    return out


def verify_file(path: Path, public_key: Path) -> list[dict]:
    """Every envelope of a vsa.dsse.jsonl verified; the statements, or InputError naming the line."""
    public = _load_public(public_key)
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(verify_envelope(json.loads(line), public))
        except (ValueError, InputError) as exc:
            raise InputError(str(exc).removeprefix("auditor: "), file=str(path), line=n) from None
    return out
