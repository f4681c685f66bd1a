"""The named rules of the sdist-against-repository check: how an honest sdist's file may differ from the
repository's at the tag (each registered in judge/registry.py, kind source), and the generated files it may add.
Each function answers one question about bytes already read; none reads git or the network."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import json
import marshal
import re
import struct
import tomllib
from pathlib import Path, PurePosixPath

from auditor.fsutil import inside

def vcs_template(data: bytes, version: str) -> bool:
    """A version file as setuptools-scm and hatch-vcs write it (urllib3 2.5.0's src/urllib3/_version.py): only
    assignments of the release's version, of a version tuple of constants that starts with its release numbers,
    of `__all__` and a commit id; annotations; `from typing`/`__future__` imports; and a `TYPE_CHECKING` block
    of typing aliases. A call, any other import or statement: not such a file."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    release = [int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3]]
    found = False
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.ImportFrom) and node.module in ("typing", "__future__"):
            continue
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            if all(_typing_only(n) for n in node.body + node.orelse):
                continue
            return False
        if isinstance(node, ast.AnnAssign) and node.value is None and isinstance(node.target, ast.Name):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            value = node.value
            if isinstance(value, ast.Constant) and value.value == version:
                found = True
                continue
            if isinstance(value, ast.Constant) and (value.value is None or value.value is False or (
                    isinstance(value.value, str) and re.fullmatch(r"g?[0-9a-f]{7,40}", value.value))):
                continue  # TYPE_CHECKING = False; a commit id
            if isinstance(value, ast.Tuple) and all(isinstance(e, ast.Constant) and isinstance(e.value, (int, str))
                                                    for e in value.elts):
                numbers = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, int)]
                if numbers[: len(release)] == release:
                    continue
            if isinstance(value, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                                               for e in value.elts):
                continue  # __all__
        return False
    return found


def _typing_only(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "typing"
    if isinstance(node, ast.Assign):
        allowed = (ast.Assign, ast.Name, ast.Subscript, ast.Attribute, ast.Tuple, ast.Load, ast.Store, ast.BinOp,
                   ast.BitOr, ast.Constant)
        return all(isinstance(n, allowed) for n in ast.walk(node))
    return False



def egg_info_section_only(theirs: bytes, mine: bytes) -> bool:
    """setup.cfg is the repository's with egg_info's `[egg_info]` section (tag_build, tag_date) added. The sdist
    step writes the file anew with configparser (six 1.17.0, requests 2.32.4: `key = value`, tab-indented
    continuation lines), so both are compared by meaning: the same sections, keys and values."""
    a, b = _cfg(theirs), _cfg(mine)
    if a is None or b is None or "egg_info" not in b or "egg_info" in a:
        return False
    if set(b["egg_info"]) - {"tag_build", "tag_date", "tag_svn_revision"}:
        return False
    del b["egg_info"]
    return a == b


def _cfg(data: bytes) -> dict[str, dict[str, str]] | None:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment]
    try:
        cp.read_string(data.decode("utf-8", "replace") if data else "")
    except configparser.Error:
        return None
    return {s: {k: " ".join(v.split()) for k, v in cp.items(s, raw=True)} for s in cp.sections()}


# what a filled placeholder never holds: a way out of the string or line it sits in (a quote, a backslash, an
# f-string's braces), or a shell metacharacter. git writes refs, dates and commit ids there
_UNSAFE_FILL = re.compile(r"[;|&`$'\"\\{}\x00-\x1f\x7f]")


def export_subst(theirs: bytes, mine: bytes, commit: str) -> bool:
    """git archive's export-subst filled the placeholders: every line is the repository's, or one with
    `$Format:...$` whose text around each placeholder is the repository's and whose filled value names the tag's
    commit or only refs and dates (versioneer's `git_full = "$Format:%H$"` never becomes code after the quote)."""
    a, b = theirs.decode("utf-8", "replace").splitlines(), mine.decode("utf-8", "replace").splitlines()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if "$Format:" not in x:
            return False
        m = re.fullmatch("(.*?)".join(re.escape(part) for part in re.split(r"\$Format:[^$]*\$", x)), y, re.S)
        if m is None:
            return False
        for value in m.groups():
            if re.fullmatch(r"[0-9a-f]{7,40}", value.strip()) and not commit.startswith(value.strip()):
                return False
            if _UNSAFE_FILL.search(value):
                return False
    return True


def bytecode_of_source(f: Path, data: bytes) -> bool:
    """A timestamp-or-hash .pyc whose code object is what this interpreter compiles from the .py it is the
    bytecode of (pyyaml 6.0.2's packaging/__pycache__/_pyyaml_pep517.cpython-312.pyc): only when its magic
    number is this interpreter's; any other bytecode cannot be checked and differs."""
    if data[:4] != importlib.util.MAGIC_NUMBER or len(data) < 16:
        return False
    m = re.match(r"^(?P<mod>[\w]+)\.[\w-]+\.pyc$", f.name)
    source = (f.parent.parent / f"{m.group('mod')}.py") if m and f.parent.name == "__pycache__" else None
    if source is None or not source.is_file():
        return False
    try:
        theirs = marshal.loads(data[16:])
        mine = compile(source.read_bytes(), str(source), "exec", dont_inherit=True)
    except (ValueError, EOFError, TypeError, SyntaxError):
        return False
    return _same_code(theirs, mine)


# what a code object does besides its instructions, names and constants: how it is called (argument counts, flags:
# a generator, *args), its frame (a stack smaller than its code needs corrupts memory), its closures, where an
# exception jumps. Its file name and line table say where it was compiled, not what it does
_CODE_FIELDS = ("co_code", "co_names", "co_varnames", "co_argcount", "co_posonlyargcount", "co_kwonlyargcount",
                "co_nlocals", "co_stacksize", "co_flags", "co_freevars", "co_cellvars", "co_name", "co_qualname",
                "co_exceptiontable")


def _same_code(a, b) -> bool:
    if type(a) is not type(b) or not hasattr(a, "co_code"):
        return a == b
    if any(getattr(a, f, None) != getattr(b, f, None) for f in _CODE_FIELDS):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    return all(_same_code(x, y) if hasattr(x, "co_code") else x == y for x, y in zip(a.co_consts, b.co_consts))


_CYTHON_HEADER = re.compile(rb"\A/\* Generated by Cython (\d[\w.]*) \*/\s*(?:/\* BEGIN: Cython Metadata\s*(\{.*?\})\s*END: "
                            rb"Cython Metadata \*/)?", re.S)


def cython_sources(data: bytes) -> tuple[str, list[str]] | None:
    """(Cython's version, the sources it names) of a C/C++ file whose first line says Cython generated it
    (uvloop 0.21.0's uvloop/loop.c: `/* Generated by Cython 3.0.11 */` and a metadata block naming
    uvloop/loop.pyx); None for any other file. The sources are the .pyx/.py files the metadata names, else []."""
    m = _CYTHON_HEADER.match(data[:1 << 16])
    if m is None:
        return None
    sources: list[str] = []
    if m.group(2):
        try:
            meta = json.loads(m.group(2))
            sources = [str(s) for s in (meta.get("distutils") or {}).get("sources") or []]
        except (ValueError, AttributeError):
            return None
    return m.group(1).decode(), [s for s in sources if s.endswith((".pyx", ".py"))]


def gitdir_file(data: bytes, rel: str) -> bool:
    """A submodule checkout's `.git` file (`gitdir: ../../.git/modules/vendor/libuv`, uvloop 0.21.0's
    vendor/libuv/.git): one line pointing into the superproject's .git/modules at the submodule's own path."""
    depth = rel.count("/")
    sub = rel.rsplit("/", 1)[0] if "/" in rel else ""
    return bool(sub) and data.strip() == f"gitdir: {'../' * depth}.git/modules/{sub}".encode()


def mo_catalog(data: bytes) -> dict[bytes, bytes] | None:
    """A GNU gettext .mo file's messages (key: msgctxt\\x04msgid[\\x00plural], value: the translations joined
    by \\x00); None when it is not one, or when it holds bytes that are none of its header, tables, hash table
    and NUL-terminated strings (msgfmt pads with NULs only: anything else is data hidden in the catalog)."""
    if len(data) < 28:
        return None
    for order in ("<", ">"):
        magic, _rev, n, keys, values, hash_size, hash_offset = struct.unpack(order + "7I", data[:28])
        if magic == 0x950412DE:
            break
    else:
        return None
    out: dict[bytes, bytes] = {}
    used = [(0, 28), (keys, keys + 8 * n), (values, values + 8 * n), (hash_offset, hash_offset + 4 * hash_size)]
    try:
        for i in range(n):
            klen, koff = struct.unpack(order + "2I", data[keys + 8 * i: keys + 8 * i + 8])
            vlen, voff = struct.unpack(order + "2I", data[values + 8 * i: values + 8 * i + 8])
            if koff + klen > len(data) or voff + vlen > len(data):
                return None
            out[data[koff:koff + klen]] = data[voff:voff + vlen]
            used += [(koff, koff + klen + 1), (voff, voff + vlen + 1)]
    except struct.error:
        return None
    end = 0
    for start, stop in sorted(used):
        if start > end and data[end:start].strip(b"\0"):
            return None
        end = max(end, stop)
    return out if not data[end:].strip(b"\0") else None


def po_catalog(text: str) -> dict[bytes, bytes] | None:
    """What msgfmt compiles from a .po file: every entry with a translation that is not fuzzy (the header
    included), keyed as in a .mo. None when the file cannot be read as a .po."""
    out: dict[bytes, bytes] = {}
    entry: dict[str, list[str]] = {}
    fuzzy = False
    field = ""

    def flush() -> None:
        if "msgid" in entry and not fuzzy:
            key = "".join(entry["msgid"])
            if "msgid_plural" in entry:
                key += "\0" + "".join(entry["msgid_plural"])
            if "msgctxt" in entry:
                key = "".join(entry["msgctxt"]) + "\x04" + key
            forms = sorted((k for k in entry if k.startswith("msgstr")), key=lambda k: int(k[7:-1] or 0) if "[" in k else 0)
            value = "\0".join("".join(entry[k]) for k in forms)
            if any("".join(entry[k]) for k in forms):
                out[key.encode()] = value.encode()
        entry.clear()

    for raw in text.splitlines() + [""]:
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("#,")):
            if not line and entry:
                flush()
                fuzzy = False
            continue
        if line.startswith("#,"):
            if entry:
                flush()
            fuzzy = "fuzzy" in [w.strip() for w in line[2:].split(",")]
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if m:
            if m.group(1) in ("msgid", "msgctxt") and ("msgstr" in entry or any(k.startswith("msgstr") for k in entry)):
                flush()
                fuzzy = False
            field = m.group(1)
            line = m.group(2)
        if not (line.startswith('"') and line.endswith('"')) or not field:
            return None
        try:
            entry.setdefault(field, []).append(ast.literal_eval(line))
        except (ValueError, SyntaxError):
            return None
    return out


def submodule_url(gitmodules: bytes, path: str, parent: str) -> str | None:
    """The URL .gitmodules gives the submodule at `path` (a relative one resolved against the superproject's
    URL), without a trailing .git (mirrors and insteadOf rules name repositories without it)."""
    current: dict[str, str] = {}
    found: list[dict[str, str]] = []
    for raw in gitmodules.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line.startswith("["):
            current = {}
            found.append(current)
        elif "=" in line:
            k, _, v = line.partition("=")
            current[k.strip().lower()] = v.strip().strip('"')
    url = next((m.get("url") for m in found if m.get("path") == path), None)
    if not url:
        return None
    if url.startswith(("./", "../")):
        base = parent.rstrip("/").split("/")
        for part in url.split("/"):
            if part == "..":
                base.pop()
            elif part not in (".", ""):
                base.append(part)
        url = "/".join(base)
    return url.removesuffix("/").removesuffix(".git")


def hatch_force_include(pyproject: Path) -> dict[str, str]:
    """hatchling's `[tool.hatch.build.targets.sdist.force-include]` (and the build-wide table): sdist path ->
    the repository path it is copied from (relative to the project's directory). {} without one."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    build = data.get("tool", {}).get("hatch", {}).get("build", {})
    out: dict[str, str] = {}
    for table in (build.get("force-include"), build.get("targets", {}).get("sdist", {}).get("force-include")):
        if isinstance(table, dict):
            out.update({str(dest).strip("/"): str(source) for source, dest in table.items()})
    return out


def force_included(rel: str, forced: dict[str, str], prefix: str) -> str | None:
    """The repository path a file of the sdist was copied from under the backend's force-include, if any: the
    entry for the file itself or for a directory holding it; None for a source outside the repository's tree."""
    for dest, source in forced.items():
        if rel == dest or rel.startswith(dest + "/"):
            return inside([p for p in prefix.split("/") if p], str(PurePosixPath(source) / rel[len(dest):].lstrip("/")))
    return None
