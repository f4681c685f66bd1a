"""Semantic comparison of METADATA, WHEEL and entry_points.txt.

Two builds of the same source with other toolchain versions write the same facts in other spellings:
`vine <6.0.0,>=5.0.0` or `vine (<6.0.0,>=5.0.0)` or `vine<6.0.0,>=5.0.0`; `extra == 'dev'` or
`extra == "dev"`; `Platform: UNKNOWN`; the description in a folded header or in the body; trailing
blank lines; `Metadata-Version`, `License-File` and `Dynamic` lines (what the toolchain declares).
Those are the named normalization `metadata-format`, each spelling listed. Everything else is a
difference with its class:

  code       what an installer or the running code acts on: Name, Version, Requires-Dist,
             Provides-Extra, Requires-Python, Requires-External, Provides/Obsoletes-Dist (compared as
             parsed requirements, specifiers and markers), entry points, WHEEL Root-Is-Purelib
  metadata   descriptive fields: Summary, Description, Home-page, Author, License, Classifier,
             Project-URL, Keywords, …
  packaging  WHEEL Tag lines, Wheel-Version, Build
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import configparser
import re
from dataclasses import dataclass, field

from packaging.markers import InvalidMarker, Marker
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.judge.classes import field_class, is_toolchain_field, table, wheel_field_class



@dataclass
class MetaDiff:
    field: str
    cls: str  # code | metadata | packaging
    detail: str
    cause: str | None = None  # probable cause, when the difference itself says it
    extras_only: list[str] | None = None  # Requires-Dist: names of the differing requirements, all of optional extras


@dataclass
class MetaComparison:
    equal: bool  # same facts (maybe other spellings)
    spellings: list[str] = field(default_factory=list)  # what differed only in spelling: metadata-format
    diffs: list[MetaDiff] = field(default_factory=list)


def _canon_marker(m: str | None) -> str:
    if not m:
        return ""
    try:
        text = str(Marker(m))
    except InvalidMarker:
        return " ".join(m.split())
    # extra names are normalized by installers (PEP 685): `extra == "dev_tools"` is `extra == "dev-tools"`
    return re.sub(r'(extra\s*==\s*")([^"]*)(")', lambda x: x.group(1) + canonicalize_name(x.group(2)) + x.group(3), text)


def _canon_requirement(s: str) -> str:
    try:
        r = Requirement(s)
    except InvalidRequirement:
        return " ".join(s.split())
    extras = ",".join(sorted(canonicalize_name(e) for e in r.extras))
    return (f"{canonicalize_name(r.name)}{f'[{extras}]' if extras else ''}{r.specifier}" + (f" @ {r.url}" if r.url else "")
            + (f"; {_canon_marker(str(r.marker))}" if r.marker else ""))


def _needs_extra(marker: Marker) -> bool:
    """The marker is false without an extra on every platform and Python, not only on this one: `and` alone joins
    its terms (at its top level), one of them `extra == "name"`. `os_name == "nt"` evaluates false here and is a
    requirement of every plain install on Windows."""
    items = getattr(marker, "_markers", None)
    while isinstance(items, list) and len(items) == 1 and isinstance(items[0], list):
        items = items[0]
    if not isinstance(items, list) or "or" in items:
        return False
    return any(isinstance(t, tuple) and len(t) == 3 and str(getattr(t[1], "value", "")) == "=="
               and any(type(x).__name__ == "Variable" and getattr(x, "value", None) == "extra" for x in (t[0], t[2]))
               for t in items)


def _extras_only(a: list[str] | None, b: list[str] | None) -> list[str] | None:
    """The names of the requirements on one side only when every one of them applies only with an
    extra (its marker is false without one, wherever it is installed: _needs_extra); None when any is a
    requirement of the plain install."""
    names = set()
    for s in set(a or []) ^ set(b or []):
        try:
            r = Requirement(s)
        except InvalidRequirement:
            return None
        if r.marker is None or not _needs_extra(r.marker) or r.marker.evaluate({"extra": ""}):
            return None
        names.add(canonicalize_name(r.name))
    return sorted(names) or None


def canon_text(s: str | None) -> str:
    """Descriptive text as a reader sees it: lines without trailing blanks, no blank lines around."""
    if not s:
        return ""
    lines = [ln.rstrip() for ln in s.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def unfold_description(s: str) -> str:
    """Old setuptools wrote the description as a header folded with 8 spaces (or `       |`)."""
    lines = s.split("\n")
    rest = lines[1:]
    if rest and all(not ln.strip() or ln.startswith("        ") for ln in rest):
        rest = [ln[8:] if ln.startswith("        ") else ln.strip() for ln in rest]
        rest = [ln[1:] if ln.startswith("|") else ln for ln in rest]
    return "\n".join([lines[0]] + rest)


def _facts(raw: Mapping[str, Any], key: str):
    v = raw.get(key)
    if v is None:
        return None
    if key == "name":
        return canonicalize_name(v)
    if key == "version":
        try:
            return str(Version(v))
        except InvalidVersion:
            return v
    if key == "requires_python":
        try:
            return str(SpecifierSet(v))
        except InvalidSpecifier:
            return v
    if key in ("requires_dist", "provides_dist", "obsoletes_dist", "requires_external"):
        return sorted(_canon_requirement(x) for x in v)
    if key == "provides_extra":
        return sorted({canonicalize_name(x) for x in v})
    if key == "description":
        return canon_text(unfold_description(v))
    if isinstance(v, list):
        return sorted(canon_text(x) for x in v)
    if isinstance(v, dict):
        return sorted((k, canon_text(x)) for k, x in v.items())
    return canon_text(v)


def _platforms(raw: Mapping[str, Any]) -> list[str]:
    return [p for p in raw.get("platforms", []) if p.strip() != "UNKNOWN"]


def compare_metadata(published: bytes, rebuilt: bytes) -> MetaComparison:
    """METADATA of the published wheel against the rebuild's, by meaning."""
    if published == rebuilt:
        return MetaComparison(True)
    try:
        a_text, b_text = published.decode("utf-8"), rebuilt.decode("utf-8")
    except UnicodeDecodeError:
        return MetaComparison(False, diffs=[MetaDiff("METADATA", "code", "not UTF-8 text")])
    a, a_bad = parse_email(a_text)
    b, b_bad = parse_email(b_text)
    out = MetaComparison(True)
    for key in sorted(set(a_bad) | set(b_bad)):  # fields packaging could not parse: compared as text
        if a_bad.get(key) != b_bad.get(key):
            out.diffs.append(MetaDiff(key, "code", f"unparsed field differs: published {a_bad.get(key)!r}, "
                                                     f"rebuilt {b_bad.get(key)!r}"))
    for key in sorted(set(a) | set(b)):
        if is_toolchain_field(key) or key == "platforms":
            continue
        fa, fb = _facts(a, key), _facts(b, key)
        if fa != fb:
            cls = field_class(key)
            extras = _extras_only(fa, fb) if key == "requires_dist" else None
            out.diffs.append(MetaDiff(_header(key), cls, _describe(fa, fb), extras_only=extras))
        elif a.get(key) != b.get(key):
            out.spellings.append(_header(key))
    if _platforms(a) != _platforms(b):
        out.diffs.append(MetaDiff("Platform", "metadata", _describe(_platforms(a), _platforms(b))))
    elif a.get("platforms") != b.get("platforms"):
        out.spellings.append("Platform: UNKNOWN")
    for key in sorted(table().toolchain_fields):
        if a.get(key) != b.get(key):
            out.spellings.append(f"{_header(key)} ({_short(a.get(key))} published, {_short(b.get(key))} rebuilt)")
    if not out.spellings and not out.diffs:
        out.spellings.append("field order or line layout")
    out.equal = not out.diffs
    return out


def _header(key: str) -> str:
    special = {"home_page": "Home-page", "metadata_version": "Metadata-Version", "requires_dist": "Requires-Dist",
               "license_files": "License-File", "provides_extra": "Provides-Extra", "project_urls": "Project-URL",
               "classifiers": "Classifier", "description_content_type": "Description-Content-Type"}
    return special.get(key, "-".join(p.capitalize() for p in key.split("_")))


def _short(v) -> str:
    if v is None:
        return "absent"
    s = ", ".join(v) if isinstance(v, list) else str(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _describe(published, rebuilt) -> str:
    if isinstance(published, list) or isinstance(rebuilt, list):
        show = lambda x: ": ".join(map(str, x)) if isinstance(x, tuple) else str(x)  # Project-URL pairs
        published, rebuilt = [show(x) for x in published or []], [show(x) for x in rebuilt or []]
        added = [x for x in published if x not in rebuilt]
        removed = [x for x in rebuilt if x not in published]
        parts = []
        if added:
            parts.append("only in the published wheel: " + "; ".join(added[:6]) + (" …" if len(added) > 6 else ""))
        if removed:
            parts.append("only in the rebuild: " + "; ".join(removed[:6]) + (" …" if len(removed) > 6 else ""))
        return ", ".join(parts) or "same entries, other count"
    a = "absent" if published is None else repr(published)[:200]
    b = "absent" if rebuilt is None else repr(rebuilt)[:200]
    return f"published {a}, rebuilt {b}"


def _wheel_fields(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """WHEEL's `Key: value` lines, wherever they stand (blank lines are layout); any other non-blank
    line is kept under the key "(line)" so that it is compared too."""
    out: dict[str, list[str]] = {}
    order: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            order.append("")
            continue
        key, sep, value = line.partition(":")
        k = key.strip() if sep else "(line)"
        out.setdefault(k, []).append(value.strip() if sep else line.strip())
        order.append(k)
    return out, order


DELOCATE = re.compile(r"^delocate \S+$")


def compare_wheel_file(published: bytes, rebuilt: bytes, tags_may_differ: str = "no",
                       purelib_may_differ: bool = False) -> tuple[MetaComparison, list[str], str | None]:
    """WHEEL by meaning. tags_may_differ: "no"; "platform" (a native platform wheel: auditwheel's
    retag changes only the platform part); "any" (a wheel for another platform or Python).
    Returns the comparison, the repair-tool lines accepted (delocate's `Generator: delocate X`, which it
    appends to the builder's own Generator line), and a note when the tags differ as allowed."""
    try:
        a, a_order = _wheel_fields(published.decode("utf-8"))
        b, b_order = _wheel_fields(rebuilt.decode("utf-8"))
    except UnicodeDecodeError:
        return MetaComparison(False, diffs=[MetaDiff("WHEEL", "packaging", "not UTF-8 text")]), [], None
    tools: list[str] = []
    gen_a = a.get("Generator", [])
    extra = [g for g in gen_a[1:] if DELOCATE.match(g)] if len(gen_a) > 1 else []
    if extra:
        tools += [f"delocate {g.split()[1]} (WHEEL Generator line)" for g in extra]
        a["Generator"] = [g for g in gen_a if g not in extra]
    out = MetaComparison(True)
    retag = None
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if key == "Tag":
            sa, sb = set(va or []), set(vb or [])
            if sa == sb:
                if va != vb:
                    out.spellings.append("WHEEL Tag order")
                continue
            same_ia = {t.rsplit("-", 1)[0] for t in sa} == {t.rsplit("-", 1)[0] for t in sb}
            if tags_may_differ == "any" or (tags_may_differ == "platform" and same_ia):
                retag = f"tags only: published {', '.join(va or [])}; rebuilt {', '.join(vb or [])}"
                continue
            py2 = ("built with Python 2, which tags a pure wheel py2-none-any (the sandbox has no Python 2)"
                   if sa == {"py2-none-any"} else None)
            out.diffs.append(MetaDiff("WHEEL Tag", "packaging", _describe(sorted(sa), sorted(sb)), py2))
        elif key == "Root-Is-Purelib":
            if [x.lower() for x in va or []] != [x.lower() for x in vb or []] and not purelib_may_differ:
                out.diffs.append(MetaDiff("WHEEL Root-Is-Purelib", wheel_field_class(key), _describe(va, vb)))
        elif key == "Generator" and va and vb and va != vb:
            out.spellings.append(f"WHEEL Generator ({_short(va)} published, {_short(vb)} rebuilt)")
        elif va != vb:
            out.diffs.append(MetaDiff(f"WHEEL {key}", wheel_field_class(key), _describe(va, vb)))
    if not out.diffs and not out.spellings and not retag and not tools and a_order != b_order:
        out.spellings.append("WHEEL field order")
    out.equal = not out.diffs
    return out, tools, retag


_OTHER_LINE_BREAKS = frozenset("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # str.splitlines' breaks but \n


def parse_entry_points(data: bytes) -> dict[str, dict[str, str]] | None:
    """entry_points.txt's groups, names and object references, white space folded (None: unreadable). Read as
    importlib.metadata reads it, which is no config file: a line starting with `;` is an entry (named `;x`), not a
    comment; [DEFAULT] is a group like any other, not every group's defaults; an indented line is an entry of its
    own, not the previous value continued (such a file is unreadable here). importlib.metadata splits lines with
    str.splitlines, configparser with \\n only: a file holding any other line break (\\r alone, \\v, \\f, \\x1c-\\x1e,
    \\x85, \\u2028, \\u2029) would hide an entry behind a comment here, so it is unreadable."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ch in _OTHER_LINE_BREAKS for ch in text.replace("\r\n", "\n")):
        return None
    cp = configparser.ConfigParser(delimiters=("=",), comment_prefixes=("#",), interpolation=None,
                                   default_section="\0no default section\0")
    cp.optionxform = str  # type: ignore[assignment]
    try:
        cp.read_string(text)
    except configparser.Error:
        return None
    groups = {s: dict(cp.items(s)) for s in cp.sections()}
    if any("\n" in v.strip() for items in groups.values() for v in items.values()):
        return None
    return {s: {k.strip(): " ".join(v.split()) for k, v in items.items()} for s, items in groups.items()}


def compare_entry_points(published: bytes, rebuilt: bytes) -> MetaComparison:
    """entry_points.txt by meaning: sections and names with their object references."""
    a, b = parse_entry_points(published), parse_entry_points(rebuilt)
    if a is None or b is None or a != b:
        return MetaComparison(False, diffs=[MetaDiff("entry_points.txt", "code", "entry points differ")])
    return MetaComparison(True, spellings=["entry_points.txt layout"])
