"""Untrusted archives: no traversal, no links out, no writes through links, bounded size."""

from __future__ import annotations

import tarfile
import os
import zipfile

import pytest

from auditor.fetch import archives
from auditor.fetch.archives import extract_sdist, read_wheel
from auditor.errors import UnsafeArchive
from tests.fixtureindex import make_sdist_tar


def ti(name, type_=tarfile.REGTYPE, linkname="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = type_
    info.linkname = linkname
    info.mode = mode
    info.mtime = 1700000000
    return info


def test_good_sdist_extracts_with_mtimes(tmp_path):
    sd = make_sdist_tar(tmp_path / "p-1.0.tar.gz", "p-1.0", [(ti("p-1.0/a.py"), b"x=1\n"), (ti("p-1.0/sub/b.py"), b"y\n")])
    top = extract_sdist(sd, tmp_path / "out")
    assert top.name == "p-1.0" and (top / "sub/b.py").read_text() == "y\n"
    assert int((top / "a.py").stat().st_mtime) == 1700000000


@pytest.mark.parametrize(
    "members",
    [
        [(ti("p-1.0/../../escape.txt"), b"x")],
        [(ti("/tmp/absolute.txt"), b"x")],
        [(ti("p-1.0/link", tarfile.SYMTYPE, "/tmp"), None), (ti("p-1.0/link/through.txt"), b"x")],
        [(ti("p-1.0/link", tarfile.SYMTYPE, "../../.."), None)],
        [(ti("p-1.0/hard", tarfile.LNKTYPE, "/etc/passwd"), None)],
        [(ti("p-1.0/dev", tarfile.CHRTYPE), None)],
    ],
    ids=["dotdot", "absolute", "symlink-write-through", "symlink-out", "hardlink-out", "device"],
)
def test_hostile_sdists_are_refused(tmp_path, members):
    sd = make_sdist_tar(tmp_path / "p-1.0.tar.gz", "p-1.0", members)
    with pytest.raises(UnsafeArchive):
        extract_sdist(sd, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    assert not list(tmp_path.glob("**/through.txt"))


def test_tar_bomb_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 1000)
    sd = make_sdist_tar(tmp_path / "p-1.0.tar.gz", "p-1.0", [(ti(f"p-1.0/f{i}"), b"\0" * 600) for i in range(3)])
    with pytest.raises(UnsafeArchive, match="bytes unpacked"):
        extract_sdist(sd, tmp_path / "out")


def test_zip_bomb_wheel_is_refused_as_such(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "BOMB_FLOOR", 100_000)
    p = tmp_path / "bomb-1.0-py3-none-any.whl"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.bin", b"\0" * 1_000_000)
    assert p.stat().st_size < 5000
    with pytest.raises(UnsafeArchive, match="zip bomb"):
        read_wheel(p)


def test_our_unpack_bound_is_a_limit_not_tampering_and_names_its_option(tmp_path, monkeypatch):
    from auditor.errors import LimitExceeded

    p = tmp_path / "big-1.0-py3-none-any.whl"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", os.urandom(300_000))  # incompressible: no bomb
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 100_000)
    with pytest.raises(LimitExceeded, match="--max-unpacked-gib"):
        read_wheel(p)
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 1 << 30)
    wa = read_wheel(p)
    monkeypatch.setattr(archives, "READ_LIMIT", 1000)
    with pytest.raises(LimitExceeded, match="--max-member-mib"):  # reading it into memory past a rule's bound is our limit too
        wa.read("big.bin", limit=1000)
    monkeypatch.setattr(archives, "READ_LIMIT", 64 << 20)
    assert len(wa.read("big.bin", limit=1000)) == 300_000  # the run's bound is the floor of every read
    assert len(wa.head("big.bin", 4)) == 4


def test_zip_sdist_with_traversal_is_refused(tmp_path):
    p = tmp_path / "p-1.0.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("p-1.0/ok.py", "x")
        zf.writestr("p-1.0/../../evil.py", "x")
    with pytest.raises(UnsafeArchive):
        extract_sdist(p, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


def test_not_an_archive(tmp_path):
    p = tmp_path / "p-1.0.tar.gz"
    p.write_bytes(b"hello")
    with pytest.raises(UnsafeArchive):
        extract_sdist(p, tmp_path / "out")


def test_odd_modes_are_made_readable_and_the_exec_bit_is_kept(tmp_path):
    """alembic 1.18.5 and mako 1.3.12 ship members the build user could not read: they must still build."""
    d = ti("p-1.0/docs", tarfile.DIRTYPE, mode=0o700)
    sd = make_sdist_tar(tmp_path / "p-1.0.tar.gz", "p-1.0", [
        (d, None), (ti("p-1.0/docs/changelog.rst", mode=0o600), b"x\n"),
        (ti("p-1.0/run.sh", mode=0o700), b"#!/bin/sh\n"), (ti("p-1.0/a.py", mode=0o400), b"x=1\n")])
    top = extract_sdist(sd, tmp_path / "out")
    assert (top / "docs").stat().st_mode & 0o777 == 0o755
    assert (top / "docs/changelog.rst").stat().st_mode & 0o777 == 0o644
    assert (top / "run.sh").stat().st_mode & 0o777 == 0o755  # exec bit as recorded
    assert (top / "a.py").stat().st_mode & 0o777 == 0o644
