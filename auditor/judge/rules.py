"""The checks behind the named rules (each rule, with its reason, is listed in judge/registry.py): the
shapes known tools write (auditwheel's SBOM, delvewheel's patch and record, maturin's shim, bundled
headers and licenses, setuptools-scm's commit id, version files, checksum files), RECORD's truth, and
classify(): what a difference could do once installed (code, metadata or packaging).
"""

from __future__ import annotations

import ast
import base64
import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Mapping

from auditor.fetch.archives import WheelArchive
from auditor.judge.classes import member_class

_CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def checksum_rows(wa: WheelArchive, name: str) -> list[tuple[str, str]] | None:
    """(directory prefix, member) per line when `name` is a sha256sum-style file whose every line names a
    member of this wheel by an absolute path and carries that member's sha256; None otherwise."""
    try:
        text = wa.read(name, limit=1 << 16).decode("utf-8")
    except Exception:
        return None
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _CHECKSUM_LINE.match(line.strip())
        if not m:
            return None
        digest, path = m.group(1), m.group(2).replace("\\", "/")
        if not (path.startswith("/") or re.match(r"^[A-Za-z]:/", path)):
            return None
        parts = path.split("/")
        member = next(("/".join(parts[i:]) for i in range(1, len(parts)) if "/".join(parts[i:]) in wa.members), None)
        if member is None or wa.members[member].sha256 != digest:
            return None
        rows.append((path[: len(path) - len(member)], member))
    return rows or None


SBOM = re.compile(r"^[^/]+\.dist-info/sboms/auditwheel\.cdx\.json$")


def sbom_step(name: str, wa: WheelArchive) -> str | None:
    """`auditwheel X (SBOM …)` when `name` is the SBOM auditwheel writes; None otherwise."""
    if not SBOM.match(name):
        return None
    version = "?"
    try:
        doc = json.loads(wa.read(name, limit=1 << 22))
        tools = (doc.get("metadata") or {}).get("tools")
        comps = tools.get("components", []) if isinstance(tools, dict) else (tools or [])
        for c in comps:
            if isinstance(c, dict) and c.get("name") == "auditwheel":
                version = str(c.get("version") or "?")
        if doc.get("bomFormat") != "CycloneDX":
            return None
    except (ValueError, AttributeError, TypeError, KeyError):
        return None
    except Exception:  # unreadable member: not the tool's output
        return None
    return f"auditwheel {version} SBOM ({name.split('/', 1)[1]})"


_PROJECT_SBOM = re.compile(r"^[^/]+\.dist-info/sboms/[^/]+\.json$")


def sbom_components(wa: WheelArchive, name: str) -> list[tuple[str, str]] | None:
    """(name, version) of each component when `name` is a CycloneDX or SPDX JSON document under
    NAME.dist-info/sboms/ (PEP 770: what the project's build or a repair tool writes); None otherwise. A
    document is data: nothing in it is imported or executed."""
    if not _PROJECT_SBOM.match(name):
        return None
    try:
        doc = json.loads(wa.read(name, limit=1 << 24))
    except Exception:  # not JSON, or past our bound: not a document this rule accepts
        return None
    if not isinstance(doc, dict):
        return None
    if doc.get("bomFormat") == "CycloneDX":
        items = doc.get("components") or []
        main = (doc.get("metadata") or {}).get("component") if isinstance(doc.get("metadata"), dict) else None
        items = ([main] if isinstance(main, dict) else []) + (items if isinstance(items, list) else [])
        return sorted({(str(c.get("name")), str(c.get("version"))) for c in items if isinstance(c, dict)})
    if str(doc.get("spdxVersion", "")).startswith("SPDX-"):
        items = doc.get("packages") or []
        return sorted({(str(c.get("name")), str(c.get("versionInfo"))) for c in items if isinstance(c, dict)}) \
            if isinstance(items, list) else None
    return None


def version_file(data: bytes, version: str) -> bool:
    """The file's only statements assign the release's version (`__version__ = "1.76.0"`, or a name that
    was so assigned): nothing in it can run anything else."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    assigned: set[str] = set()
    for n in tree.body:
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
            continue  # a docstring
        if not isinstance(n, ast.Assign) or not all(isinstance(t, ast.Name) for t in n.targets):
            return False
        v = n.value
        if not ((isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value.strip() == version)
                or (isinstance(v, ast.Name) and v.id in assigned)):
            return False
        assigned |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    return bool(assigned)


def constants_module(data: bytes, version: str) -> bool:
    """A module that can run nothing when imported: its statements only bind names to constants (strings,
    numbers, booleans, None, tuples and lists of them, or a name already bound or a builtin such as
    `object`), with plain-name annotations, and `if TYPE_CHECKING:` blocks after `TYPE_CHECKING = False`
    (never run); one of its strings is the release's version. What setuptools-scm's write_to, hatch-vcs,
    scikit-build-core's generate and meson's version scripts write (scipy's version.py)."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    found: list[bool] = []
    return _constant_statements(tree.body, set(), version, found) and any(found)


_SAFE_BUILTINS = {"object", "str", "int", "bool", "tuple", "float", "None"}


def _constant_value(v: ast.expr, bound: set[str], version: str, found: list[bool]) -> bool:
    if isinstance(v, ast.Constant) and isinstance(v.value, (str, int, float, bool, type(None))):
        if isinstance(v.value, str) and v.value.strip().removeprefix("v") == version:
            found.append(True)
        return True
    if isinstance(v, (ast.Tuple, ast.List)):
        return all(_constant_value(e, bound, version, found) for e in v.elts)
    return isinstance(v, ast.Name) and (v.id in bound or v.id in _SAFE_BUILTINS)


def _constant_statements(body: list[ast.stmt], bound: set[str], version: str, found: list[bool]) -> bool:
    for i, n in enumerate(body):
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
            continue  # a docstring
        if isinstance(n, ast.ImportFrom) and n.module == "__future__":
            continue
        if isinstance(n, ast.Assign):
            names = [e for t in n.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
            if not all(isinstance(t, ast.Name) for t in names) or not _constant_value(n.value, bound, version, found):
                return False
            if any(isinstance(t, ast.Name) and t.id == "TYPE_CHECKING" for t in names):  # bound again: True, a string
                (bound.add if isinstance(n.value, ast.Constant) and n.value.value is False else bound.discard)("TYPE_CHECKING=False")
            bound |= {t.id for t in names if isinstance(t, ast.Name)}
            continue
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and isinstance(n.annotation, (ast.Name, ast.Constant)):
            if n.value is not None and not _constant_value(n.value, bound, version, found):
                return False
            bound.discard("TYPE_CHECKING=False" if n.target.id == "TYPE_CHECKING" else "")  # bound again
            bound.add(n.target.id)
            continue
        if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING" \
                and "TYPE_CHECKING=False" in bound:
            if not _constant_statements(n.orelse, bound, version, found):  # the body never runs
                return False
            continue
        return False
    return True


_LICENSE_NAME = re.compile(r"^[^/]+\.dist-info/(?:licenses/)?([^/]*(?:LICEN[CS]E|COPYING|NOTICE)[^/]*)$", re.I)


def bundled_license(name: str, wa: WheelArchive) -> str | None:
    """The license file's name when `name` is a license file in dist-info and the wheel grafts native
    libraries (whose licenses the repair step brings along); None otherwise."""
    m = _LICENSE_NAME.match(name)
    if not m or not any(grafted(n) for n in wa.members):
        return None
    return m.group(1)


def grafted(name: str) -> str | None:
    """The repair tool that grafts libraries at this path, or None."""
    parts = name.split("/")
    if any(p.endswith(".dylibs") for p in parts[:-1]):
        return "delocate"
    if parts[0].endswith(".libs") or any(p.endswith(".libs") for p in parts[:-1]):
        return "auditwheel or delvewheel"
    return None


def gzipped_copy(pub: WheelArchive, name: str, reb: WheelArchive) -> str | None:
    """When published member `X.gz` decompresses to exactly the rebuild's member `X` (which the published
    wheel lacks), return X: a release step outside the sdist compressed the data."""
    if not name.endswith(".gz"):
        return None
    plain = name[:-3]
    if plain not in reb.members or plain in pub.members:
        return None
    try:
        data = gzip.decompress(pub.read(name, limit=1 << 26))
        return plain if data == reb.read(plain, limit=1 << 28) else None
    except (OSError, EOFError, ValueError):
        return None
    except Exception:
        return None


def _b64(hexdigest: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hexdigest)).rstrip(b"=").decode()


def record_rows(wa: WheelArchive) -> dict[str, tuple[str, ...]]:
    """RECORD's rows by path (empty when unreadable)."""
    names = [n for n in wa.members if n.endswith(".dist-info/RECORD") and n.count("/") == 1]
    try:
        rows: Iterable[list[str]] = csv.reader(io.StringIO(wa.read(names[0]).decode("utf-8"))) if len(names) == 1 else []
        return {row[0].replace("\\", "/"): tuple(row[1:]) for row in rows if row}
    except Exception:
        return {}


def record_backslashes(wa: WheelArchive) -> bool:
    """RECORD names members with Windows path separators (comrak 0.0.12's maturin Windows wheels)."""
    names = [n for n in wa.members if n.endswith(".dist-info/RECORD") and n.count("/") == 1]
    try:
        return len(names) == 1 and any("\\" in (row[0] if row else "") for row in
                                       csv.reader(io.StringIO(wa.read(names[0]).decode("utf-8"))))
    except Exception:
        return False


def record_problem(wa: WheelArchive) -> str | None:
    """None when the wheel's RECORD lists every file member with its true sha256 and size (and nothing
    else); otherwise what is wrong, in one line."""
    names = [n for n in wa.members if n.endswith(".dist-info/RECORD") and n.count("/") == 1]
    if len(names) != 1:
        return f"{len(names)} RECORD files"
    record = names[0]
    try:
        rows = list(csv.reader(io.StringIO(wa.read(record).decode("utf-8"))))
    except Exception as exc:
        return f"RECORD unreadable: {exc}"
    listed: dict[str, tuple[str, str]] = {}
    for row in rows:
        if not row:
            continue
        row[0] = row[0].replace("\\", "/")  # record-path-separators: maturin on Windows writes pkg\mod.py
        if row[0] in listed:
            return f"RECORD lists {row[0]} twice"
        listed[row[0]] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    files = {n for n, m in wa.members.items() if not m.is_dir}
    unlisted = sorted(files - set(listed) - {record} - {n for n in files if n.endswith((".dist-info/RECORD.jws", ".dist-info/RECORD.p7s"))})
    if unlisted:
        return f"RECORD does not list {', '.join(unlisted[:3])}"
    for path, (h, size) in listed.items():
        if path == record:
            continue
        m = wa.members.get(path)
        if m is None:
            return f"RECORD lists {path}, which the wheel does not hold"
        if h != f"sha256={_b64(m.sha256)}" or (size and size != str(m.size)):
            return f"RECORD row of {path} does not match the member"
    return None


def classify(path: str) -> str:
    """code | metadata | packaging, for a member that differs (METADATA fields are classed apart): the one
    class table's answer (judge/classes.toml)."""
    return member_class(path)


MATURIN_INIT = (
    "from .{m} import *\n\n__doc__ = {m}.__doc__\nif hasattr({m}, \"__all__\"):\n    __all__ = {m}.__all__",
    "from .{m} import *\n\n__doc__ = {m}.__doc__\nif hasattr({m}, \"__all__\"):\n    __all__ = {m}.__all__\n",
    "from .{m} import *\n\n__doc__ = {m}.__doc__\n",
)


def maturin_shim(wa: WheelArchive, name: str, stubs: dict[str, bytes]) -> str | None:
    """`maturin X module shim` when `name` is what maturin's pure-Rust layout generates for an extension
    module this wheel holds: MODULE/__init__.py (its template), MODULE/__init__.pyi (the sdist's
    MODULE.pyi, given in `stubs` by module name), MODULE/py.typed (empty). None otherwise."""
    parts = name.split("/")
    if len(parts) != 2:
        return None
    gen = next((wa.read(n, 1 << 16).decode("utf-8", "replace") for n in wa.members
                if n.endswith(".dist-info/WHEEL") and n.count("/") == 1), "")
    m = re.search(r"^Generator: maturin \(?([^)\s]+)", gen, re.M)
    if not m:
        return None
    module, leaf = parts
    if not any(n.startswith(f"{module}/{module}.") and n.endswith((".so", ".pyd")) for n in wa.members):
        return None
    data = wa.read(name, 1 << 20)
    lf = data.replace(b"\r\n", b"\n")  # a Windows checkout writes the stub with CRLF
    stub = stubs.get(module)
    ok = ((leaf == "__init__.py" and lf.decode("utf-8", "replace") in [t.format(m=module) for t in MATURIN_INIT])
          or (leaf == "__init__.pyi" and stub is not None and stub.replace(b"\r\n", b"\n") == lf)
          or (leaf == "py.typed" and data == b""))
    crlf = " (CRLF line endings)" if ok and lf != data else ""
    return f"maturin {m.group(1)} module shim{crlf}" if ok else None


_HEADER = (".h", ".hh", ".hpp", ".hxx")


def bundled_header(wa: WheelArchive, name: str) -> bool:
    """A C header under an `include`/`includes` directory of a platform wheel, or an empty __init__.py
    in a directory that otherwise holds only such headers."""
    parts = name.split("/")
    if not any(p in ("include", "includes") for p in parts[:-1]):
        return False
    if name.endswith(_HEADER):
        return True
    if parts[-1] == "__init__.py" and wa.members[name].size == 0:
        d = name.rsplit("/", 1)[0] + "/"
        siblings = [n for n in wa.members if n.startswith(d) and n != name and not wa.members[n].is_dir]
        return bool(siblings) and all(n.endswith(_HEADER) or n.endswith("/__init__.py") for n in siblings)
    return False


_SCM_HEADER = b"# file generated by setuptools-scm"
_COMMIT_LINE = re.compile(rb"^__commit_id__ = commit_id = (None|'g?[0-9a-f]{7,40}')$")


def scm_commit_id(published: bytes, rebuilt: bytes) -> bool:
    """The two setuptools-scm version files differ only in the commit id line, the rebuild's being None."""
    if not (published.startswith(_SCM_HEADER) and rebuilt.startswith(_SCM_HEADER)):
        return False
    a, b = published.splitlines(), rebuilt.splitlines()
    if len(a) != len(b):
        return False
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    return len(diff) == 1 and bool(_COMMIT_LINE.match(diff[0][0])) and diff[0][1] == b"__commit_id__ = commit_id = None"


_CYTHON_OUTPUT = re.compile(r"^(?P<stem>.+?)(?:_api)?\.(?:c|cpp|h)$")


def cython_source(name: str, index: Mapping[str, list]) -> str | None:
    """The sdist's .pyx (or .py, compiled by Cython) a C file or header of the wheel was generated from:
    Cython writes X.c or X.cpp, and X.h / X_api.h for `public`/`api` declarations. None otherwise."""
    m = _CYTHON_OUTPUT.match(name)
    if not m:
        return None
    for suffix in (".pyx", ".py"):
        found = index.get(m.group("stem") + suffix)
        if found:
            return m.group("stem") + suffix
    return None
