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

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.judge.classes import sdist_class
from auditor.judge.metadata import parse_email
from auditor.judge.registry import check_rules
from auditor.records import RepoVerdict
from auditor.judge import profiles
from auditor.sourcerepo import checks, git, rules

_SOURCE_LABELS = ("source", "source code", "repository", "code", "github", "gitlab", "homepage", "home")
_HOSTS = re.compile(r"^https?://(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|git\.sr\.ht|gitlab\.[\w.-]+)/"
                    r"[\w.-]+/[\w.-]+")
# what autoreconf writes beside a configure.ac: never in the repository, run (configure) or read (the .m4 macros)
# by the build. The xz backdoor hid in one (m4/build-to-host.m4 of the release tarball)
_AUTOTOOLS = re.compile(r"(^|/)(configure|Makefile\.in|aclocal\.m4|config\.(guess|sub|h\.in)|ltmain\.sh|install-sh|"
                        r"missing|depcomp|compile|ar-lib|test-driver|m4/[^/]+\.m4|autom4te\.cache/.+)$")


@dataclass
class SourceDifference:
    path: str
    kind: str  # added | content | mode
    cls: str  # code | packaging
    cause: str


@dataclass
class SourceRepoResult:
    """results.json's `source_repo` of a release."""

    verdict: RepoVerdict
    url: str | None = None
    tag: str | None = None  # None when only the provenance's commit is known (no tag points to it)
    commit: str | None = None
    reason: str | None = None
    files: int = 0  # files of the sdist compared
    origin: str | None = None  # where the repository came from: provenance | project-urls
    subdirectory: str | None = None  # where in the repository the project lives (a monorepo: hatch's backend/)
    rules: list[str] = field(default_factory=list)  # the named rules that explained a file
    differences: list[SourceDifference] = field(default_factory=list)
    not_regenerated: list[str] = field(default_factory=list)  # generated files accepted by a rule, not regenerated


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
    found = next((t for t in wanted if t in tags), None)
    if found is not None:
        return found
    try:  # written another way that means the same version: certifi tags 2025.6.15 as 2025.06.15
        want = Version(version)
    except InvalidVersion:
        return None
    prefixes = ("v", f"{name}-", f"{canon}-", f"{name}-v", f"{canon}-v", "release-", "")
    for t in sorted(tags):
        for p in prefixes:
            if t.startswith(p) and re.fullmatch(r"v?[0-9][0-9A-Za-z.!+-]*", t[len(p):]):
                try:
                    if Version(t[len(p):]) == want:
                        return t
                except InvalidVersion:
                    pass
    return None


def from_provenance(provenance: Mapping[str, Any] | None) -> tuple[str, str | None] | None:
    """(repository URL, commit or None) a PEP 740 provenance's Trusted Publisher names: the certificate's source
    repository and commit when it has them (a CI workflow's identity), else the publisher's repository. Read,
    not verified: it says where to look, and the comparison with that tree is the check."""
    for pub in (provenance or {}).get("publishers") or []:
        source, repo = str(pub.get("source") or ""), str(pub.get("repository") or "")
        host = {"github": "https://github.com/", "gitlab": "https://gitlab.com/"}.get(str(pub.get("kind", "")).lower())
        url = _clone_url(source) if _HOSTS.match(source) else (host + repo if host and repo.count("/") >= 1 else None)
        if url:
            commit = str(pub.get("commit") or "")
            return url, commit if re.fullmatch(r"[0-9a-f]{40}", commit) else None
    return None


def check(src: Path, name: str, version: str, repos: Path,
          provenance: Mapping[str, Any] | None = None) -> SourceRepoResult:
    """The sdist extracted at `src` against its repository at the release's tag, or at the commit its PEP 740
    provenance names (never raises)."""
    pkg_info: Mapping[str, Any] = {}
    try:
        pkg_info = parse_email((src / "PKG-INFO").read_text(encoding="utf-8", errors="replace"))[0]
    except OSError:
        pass
    attested = from_provenance(provenance)
    url, commit = attested if attested else (repository_url(pkg_info), None)
    origin = "provenance" if attested else "project-urls"
    if url is None:
        return SourceRepoResult(RepoVerdict.UNAVAILABLE, reason="the sdist names no repository (Project-URL, Home-page) and "
                                "has no provenance")
    try:
        tags = git.tags(url)
    except git.GitError as exc:
        return SourceRepoResult(RepoVerdict.UNAVAILABLE, url=url, origin=origin, reason=f"the repository did not answer: {exc}")
    tag = tag_for(tags, name, version)
    note = None
    if commit is not None:  # the provenance's commit is what was built: compare with it, name the tag at it
        if tag is not None and tags[tag] != commit:
            note = f"the tag {tag} points to {tags[tag][:12]}, the provenance names {commit[:12]}"
        tag = tag if tag is not None and tags[tag] == commit else next((t for t in sorted(tags) if tags[t] == commit), None)
    elif tag is None:
        return SourceRepoResult(RepoVerdict.UNAVAILABLE, url=url, origin=origin,
                                reason=f"no tag for {version} among the repository's {len(tags)} tags")
    else:
        commit = tags[tag]
    try:
        repo = git.fetch(url, f"refs/tags/{tag}" if tag else commit, commit, repos)
        tree = git.tree(repo, commit)
        out = compare(src, repo, tree, SourceRepoResult(RepoVerdict.MATCHES, url=url, tag=tag, commit=commit, origin=origin),
                      version, repos)
    except git.GitError as exc:
        return SourceRepoResult(RepoVerdict.UNAVAILABLE, url=url, tag=tag, commit=commit, origin=origin, reason=f"fetch failed: {exc}")
    if note:
        out.reason = f"{out.reason}; {note}"
    return out


def compare(src: Path, repo: Path, tree: dict[str, git.TreeEntry], out: SourceRepoResult,
            version: str, repos: Path | None = None) -> SourceRepoResult:
    """Every file of the sdist against the tree (and a submodule's files against the submodule at the commit
    the tree records, fetched into `repos`); the verdict from what differs and what a rule explained."""
    prefix = _project_dir(src, repo, tree)
    if prefix:
        out.rules.append("project-subdirectory")
        out.subdirectory = prefix.rstrip("/")
    files = sorted(p for p in src.rglob("*") if p.is_file() or p.is_symlink())
    subs = Submodules(repo, tree, out.url or "", repos or repo.parent, [prefix + f.relative_to(src).as_posix() for f in files])
    git.prefetch(repo, [e.sha for f in files if (e := tree.get(prefix + f.relative_to(src).as_posix())) is not None
                        and e.kind == "blob"])
    try:
        return _compare_files(src, files, prefix, repo, tree, subs, out, version)
    finally:
        git.forget(repo)
        for sub in subs.repos_by_path.values():
            git.forget(sub)


def _compare_files(src: Path, files: list[Path], prefix: str, repo: Path, tree: dict[str, git.TreeEntry],
                   subs: "Submodules", out: SourceRepoResult, version: str) -> SourceRepoResult:
    forced = rules.hatch_force_include(src / "pyproject.toml")
    for f in files:
        rel = f.relative_to(src).as_posix()
        out.files += 1
        where = Where(repo, tree, prefix + rel)
        entry = _lookup(tree, repo, where.path)
        if entry is not None and entry.path != where.path and entry.mode != "120000":
            out.rules.append("link-stored-as-file")  # reached through a link to a directory (requests' certs)
        if entry is None and prefix:  # a monorepo's root file its backend copies into the sdist (hatch's .gitignore)
            entry = _lookup(tree, repo, rel)
        if entry is None and (source := rules.force_included(rel, forced, prefix)) is not None:
            entry = _lookup(tree, repo, source)  # the backend's configuration copies it from there
            if entry is not None:
                where = Where(repo, tree, source)
                out.rules.append("backend-force-include")
        if entry is None and rel.endswith("/.git") and rules.gitdir_file(f.read_bytes() if f.is_file() else b"", where.path):
            out.rules.append("submodule-gitdir-file")  # before the submodule: the path is the superproject's
            continue
        if entry is None and (inside := subs.find(where.path)) is not None:
            where = inside  # uvloop 0.21.0's vendor/libuv: libuv's own repository at the recorded commit
            entry = _lookup(where.tree, where.repo, where.path)
            out.rules.append("submodule")
        rule = _explained(f, rel, entry, where, version, out.commit or "")
        if rule == "":
            continue  # the same bytes
        if rule:
            out.rules.append(rule)
            if rule in NOT_REGENERATED:
                out.not_regenerated.append(rel)
            continue
        kind = "added" if entry is None else "content"
        cls = sdist_class(rel, executable=bool(f.stat().st_mode & 0o111 and f.is_file()))
        cause = "not in the repository at the tag" if entry is None else "differs from the repository's file at the tag"
        if entry is None and _AUTOTOOLS.search(rel) and _autotools_input(where):
            cause = ("autotools output not in the repository (autoreconf run from its configure.ac on the publisher's "
                     "machine): not verified; the xz backdoor hid in such a file")
        out.differences.append(SourceDifference(rel, kind, cls, cause))
    out.rules = sorted(set(out.rules))
    check_rules(out.rules)
    out.verdict = (RepoVerdict.DIFFERS if out.differences else RepoVerdict.EXPLAINED if out.rules
                   else RepoVerdict.MATCHES)
    n = len(out.differences)
    at = out.tag or (out.commit or "")[:12]
    out.reason = (f"{n} file(s) of the sdist not in or not as the repository's {at}: "
                  f"{', '.join(d.path for d in out.differences[:5])}" if n else
                  f"{out.files} files as the repository's {at}" + (f" (after {', '.join(out.rules)})" if out.rules else ""))
    if out.not_regenerated:
        out.reason += (f"; generated, their sources compared but not regenerated here: "
                       f"{', '.join(out.not_regenerated[:5])}" + (" …" if len(out.not_regenerated) > 5 else ""))
    return out


def _autotools_input(where: Where) -> bool:
    """The directory of the file (or the one above, for m4/ and autom4te.cache/) holds configure.ac."""
    parts = where.path.split("/")[:-1]
    dirs = ["/".join(parts), "/".join(parts[:-1])]
    return any(f"{d}/configure.ac".lstrip("/") in where.tree or f"{d}/configure.in".lstrip("/") in where.tree for d in dirs)


@dataclass(frozen=True)
class Where:
    """Where a file of the sdist is looked for: a repository, its tree, and the path in it."""

    repo: Path
    tree: dict[str, git.TreeEntry]
    path: str


class Submodules:
    """The repository's submodules (mode 160000 entries, their URLs from .gitmodules at the same commit),
    each fetched at its recorded commit the first time a file of the sdist lies in it."""

    def __init__(self, repo: Path, tree: dict[str, git.TreeEntry], url: str, repos: Path, paths: list[str]) -> None:
        self.repo, self.tree, self.url, self.repos, self.paths = repo, tree, url, repos, paths
        self.fetched: dict[str, dict[str, git.TreeEntry]] = {}
        self.repos_by_path: dict[str, Path] = {}

    def find(self, path: str) -> Where | None:
        parts = path.split("/")
        for i in range(len(parts) - 1, 0, -1):
            head = "/".join(parts[:i])
            entry = self.tree.get(head)
            if entry is not None and entry.mode == "160000":
                if head not in self.fetched:
                    url = rules.submodule_url(self._gitmodules(), head, self.url)
                    if url is None:
                        raise git.GitError(f"submodule {head} has no URL in .gitmodules")
                    sub = git.fetch(url, entry.sha, entry.sha, self.repos)
                    self.fetched[head], self.repos_by_path[head] = git.tree(sub, entry.sha), sub
                    inner = [p[len(head) + 1:] for p in self.paths if p.startswith(head + "/")]
                    git.prefetch(sub, [e.sha for p in inner if (e := self.fetched[head].get(p)) is not None and e.kind == "blob"])
                return Where(self.repos_by_path[head], self.fetched[head], "/".join(parts[i:]))
        return None

    def _gitmodules(self) -> bytes:
        entry = self.tree.get(".gitmodules")
        return git.blob(self.repo, entry.sha) if entry is not None else b""


# rules that accept a generated file by its generator's name and its sources in the tree, without running the
# generator: such files are listed in the result's reason as not regenerated
NOT_REGENERATED = frozenset({"cython-generated-source"})


# the source rules of each case, in order (judge/registry.py; checks in sourcerepo/checks.py), run by the judge's loop
PROFILES: dict[str, tuple[str, ...]] = {
    "repository: a file unlike the tree's": ("egg-info-setup-cfg", "export-subst"),
    "repository: a link in the tree": ("link-stored-as-file",),
    "repository: not in the tree": ("sdist-metadata", "egg-info-setup-cfg", "vcs-version-file", "bytecode-of-source",
                                    "compiled-catalog", "cython-generated-source"),
}


@functools.cache
def _loaded() -> dict:
    return profiles.load(PROFILES, checks)


def _explained(f: Path, rel: str, entry: git.TreeEntry | None, where: Where, version: str, commit: str) -> str | None:
    """"" when the file is the tree's byte for byte, the name of the rule that explains it, or None."""
    data = f.read_bytes() if f.is_file() and not f.is_symlink() else b""
    theirs = None
    if entry is not None and entry.kind == "blob" and entry.mode != "120000":
        theirs = git.blob(where.repo, entry.sha)
        if theirs == data:
            return ""
        profile = "repository: a file unlike the tree's"
    elif entry is not None and entry.mode == "120000":
        profile = "repository: a link in the tree"
    else:
        profile = "repository: not in the tree"
    return profiles.first(_loaded()[profile], checks.RepoCase(f, rel, entry, where, version, commit, data, theirs))


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
            target = checks.link_target(parts[: i - 1], git.blob(repo, link.sha))
            if not target:
                return None
            return _lookup(tree, repo, "/".join([target] + parts[i:]), depth + 1)
    return None
