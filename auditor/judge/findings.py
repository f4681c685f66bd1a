"""Findings: the same difference on several wheels of a release is one finding, listed once with its
wheels, class and probable cause (a release with 170 platform wheels sharing one WHEEL difference
has one finding, and one diffoscope page)."""

from __future__ import annotations

import hashlib
import json
import re

from packaging.utils import parse_wheel_filename

from auditor.judge.registry import check_causes
from auditor.records import Finding, Verdict, WheelResult


def _generic(text: str, filename: str) -> str:
    """A difference's detail with the wheel's own tags and file name taken out, so that the same
    change reads the same on every platform's wheel."""
    try:
        tags = sorted({str(t) for t in parse_wheel_filename(filename)[3]}, key=len, reverse=True)
    except Exception:
        tags = []
    out = text.replace(filename, "{wheel}")
    for t in tags:
        out = out.replace(t, "{tag}")
    return re.sub(r"\((?:[^()]*-)?cp\d+[^()]*\.whl\)", "({rebuild})", out)


def finding_key(entry: WheelResult) -> str | None:
    """The identity of a wheel's finding (None when the wheel does not differ)."""
    if entry.verdict != Verdict.DIFFERS:
        return None
    diffs = sorted((d["path"], d["kind"], d.get("cls") or "code", _generic(d.get("detail") or "", entry.filename))
                   for d in entry.differences)
    if not diffs:
        diffs = [("", "", "code", _generic(entry.reason or "", entry.filename))]
    return hashlib.sha256(json.dumps(diffs).encode()).hexdigest()[:12]


def input_mismatches(builds, entries: list[WheelResult]) -> list[Finding]:
    """A build input served with bytes other than the sdist's pin (a supply-chain event): one finding per input,
    on every wheel of the release, although nothing was built from it."""
    out: dict[str, Finding] = {}
    for b in builds:
        m = b.input_mismatch
        if not m:
            continue
        check_causes(["build-input-mismatch"])
        key = "input-" + hashlib.sha256(json.dumps(m, sort_keys=True).encode()).hexdigest()[:12]
        out.setdefault(key, Finding(id=key, wheels=[e.filename for e in entries], classes=["code"],
                                    causes=["build-input-mismatch"], members=[f"{m['kind']} {m['name']}"], reason=b.reason))
    return list(out.values())


def group(entries: list[WheelResult]) -> list[Finding]:
    """One record per distinct finding: its wheels, classes, causes, members and one-line reason."""
    by_key: dict[str, Finding] = {}
    for e in entries:
        key = finding_key(e)
        if key is None:
            continue
        f = by_key.setdefault(key, Finding(
            id=key, wheels=[], classes=e.classes or ["code"],
            causes=sorted({d["cause"] for d in e.differences if d.get("cause")}),
            members=sorted({d["path"] for d in e.differences})[:20], reason=e.reason))
        f.wheels.append(e.filename)
        e.finding = key
        page = (e.diffoscope or {}).get("html")
        if f.diffoscope is None and page:
            f.diffoscope = page
    return list(by_key.values())
