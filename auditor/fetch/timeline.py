"""Release timelines: baselines (what is new since last night) and PEP 740 provenance per file."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509

from auditor.errors import AuditorError
from auditor.fetch.index import HttpClient
from auditor.timestamps import parse_time
from auditor.records import PackageResult


def baseline_index(baseline: dict) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(name, version) -> {(filename, sha256)} of every artifact an earlier results.json saw."""
    out: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for p in baseline.get("packages", []):
        seen = out.setdefault((p["name"], p["version"]), set())
        for a in [p.get("sdist")] + p.get("wheels", []) + p.get("unlocked", []):
            if a:
                seen.add((a["filename"], a.get("sha256")))
    return out


def mark_new_since_baseline(result: PackageResult, known: dict[tuple[str, str], set[tuple[str, str]]]) -> None:
    seen = known.get((result.name, result.version))
    if seen is None:
        if result.artifacts():
            result.notes.append("release not in the baseline: nothing to compare against")
        return
    for a in result.artifacts():
        if (a.filename, a.sha256) not in seen and "new-since-baseline" not in a.flags:
            a.flags.append("new-since-baseline")
    if any("new-since-baseline" in a.flags for a in result.artifacts()):
        result.flags.append("new-since-baseline")


def provenance(url: str, http: HttpClient) -> dict[str, Any] | None:
    """The publisher(s) named by a PEP 740 provenance object; None when it cannot be read."""
    try:
        r = http.get(url, headers={"Accept": "application/vnd.pypi.integrity.v1+json"})
        if r.status_code != 200:
            return None
        data = r.json()
    except (AuditorError, ValueError):
        return None
    return publishers_of(data) if isinstance(data, dict) else None


def publishers_of(data: dict[str, Any]) -> dict[str, Any]:
    """A provenance object's Trusted Publishers (kind, repository, workflow, environment, and the source,
    commit and ref its signing certificates name) and how many attestations it holds."""
    publishers = []
    for bundle in data.get("attestation_bundles", []) or []:
        pub = bundle.get("publisher") or {}
        entry = {k: pub.get(k) for k in ("kind", "repository", "workflow", "environment") if pub.get(k)}
        for att in bundle.get("attestations", []) or []:
            cert = ((att or {}).get("verification_material") or {}).get("certificate")
            entry.update({k: v for k, v in source_claims(cert).items() if k not in entry})
        publishers.append(entry)
    return {"publishers": publishers, "attestations": sum(len(b.get("attestations", [])) for b in data.get("attestation_bundles", []) or [])}


def timeline(result: dict) -> list[dict[str, Any]]:
    """Every artifact of a release in upload order, for the terminal and the report."""
    rows = []
    for a in [result.get("sdist")] + result.get("wheels", []) + result.get("unlocked", []):
        if a:
            rows.append({"filename": a["filename"], "upload_time": a.get("upload_time"), "flags": a.get("flags") or [],
                         "verdict": a.get("verdict"), "publisher": a.get("provenance")})
    return sorted(rows, key=lambda r: (r["upload_time"] or "", r["filename"]))


BURST_GAP = timedelta(hours=6)  # uploads closer than this to the one before are one burst (one CI run, one person's afternoon)


def bursts(rows: list[dict[str, Any]], gap: timedelta = BURST_GAP) -> list[dict[str, Any]]:
    """A timeline's rows (upload order) grouped into bursts of uploads, each no more than `gap` after the one
    before: {start, end, rows, verdicts: {verdict: count}, late: any late upload}. A release's 60 wheels uploaded
    by one CI run are one burst; twelve wheels added three years later (hiredis 0.2.0) are a second one. Rows
    with no upload time are one last burst with start None."""
    out: list[dict[str, Any]] = []
    unknown = [r for r in rows if not parse_time(r.get("upload_time"))]
    last: datetime | None = None
    for r in rows:
        t = parse_time(r.get("upload_time"))
        if t is None:
            continue
        if last is None or t - last > gap:
            out.append({"start": r["upload_time"], "end": r["upload_time"], "rows": []})
        out[-1]["rows"].append(r)
        out[-1]["end"] = r["upload_time"]
        last = t
    if unknown:
        out.append({"start": None, "end": None, "rows": unknown})
    for b in out:
        verdicts: dict[str, int] = {}
        for r in b["rows"]:
            key = r.get("verdict") or ("source" if r["filename"].endswith((".tar.gz", ".zip")) else "not judged")
            verdicts[key] = verdicts.get(key, 0) + 1
        b["verdicts"] = verdicts
        b["late"] = any("late-upload" in r["flags"] for r in b["rows"])
    return out


# Fulcio's certificate extensions (sigstore's OID registry): the source a CI workflow built from. The v2 ones
# hold a DER UTF8String, the legacy GitHub ones (…1.3 workflow sha, …1.5 repository, …1.6 ref) the raw text.
_FULCIO = {"1.3.6.1.4.1.57264.1.12": "source", "1.3.6.1.4.1.57264.1.13": "commit", "1.3.6.1.4.1.57264.1.14": "ref",
           "1.3.6.1.4.1.57264.1.3": "commit", "1.3.6.1.4.1.57264.1.6": "ref"}


def source_claims(cert_b64: object) -> dict[str, str]:
    """The source repository, commit and ref an attestation's signing certificate names (read, not verified:
    they only say where to look; the sdist is then compared with that commit's tree). {} when there are none
    (an e-mail identity) or the certificate cannot be read."""
    if not isinstance(cert_b64, str):
        return {}
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(cert_b64, validate=False))
        extensions = list(cert.extensions)
    except (ValueError, binascii.Error):
        return {}
    out: dict[str, str] = {}
    for ext in extensions:
        key = _FULCIO.get(ext.oid.dotted_string)
        raw = getattr(ext.value, "value", None)
        if key is None or not isinstance(raw, bytes):
            continue
        if raw[:1] == b"\x0c" and len(raw) > 2:  # DER UTF8String, short or long form length
            n = raw[1]
            raw = raw[2 + (n & 0x7F):] if n & 0x80 else raw[2:2 + n]
        text = raw.decode("utf-8", "replace")
        if key not in out or ext.oid.dotted_string.endswith((".12", ".13", ".14")):  # v2 wins over legacy
            out[key] = text
    return out
