"""Release timelines: baselines (what is new since last night) and PEP 740 provenance per file."""

from __future__ import annotations

from typing import Any

from auditor.errors import AuditorError
from auditor.index import HttpClient
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
    publishers = []
    for bundle in data.get("attestation_bundles", []) or []:
        pub = bundle.get("publisher") or {}
        publishers.append({k: pub.get(k) for k in ("kind", "repository", "workflow", "environment") if pub.get(k)})
    return {"publishers": publishers, "attestations": sum(len(b.get("attestations", [])) for b in data.get("attestation_bundles", []) or [])}


def timeline(result: dict) -> list[dict[str, Any]]:
    """Every artifact of a release in upload order, for the terminal and the report."""
    rows = []
    for a in [result.get("sdist")] + result.get("wheels", []) + result.get("unlocked", []):
        if a:
            rows.append({"filename": a["filename"], "upload_time": a.get("upload_time"), "flags": a.get("flags") or [],
                         "verdict": a.get("verdict"), "publisher": a.get("provenance")})
    return sorted(rows, key=lambda r: (r["upload_time"] or "", r["filename"]))
