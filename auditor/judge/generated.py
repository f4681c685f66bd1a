"""Rules for files a build generates itself, whose bytes depend on the builder's tool versions or machine:
version files a VCS version plugin writes (setuptools-scm's commit id, another plugin version's template)
and checksum files of the build's own sources that name the builder's checkout. Each returns whether it
accounted for the member, and records what it did in the Comparison (judge/registry.py lists them)."""

from __future__ import annotations

import ast
import re

from auditor.fetch.archives import WheelArchive
from auditor.judge.configured import never_configured
from auditor.judge.rules import checksum_rows, constants_module, scm_commit_id
from auditor.records import Comparison


def scm_version(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    if not name.endswith(".py"):
        return False
    try:
        ok = scm_commit_id(pub.read(name, 1 << 16), reb.read(name, 1 << 16))
    except Exception:
        return False
    if ok:
        out.tool_steps.append(f"setuptools-scm version file {name}: the commit id of the publisher's checkout")
        out.members_verified += 1
    return ok


def source_checksums(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    """A checksum file of the build's own sources that differs only in the builder's checkout directory
    (and in the hashes of files whose bytes differ, which are each compared as members): build-path. Never a file
    that runs (a script, an executable, a .pth, a module, a native library): its `path` would be a command."""
    if name.endswith((".py", ".pyi", ".pth")) or ".dist-info/" in name or never_configured(name) \
            or pub.members[name].executable or reb.members[name].executable:
        return False
    a, b = checksum_rows(pub, name), checksum_rows(reb, name)
    if a and not b and _unnamed_checksums(reb, name, [m for _, m in a]):
        # aiohttp 3.12.14: the published lines name the builder's checkout, the rebuild's name none; every
        # hash is still that member's sha256, in its own wheel
        out.normalizations.append("build-path")
        out.format_notes.append(f"{name}: checksums of {len(a)} file(s) named by the builder's checkout {a[0][0]!r} "
                                "(published), by no path (rebuilt); each equals its file in its own wheel")
        out.members_verified += 1
        return True
    if not a or not b or [m for _, m in a] != [m for _, m in b]:
        return False
    out.normalizations.append("build-path")
    out.format_notes.append(f"{name}: checksums of {len(a)} file(s) named by the builder's checkout "
                            f"{a[0][0]!r} (published), {b[0][0]!r} (rebuilt); each equals its file in its own wheel")
    out.members_verified += 1
    return True


def _unnamed_checksums(wa: WheelArchive, name: str, members: list[str]) -> bool:
    """`name` holds one sha256 line per member of `members`, in order, each that member's sha256 in this
    wheel, the line naming no absolute path (a relative one, or none)."""
    try:
        lines = [ln.strip() for ln in wa.read(name, limit=1 << 16).decode("utf-8").splitlines() if ln.strip()]
    except Exception:
        return False
    if len(lines) != len(members):
        return False
    for line, member in zip(lines, members):
        digest, _, path = line.partition(" ")
        path = path.strip().lstrip("*")
        if member not in wa.members or digest != wa.members[member].sha256 or path.startswith("/") or ":" in path:
            return False
        if path and not member.endswith(path.replace("\\", "/")):
            return False
    return True


def _version_strings(data: bytes) -> set[str] | None:
    """The string constants a .py assigns to names that say `version` (`__version__ = version = '0.9.0'`,
    `version_tuple`'s strings aside), or None when it does not parse."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    found = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and "version" in t.id.lower() and "tuple" not in t.id.lower() for t in targets) \
                and isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.add(value.value)
    return found


def sdist_version_file(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison, files) -> bool:
    """A version file a VCS version plugin wrote: the published copy is the sdist's own file byte for byte
    (the publisher's plugin wrote it into both), and the rebuild's plugin, another version of it, wrote
    another template stating the same version (tabulate 0.9.0: setuptools_scm 2022's 181 bytes in the sdist
    and the wheel, 176 from the rebuild's). A different version, or a published copy that is not the
    sdist's, stays a difference. A published copy that can run anything is none either, even the sdist's byte
    for byte: a plugin writes constants only, and the rebuild wrote its own file over the sdist's (so code there is
    not what the sdist builds into). True when accounted for."""
    if files is None or not name.endswith(".py"):
        return False
    try:
        a, b = pub.read(name, limit=1 << 20), reb.read(name, limit=1 << 20)
    except Exception:
        return False
    if files.read(name, limit=1 << 20) != a:
        return False
    va, vb = _version_strings(a), _version_strings(b)
    if not va or va != vb or not any(constants_module(a, v) for v in va):
        return False
    out.tool_steps.append(f"version file {name}: the sdist's own copy, stating the rebuild's version "
                          f"({', '.join(sorted(va))}) in another plugin's template")
    out.members_verified += 1
    return True


_PLACEHOLDER = re.compile(r"@\w+@|\$\{?\w+\}?|\{\{?\s*\w+\s*\}?\}|%\(\w+\)s")


def _string_assignments(data: bytes) -> list[ast.Assign] | None:
    """A file's statements when each (docstrings aside) assigns a string or a name to names; None otherwise."""
    try:
        body = ast.parse(data).body
    except (SyntaxError, ValueError):
        return None
    out = []
    for n in body:
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
            continue
        if not isinstance(n, ast.Assign) or not all(isinstance(t, ast.Name) for t in n.targets) or not (
                isinstance(n.value, ast.Name) or isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)):
            return None
        out.append(n)
    return out


def version_template(template: bytes, written: bytes, version: str) -> bool:
    """`template`, the sdist's file at the place of the version file `written` (the sources check), is the template
    the build rewrites (grpcio's _grpcio_metadata.py under its licence header): it assigns the same names, each the
    release's version, a placeholder (`@VERSION@`, `{version}`, `${VERSION}`) or a name so assigned. A module of the
    sdist that holds anything else (code, a flag) is no template: rewritten into assignments of the version, it is
    no version file the build writes."""
    a, b = _string_assignments(template), _string_assignments(written)
    names = {t.id for n in a or () for t in n.targets if isinstance(t, ast.Name)}
    if a is None or b is None or not names or names != {t.id for n in b for t in n.targets if isinstance(t, ast.Name)}:
        return False
    return all(isinstance(n.value, ast.Name) or (isinstance(n.value, ast.Constant) and (
        str(n.value.value).strip() == version or _PLACEHOLDER.search(str(n.value.value)))) for n in a)


_REVISION = re.compile(r"g?[0-9a-f]{7,40}")
_NO_REVISION = ("", "unknown", "none")
_REVISION_NAME = re.compile(r"(?i)git|revision|commit|hash|sha")


class _Revisions(ast.NodeTransformer):
    """A module's tree with the string assigned to each revision-named variable taken out (kept in `found`)."""

    def __init__(self) -> None:
        self.found: list[object] = []

    def visit_Assign(self, node: ast.Assign):
        if all(isinstance(t, ast.Name) and _REVISION_NAME.search(t.id) for t in node.targets) \
                and isinstance(node.value, ast.Constant) and (node.value.value is None or isinstance(node.value.value, str)):
            self.found.append(node.value.value)
            node.value = ast.Constant(value="\0revision\0")
        return node


def _revisions(data: bytes) -> tuple[str, list[object]] | None:
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    walker = _Revisions()
    return ast.dump(walker.visit(tree)), walker.found


def vcs_revision(pub: WheelArchive, reb: WheelArchive, name: str, out: Comparison) -> bool:
    """A version module the build generates with the checkout's revision (pywavelets 1.9.0's pywt/version.py
    `git_revision = 'c7bca20…'`, autobahn's _git_version.py): the same module but for strings assigned to
    revision-named variables, the published one a hex revision, the rebuild's 'Unknown', empty or None (an sdist
    has no .git). Any other difference, or a value that is no hex revision, is not this rule's."""
    if not name.endswith(".py") or never_configured(name):
        return False
    try:
        a, b = _revisions(pub.read(name, 1 << 16)), _revisions(reb.read(name, 1 << 16))
    except Exception:
        return False
    if a is None or b is None or a[0] != b[0] or not a[1] or len(a[1]) != len(b[1]):
        return False
    pairs = [(x, y) for x, y in zip(a[1], b[1]) if x != y]
    if not pairs or not all(isinstance(x, str) and _REVISION.fullmatch(x)
                            and (y is None or str(y).strip().lower() in _NO_REVISION) for x, y in pairs):
        return False
    out.tool_steps.append(f"version module {name}: the revision of the publisher's checkout ({pairs[0][0]})")
    out.members_verified += 1
    return True
