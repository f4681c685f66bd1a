"""results.sarif: SARIF 2.1.0 for code-scanning tools (GitHub code scanning reads it).

One result per finding (a release's distinct difference, with its class and probable cause), and one
per release that failed or could not be verified, located at the lock file and line of the pin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.fsutil import write_json_atomic
from auditor.records import RepoVerdict
from auditor.results import RunSummary, summarize

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = [
    ("differs-code", "error", "A published wheel differs from its sdist's rebuild in what could run",
     "A member, requirement or entry point of the published wheel is not what the locked sdist builds into."),
    ("differs-metadata", "warning", "A published wheel differs from its sdist's rebuild in descriptive metadata",
     "Summary, description, license text or other descriptive fields differ from the rebuild's."),
    ("differs-packaging", "note", "A published wheel differs from its sdist's rebuild in packaging",
     "WHEEL tags, RECORD or compressed data differ; nothing that runs is affected."),
    ("failed", "warning", "The locked sdist could not be rebuilt", "The rebuild failed; its one-line cause says why."),
    ("unverifiable", "note", "The release could not be verified", "Nothing to compare (no sdist, no wheel, index unreachable)."),
]


def _result(rule: str, level: str, text: str, p: dict, fingerprint: str, props: dict) -> dict[str, Any]:
    return {
        "ruleId": rule, "level": level, "message": {"text": text[:2000]},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": p.get("lock_file") or "lock"},
                                            "region": {"startLine": max(1, int(p.get("lock_line") or 1))}}}],
        "partialFingerprints": {"auditorFinding/v1": fingerprint},
        "properties": props,
    }


def sarif(data: dict, summary: RunSummary | None = None) -> dict[str, Any]:
    summary = summary or summarize(data)
    results: list[dict[str, Any]] = []
    levels = {r[0]: r[1] for r in RULES}
    for p in data.get("packages", []):
        release = f"{p['name']}=={p.get('version') or ''}"
        findings = p.get("findings") or []
        repo = p.get("source_repo") or {}
        for d in repo.get("differences") or [] if repo.get("verdict") == RepoVerdict.DIFFERS else []:
            cls = d.get("cls") or "code"
            text = (f"{release}: the sdist's {d['path']} is {d.get('cause')} ({repo.get('url')} at {repo.get('tag')}); "
                    f"class {cls}")
            results.append(_result(f"differs-{cls}", levels[f"differs-{cls}"], text, p, f"{release}:repo:{d['path']}",
                                   {"source_repo": {k: repo.get(k) for k in ("url", "tag", "commit")}, "path": d["path"]}))
        if repo.get("verdict") == RepoVerdict.DIFFERS and not findings:
            continue  # the sdist's differences are the package's: said above
        if p.get("verdict") == "differs" and not findings:  # a hash mismatch or unreadable archive
            findings = [{"id": "package", "classes": ["code"], "causes": [], "members": ["(the archive as a whole)"],
                         "wheels": [], "reason": p.get("reason")}]
        for f in findings:
            cls = (f.get("classes") or ["code"])[0]
            cause = "; ".join(f.get("causes") or [])
            # no named cause: the reason is the whole story (an unreadable wheel, bytes not the lock's), said as such
            text = (f"{release}: {f.get('reason') or 'differs'} (class {cls}; "
                    + (f"probable cause: {cause}; " if cause else "") + f"{len(f.get('wheels') or [])} wheel(s))")
            results.append(_result(f"differs-{cls}", levels[f"differs-{cls}"], text, p, f"{release}:{f['id']}",
                                   {"classes": f.get("classes"), "causes": f.get("causes"), "members": f.get("members"),
                                    "wheels": f.get("wheels")}))
        if p.get("verdict") in ("failed", "unverifiable"):
            results.append(_result(p["verdict"], levels[p["verdict"]], f"{release}: {p.get('reason') or p['verdict']}",
                                   p, f"{release}:{p['verdict']}", {"rebuilt_here": bool(p.get("rebuilt_here"))}))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "auditor", "version": __version__, "semanticVersion": __version__,
                "rules": [{"id": rid, "shortDescription": {"text": short}, "fullDescription": {"text": full},
                           "defaultConfiguration": {"level": level}} for rid, level, short, full in RULES],
            }},
            "results": results,
            "properties": {"lockfile": data.get("lockfile"), "complete": data.get("complete"),
                           "counts": summary.counts, "rebuilt": summary.rebuilt},
        }],
    }


def render_sarif(data: dict, report_dir: Path, summary: RunSummary | None = None) -> Path:
    out = report_dir / "results.sarif"
    write_json_atomic(out, sarif(data, summary))
    return out
