"""Platform wheels with a C extension (fixture built on this host with setuptools and gcc, retagged
manylinux as auditwheel would): rebuilt in the container and compared member by member."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.conftest import PYPI
from tests.fixtureindex import build_c_project, lock_line, make_c_project, retag_wheel, rewrite_wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)
MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def _swap_extension(new_name: str, extra: dict[str, bytes] | None = None):
    def edit(members):
        so = next(n for n in members if n.endswith(".so"))
        del members[so]
        members[new_name] = b"\x7fnot really compiled for this platform\n"
        members.update(extra or {})
    return edit


def _pure_variant(members):
    """The pure-Python wheel a publisher makes of a project whose extension is optional."""
    del members[next(n for n in members if n.endswith(".so"))]
    wheel_file = next(n for n in members if n.endswith(".dist-info/WHEEL"))
    lines = [ln for ln in members[wheel_file].decode().splitlines() if not ln.startswith(("Tag:", "Root-Is-Purelib:"))]
    members[wheel_file] = ("\n".join(lines + ["Root-Is-Purelib: true", "Tag: py3-none-any"]) + "\n").encode()


@pytest.fixture
def published(tmp_path, index):
    lines = []
    proj = make_c_project(tmp_path / "src", "fixc", "1.0")
    sdist, wheel = build_c_project(proj, tmp_path / "dist-host")
    out = tmp_path / "dist"
    wheels = [
        retag_wheel(wheel, out, MANYLINUX),
        retag_wheel(wheel, out, "win_amd64", _swap_extension("fixc/_speed.cp311-win_amd64.pyd")),
        retag_wheel(wheel, out, "macosx_11_0_arm64",
                    _swap_extension("fixc/_speed.cpython-311-darwin.so", {"fixc/_evil.py": b"steal()\n"})),
    ]
    wheels.append(rewrite_wheel(wheel, out / "fixc-1.0-py3-none-any.whl", _pure_variant))
    lines.append(lock_line("fixc", "1.0", index.add("fixc", sdist, NOW), *[index.add("fixc", w, NOW) for w in wheels]))

    bad = make_c_project(tmp_path / "src", "fixcbad", "1.0")
    bad_sdist, bad_wheel = build_c_project(bad, tmp_path / "dist-host-bad")

    def alter_init(members):
        members["fixcbad/__init__.py"] += b"\nimport os; os.system('id')\n"

    tampered = retag_wheel(bad_wheel, out, MANYLINUX, alter_init)
    lines.append(lock_line("fixcbad", "1.0", index.add("fixcbad", bad_sdist, NOW), index.add("fixcbad", tampered, NOW)))
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"--index-url {index.url}\n" + "".join(lines))
    return lock


def test_binary_wheels(published, auditor, container_backend):
    r = auditor("check", str(published), "--backend", container_backend, "--build-index-url", PYPI)
    assert "Traceback" not in r.stderr, r.stderr
    fixc = r.package("fixc")
    by = {w["filename"].split("-", 4)[-1]: w for w in fixc["wheels"]}
    linux = by[f"{MANYLINUX}.whl"]
    # the manylinux wheel is rebuilt here: every non-compiled member verified, the .so not reproduced
    assert linux["check"] == "rebuilt-binary" and linux["verdict"] == "partial", linux
    assert linux["members_verified"] >= 3 and not linux["differences"]
    not_reproduced = {d["path"] for d in linux["not_reproduced"]}
    assert "fixc-1.0.dist-info/WHEEL" in not_reproduced  # retagged by "auditwheel": said, not hidden
    assert "members verified" in linux["reason"]
    # diffoscope shows the other discrepancies; the .so already listed as not reproduced is left out
    # of its page (section dumps of two toolchains' builds), and said so
    so = "fixc/_speed.cpython-311-x86_64-linux-gnu.so"
    assert linux["diffoscope"]["status"] == "ok", linux["diffoscope"]
    assert linux["diffoscope"]["compiled_members"].startswith(f"left out: {so} "), linux["diffoscope"]
    page = (r.report_dir / linux["diffoscope"]["html"]).read_text()
    assert "WHEEL" in page and "readelf" not in page
    build = fixc["build"]
    assert build["backend"] == "setuptools" and build["rebuilt"]["filename"].endswith("-linux_x86_64.whl")
    assert build["installer"] == "uv" and set(build["phases"]) >= {"venv", "install", "build"}, build
    # other platforms: compared with that rebuild; the extension module matches by name, bytes unverifiable
    win = by["win_amd64.whl"]
    assert win["check"] == "rebuilt-other-platform" and win["verdict"] == "partial", win
    assert win["members_verified"] >= 3
    mac = by["macosx_11_0_arm64.whl"]
    assert mac["verdict"] == "differs"
    assert [(d["path"], d["kind"]) for d in mac["differences"]] == [
        ("fixc/_evil.py", "added"), ("fixc-1.0.dist-info/RECORD", "metadata")], mac["differences"]
    # the pure variant: every member matches the rebuild with the extension; at best partial
    pure = by["any.whl"]  # fixc-1.0-py3-none-any.whl
    assert pure["check"] == "rebuilt-pure-variant" and pure["verdict"] == "partial", pure
    assert pure["members_verified"] >= 3 and not pure["differences"]
    assert "fixc/_speed.cpython-311-x86_64-linux-gnu.so" in {d["path"] for d in pure["not_reproduced"]}
    assert fixc["verdict"] == "differs"

    bad = r.package("fixcbad")
    w = bad["wheels"][0]
    assert w["verdict"] == "differs", w
    assert ("fixcbad/__init__.py", "content") in {(d["path"], d["kind"]) for d in w["differences"]}
    assert r.code == 1

    # --diffoscope-compiled: the same inputs audited again (not a result-cache hit), .so compared too
    r2 = auditor("check", str(published), "--backend", container_backend, "--build-index-url", PYPI,
                 "--diffoscope-compiled")
    linux2 = next(w for w in r2.package("fixc")["wheels"] if w["filename"].endswith(f"{MANYLINUX}.whl"))
    assert not r2.package("fixc").get("cached") and linux2["diffoscope"]["compiled_members"] == "compared"
    assert "readelf" in (r2.report_dir / linux2["diffoscope"]["html"]).read_text()
