"""Shared by the TOML lock readers: parse with a file:line error, and find the line of a key path.

tomllib keeps no positions, so a key path such as `packages[3].sdist.hashes` is mapped to the line
of the fourth `[[packages]]` header (or, for inline tables, the line where that entry starts).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypedDict

from auditor.errors import InputError


class Where(TypedDict):
    """Where in a lock file an error is: passed as InputError(..., **where)."""

    file: str
    line: int | None

_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_INDEX = re.compile(r"^(\w[\w-]*)\[(\d+)\]")


def load(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _AT_LINE.search(str(exc))
        msg = _AT_LINE.sub("", str(exc)).strip()
        raise InputError(f"not valid TOML: {msg}", file=str(path), line=int(m.group(1)) if m else None) from None


def table_lines(text: str, table: str) -> list[int]:
    """1-based lines of each `[[table]]` header, in order."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]\s*(#.*)?$")
    return [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]


def line_of(text: str, key: str | None) -> int | None:
    """Best line for a key path like `packages[3].sdist.hashes`: the header of that array entry."""
    if not key:
        return None
    m = _INDEX.match(key)
    if not m:
        top = re.compile(rf"^\s*{re.escape(key.split('.')[0])}\s*=")
        return next((n for n, line in enumerate(text.splitlines(), 1) if top.match(line)), None)
    lines = table_lines(text, m.group(1))
    i = int(m.group(2))
    return lines[i] if i < len(lines) else None
