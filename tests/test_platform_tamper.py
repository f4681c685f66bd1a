"""Tampered real platform wheels served from a local index (markupsafe 3.0.3 from PyPI, rebuilt in the
container): a changed __init__.py in a manylinux wheel, an added .pth in a macOS wheel, an extension
module no source accounts for, an added Requires-Dist in a Windows wheel: each differs naming the
member; the honest wheels of the same release beside them do not."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import PYPI
from tests.fixtureindex import lock_line, rewrite_wheel
from tests.test_toolchain import _pypi_files

UP = datetime(2025, 9, 27, tzinfo=timezone.utc)


def test_tampered_platform_wheels_differ_and_honest_ones_do_not(tmp_path, index, auditor, container_backend):
    files = _pypi_files("markupsafe", "3.0.3")
    pick = {
        "sdist": next(n for n in files if n.endswith(".tar.gz")),
        "linux311": next(n for n in files if "cp311-cp311-manylinux" in n and "x86_64" in n),
        "linux313": next(n for n in files if "cp313-cp313-manylinux" in n and "x86_64" in n),
        "linux310": next(n for n in files if "cp310-cp310-manylinux" in n and "x86_64" in n),
        "mac": next(n for n in files if "cp312-cp312-macosx" in n and "arm64" in n),
        "mac313": next(n for n in files if "cp313-cp313-macosx" in n and "arm64" in n),
        "win": next(n for n in files if "cp312-cp312-win_amd64" in n),
    }
    for n in pick.values():
        (tmp_path / n).write_bytes(files[n])
    out = tmp_path / "tampered"
    out.mkdir()

    def meta(m):
        name = next(k for k in m if k.endswith(".dist-info/METADATA"))
        eol = b"\r\n" if b"\r\n" in m[name] else b"\n"
        assert b"Version: 3.0.3" + eol in m[name]
        m[name] = m[name].replace(b"Version: 3.0.3" + eol, b"Version: 3.0.3" + eol + b"Requires-Dist: evil-helper>=1" + eol, 1)

    tampered = {
        "linux311": rewrite_wheel(tmp_path / pick["linux311"], out / pick["linux311"],
                                  lambda m: m.__setitem__("markupsafe/__init__.py", m["markupsafe/__init__.py"] + b"\nimport os\n")),
        "mac": rewrite_wheel(tmp_path / pick["mac"], out / pick["mac"], lambda m: m.__setitem__("markupsafe-init.pth", b"import os\n")),
        "linux310": rewrite_wheel(tmp_path / pick["linux310"], out / pick["linux310"],
                                  lambda m: m.__setitem__("markupsafe/_stealer.cpython-310-x86_64-linux-gnu.so",
                                                          b"\x7fELF\x02\x01" + b"\0" * 64 + b"PyInit__stealer\0")),
        "win": rewrite_wheel(tmp_path / pick["win"], out / pick["win"], meta),
    }
    hashes = [index.add("markupsafe", tmp_path / pick["sdist"], UP)]
    for key in ("linux313", "mac313"):  # honest controls
        hashes.append(index.add("markupsafe", tmp_path / pick[key], UP))
    for path in tampered.values():
        hashes.append(index.add("markupsafe", path, UP))
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("markupsafe", "3.0.3", *hashes))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend)
    assert "Traceback" not in r.stderr
    by = {w["filename"]: w for w in r.package("markupsafe")["wheels"]}
    expect = {"linux311": ("markupsafe/__init__.py", "code"), "mac": ("markupsafe-init.pth", "code"),
              "linux310": ("markupsafe/_stealer.cpython-310-x86_64-linux-gnu.so", "code"),
              "win": ("markupsafe-3.0.3.dist-info/METADATA", "code")}
    for key, (member, cls) in expect.items():
        w = by[pick[key]]
        assert w["verdict"] == "differs", (key, w["reason"])
        assert (member, cls) in {(d["path"], d["cls"]) for d in w["differences"]}, (key, w["differences"])
    for key in ("linux313", "mac313"):
        assert by[pick[key]]["verdict"] == "partial", (key, by[pick[key]]["reason"])
    assert r.code == 1
