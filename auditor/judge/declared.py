"""What an sdist declares statically about the wheels it builds: their requirements and entry points.

Used by the sources check (no rebuild was made): a published wheel's `Requires-Dist` and
`entry_points.txt` can be checked against the sdist only where the sdist states them without running
anything. The static declarations, in the order they are trusted:
- PKG-INFO of Metadata-Version 2.2 or later, for a field it does not list as `Dynamic` (PEP 643: then
  every wheel built from the sdist carries the same value);
- pyproject.toml's `[project]` table, for a key not listed in `project.dynamic` (PEP 621);
- setup.cfg's `[options]` / `[options.extras_require]` / `[options.entry_points]`, when setup.py does
  not pass the same keyword itself;
- the `NAME.egg-info/requires.txt` and `entry_points.txt` that setuptools' sdist step writes into the sdist
  (what its setup.py computed when the sdist was made: the wheels built from it carry the same).
Anything else (a setup.py that computes them, with no egg-info) is not static: listed as not verified.
"""

from __future__ import annotations

import configparser
import itertools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.judge.metadata import parse_email, parse_entry_points


@dataclass(frozen=True)
class Declared:
    """A field's static value in the sdist, and where it was read (None: not declared statically)."""

    values: tuple[str, ...] | None
    source: str | None

    @property
    def static(self) -> bool:
        return self.values is not None


_NOT_STATIC = Declared(None, None)


def _read(root: Path, name: str, limit: int = 1 << 22) -> str | None:
    p = root / name
    try:
        if p.is_symlink() or not p.is_file():
            return None
        return p.read_bytes()[:limit].decode("utf-8", "replace")
    except OSError:
        return None


def _pkg_info(root: Path) -> tuple[Mapping[str, Any], bool]:
    """PKG-INFO's fields, and whether it is Metadata-Version 2.2 or later (PEP 643's static promise)."""
    text = _read(root, "PKG-INFO")
    if text is None:
        return {}, False
    fields = parse_email(text)[0]
    try:
        modern = Version(str(fields.get("metadata_version") or "0")) >= Version("2.2")
    except InvalidVersion:
        modern = False
    return fields, modern


def _dynamic(fields: Mapping[str, Any]) -> set[str]:
    return {str(d).lower() for d in fields.get("dynamic") or []}


def _pyproject(root: Path) -> dict | None:
    text = _read(root, "pyproject.toml")
    if text is None:
        return None
    try:
        project = tomllib.loads(text).get("project")
    except tomllib.TOMLDecodeError:
        return None
    return project if isinstance(project, dict) else None


def _setup_cfg(root: Path) -> configparser.ConfigParser | None:
    text = _read(root, "setup.cfg")
    if text is None:
        return None
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment]
    try:
        cp.read_string(text)
    except configparser.Error:
        return None
    return cp


def _setup_py_passes(root: Path, keyword: str) -> bool:
    """setup.py names the keyword (it may compute the value): setup.cfg's is then not the last word."""
    text = _read(root, "setup.py", 1 << 20)
    return text is not None and re.search(rf"\b{keyword}\b", text) is not None


def _cfg_lines(value: str) -> list[str]:
    return [ln.strip() for ln in value.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def requirements(root: Path) -> Declared:
    """The sdist's static `Requires-Dist` lines (extras as `extra == "x"` markers), or not static."""
    fields, modern = _pkg_info(root)
    if modern and "requires-dist" not in _dynamic(fields):
        return Declared(tuple(fields.get("requires_dist") or ()), "PKG-INFO (Metadata-Version >= 2.2)")
    return configured_requirements(root)


def configured_requirements(root: Path, egg_info: bool = True) -> Declared:
    """The static `Requires-Dist` lines of the build configuration (pyproject.toml, setup.cfg), else (`egg_info`)
    of the egg-info the sdist step wrote; PKG-INFO is not read (the repository check holds it to these)."""
    project = _pyproject(root)
    if project is not None:
        dynamic = {str(d) for d in project.get("dynamic") or []}
        if "dependencies" in dynamic or "optional-dependencies" in dynamic:
            return _NOT_STATIC
        reqs = [str(r) for r in project.get("dependencies") or []]
        for extra, items in (project.get("optional-dependencies") or {}).items():
            reqs += [_with_extra(str(r), extra) for r in items or []]
        return Declared(tuple(reqs), "pyproject.toml [project]")
    cfg = _setup_cfg(root)
    if cfg is not None and cfg.has_section("options") and not _setup_py_passes(root, "install_requires") \
            and not _setup_py_passes(root, "extras_require"):
        reqs = _cfg_lines(cfg.get("options", "install_requires", fallback=""))
        if cfg.has_section("options.extras_require"):
            for extra, value in cfg.items("options.extras_require"):
                reqs += [_with_extra(r, extra) for r in _cfg_lines(value)]
        return Declared(tuple(reqs), "setup.cfg [options]")
    egg = _egg_info(root) if egg_info else None
    if egg is not None:
        text = _read(root, f"{egg}/requires.txt")
        return Declared(tuple(_requires_txt(text or "")), f"{egg}/requires.txt")
    return _NOT_STATIC


def _egg_info(root: Path) -> str | None:
    """The one NAME.egg-info directory setuptools' sdist step left at the root or in src/ (None: none, or
    several, which says nothing certain)."""
    found = [p for base in (root, root / "src") if base.is_dir() for p in base.glob("*.egg-info")
             if p.is_dir() and not p.is_symlink() and (p / "PKG-INFO").is_file()]
    return found[0].relative_to(root).as_posix() if len(found) == 1 else None


def _requires_txt(text: str) -> list[str]:
    """requires.txt's lines as Requires-Dist: `[extra]`, `[extra:marker]` and `[:marker]` sections."""
    out: list[str] = []
    extra, marker = "", ""
    for line in _cfg_lines(text):
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            continue
        req = line
        if marker:
            try:
                r = Requirement(req)
                r.marker = Marker(f"({r.marker}) and ({marker})" if r.marker else marker)
                req = str(r)
            except (InvalidRequirement, InvalidMarker):
                pass
        out.append(_with_extra(req, extra.strip()) if extra.strip() else req)
    return out


def _with_extra(req: str, extra: str) -> str:
    try:
        r = Requirement(req)
    except InvalidRequirement:
        return req
    marker = f'({r.marker}) and extra == "{extra}"' if r.marker else f'extra == "{extra}"'
    r.marker = Marker(marker)
    return str(r)


def entry_points(root: Path) -> Declared:
    """The sdist's static entry points as sorted `group:name=object` lines, or not static."""
    project = _pyproject(root)
    if project is not None:
        dynamic = {str(d) for d in project.get("dynamic") or []}
        if dynamic & {"scripts", "gui-scripts", "entry-points"}:
            return _NOT_STATIC
        groups = {"console_scripts": project.get("scripts") or {}, "gui_scripts": project.get("gui-scripts") or {}}
        groups.update(project.get("entry-points") or {})
        return Declared(_ep_lines(groups), "pyproject.toml [project]")
    cfg = _setup_cfg(root)
    if cfg is not None and cfg.has_section("options") and not _setup_py_passes(root, "entry_points"):
        groups = {}
        if cfg.has_section("options.entry_points"):
            for group, value in cfg.items("options.entry_points"):
                groups[group] = dict(ln.split("=", 1) for ln in _cfg_lines(value) if "=" in ln)
        return Declared(_ep_lines(groups), "setup.cfg [options.entry_points]")
    egg = _egg_info(root)
    if egg is not None:
        groups = parse_entry_points((_read(root, f"{egg}/entry_points.txt") or "").encode()) or {}
        return Declared(_ep_lines(groups), f"{egg}/entry_points.txt")
    return _NOT_STATIC


def _ep_lines(groups: dict) -> tuple[str, ...]:
    return tuple(sorted(f"{g}:{str(k).strip()}={' '.join(str(v).split())}" for g, items in groups.items()
                        if isinstance(items, dict) for k, v in items.items()))


def published_entry_points(data: bytes) -> tuple[str, ...] | None:
    """entry_points.txt as sorted `group:name=object` lines (None: unreadable)."""
    groups = parse_entry_points(data)
    return None if groups is None else _ep_lines(groups)


# Environments on which two lists of requirements must install the same things to be the same list: every
# extra either names, on each of these interpreters and platforms (a marker is compared by what it selects).
_PYTHONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
_PLATFORMS = [("linux", "posix", "Linux", "x86_64"), ("win32", "nt", "Windows", "AMD64"),
              ("darwin", "posix", "Darwin", "arm64")]
_IMPLS = ["CPython", "PyPy"]


def _parsed(lines) -> list[Requirement] | None:
    out = []
    for s in lines:
        try:
            out.append(Requirement(s))
        except InvalidRequirement:
            return None
    return out


def _extras(reqs: list[Requirement]) -> set[str]:
    found: set[str] = set()
    for r in reqs:
        found |= {str(canonicalize_name(m)) for m in re.findall(r'extra\s*==\s*[\'"]([^\'"]+)[\'"]', str(r.marker or ""))}
    return found


def requirement_differences(published: list[str], declared: tuple[str, ...]) -> list[str]:
    """What the published Requires-Dist installs that the declaration does not, or the other way round,
    compared by what each selects on a grid of environments (spelling, order and marker layout aside):
    one line per requirement, empty when they agree."""
    a, b = _parsed(published), _parsed(declared)
    if a is None or b is None:
        return [] if sorted(published) == sorted(declared) else ["unparsable Requires-Dist"]
    found: dict[str, None] = {}
    for extra in sorted(_extras(a) | _extras(b) | {""}):
        for py, (plat, os_name, system, machine), impl in itertools.product(_PYTHONS, _PLATFORMS, _IMPLS):
            env = {"extra": extra, "python_version": py, "python_full_version": f"{py}.0", "sys_platform": plat,
                   "os_name": os_name, "platform_system": system, "platform_machine": machine,
                   "platform_python_implementation": impl, "implementation_name": impl.lower()}
            sa, sb = _selected(a, env), _selected(b, env)
            for key in sorted(sa - sb):
                found[f"published adds {key}" + (f" (extra {extra})" if extra else "")] = None
            for key in sorted(sb - sa):
                found[f"published lacks {key}" + (f" (extra {extra})" if extra else "")] = None
    return list(found)


def _selected(reqs: list[Requirement], env: dict) -> set[str]:
    out = set()
    for r in reqs:
        try:
            if r.marker is not None and not r.marker.evaluate(env):
                continue
        except (InvalidMarker, Exception):  # an undefined variable in an odd marker: compare it as written
            pass
        extras = ",".join(sorted(canonicalize_name(e) for e in r.extras))
        out.add(f"{canonicalize_name(r.name)}{f'[{extras}]' if extras else ''}{r.specifier}" + (f" @ {r.url}" if r.url else ""))
    return out
