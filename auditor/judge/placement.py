"""Where an sdist's build backend really puts each file of the wheel, read from what the sdist declares:
the places the sources check (nothing rebuilt) may find a wheel member's source. Never by path ending or
bare file name: a top-level `zz.pth` is not the sdist's `tests/data/zz.pth`, a script is not any file of
that name.

- Importable files (`pkg/mod.py`, `.data/purelib|platlib/P`) come from a package root: the project root,
  `src/`, `python/` (maturin's python-source), and every directory the build configuration names as one
  (setuptools' package_dir / packages.find where, hatch's packages/sources, poetry's packages from,
  pdm's package-dir, maturin's python-source, scikit-build-core's wheel.packages), or a package mapped to
  a directory of its own (`package_dir={"pkg": "lib/pkg"}`).
- Scripts (`.data/scripts/S`), headers and data files come from a file the build configuration names by
  its path (setuptools' scripts=, data_files=, headers=; hatch's shared-scripts/shared-data), or from a
  directory it names beside a glob.
- A meson-python build may install files of its subprojects (`subprojects/NAME/...`).
Everything here is read as text from the sdist; nothing is run.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

CONFIG_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "meson.build", "CMakeLists.txt", "Cargo.toml")
_ALWAYS_ROOTS = ("", "src", "python")
_QUOTED = re.compile(r"""['"]([^'"\n]{1,300})['"]""")


def _read(root: Path, name: str, limit: int = 1 << 21) -> str:
    p = root / name
    try:
        if p.is_symlink() or not p.is_file():
            return ""
        return p.read_bytes()[:limit].decode("utf-8", "replace")
    except OSError:
        return ""


def _strip(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.strip("/")


@dataclass
class Placement:
    """The sdist's files and the places its backend installs them from."""

    root: Path
    files: dict[str, Path]  # relative path -> file (regular files only, no links)
    roots: tuple[str, ...] = ()  # package roots, "" for the project root
    mapped: dict[str, str] = field(default_factory=dict)  # package path in the wheel -> its directory in the sdist

    @classmethod
    def of(cls, root: Path) -> "Placement":
        files = {}
        for f in sorted(root.rglob("*")):
            if f.is_file() and not f.is_symlink():
                files[f.relative_to(root).as_posix()] = f
        p = cls(root, files)
        roots, mapped = _declared_roots(root, p.config_text)
        p.roots = tuple(dict.fromkeys(_ALWAYS_ROOTS + tuple(roots)))
        p.mapped = mapped
        return p

    def infer_packages(self, members) -> dict[str, str]:
        """Top-level packages of the wheel that no declared root holds, found where the sdist holds their
        `__init__.py` (grpcio's setup.py computes package_dir = {"": "src/python/grpcio"}): each such package
        is mapped to that directory, only it (never a root for other files). Returns what it added."""
        added = {}
        packages = sorted({n.split("/", 1)[0] for n in members if "/" in n and not n.split("/", 1)[0].endswith(
            (".dist-info", ".data"))})
        for pkg in packages:
            if pkg in self.mapped or any((f"{r}/{pkg}/__init__.py" if r else f"{pkg}/__init__.py") in self.files
                                         for r in self.roots):
                continue
            found = sorted((rel[: -len("/__init__.py")] for rel in self.files
                            if rel.endswith(f"/{pkg}/__init__.py") and self._named_root(rel[: -len(f"/{pkg}/__init__.py")])),
                           key=lambda d: (d.count("/"), d))
            if found:
                self.mapped[pkg] = added[pkg] = found[0]
        return added

    def _named_root(self, directory: str) -> bool:
        """A directory the build configuration names, part by part (grpcio: os.path.join("src", "python", "grpcio")),
        and not one a build never installs from (tests, docs, examples): an attacker's package hidden under
        tests/ is not a package root."""
        parts = directory.split("/")
        if any(p.lower() in ("tests", "test", "testing", "docs", "doc", "examples", "benchmarks") for p in parts):
            return False
        quoted = self.quoted_strings
        return directory in quoted or all(p in quoted for p in parts)

    @cached_property
    def quoted_strings(self) -> set[str]:
        """Every string literal of the build configuration (a setup.py's read from its syntax tree, never run)."""
        out: set[str] = set()
        for name, text in self.config_text.items():
            if name.endswith(".py"):
                try:
                    out |= {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
                    continue
                except (SyntaxError, ValueError):
                    pass
            out |= set(_QUOTED.findall(text))
        return out

    @cached_property
    def config_text(self) -> dict[str, str]:
        """The build configuration files at the project root, as text."""
        return {name: _read(self.root, name) for name in CONFIG_FILES if name in self.files}

    @cached_property
    def named_paths(self) -> set[str]:
        """Every quoted string of the build configuration that names a path (normalized), for scripts and
        data files declared by path."""
        out = {_strip(m) for m in self.quoted_strings if m.strip()}
        cfg = self.config_text.get("setup.cfg", "")  # values are unquoted there: `scripts = bin/tool`
        out |= {_strip(t) for t in re.split(r"[\s,=]+", cfg) if "/" in t or "." in t}
        return out

    def module_sources(self, installed: str) -> list[str]:
        """The sdist files an importable file installed at `installed` can come from, by the package roots."""
        found = []
        for prefix, directory in sorted(self.mapped.items(), key=lambda kv: -len(kv[0])):
            if installed == prefix or installed.startswith(prefix + "/"):
                rel = _strip(directory + installed[len(prefix):])
                if rel in self.files:
                    found.append(rel)
        for r in self.roots:
            rel = f"{r}/{installed}" if r else installed
            if rel in self.files and rel not in found:
                found.append(rel)
        return found

    def declared_sources(self, installed: str) -> list[str]:
        """Files of the same name that the build configuration names by path (or by their directory beside a
        glob): a script, header or data file installed as declared."""
        leaf = installed.rsplit("/", 1)[-1]
        out = []
        for rel in self.files:
            if rel.rsplit("/", 1)[-1] != leaf:
                continue
            directory = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if rel in self.named_paths or (directory and self._globbed(directory)):
                out.append(rel)
        return out

    def _globbed(self, directory: str) -> bool:
        """The configuration names `directory` with a glob (`glob("bin/*")`, `"scripts/*"`)."""
        return any(n.startswith(directory + "/") and any(c in n for c in "*?[") for n in self.named_paths)

    @cached_property
    def meson_subdirs(self) -> list[tuple[str, str]]:
        """(directory of a meson.build, directory it names in install_subdir()): meson installs that directory's
        files under its last component (scipy's install_subdir('array_api_compat/array_api_compat', ...))."""
        out = []
        for rel in self.files:
            if rel == "meson.build" or rel.endswith("/meson.build"):
                base = rel.rsplit("/", 1)[0] if "/" in rel else ""
                text = _read(self.root, rel, 1 << 20)
                for m in re.finditer(r"""install_subdir\(\s*['"]([^'"]+)['"]""", text):
                    d = _strip(m.group(1))
                    if d and ".." not in d.split("/"):
                        out.append((base, d))
        return out

    @cached_property
    def meson_installed(self) -> dict[str, list[str]]:
        """Installed path -> the sdist files a meson.build's install_sources([...], subdir: 'S') installs there
        (each file under S by its name: scipy installs its vendored array_api_compat this way)."""
        out: dict[str, list[str]] = {}
        for rel in self.files:
            if rel == "meson.build" or rel.endswith("/meson.build"):
                base = rel.rsplit("/", 1)[0] if "/" in rel else ""
                for call in re.finditer(r"install_sources\((.*?)\)", _read(self.root, rel, 1 << 20), re.S):
                    args = call.group(1)
                    subdir = re.search(r"""subdir\s*:\s*['"]([^'"]+)['"]""", args)
                    if not subdir:
                        continue
                    for f in _QUOTED.findall(args[: subdir.start()]):
                        src = _strip(f"{base}/{f}")
                        if src in self.files and ".." not in src.split("/"):
                            out.setdefault(f"{_strip(subdir.group(1))}/{src.rsplit('/', 1)[-1]}", []).append(src)
        return out

    def install_subdir_sources(self, installed: str) -> list[str]:
        """Files a meson.build's install_subdir() or install_sources(subdir:) installs at `installed`."""
        out = list(self.meson_installed.get(installed, []))
        for base, d in self.meson_subdirs:
            marker = "/" + d.rsplit("/", 1)[-1] + "/"
            where = "/" + installed
            i = where.find(marker)
            while i >= 0:
                rel = _strip(f"{base}/{d}/{where[i + len(marker):]}")
                if rel in self.files and rel not in out:
                    out.append(rel)
                i = where.find(marker, i + 1)
        return out

    def subproject_sources(self, installed: str) -> list[str]:
        """meson-python: files of `subprojects/NAME/` a build installs, found by the installed path's tail
        (at least a package directory and the file)."""
        parts = installed.split("/")
        out = []
        for i in range(len(parts) - 1):
            tail = "/".join(parts[i:])
            out += [rel for rel in self.files if rel.startswith("subprojects/") and rel.endswith("/" + tail)
                    and rel.count("/") >= 2 and rel.split("/", 2)[2] == tail]
            if out:
                break
        return out


def _declared_roots(root: Path, config: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    roots: list[str] = []
    mapped: dict[str, str] = {}
    _pyproject_roots(config.get("pyproject.toml", ""), roots, mapped)
    _setup_cfg_roots(config.get("setup.cfg", ""), roots, mapped)
    _setup_py_roots(config.get("setup.py", ""), roots, mapped)
    return [r for r in roots if r is not None and not r.startswith("..")], \
        {k: v for k, v in mapped.items() if not v.startswith("..")}


def _table(data: dict, *keys: str) -> dict:
    for k in keys:
        data = data.get(k) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data if isinstance(data, dict) else {}


def _pyproject_roots(text: str, roots: list[str], mapped: dict[str, str]) -> None:
    try:
        data = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return
    setuptools = _table(data, "tool", "setuptools")
    for k, v in (setuptools.get("package-dir") or {}).items():
        (roots.append(_strip(v)) if k == "" else mapped.__setitem__(k.replace(".", "/"), _strip(v)))
    find = _table(setuptools, "packages", "find")
    roots += [_strip(w) for w in find.get("where") or [] if isinstance(w, str)]
    wheel = _table(data, "tool", "hatch", "build", "targets", "wheel")
    for target in (wheel, _table(data, "tool", "hatch", "build")):
        for pkg in target.get("packages") or []:
            if isinstance(pkg, str) and "/" in _strip(pkg):
                d = _strip(pkg)
                mapped[d.rsplit("/", 1)[1]] = d
        sources = target.get("sources")
        if isinstance(sources, list):
            roots += [_strip(s) for s in sources if isinstance(s, str)]
        elif isinstance(sources, dict):
            for src, dest in sources.items():
                (roots.append(_strip(src)) if not _strip(str(dest)) else mapped.__setitem__(_strip(str(dest)), _strip(src)))
    for pkg in _table(data, "tool", "poetry").get("packages") or []:
        if isinstance(pkg, dict) and isinstance(pkg.get("from"), str):
            roots.append(_strip(pkg["from"]))
    pdm = _table(data, "tool", "pdm", "build")
    if isinstance(pdm.get("package-dir"), str):
        roots.append(_strip(pdm["package-dir"]))
    maturin = _table(data, "tool", "maturin")
    if isinstance(maturin.get("python-source"), str):
        roots.append(_strip(maturin["python-source"]))
    skb = _table(data, "tool", "scikit-build", "wheel")
    packages = skb.get("packages")
    for pkg in packages.values() if isinstance(packages, dict) else packages or []:
        if isinstance(pkg, str) and "/" in _strip(pkg):
            d = _strip(pkg)
            mapped[d.rsplit("/", 1)[1]] = d


def _setup_cfg_roots(text: str, roots: list[str], mapped: dict[str, str]) -> None:
    if not text:
        return
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error:
        return
    for line in cp.get("options", "package_dir", fallback="").splitlines():
        key, _, value = line.partition("=")
        if not value.strip():
            continue
        (roots.append(_strip(value)) if not key.strip() else mapped.__setitem__(key.strip().replace(".", "/"), _strip(value)))
    roots += [_strip(w) for w in cp.get("options.packages.find", "where", fallback="").split() if w.strip()]


_PACKAGE_DIR = re.compile(r"package_dir\s*=\s*\{([^}]*)\}")
_PAIR = re.compile(r"""['"]([^'"]*)['"]\s*:\s*['"]([^'"]+)['"]""")
_WHERE = re.compile(r"""find(?:_namespace)?_packages\(\s*(?:where\s*=\s*)?['"]([^'"]+)['"]""")


def _setup_py_roots(text: str, roots: list[str], mapped: dict[str, str]) -> None:
    """Literal package_dir dictionaries and find_packages("dir") calls of a setup.py, read as text."""
    for m in _PACKAGE_DIR.finditer(text):
        for key, value in _PAIR.findall(m.group(1)):
            (roots.append(_strip(value)) if not key else mapped.__setitem__(key.replace(".", "/"), _strip(value)))
    roots += [_strip(w) for w in _WHERE.findall(text)]
