"""GitHub Actions workflow commands: one `::error` annotation per package that differs."""

from __future__ import annotations


def github_annotations(data: dict) -> list[str]:
    """`::error file=LOCK,line=N::` for each package that differs (printed under GitHub Actions)."""
    out = []
    for p in data.get("packages", []):
        if p["verdict"] == "differs":
            msg = f"{p['name']}=={p['version']} differs from its sdist: {p.get('reason') or ''}"
            msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            out.append(f"::error file={p.get('lock_file')},line={p.get('lock_line')}::{msg}")
    return out
