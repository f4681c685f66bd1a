"""Normalized copies of wheels, so that a diff shows content and not zip noise.

Applies exactly the comparer's named normalizations and nothing else: entry times set to
1980-01-01, entries sorted, permissions 0644/0755 (the exec bit kept), one compression, directory
entries dropped. Content is copied byte for byte. Used as diffoscope's input.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from auditor.fetch.archives import read_wheel

NORMALIZED_TIME = (1980, 1, 1, 0, 0, 0)


def normalized_copy(src: Path, dest: Path, crlf_members: frozenset[str] = frozenset()) -> Path:
    """crlf_members: members whose CRLF line endings become LF (those verified under the named
    normalization crlf-line-endings: a Windows checkout), so that diffoscope shows what remains."""
    wa = read_wheel(src)  # bounded: refuses bombs before anything is copied
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in sorted(n for n, m in wa.members.items() if not m.is_dir):
            m = wa.members[name]
            info = zipfile.ZipInfo(name, date_time=NORMALIZED_TIME)
            ftype = m.mode & 0o170000 or 0o100000
            info.external_attr = (ftype | (0o755 if m.executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            with zin.open(name) as f:
                data = f.read()
            zout.writestr(info, data.replace(b"\r\n", b"\n") if name in crlf_members else data)
    return dest
