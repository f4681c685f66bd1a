"""The sdist's side of judging: which sdist file a wheel member comes from, and which module names
the sdist holds a source for. Used when no rebuild could be made (the sources check) and to account
for compiled modules the rebuild did not build."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from auditor.fetch.archives import WheelArchive
from auditor.judge.configured import SdistFiles, SdistSources
from auditor.judge.diffs import bounded, member_diff, finish_comparison, is_compiled, over_read_limit
from auditor.judge.registry import check_causes
from auditor.judge.metadata import canon_text, unfold_description, parse_email
from auditor.judge.rules import classify
from auditor.judge.profiles import Case, apply
from auditor.judge.placement import Placement
from auditor.judge.unbuilt import same_script, check_dist_info
from auditor.judgement import WheelJudgement
from auditor.records import Comparison, Difference, Verdict


_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".py")


def extension_sources(src_dir) -> SdistSources:
    """Module names the sdist holds a source for (C, C++, Cython, or a .py that mypyc or Cython may
    compile): what can account for a compiled module the rebuild did not build."""
    out, native = set(), set()
    for f in Path(src_dir).rglob("*"):
        if f.suffix in _SOURCE_SUFFIXES and f.is_file() and not f.is_symlink():
            out.add(f.stem)
            if f.suffix != ".py":
                native.add(f.stem)
    return SdistSources(out, native, SdistFiles(Path(src_dir), _sdist_files(Path(src_dir))))


def _sdist_files(root: Path) -> Mapping[str, list[Path]]:
    """Every regular file of the extracted sdist, by each path suffix it can have in a wheel: a backend
    maps `src/pkg/mod.py` (src layout), `lib/pkg/mod.py` (package_dir), `python/pkg/mod.py` (maturin's
    python-source) or `pkg/mod.py` (flat) to `pkg/mod.py`. Read once per extracted tree (scipy's sources check
    of 60 wheels walked its 8 000 files 60 times), read-only."""
    st = root.stat()
    return _indexed(root.resolve(), st.st_ino, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _indexed(root: Path, inode: int, mtime_ns: int) -> Mapping[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    for f in sorted(root.rglob("*")):
        if not f.is_file() or f.is_symlink():
            continue
        parts = f.relative_to(root).parts
        for i in range(len(parts)):
            index.setdefault("/".join(parts[i:]), []).append(f)
    return MappingProxyType(index)


# Build backends that generate and install files by their build system's own rules (meson's
# install_subdir, configure_file, code generators; CMake's install()), which the sources check cannot follow.
RULE_BASED_BACKENDS = ("mesonpy", "scikit_build_core")
GENERATED = "generated-by-build"


def rule_based_backend(src_dir) -> str | None:
    try:
        data = tomllib.loads((Path(src_dir) / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    backend = (data.get("build-system") or {}).get("build-backend")
    return backend if isinstance(backend, str) and backend.split(".")[0] in RULE_BASED_BACKENDS else None


def name_added_files(judgements: Sequence[WheelJudgement], src_dir) -> list[WheelJudgement]:
    """Say for each member only in a differing published wheel whether the sdist holds a file at that path
    (its build does not package it; the publisher's tree or configuration did) or not at all. Facts a
    person can check in the sdist; the verdict does not change. The sdist is indexed once, if needed."""
    added = [(j, i, d) for j in judgements if j.verdict == Verdict.DIFFERS for i, d in enumerate(j.differences or ())
             if d.kind == "added" and not d.cause and not d.path.startswith("(")]
    if not added:
        return list(judgements)
    root = Path(src_dir)
    index = _sdist_files(root)
    causes: dict[int, dict[int, str]] = {}
    for j, i, d in added:
        top, _, rest = d.path.partition("/")
        found = index.get(rest if top.endswith(".dist-info") else d.path, [])
        causes.setdefault(id(j), {})[i] = (
            f"the sdist holds a file there ({found[0].relative_to(root)}), but its build does not package it: the "
            "publisher's tree or configuration did" if found else "the sdist holds no such file")
    check_causes(c for by_index in causes.values() for c in by_index.values())
    return [j.with_causes(causes.get(id(j), {})) for j in judgements]


_NAMED_FILE = re.compile(r"""['"]([\w.-]+\.(?:rst|txt|md|markdown))['"]""", re.I)


def _description(text: str) -> str | None:
    """The description of a METADATA or PKG-INFO text (its Description header, or its body)."""
    return parse_email(text)[0].get("description")


def name_description_source(pairs: Sequence[tuple[WheelJudgement, WheelArchive]], src_dir,
                            setup_py: str | None) -> list[WheelJudgement]:
    """A differing Description whose published text is the sdist's own PKG-INFO description: sdist and
    wheel were made from one checkout, and the rebuild from the sdist writes another description. Says so
    as the cause, naming the files the sdist's setup.py reads that the sdist does not hold (translationstring
    1.4 reads changes.rst, left out of its sdist, and falls back to ''). The verdict does not change. `setup_py`:
    the sdist's setup.py, as the release read it (None: it has none)."""
    root = Path(src_dir)
    pkg_info: str | None = None
    out = []
    for judged, wa in pairs:
        ds = [i for i, d in enumerate(judged.differences or ()) if d.path.endswith(".dist-info/METADATA")
              and d.path.count("/") == 1 and (d.detail or "").startswith("Description:") and not d.cause]
        if judged.verdict != Verdict.DIFFERS or not ds:
            out.append(judged)
            continue
        if pkg_info is None:
            try:
                pkg_info = (root / "PKG-INFO").read_text(encoding="utf-8", errors="replace")[: 1 << 22]
            except OSError:
                pkg_info = ""
        cause = _description_cause((judged.differences or ())[ds[0]].path, wa, pkg_info, root, setup_py or "")
        out.append(judged.with_causes({i: cause for i in ds}) if cause else judged)
    return out


def _description_cause(member: str, wa: WheelArchive, pkg_info: str, root: Path, setup_py: str) -> str | None:
    try:
        published = _description(wa.read(member, limit=1 << 22).decode("utf-8", "replace"))
    except Exception:
        return None
    sdist_desc = _description(pkg_info) if pkg_info else None
    if not published or not sdist_desc or canon_text(unfold_description(sdist_desc)) != \
            canon_text(unfold_description(published)):
        return None
    missing = sorted({m for m in _NAMED_FILE.findall(setup_py) if not (root / m).exists()})
    cause = "the sdist's PKG-INFO holds the published description (sdist and wheel were made from one checkout)"
    if missing:
        cause += f"; its setup.py reads {', '.join(missing)}, which the sdist does not hold"
    check_causes([cause])
    return cause


_SCHEMES = ("purelib", "platlib", "scripts", "headers", "data")
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


def cross_check_sources(pub: WheelArchive, src_dir, filename: str | None = None) -> Comparison:
    """For a wheel that cannot be rebuilt here (no rebuild succeeded): compare each of its members with the
    sdist's file that its backend installs at that place (judge/placement.py: package roots, declared
    scripts and data files), and its `.dist-info/` members with what the sdist declares (judge/unbuilt.py).

    A member the sdist does not hold at such a place, or whose bytes match none of its sources, is a
    difference, whatever the backend, unless a named rule accounts for it (a file the build configures or
    generates, said and listed as not verified). Compiled members, and metadata the sdist does not declare
    statically, cannot be checked this way and are listed as not verified. The publisher decides whether
    the rebuild fails: nothing here trusts that a failed build had a reason."""
    root = Path(src_dir)
    index = _sdist_files(root)
    view = _SdistView(
        root=root, index=index, files=SdistFiles(root, index), rule_based=rule_based_backend(root),
        stubs={k[:-4]: v[0].read_bytes() for k, v in index.items() if k.endswith(".pyi") and "/" not in k and len(v) == 1},
        is_pure=not any(is_compiled(n) for n in pub.members),
        version=next((n.split("/", 1)[0][: -len(".dist-info")].rpartition("-")[2] for n in pub.members
                      if n.split("/", 1)[0].endswith(".dist-info")), None),
        place=Placement.of(root))
    view.place.infer_packages(pub.members)
    out = Comparison(normalizations=[], differences=[])
    for name in sorted(pub.members):
        if pub.members[name].is_dir:
            continue
        top = name.split("/", 1)[0]
        if is_compiled(name):
            out.compiled_differences.append(Difference(name, "content", "compiled member: needs a rebuild",
                                                       classify(name)))
        elif top.endswith(".dist-info") and name.count("/") >= 1:
            bounded(out, name, check_dist_info, pub, name, filename, root, index, out)
        elif top.endswith(".data"):
            bounded(out, name, _data_member, pub, name, view, out)
        else:
            bounded(out, name, _module, pub, name, name, view, out)
    return finish_comparison(out)


def _data_member(pub: WheelArchive, name: str, view: _SdistView, out: Comparison) -> None:
    """A `NAME.data/SCHEME/...` member, by where an installer puts it."""
    parts = name.split("/", 2)
    if len(parts) < 3 or parts[1] not in _SCHEMES:
        out.differences.append(member_diff(name, "added", "a .data member outside the install schemes (purelib, platlib, "
                                     "scripts, headers, data): no build backend writes it", "code"))
        return
    scheme, rest = parts[1], parts[2]
    if scheme in ("purelib", "platlib"):
        _module(pub, name, rest, view, out)
    elif scheme == "scripts":
        _script(pub, name, rest, view, out)
    else:
        _declared_file(pub, name, rest, scheme, view, out)


def _module(pub: WheelArchive, name: str, installed: str, view: _SdistView, out: Comparison) -> None:
    """A member installed importable at `installed`: the sdist's file at that path below a package root."""
    if installed.endswith(".pth") and "/" not in installed and not _declares(view.place, installed):
        out.differences.append(member_diff(name, "added", "a .pth file in site-packages that the sdist's build configuration "
                                     "does not name (site runs its import lines at every start-up)", "code"))
        return
    candidates = [view.place.files[r] for r in view.place.module_sources(installed)]
    if candidates:
        _against_sdist_files(pub, name, candidates, view, out)
    else:
        _not_in_sdist(pub, name, installed, view, out)


def _declares(place: Placement, filename: str) -> bool:
    return any(filename in text for text in place.config_text.values())


def _script(pub: WheelArchive, name: str, rest: str, view: _SdistView, out: Comparison) -> None:
    """A `.data/scripts/` member: one of the scripts the build configuration names, byte for byte (or with the
    `#!python` line installers fill in); a compiled executable is not verifiable without a rebuild, and only
    under a name the sdist's configuration gives it (maturin's bin bindings: the Cargo package or [[bin]])."""
    head = pub.head(name, 4)
    if head.startswith(_EXECUTABLE_MAGIC):
        stem = rest.rsplit("/", 1)[-1].removesuffix(".exe")
        if re.search(rf"""(?m)^\s*name\s*=\s*['"]{re.escape(stem)}['"]""", view.place.config_text.get("Cargo.toml", "")) \
                or _declares(view.place, f'"{stem}"'):
            out.compiled_differences.append(Difference(name, "content", "compiled executable: needs a rebuild", "code"))
        else:
            out.differences.append(member_diff(name, "added", f"a compiled executable installed as the command {stem}, a "
                                         "name the sdist's configuration does not give any program", "code"))
        return
    candidates = view.place.declared_sources(rest)
    if not candidates:
        out.differences.append(member_diff(name, "added", f"installed as a command, and the sdist's build configuration "
                                     f"names no script {rest}", "code"))
        return
    digest = pub.members[name].sha256
    paths = [view.place.files[c] for c in candidates]
    if any(_sha256(p) == digest for p in paths):
        out.members_verified += 1
        out.members_identical += 1
        return
    published = pub.read(name, limit=_READ)
    if any(same_script(published, p.read_bytes()) for p in paths):
        out.members_verified += 1
        out.normalizations.append("script-shebang")
        return
    out.differences.append(member_diff(name, "content", f"differs from the sdist's {candidates[0]}", "code"))


def _declared_file(pub: WheelArchive, name: str, rest: str, scheme: str, view: _SdistView, out: Comparison) -> None:
    """A `.data/headers/` or `.data/data/` member: a file the build configuration names, byte for byte."""
    candidates = view.place.declared_sources(rest)
    digest = pub.members[name].sha256
    if any(_sha256(view.place.files[c]) == digest for c in candidates):
        out.members_verified += 1
        out.members_identical += 1
        return
    if candidates:
        out.differences.append(member_diff(name, "content", f"differs from the sdist's {candidates[0]}"))
        return
    out.differences.append(member_diff(name, "added", f"installed as a {scheme.rstrip('s')} file, and the sdist's build "
                                 f"configuration names no file {rest}"))


_READ = 1 << 24  # what the sources check reads of an sdist's file to compare it by a rule (bytes are compared by sha256)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class _SdistView:
    """What the sources check knows of one extracted sdist."""

    root: Path
    index: Mapping[str, list[Path]]  # the sdist's files by each path suffix (for the configured-file templates)
    files: SdistFiles
    rule_based: str | None  # meson-python or scikit-build-core: a build that installs by its own rules
    stubs: dict[str, bytes]  # top-level MODULE.pyi stubs (maturin's shim)
    is_pure: bool  # the published wheel holds no compiled member
    version: str | None  # the release's version, from the wheel's dist-info name
    place: Placement  # where the backend installs each file from


def _not_in_sdist(pub: WheelArchive, name: str, installed: str, view: _SdistView, out: Comparison) -> None:
    """A member the sdist holds no file for at any place its backend installs from: a tool's or the build's own
    output where a rule of the profile says so, else added."""
    data = pub.read(name, limit=_READ) if pub.members[name].size <= _READ else None
    if apply("sources: not in the sdist", _case(pub, name, installed, view, out, data, None)):
        return
    out.differences.append(member_diff(name, "added", "in the published wheel, not in the sdist at any place its backend "
                                 "installs from", classify(name)))


def _case(pub: WheelArchive, name: str, installed: str, view: _SdistView, out: Comparison, data: bytes | None,
          candidates: tuple[bytes, ...] | None) -> Case:
    return Case(pub, None, name, out, files=view.files, binary=not view.is_pure, view=view, installed=installed,
                data=data, candidates=candidates)


def _against_sdist_files(pub: WheelArchive, name: str, candidates: list[Path], view: _SdistView,
                         out: Comparison) -> None:
    """A member the sdist holds files for at its place: one of them byte for byte, or under a named rule."""
    if any(_sha256(c) == pub.members[name].sha256 for c in candidates):
        out.members_verified += 1
        out.members_identical += 1
        return
    shown = ", ".join(str(c.relative_to(view.root)) for c in candidates[:3])
    if over_read_limit(out, name, pub.members[name].size):
        return
    published = pub.read(name, limit=_READ)
    data = tuple(c.read_bytes() for c in candidates if c.stat().st_size <= _READ)
    if apply("sources: differs from the sdist's file", _case(pub, name, name, view, out, published, data)):
        return
    out.differences.append(member_diff(name, "content", f"differs from the sdist's {shown}"))
