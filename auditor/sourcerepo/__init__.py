"""The chain's first link: an sdist against its project's repository at the release's tag.

check() finds the repository (the sdist's Project-URL Source/Repository/Code, else its Home-page), the
release's tag (`v1.2.3`, `1.2.3`, `name-1.2.3`...), fetches that commit with plain git on the host (never in
the build sandbox), and compares every file of the sdist with the tree. Files of the repository that the sdist
leaves out are no differences. What honest releases add or change is a named rule of judge/registry.py:
PKG-INFO and *.egg-info/ (the sdist step's metadata), egg_info's setup.cfg section, a version file a VCS plugin
writes (only assignments of the release's version), git's export-subst placeholders filled in, a link of the
repository stored as the file it points to, bytecode whose code is the .py's beside it. Anything else
`differs`: class code for what can run (modules, build scripts, .pth, bytecode, executables), else packaging.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import marshal
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from auditor.judge.metadata import parse_email
from auditor.judge.registry import check_rules
from auditor.judge.rules import version_file
from auditor.sourcerepo import git

_SOURCE_LABELS = ("source", "source code", "repository", "code", "github", "gitlab", "homepage", "home")
_HOSTS = re.compile(r"^https?://(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|git\.sr\.ht|gitlab\.[\w.-]+)/"
                    r"[\w.-]+/[\w.-]+")
_CODE = re.compile(r"(\.py|\.pyc|\.pyx|\.pxd|\.pth|\.c|\.h|\.cc|\.cpp|\.rs|\.sh|\.so|\.pyd|/setup\.py|^setup\.py|"
                   r"pyproject\.toml|setup\.cfg|meson\.build|CMakeLists\.txt|Makefile|\.in)$")


@dataclass
class SourceDifference:
    path: str
    kind: str  # added | content | mode
    cls: str  # code | packaging
    cause: str


@dataclass
class SourceRepoResult:
    """results.json's `source_repo` of a release."""

    verdict: str  # matches | explained | differs | unavailable
    url: str | None = None
    tag: str | None = None
    commit: str | None = None
    reason: str | None = None
    files: int = 0  # files of the sdist compared
    subdirectory: str | None = None  # where in the repository the project lives (a monorepo: hatch's backend/)
    rules: list[str] = field(default_factory=list)  # the named rules that explained a file
    differences: list[SourceDifference] = field(default_factory=list)


def repository_url(pkg_info: Mapping[str, Any]) -> str | None:
    """The repository an sdist names: a Project-URL labelled as its source, else one on a code host, else the
    Home-page when it is on a code host (the PEP 740 provenance's repository would come first: the index
    here serves none)."""
    urls = []
    for entry in pkg_info.get("project_urls", {}).items() if isinstance(pkg_info.get("project_urls"), dict) else []:
        urls.append((entry[0].strip().lower(), entry[1].strip()))
    for label in _SOURCE_LABELS:
        for name, url in urls:
            if name == label and (_HOSTS.match(url) or url.endswith(".git")):
                return _clone_url(url)
    for _, url in urls:
        if _HOSTS.match(url):
            return _clone_url(url)
    home = str(pkg_info.get("home_page") or "")
    return _clone_url(home) if _HOSTS.match(home) else None


def _clone_url(url: str) -> str:
    m = _HOSTS.match(url)
    base = m.group(0) if m else url
    return base.removesuffix(".git").rstrip("/")


def tag_for(tags: dict[str, str], name: str, version: str) -> str | None:
    """The release's tag among the repository's: v1.2.3, 1.2.3, name-1.2.3, name-v1.2.3, release-1.2.3."""
    canon = canonicalize_name(name)
    wanted = [f"v{version}", version, f"{name}-{version}", f"{canon}-{version}", f"{name}-v{version}",
              f"{canon}-v{version}", f"release-{version}", f"{name}_{version}", f"{canon.replace('-', '_')}-{version}"]
    return next((t for t in wanted if t in tags), None)


def check(src: Path, name: str, version: str, repos: Path) -> SourceRepoResult:
    """The sdist extracted at `src` against its repository at the release's tag (never raises)."""
    pkg_info: Mapping[str, Any] = {}
    try:
        pkg_info = parse_email((src / "PKG-INFO").read_text(encoding="utf-8", errors="replace"))[0]
    except OSError:
        pass
    url = repository_url(pkg_info)
    if url is None:
        return SourceRepoResult("unavailable", reason="the sdist names no repository (Project-URL, Home-page)")
    try:
        tags = git.tags(url)
    except git.GitError as exc:
        return SourceRepoResult("unavailable", url=url, reason=f"the repository did not answer: {exc}")
    tag = tag_for(tags, name, version)
    if tag is None:
        return SourceRepoResult("unavailable", url=url, reason=f"no tag for {version} among the repository's "
                                f"{len(tags)} tags")
    try:
        repo = git.fetch(url, tag, tags[tag], repos)
        tree = git.tree(repo, tags[tag])
        return compare(src, repo, tree, SourceRepoResult("matches", url=url, tag=tag, commit=tags[tag]), version)
    except git.GitError as exc:
        return SourceRepoResult("unavailable", url=url, tag=tag, commit=tags[tag], reason=f"fetch failed: {exc}")


def compare(src: Path, repo: Path, tree: dict[str, git.TreeEntry], out: SourceRepoResult,
            version: str) -> SourceRepoResult:
    """Every file of the sdist against the tree; the verdict from what differs and what a rule explained."""
    prefix = _project_dir(src, repo, tree)
    if prefix:
        out.rules.append("project-subdirectory")
        out.subdirectory = prefix.rstrip("/")
    for f in sorted(p for p in src.rglob("*") if p.is_file() or p.is_symlink()):
        rel = f.relative_to(src).as_posix()
        out.files += 1
        entry = _lookup(tree, repo, prefix + rel)
        if entry is not None and entry.path != prefix + rel and entry.mode != "120000":
            out.rules.append("link-stored-as-file")  # reached through a link to a directory (requests' certs)
        if entry is None and prefix:  # a monorepo's root file its backend copies into the sdist (hatch's .gitignore)
            entry = _lookup(tree, repo, rel)
        rule = _explained(f, rel, entry, repo, tree, version, out.commit or "")
        if rule == "":
            continue  # the same bytes
        if rule:
            out.rules.append(rule)
            continue
        kind = "added" if entry is None else "content"
        cls = "code" if _CODE.search(rel) or (f.stat().st_mode & 0o111 and f.is_file()) else "packaging"
        cause = "not in the repository at the tag" if entry is None else "differs from the repository's file at the tag"
        out.differences.append(SourceDifference(rel, kind, cls, cause))
    out.rules = sorted(set(out.rules))
    check_rules(out.rules)
    out.verdict = "differs" if out.differences else "explained" if out.rules else "matches"
    n = len(out.differences)
    out.reason = (f"{n} file(s) of the sdist not in or not as the repository's {out.tag}: "
                  f"{', '.join(d.path for d in out.differences[:5])}" if n else
                  f"{out.files} files as the repository's {out.tag}" + (f" (after {', '.join(out.rules)})" if out.rules else ""))
    return out


def _explained(f: Path, rel: str, entry: git.TreeEntry | None, repo: Path, tree: dict, version: str,
               commit: str) -> str | None:
    """"" when the file is the tree's byte for byte, the name of the rule that explains it, or None."""
    data = f.read_bytes() if f.is_file() and not f.is_symlink() else b""
    if entry is not None and entry.kind == "blob" and entry.mode != "120000":
        theirs = git.blob(repo, entry.sha)
        if theirs == data:
            return ""
        if rel.split("/")[-1] == "setup.cfg" and _egg_info_section_only(theirs, data):
            return "egg-info-setup-cfg"
        if b"$Format:" in theirs and _export_subst(theirs, data, commit):
            return "export-subst"
        return None
    if entry is not None and entry.mode == "120000":  # a link in the repository, a file in the sdist
        target = (Path(rel).parent / git.blob(repo, entry.sha).decode("utf-8", "replace")).as_posix()
        target = _normpath(target)
        linked = tree.get(target)
        if linked is not None and linked.kind == "blob" and git.blob(repo, linked.sha) == data:
            return "link-stored-as-file"
        return None
    if rel == "PKG-INFO" or re.search(r"(^|/)[^/]+\.egg-info/", rel):
        return "sdist-metadata"
    if rel.split("/")[-1] == "setup.cfg" and _egg_info_section_only(b"", data):  # markupsafe 3.0.2: only the section
        return "egg-info-setup-cfg"
    if rel.endswith(".py") and (version_file(data, version) or vcs_template(data, version)):
        return "vcs-version-file"
    if rel.endswith(".pyc") and _bytecode_of_source(f, data):
        return "bytecode-of-source"
    return None


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


def _project_dir(src: Path, repo: Path, tree: dict[str, git.TreeEntry]) -> str:
    """"" when the sdist's project is the repository's root, else the subdirectory of the tree whose
    pyproject.toml (or setup.py) is the sdist's byte for byte (hatchling's sdist is hatch's backend/)."""
    for marker in ("pyproject.toml", "setup.py"):
        f = src / marker
        if not f.is_file():
            continue
        data = f.read_bytes()
        if marker in tree and git.blob(repo, tree[marker].sha) == data:
            return ""
        for path, entry in sorted(tree.items()):
            if path.endswith("/" + marker) and entry.kind == "blob" and git.blob(repo, entry.sha) == data:
                return path[: -len(marker)]
    return ""


def _lookup(tree: dict[str, git.TreeEntry], repo: Path, path: str, depth: int = 0) -> git.TreeEntry | None:
    """The tree's entry at `path`, following the repository's links to directories on the way (never out of
    the tree, at most 8 deep): requests 2.32.4's tests/certs/*/client/ca is a link to a directory."""
    if path in tree or depth > 8:
        return tree.get(path)
    parts = path.split("/")
    for i in range(len(parts) - 1, 0, -1):
        head = "/".join(parts[:i])
        link = tree.get(head)
        if link is not None and link.mode == "120000":
            target = _normpath("/".join(parts[: i - 1] + [git.blob(repo, link.sha).decode("utf-8", "replace")]))
            if not target or target.startswith(".."):
                return None
            return _lookup(tree, repo, "/".join([target] + parts[i:]), depth + 1)
    return None


def _normpath(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return "/".join(parts)


def _egg_info_section_only(theirs: bytes, mine: bytes) -> bool:
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


def _export_subst(theirs: bytes, mine: bytes, commit: str) -> bool:
    """git archive's export-subst filled the placeholders: every line is the repository's, or one with
    `$Format:...$` whose filled value names the tag's commit or only refs and dates."""
    a, b = theirs.decode("utf-8", "replace").splitlines(), mine.decode("utf-8", "replace").splitlines()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if "$Format:" not in x:
            return False
        head = x.split("$Format:", 1)[0]
        if not y.startswith(head):
            return False
        value = y[len(head):]
        if re.fullmatch(r"[0-9a-f]{7,40}", value.strip()) and not commit.startswith(value.strip()):
            return False
        if re.search(r"[;|&`$]", value):
            return False
    return True


def _bytecode_of_source(f: Path, data: bytes) -> bool:
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


def _same_code(a, b) -> bool:
    if type(a) is not type(b) or not hasattr(a, "co_code"):
        return a == b
    if a.co_code != b.co_code or a.co_names != b.co_names or a.co_varnames != b.co_varnames:
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    return all(_same_code(x, y) if hasattr(x, "co_code") else x == y for x, y in zip(a.co_consts, b.co_consts))
