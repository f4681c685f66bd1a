"""The sources check's view of a wheel's packaging, when nothing was rebuilt: its `.data/` and
`.dist-info/` members, checked against what the sdist holds and declares instead of being skipped.

- `.data/` members are placed by judge/sources.py (judge/placement.py: where the backend installs from);
  a script whose `#!python` first line, which installers rewrite, stands for the sdist's own `#!` line is
  the sdist's (`script-shebang`).
- dist-info: RECORD must be true to the wheel; WHEEL's tags must be the file name's; METADATA's Name and
  Version must be the release's, and its Requires-Dist, like entry_points.txt, the sdist's static
  declaration (judge/declared.py) where it has one, else listed as not verified; license files must be
  the sdist's bytes to count as verified; other dist-info files are listed as not verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Set as AbstractSet

import hashlib
import re
from pathlib import Path

from packaging.tags import parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from auditor.fetch.archives import WheelArchive
from auditor.judge import declared
from auditor.judge.diffs import member_diff, over_read_limit
from auditor.judge.classes import field_class
from auditor.judge.metadata import parse_email
from auditor.judge.metasteps import wheel_pythons
from auditor.judge.rules import classify, record_backslashes, record_problem
from auditor.records import Comparison, Difference

_LICENSE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.I)


def same_script(published: bytes, source: bytes) -> bool:
    """The build rewrote the script's `#!…python…` line to `#!python` (installers put the interpreter there);
    every other byte is the sdist's."""
    pub_first, _, pub_rest = published.partition(b"\n")
    src_first, _, src_rest = source.partition(b"\n")
    return (pub_first.rstrip(b"\r") == b"#!python" and src_first.startswith(b"#!") and b"python" in src_first
            and pub_rest == src_rest)


def check_dist_info(pub: WheelArchive, name: str, filename: str | None, root: Path, index: Mapping[str, list[Path]],
                    out: Comparison) -> None:
    """One `.dist-info/` member of a wheel that was not rebuilt, against the wheel itself and the sdist."""
    leaf = name.split("/", 1)[1]
    unverified = out.compiled_differences
    if leaf == "RECORD":
        problem = record_problem(pub)
        if problem:
            out.differences.append(member_diff(name, "content", problem))
        else:
            out.members_verified += 1
            if record_backslashes(pub):
                out.normalizations.append("record-path-separators")
        return
    if over_read_limit(out, name, pub.members[name].size):
        return
    data = pub.read(name)
    if leaf == "WHEEL" and filename is None and b"Tag:" not in data:
        unverified.append(Difference(name, "metadata", "WHEEL names no tag and the file's name is not known: not "
                                     "verified", "packaging"))
        return
    if leaf == "WHEEL":
        problem = _wheel_problem(data, filename, pub)
        if problem:
            out.differences.append(member_diff(name, "metadata", problem, "packaging"))
        else:
            out.members_verified += 1
        return
    if leaf == "METADATA":
        _check_metadata(data, filename, root, name, out)
        return
    if leaf == "entry_points.txt":
        _check_entry_points(data, root, name, out, wheel_pythons(pub))
        return
    if _LICENSE.search(leaf.rsplit("/", 1)[-1]):
        same = [c for c in index.get(leaf.removeprefix("licenses/"), []) + index.get(leaf.rsplit("/", 1)[-1], [])
                if hashlib.sha256(c.read_bytes()).hexdigest() == pub.members[name].sha256]
        if same:
            out.members_verified += 1
            out.members_identical += 1
            return
        unverified.append(Difference(name, "content", "license file that is not the sdist's (bytes differ or no such "
                                     "file): not verified without a rebuild", "metadata"))
        return
    unverified.append(Difference(name, "content", "dist-info file the build writes: not verified without a rebuild",
                                 classify(name)))


def _wheel_problem(data: bytes, filename: str | None, pub: WheelArchive) -> str | None:
    text = data.decode("utf-8", "replace")
    tags = set()
    purelib = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Tag":
            try:
                tags |= set(parse_tag(value.strip()))
            except Exception:
                return f"unreadable Tag line {value.strip()!r}"
        elif key.strip() == "Root-Is-Purelib":
            purelib = value.strip().lower()
    try:
        named = set(parse_wheel_filename(filename)[3]) if filename else tags
    except Exception:
        return None
    if tags != named:
        return (f"WHEEL's tags ({', '.join(sorted(map(str, tags))) or 'none'}) are not the file name's "
                f"({', '.join(sorted(map(str, named)))})")
    pure_name = all(t.abi == "none" and t.platform == "any" for t in named)
    if purelib not in ("true", "false"):
        return "WHEEL has no Root-Is-Purelib"
    if pure_name and purelib != "true":
        return "Root-Is-Purelib: false in a wheel named for any platform"
    return None


def _check_metadata(data: bytes, filename: str | None, root: Path, name: str, out: Comparison) -> None:
    fields = parse_email(data.decode("utf-8", "replace"))[0]
    if filename:
        dist, version = (str(x) for x in parse_wheel_filename(filename)[:2])
    else:  # the dist-info directory's name
        dist, _, version = name.split("/", 1)[0][: -len(".dist-info")].rpartition("-")
    renamed = canonicalize_name(str(fields.get("name") or "")) != canonicalize_name(dist) or \
        _version(fields.get("version")) != _version(version)
    if renamed:
        # what an installer resolves and records: never a descriptive difference, and never the end of the check
        out.differences.append(member_diff(name, "metadata", f"Name/Version {fields.get('name')} {fields.get('version')} "
                                     f"are not the file name's {dist} {version}", field_class("name")))
    want = declared.requirements(root)
    published = [str(r) for r in fields.get("requires_dist") or []]
    if not want.static:
        out.compiled_differences.append(Difference(
            name, "metadata", f"Requires-Dist ({len(published)} requirement(s)) not verified: the sdist does not declare "
            "its requirements statically (PKG-INFO >= 2.2, pyproject.toml [project], setup.cfg or egg-info's requires.txt)",
            "code"))
        return
    problems = declared.requirement_differences(published, want.values or ())
    if problems:
        shown = "; ".join(problems[:3]) + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")
        out.differences.append(member_diff(name, "metadata", f"Requires-Dist against the sdist's {want.source}: {shown}", "code"))
        return
    out.members_verified += 0 if renamed else 1
    out.compiled_differences.append(Difference(
        name, "metadata", f"Requires-Dist verified against the sdist's {want.source}; the other fields are the build's: "
        "not verified without a rebuild", "metadata"))


def _version(v) -> str:
    try:
        return str(Version(str(v)))
    except InvalidVersion:
        return str(v)


def _python_named(lines, version: str | None) -> list[str] | None:
    """`group:name=object` lines with a name's trailing X.Y (`version`'s, or any when None) made {python}, sorted;
    None when two entries then collide (one would hide the other)."""
    suffix = re.escape(version) if version else r"[23]\.[0-9]+"
    pattern = re.compile(r"(?<![\d.])" + suffix + r"(?==)")
    out = sorted(pattern.sub("{python}", line, count=1) for line in lines)
    keys = [line.split("=", 1)[0] for line in out]
    return out if len(set(keys)) == len(keys) else None


def _entry_points_python_version(published, declared_lines, pythons: AbstractSet[str]) -> bool:
    """The sdist's egg-info names interpreter-named scripts after the Python that made the sdist (memray3.12), the
    wheel after its own (memray3.10): the same entry points once each X.Y is set aside (entry-point-python-version,
    as on the rebuilt path), every object reference compared, collisions refused."""
    if len(pythons) != 1:
        return False
    mine, theirs = _python_named(published, next(iter(pythons))), _python_named(declared_lines, None)
    return mine is not None and mine == theirs


def _check_entry_points(data: bytes, root: Path, name: str, out: Comparison,
                        pythons: AbstractSet[str] = frozenset()) -> None:
    want = declared.entry_points(root)
    if not want.static:
        out.compiled_differences.append(Difference(
            name, "metadata", "entry points not verified: the sdist does not declare them statically "
            "(pyproject.toml [project], setup.cfg or egg-info's entry_points.txt)", "code"))
        return
    published = declared.published_entry_points(data)
    if published is None:
        out.differences.append(member_diff(name, "metadata", "entry_points.txt is unreadable", "code"))
        return
    added = sorted(set(published) - set(want.values or ()))
    lacking = sorted(set(want.values or ()) - set(published))
    if (added or lacking) and _entry_points_python_version(published, want.values or (), set(pythons)):
        out.normalizations.append("entry-point-python-version")
        out.members_verified += 1
        return
    if added or lacking:
        detail = "; ".join([f"published adds {x}" for x in added] + [f"published lacks {x}" for x in lacking])
        out.differences.append(member_diff(name, "metadata", f"entry points against the sdist's {want.source}: {detail}", "code"))
        return
    out.members_verified += 1
