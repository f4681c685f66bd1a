"""Members of a platform wheel that the release's build derives from files the sdist holds, in ways a
rebuild with another toolchain or on another platform does not repeat byte for byte. Each is accepted
only when every byte it holds is accounted for by the sdist; all are named in the verdict.

- configured file: meson's `configure_file` (and CMake's, autoconf's) writes X from the sdist's X.in,
  substituting `@VAR@` placeholders and `#mesondefine`/`#cmakedefine` lines (numpy's `__config__.py`
  records the compiler, `_numpyconfig.h` the platform's headers). Accepted when the member is the
  template with only those substituted: for a `.py`, its syntax tree equals the template's but for
  string constants that held a placeholder (and a bare placeholder become a literal constant), so no
  substitution can add code; for other files line by line, a substituted value holding no quote,
  backslash or newline, a `#…define` line becoming `#define NAME [value]` or `/* #undef NAME */`.
  Listed as not reproduced: the values are the publisher's build environment.
- appended licenses: a release step that bundles libraries appends their licenses to the project's
  license file before building (numpy's cibw_before_build.sh: LICENSE.txt + `----` + LICENSES_bundled.txt
  + tools/wheels/LICENSE_linux.txt). Accepted when the published file is the rebuild's followed by
  files the sdist holds, whole, with only separator lines (blank, `----`) between: verified, every byte
  is the sdist's. METADATA's `License` field read from that file differs the same way, and is
  accepted only when each side's field is its own wheel's license file.
- bytecode: a timestamp-based `__pycache__/M.cpython-3X.pyc` beside its `M.py` in the wheel, left by a
  build step that ran the module with the build's interpreter (numpy/distutils/conv_template):
  compiled, accounted for by its source, listed as not reproduced (a hash-based one is not).
"""

from __future__ import annotations

from collections.abc import Mapping

import ast
import re
from functools import cached_property
from pathlib import Path

from auditor.judge.metadata import canon_text, unfold_description

_PLACEHOLDER = re.compile(rb"@([A-Za-z_][A-Za-z0-9_]*)@")
_DEFINE_TEMPLATE = re.compile(rb"^(\s*)#\s*(?:mesondefine|cmakedefine01|cmakedefine)\s+([A-Za-z_]\w*)(?:\s+.*)?$")
_DEFINE_LINE = re.compile(rb"(?m)^\s*#\s*(?:mesondefine|cmakedefine)")
_SAFE_VALUE = rb"[^\"'\\\n]*"
_MARK = "AUDITOR_PLACEHOLDER_"
_SOURCE_ROOTS = ("src", "lib", "python")


def _the_one(found: list[Path], limit: int) -> bytes | None:
    """The bytes of the one file found (None: none, several, unreadable or larger than `limit`)."""
    if len(found) != 1:
        return None
    try:
        data = found[0].read_bytes()
    except OSError:
        return None
    return data if len(data) <= limit else None


class SdistFiles:
    """The extracted sdist's regular files by each path suffix they can have in a wheel (as in the
    sources check), read when asked."""

    def __init__(self, root: Path, index: Mapping[str, list[Path]]):
        self.root = root
        self.index = index

    def read(self, key: str, limit: int = 1 << 22) -> bytes | None:
        return _the_one(self.index.get(key) or [], limit)

    def _at(self, key: str) -> list[Path]:
        return [p for p in self.index.get(key) or [] if str(p.relative_to(self.root)) in
                {key, *(f"{r}/{key}" for r in _SOURCE_ROOTS)}]

    def path_of(self, key: str, at: bool = False) -> str:
        """The relative path of the one file read(key) (at=True: read_at(key)) reads."""
        return str((self._at(key) if at else self.index[key])[0].relative_to(self.root))

    def read_at(self, key: str) -> bytes | None:
        """The sdist's file at wheel path `key` itself: at the sdist's root or below one source root (src/, lib/,
        python/), not any file whose path merely ends so."""
        return _the_one(self._at(key), 1 << 22)

    @cached_property
    def license_texts(self) -> list[tuple[str, bytes]]:
        """(relative path, text with LF line ends) of every file of the sdist whose path names a license
        (at most 2 MiB), read once however many wheels ask."""
        out, seen = [], set()
        for paths in self.index.values():
            for p in paths:
                if p in seen:
                    continue
                seen.add(p)
                rel = str(p.relative_to(self.root))
                if not re.search(r"(?i)licen[cs]e|copying|notice|copyright|authors", rel):
                    continue
                try:
                    if p.stat().st_size <= 1 << 21:
                        out.append((rel, p.read_bytes().replace(b"\r\n", b"\n")))
                except OSError:
                    continue
        return out


# ---------------------------------------------------------------- configured files

_CODE = (".py", ".pyi", ".pyx", ".pxd", ".h", ".hpp", ".c", ".cc", ".cpp")
# what can run once installed whatever its bytes: a .pth (site.py executes its import lines), a script, an entry
# point, bytecode, a native library: never accounted for as a configured file, on any path
_NEVER = re.compile(r"(\.pth|\.pyw|\.pyc|\.pyo|\.so|\.so\.[0-9.]+|\.pyd|\.dll|\.dylib|\.exe|\.sh|\.bat|\.cmd|\.ps1)$|"
                    r"^[^/]+\.data/(scripts|data/(bin|sbin|Scripts))/|^[^/]+\.dist-info/entry_points\.txt$", re.I)
# what a value substituted into a configured Python module may not hold: a build environment's value (a compiler's
# name, version, flags, a path) needs none of these; code or a shell command for a template that passes the value
# on to exec() or a shell does
_UNSAFE_VALUE = re.compile(r"[;|&$`<>()\n\r]")


def never_configured(member: str) -> bool:
    """A member no configured-file rule may account for: a .pth, a script, entry points, bytecode, a native library."""
    return _NEVER.search(member) is not None


def configured_from(member: str, data: bytes, files: SdistFiles | None, rebuilt: bytes | None = None) -> str | None:
    """The sdist's template (its path) when `data` is that template with only its placeholders
    substituted; None otherwise. `rebuilt`: the rebuild's configured file, whose lines are taken as
    they are where the published ones equal them (a value the rebuild also wrote needs no check)."""
    if files is None:
        return None
    if never_configured(member) or data.startswith(b"#!"):  # a file with an interpreter line runs when executed
        return None
    parts = member.split("/")
    code = member.endswith(_CODE)
    # the template at the member's own place in the sdist (at its root or below a source root: src/, lib/,
    # python/); for a data file, else the one file of that name (meson installs numpy/core/mlib.ini.in's output
    # under numpy/core/lib/npy-pkg-config/). A code file's template is never taken from another place: any
    # template anywhere in the sdist would otherwise account for a member of that name anywhere in the wheel
    keys = [f"{'/'.join(parts[i:])}{suffix}" for suffix in (".in", ".cmake") for i in range(1 if code else len(parts))]
    data = data.replace(b"\r\n", b"\n")  # written on Windows
    if rebuilt is not None:
        rebuilt = rebuilt.replace(b"\r\n", b"\n")
    for key in keys:
        template = files.read_at(key) if code else files.read(key)
        if template is None:
            continue
        template = template.replace(b"\r\n", b"\n")
        if not (_PLACEHOLDER.search(template) or _DEFINE_LINE.search(template)):
            continue
        ok = _same_python(template, data) if member.endswith(".py") else _same_lines(template, data, rebuilt, code)
        if ok:
            return files.path_of(key, at=code)
    return None


def _same_lines(template: bytes, data: bytes, rebuilt: bytes | None = None, code: bool = True) -> bool:
    t_lines, d_lines = template.split(b"\n"), data.split(b"\n")
    r_lines = rebuilt.split(b"\n") if rebuilt is not None else []
    if len(t_lines) != len(d_lines):
        return False
    if len(r_lines) != len(d_lines):
        r_lines = [b"\0no such line\0"] * len(d_lines)  # no rebuilt line to match
    for t, d, r in zip(t_lines, d_lines, r_lines):
        if t == d or d == r:
            continue
        m = _DEFINE_TEMPLATE.match(t)
        if m:
            name = re.escape(m.group(2))
            if re.fullmatch(rb"\s*#define " + name + rb"(?: [\w.+-]+)?\s*|\s*/\* #undef " + name + rb" \*/\s*", d):
                continue
            return False
        if not _PLACEHOLDER.search(t):
            return False
        parts = _PLACEHOLDER.split(t)
        value = _SAFE_VALUE if code else rb"[^\"'\n]*"  # a path separator `\` of a Windows .ini is no escape
        pattern = b"".join(re.escape(p) if i % 2 == 0 else value for i, p in enumerate(parts))
        if not re.fullmatch(pattern, d):
            return False
    return True


_BARE = object()


class _BarePlaceholders(ast.NodeTransformer):
    """A placeholder outside a string (`"debug": @IS_DEBUG@`) parses as a name: made a marked constant."""

    def visit_Name(self, node: ast.Name):
        return ast.Constant(value=_BARE) if node.id.startswith(_MARK) else node  # type: ignore[arg-type]


def _same_python(template: bytes, data: bytes) -> bool:
    try:
        t_src = _PLACEHOLDER.sub(lambda m: (_MARK + m.group(1).decode()).encode(), template).decode("utf-8")
        t_tree, d_tree = ast.parse(t_src), ast.parse(data.decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return False
    t_tree = _BarePlaceholders().visit(t_tree)
    t_nodes, d_nodes = list(ast.walk(t_tree)), list(ast.walk(d_tree))
    if len(t_nodes) != len(d_nodes):
        return False
    for t, d in zip(t_nodes, d_nodes):
        if isinstance(t, ast.Constant) and t.value is _BARE:  # a bare placeholder: only a literal may replace it
            if not (isinstance(d, ast.Constant) and (d.value is None or isinstance(d.value, (bool, int, float)))):
                return False
            continue
        if type(t) is not type(d):
            return False
        if isinstance(t, ast.Constant) and isinstance(d, ast.Constant):
            if isinstance(t.value, str) and _MARK in t.value:
                if not isinstance(d.value, str):
                    return False
                parts = re.split(_MARK + r"[A-Za-z0-9_]+", t.value)
                m = re.fullmatch("(?s)" + "(.*)".join(re.escape(p) for p in parts), d.value)
                if not m or any(_UNSAFE_VALUE.search(v) for v in m.groups()):
                    return False
            elif t.value != d.value or type(t.value) is not type(d.value):
                return False
            continue
        for field, value in ast.iter_fields(t):
            if isinstance(value, (ast.AST, list)) and not (isinstance(value, list) and value and
                                                            all(isinstance(v, str) for v in value)):
                continue
            if value != getattr(d, field, None):
                return False
    return True


# ---------------------------------------------------------------- appended licenses

_SEPARATOR = re.compile(rb"^[ \t]*(?:-{2,}|={2,}|\*{2,})?[ \t]*\r?$")


def appended_licenses(published: bytes, rebuilt: bytes, files: SdistFiles | None) -> list[str] | None:
    """The sdist files (paths) that, appended whole to the rebuild's license file with only separator
    lines between, make the published one; None when that is not so."""
    if files is None:
        return None
    published, rebuilt = published.replace(b"\r\n", b"\n"), rebuilt.replace(b"\r\n", b"\n")  # a Windows checkout
    if not published.startswith(rebuilt) or len(published) == len(rebuilt):
        return None
    rest = published[len(rebuilt):]
    candidates = [(rel, data) for rel, data in files.license_texts if len(data) > 16 and data in rest]
    used: list[str] = []
    while rest:
        best = max((c for c in candidates if rest.startswith(c[1])), key=lambda c: len(c[1]), default=None)
        if best is not None:
            used.append(best[0])
            rest = rest[len(best[1]):]
            continue
        line_end = rest.find(b"\n")
        line = rest if line_end < 0 else rest[: line_end]
        if not _SEPARATOR.match(line):
            return None
        rest = b"" if line_end < 0 else rest[line_end + 1:]
    return used or None


def license_file_of_field(wa, value: str) -> str | None:
    """The dist-info license file of wheel `wa` whose text is `value` (METADATA's License field)."""
    canon = canon_text(unfold_description(value))
    for name in wa.members:
        top, _, leaf = name.partition("/")
        if top.endswith(".dist-info") and re.search(r"(?i)licen[cs]e|copying", leaf):
            try:
                text = wa.read(name, limit=1 << 22).decode("utf-8", "replace")
                if canon_text(unfold_description(text)) == canon:
                    return name
            except Exception:
                continue
    return None



# ---------------------------------------------------------------- bytecode

_PYC = re.compile(r"^(?P<dir>(?:.+/)?)__pycache__/(?P<mod>[A-Za-z_]\w*)\.(?:cpython|pypy)-?\d+\.(?:opt-\d\.)?pyc$")


def bytecode_of(name: str, members, data: bytes | None = None) -> str | None:
    """The wheel's .py that `name` (a __pycache__ .pyc) is the bytecode of, when the wheel holds it. With
    `data` (the .pyc's bytes), only a timestamp-based .pyc counts: Python uses it only while the source
    keeps the mtime and size its header records, which an installed file written anew does not; a
    hash-based one (PEP 552), which may skip checking its source, is never accounted for."""
    m = _PYC.match(name)
    if not m:
        return None
    if data is not None and (len(data) < 16 or int.from_bytes(data[4:8], "little") != 0):
        return None
    source = f"{m.group('dir')}{m.group('mod')}.py"
    return source if source in members else None


class SdistSources(frozenset):
    """Module names the sdist holds a source for (C, C++, Cython, or a .py that mypyc or Cython may compile: what
    can account for a compiled module the rebuild did not build); `native`: of those, the modules with a C, C++
    or Cython source; `files`: the sdist's files by wheel path, for the rules that account for a member by what
    the sdist holds. All given when it is made (judge/sources.extension_sources)."""

    native: frozenset[str]
    files: SdistFiles | None

    def __new__(cls, names=(), native=(), files: SdistFiles | None = None) -> SdistSources:
        made = super().__new__(cls, names)
        made.native = frozenset(native)
        made.files = files
        return made
