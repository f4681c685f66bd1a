"""Run diffoscope on normalized copies of a published and a rebuilt wheel, into the report."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import UnsafeArchive
from auditor.judge.diffs import is_compiled
from auditor.caches.downloads import sha256_file
from auditor.judge import normalize
from auditor.judge.normalize import normalized_copy
from auditor.proc import run_logged
from auditor.records import WheelResult

TIMEOUT = 300  # seconds, per wheel
MAX_REPORT_SIZE = 20 << 20


def find() -> str | None:
    here = Path(sys.executable).parent / "diffoscope"
    return str(here) if here.is_file() else shutil.which("diffoscope")


COMPILED_GLOBS = ("*.so", "*.so.*", "*.pyd", "*.dylib", "*.dll", "*.lib", "*.exp", "*.pdb")


def _exact(name: str) -> str:
    """An fnmatch pattern matching exactly `name` (diffoscope's --exclude is fnmatch on member paths)."""
    return "".join(f"[{c}]" if c in "[]*?" else c for c in name)


def run(published: Path, rebuilt: Path, filename: str, out_html: Path, timeout: float = TIMEOUT,
        skip_compiled: bool = False, leave_out: Sequence[str] = (), crlf_members: Sequence[str] = ()) -> dict:
    """Returns {"status": ok|missing|timeout|error, "html": path or None, "reason": str or None, "seconds"}.

    skip_compiled: leave every compiled member out (a wheel for another platform: comparing them with
    this platform's build shows nothing but the platform, and costs most of the time).
    leave_out: these members are left out (compiled members already known not to be reproduced: their
    section dumps and disassembly cost minutes of diffoscope's HTML line matching and say nothing the
    verdict does not; `--diffoscope-compiled` keeps them).
    crlf_members: published members verified under crlf-line-endings get LF endings in the copy."""
    exe = find()
    if not exe:
        return {"status": "missing", "html": None, "reason": "diffoscope is not installed"}
    out_html.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="auditor-diffoscope-") as tmp:
        try:
            (Path(tmp) / "published").mkdir()
            (Path(tmp) / "rebuilt").mkdir()
            a = normalized_copy(published, Path(tmp) / "published" / filename, frozenset(crlf_members))
            b = normalized_copy(rebuilt, Path(tmp) / "rebuilt" / filename)
        except UnsafeArchive as exc:
            return {"status": "error", "html": None, "reason": str(exc)}
        cmd = [exe, "--html", str(out_html), "--max-report-size", str(MAX_REPORT_SIZE),
               "--timeout", str(int(timeout)), "--exclude-directory-metadata", "yes"]
        for glob in COMPILED_GLOBS if skip_compiled else ():
            cmd += ["--exclude", glob]
        for name in leave_out:
            cmd += ["--exclude", _exact(name)]
        cmd += [str(a), str(b)]
        code, output, seconds = run_logged(cmd, None, timeout + 60, cwd=tmp)
    if code is None:
        return {"status": "timeout", "html": None, "reason": f"diffoscope took more than {timeout + 60:.0f}s",
                "seconds": round(seconds, 3)}
    if code in (0, 1) and out_html.is_file():
        return {"status": "ok", "html": str(out_html), "seconds": round(seconds, 3),
                "reason": None if code == 1 else "no difference after normalization"}
    return {"status": "error", "html": None, "seconds": round(seconds, 3),
            "reason": (output.strip().splitlines() or ["exit %d" % code])[-1][:300]}


@functools.cache
def _tool_digest() -> str:
    """diffoscope's version and the code that makes its inputs: a page made by another of either is made again."""
    try:
        version = importlib.metadata.version("diffoscope")
    except importlib.metadata.PackageNotFoundError:
        version = str(find())
    h = hashlib.sha256(version.encode())
    for module in (normalize, sys.modules[__name__]):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()


def _page_key(published: Path, rebuilt: Path, filename: str, skip_compiled: bool, leave_out: Sequence[str],
              crlf_members: Sequence[str]) -> str:
    parts = [sha256_file(published), sha256_file(rebuilt), filename, str(skip_compiled), *leave_out, "\0",
             *crlf_members, _tool_digest()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _rendered(pages: Path | None, key: str, out: Path) -> dict | None:
    """The page made earlier for exactly these inputs, copied to `out`; None when there is none."""
    entry = pages / key if pages is not None else None
    if entry is None or not (entry / "result.json").is_file():
        return None
    try:
        ds = json.loads((entry / "result.json").read_text(encoding="utf-8"))
        if ds.get("html"):
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / "page.html", out)
            ds["html"] = str(out)
    except (OSError, ValueError):
        return None
    return dict(ds, reused="made by an earlier run for the same published and rebuilt wheels")


def _keep(pages: Path | None, key: str, ds: dict) -> None:
    """Keep a finished page (not a timeout or an error, which a new run tries again) for the next run."""
    if pages is None or ds.get("status") != "ok":
        return
    tmp = Path(tempfile.mkdtemp(dir=pages, prefix=".tmp-"))
    try:
        if ds.get("html"):
            shutil.copyfile(ds["html"], tmp / "page.html")
        (tmp / "result.json").write_text(json.dumps(ds), encoding="utf-8")
        os.replace(tmp, pages / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def attach(entry: WheelResult, published_path: Path, rebuilt: Path, report_dir: Path, diffoscope_compiled: bool,
           skip_compiled: bool = False, crlf_members: Sequence[str] = (), pages: Path | None = None) -> None:
    """Run diffoscope for one wheel entry and record the page (relative to the report) in it. pages: a cache
    of pages by their inputs (both wheels' sha256, what is left out, diffoscope's version and this code): a page
    made for exactly these inputs is copied instead of made again, and says so (`reused`)."""
    out = report_dir / "diffoscope" / f"{entry.filename}.html"
    leave_out = [] if skip_compiled or diffoscope_compiled else sorted(
        {d["path"] for d in entry.not_reproduced or [] if d["kind"] == "content" and is_compiled(d["path"])})
    key = _page_key(published_path, rebuilt, entry.filename, skip_compiled, leave_out, crlf_members)
    ds = _rendered(pages, key, out)
    if ds is None:
        ds = run(published_path, rebuilt, entry.filename, out, skip_compiled=skip_compiled,
                 leave_out=leave_out, crlf_members=crlf_members)
        _keep(pages, key, ds)
    if crlf_members:
        ds["line_endings"] = f"CRLF made LF in {len(crlf_members)} published members (crlf-line-endings)"
    ds["compiled_members"] = ("left out (other platform)" if skip_compiled else
                              f"left out: {', '.join(leave_out)} (not reproduced, listed above; "
                              "--diffoscope-compiled compares them)" if leave_out else "compared")
    if ds["html"]:
        ds["html"] = str(Path(ds["html"]).relative_to(report_dir))
    entry.diffoscope = ds
