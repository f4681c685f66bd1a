"""Build variants the published wheel shows and the sdist alone does not say: switches a publisher
sets outside the sdist, read off the published wheel and looked up in the sdist.

  universal  a `py2.py3` wheel from setuptools: built with `bdist_wheel --universal` (pytz and
             python-slugify pass the flag in their release scripts; setup.cfg does not say it)
  limited-api  a `cpXY-abi3` wheel from setuptools: built with `bdist_wheel --py-limited-api=cpXY`
             (pynacl's release pipeline passes it; its sdist builds a version-specific wheel)
  mypyc      a platform wheel holding `*__mypyc*` modules from a project whose default build is pure
             (chardet: hatch's mypyc hook, off by default; charset-normalizer: an environment variable
             its setup.py reads): the switch is found in the sdist and turned on

A variant changes how the same sources are built, never what is compared: a wheel that differs from
every variant's rebuild still differs.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.utils import parse_wheel_filename

from auditor.archives import WheelArchive

_ENV_READ = re.compile(r"""os\.(?:getenv|environ\.get)\(\s*["']([A-Z0-9_]*MYPYC[A-Z0-9_]*)["']"""
                       r"""|os\.environ\[\s*["']([A-Z0-9_]*MYPYC[A-Z0-9_]*)["']\s*\]""")
SETUPTOOLS_FAMILY = {"setuptools", "wheel", None}


def _mypyc_switch(project_dir: Path) -> tuple[dict[str, str], str] | None:
    """The environment that turns the project's mypyc build on, and where it was found."""
    try:
        data = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        data = {}
    hatch = ((data.get("tool") or {}).get("hatch") or {}).get("build") or {}
    for hooks in (hatch.get("hooks") or {}, ((hatch.get("targets") or {}).get("wheel") or {}).get("hooks") or {}):
        if "mypyc" in hooks:
            return {"HATCH_BUILD_HOOK_ENABLE_MYPYC": "true"}, "hatch's mypyc build hook (off by default)"
    sources = [project_dir / "setup.py"]
    for d in ((data.get("build-system") or {}).get("backend-path") or []):
        sources += sorted((project_dir / d).glob("*.py"))
    for f in sources:
        try:
            m = _ENV_READ.search(f.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if m:
            var = m.group(1) or m.group(2)
            return {var: "1"}, f"{var}, read by {f.relative_to(project_dir)}"
    return None


def variant(wheel: WheelArchive, filename: str, project_dir: Path, backend: str | None
            ) -> tuple[str | None, dict[str, str], dict, list[str]]:
    """(variant name, extra environment, driver options, notes) for rebuilding this published wheel."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except Exception:
        tags = frozenset()
    if any(t.interpreter.startswith("py2") for t in tags) and any(t.interpreter.startswith("py3") for t in tags) \
            and backend in SETUPTOOLS_FAMILY:
        return "universal", {}, {"universal": True}, [
            "the published wheel is py2.py3: built with bdist_wheel --universal (a flag of the publisher's build)"]
    abi3 = sorted({t.interpreter for t in tags if t.abi == "abi3" and t.interpreter.startswith("cp3")})
    if abi3 and backend in SETUPTOOLS_FAMILY:
        # an abi3 wheel: built with bdist_wheel --py-limited-api=cpXY (pynacl sets it in its release
        # pipeline; the same sources built without it are tagged for one interpreter only)
        return "limited-api", {}, {"py_limited_api": abi3[0]}, [
            f"the published wheel is {abi3[0]}-abi3: built with bdist_wheel --py-limited-api={abi3[0]}"]
    if any("__mypyc" in n for n in wheel.members):
        found = _mypyc_switch(project_dir)
        if found:
            env, where = found
            return "mypyc", env, {}, [f"the published wheel holds mypyc-compiled modules: built with {where} on"]
        return None, {}, {}, ["the published wheel holds mypyc-compiled modules, and no switch for them was found "
                              "in the sdist"]
    return None, {}, {}, []
