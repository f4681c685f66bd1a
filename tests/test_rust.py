"""Rust builds end to end in the sandbox, offline: a maturin project and a setuptools-rust project whose
Cargo.lock pins a crate of a registry served on 127.0.0.1 (cargo's sparse protocol). The publisher's wheels
are built by the test in the same Debian image, at another path with another cargo home, the way a CI runner
does; auditor fetches the crate outside the sandbox, checks it against Cargo.lock, vendors it and rebuilds.
A wheel built from the crate with one added call that runs a command `differs`; a registry that serves bytes
other than Cargo.lock's is `failed`, both digests named, nothing built."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import PYPI
from tests.crates import GREET, GREET_TAMPERED, CrateRegistry, make_crate, maturin_project, setuptools_rust_project
from tests.fixtureindex import lock_line

MATURIN = "1.16.0"
# where cargo unpacks crates.io's crates on a CI runner: the publisher's crates are there
REGISTRY_SRC = "/home/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f"
SETUPTOOLS_RUST = ["setuptools==80.9.0", "setuptools-rust==1.12.0"]

PUBLISH = """set -e
mkdir -p /home/runner/.cargo /home/runner/work
printf '[source.crates-io]\\nreplace-with = "v"\\n[source.v]\\ndirectory = "%s"\\n[net]\\noffline = true\\n' "$VENDOR" \\
    > /home/runner/.cargo/config.toml
python3 -m venv /tmp/v && /tmp/v/bin/pip install -q --no-index /tools/*.whl
cp -r /src /home/runner/work/project && cd /home/runner/work/project
PATH=/tmp/v/bin:$PATH /tmp/v/bin/pip wheel -q --no-build-isolation --no-deps -w /dist .
"""


def _sdist(proj: Path, out: Path) -> Path:
    """The sdist as maturin and setuptools write it: NAME-VERSION/ with PKG-INFO and the sources."""
    name = proj.name.rsplit("-", 1)[0]
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n".encode()
    path = out / f"{name.replace('-', '_')}-0.1.0.tar.gz"
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for f in sorted(p for p in proj.rglob("*") if p.is_file()):
            tf.add(f, f"{proj.name}/{f.relative_to(proj)}")
        info = tarfile.TarInfo(f"{proj.name}/PKG-INFO")
        info.size, info.mode = len(pkg_info), 0o644
        tf.addfile(info, io.BytesIO(pkg_info))
    return path


def _engine() -> str:
    from auditor.sandbox.oci import engine_answers

    return "docker" if engine_answers("docker") else "podman"


def _publish(proj: Path, crate: bytes | None, tools: list[str], image: str, out: Path,
             wrap: tuple[str, bytes] | None = None) -> Path:
    """The publisher's wheel: built in `image` with the given build tools (from PyPI), the crate vendored at
    the publisher's own path (or a wrap's download in its packagecache), SOURCE_DATE_EPOCH set, no network."""
    wheels, vendor, dist = out / "tools", out / "vendor", out / "dist"
    for d in (wheels, vendor, dist):
        d.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--platform",
                    "manylinux_2_17_x86_64", "--platform", "manylinux2010_x86_64", "--python-version", "3.11",
                    "-d", str(wheels), "--index-url", PYPI, *tools], check=True, capture_output=True)
    tree = out / "tree" / proj.name
    shutil.copytree(proj, tree)
    if wrap:
        (tree / "subprojects" / "packagecache").mkdir()
        (tree / "subprojects" / "packagecache" / wrap[0]).write_bytes(wrap[1])
    if crate:
        with tarfile.open(fileobj=io.BytesIO(crate)) as tf:
            tf.extractall(vendor, filter="data")
        digest = hashlib.sha256(crate).hexdigest()
        # the publisher's own tree pins the crate it built with (a tampered publisher's lock differs from its sdist's)
        lock = tree / "Cargo.lock"
        lock.write_text(re.sub(r'checksum = "[0-9a-f]{64}"', f'checksum = "{digest}"', lock.read_text()))
    proj = tree
    for d in vendor.iterdir():
        (d / ".cargo-checksum.json").write_text('{"files": {}, "package": "%s"}' % digest)
    p = subprocess.run([_engine(), "run", "--rm", "--network=none", "--user", f"{os.getuid()}:{os.getgid()}",
                        "-e", "HOME=/home/runner", "-e", "SOURCE_DATE_EPOCH=1700000000", "--tmpfs", "/home/runner:exec,mode=1777",
                        "-v", f"{wheels}:/tools:ro", "-v", f"{proj}:/src:ro",
                        "-v", f"{vendor}:{REGISTRY_SRC}:ro", "-e", f"VENDOR={REGISTRY_SRC}",
                        "-v", f"{dist}:/dist", image, "sh", "-c", PUBLISH], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"the publisher's build failed: {p.stdout[-2000:]} {p.stderr[-2000:]}")
    return next(dist.glob("*.whl"))


@pytest.fixture(scope="module")
def rust_image(container_backend) -> str:
    from auditor.sandbox.oci import OCISandbox

    return OCISandbox(_engine(), python="3.11").derived_image("3.11", ("cargo", "rustc"))[0]


def test_rust_builds_offline_from_crates_pinned_by_cargo_lock(tmp_path, index, auditor, rust_image):
    registry = CrateRegistry()
    try:
        honest = make_crate("greet", "0.1.0", GREET)
        digest = registry.publish("greet", "0.1.0", honest)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        lines = []
        projects = {
            "rustdemo": (maturin_project(tmp_path / "m", "rustdemo", MATURIN, [("greet", "0.1.0", digest)]), [f"maturin=={MATURIN}"]),
            "rs-native": (setuptools_rust_project(tmp_path / "s", "rs-native", SETUPTOOLS_RUST, [("greet", "0.1.0", digest)]),
                          SETUPTOOLS_RUST),
        }
        for name, (proj, tools) in projects.items():
            sdist = _sdist(proj, tmp_path / name)
            wheel = _publish(proj, honest, tools, rust_image, tmp_path / name / "honest")
            lines.append(lock_line(name, "0.1.0", index.add(name, sdist, now), index.add(name, wheel, now)))
        # the same maturin project's wheel, built by its publisher from a crate with one added call that runs
        # a command; the lock pins the honest crate (the sdist is the honest one)
        proj, tools = projects["rustdemo"]
        bad = maturin_project(tmp_path / "bad", "rustbad", MATURIN, [("greet", "0.1.0", digest)])
        wheel = _publish(bad, make_crate("greet", "0.1.0", GREET_TAMPERED), tools, rust_image, tmp_path / "rustbad" / "w")
        lines.append(lock_line("rustbad", "0.1.0", index.add("rustbad", _sdist(bad, tmp_path / "rustbad"), now),
                               index.add("rustbad", wheel, now)))
        lock = tmp_path / "requirements.txt"
        lock.write_text(f"--index-url {index.url}\n" + "".join(lines))
        r = auditor("check", str(lock), "--build-index-url", PYPI, "--python", "3.11", "--crate-index-url", registry.index,
                    report_dir=tmp_path / "report-all")
        assert "Traceback" not in r.stderr, r.stderr[-3000:]
        by = {p["name"]: p for p in r.results["packages"]}
        for name in ("rustdemo", "rs-native"):
            p = by[name]
            # the publisher's crates were under its cargo registry, which their panic locations name: the rebuild
            # vendors them at that path, and the compiled members are the same bytes
            assert p["verdict"] in ("identical", "equivalent") and p["rebuilt_here"], \
                (name, p["verdict"], [w.get("reason") for w in p["wheels"]], [b.get("reason") for b in p["builds"]])
            build = next(b for b in p["builds"] if b.get("rebuilt"))
            assert build["inputs"] == [{"kind": "crate", "name": "greet", "version": "0.1.0", "sha256": digest,
                                        "source": registry.index}], build["inputs"]
            assert set(build["system_packages"]) == {"cargo", "rustc"}
            assert any(n.startswith(f"crates vendored at {REGISTRY_SRC}/") for n in build["notes"]), build["notes"]
        bad = by["rustbad"]
        assert bad["verdict"] == "differs", (bad["verdict"], [w["reason"] for w in bad["wheels"]])
        diffs = bad["wheels"][0]["differences"]
        # the program is judged like a compiled module: its interface names what the added call brought in
        assert any(d["path"].endswith("scripts/rustbad") and d["cls"] == "code" and "imports execvp@GLIBC" in d["detail"]
                   for d in diffs), diffs
        assert r.code == 1
        # a release whose Cargo.lock pins a crate the registry serves other bytes for: nothing is built, both
        # digests named (a crate not fetched before: one fetched is taken from the cache by its checksum)
        pinned = hashlib.sha256(make_crate("greet", "0.2.0", GREET)).hexdigest()
        served = registry.publish("greet", "0.2.0", make_crate("greet", "0.2.0", GREET_TAMPERED))
        pin = maturin_project(tmp_path / "pin", "rustpin", MATURIN, [("greet", "0.2.0", pinned)])
        only = tmp_path / "one.txt"
        only.write_text(f"--index-url {index.url}\n" + lock_line(
            "rustpin", "0.1.0", index.add("rustpin", _sdist(pin, tmp_path / "rustpin"), now),
            index.add("rustpin", _publish(pin, make_crate("greet", "0.2.0", GREET), [f"maturin=={MATURIN}"], rust_image,
                                          tmp_path / "rustpin" / "w"), now)))
        r = auditor("check", str(only), "--build-index-url", PYPI, "--python", "3.11", "--crate-index-url", registry.index)
        p = r.package("rustpin")
        assert p["verdict"] == "failed" and not p["rebuilt_here"], p
        b = p["builds"][0]
        assert b["input_mismatch"]["expected"] == pinned and b["input_mismatch"]["actual"] == served, b
        assert pinned in b["reason"] and served in b["reason"] and "nothing was built" in b["reason"]
        (finding,) = p["findings"]  # a supply-chain event: listed among the release's findings
        assert finding["causes"] == ["build-input-mismatch"] and finding["members"] == ["crate greet 0.2.0"], finding
        assert not any(x.get("rebuilt") for x in p["builds"])
    finally:
        registry.close()


MESON = ["meson-python==0.22.1", "meson==1.12.1", "ninja==1.13.2"]


def test_a_meson_wrap_is_fetched_by_its_hash_and_built_offline(tmp_path, index, auditor, container_backend):
    """A meson-python project whose extension links a subproject its wrap downloads (source_url, source_hash),
    served on 127.0.0.1: fetched outside, checked, placed in subprojects/packagecache/, built offline and
    compared with the publisher's wheel. The same wrap served with other bytes: `failed`, nothing built."""
    from tests.crates import FileServer, meson_wrap_project, subproject_tarball

    server = FileServer()
    try:
        tarball = subproject_tarball("greetc", "1.0")
        server.files["/greetc-1.0.tar.gz"] = tarball
        digest = hashlib.sha256(tarball).hexdigest()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        proj = meson_wrap_project(tmp_path / "src", "wrapdemo", MESON, f"{server.base}/greetc-1.0.tar.gz", digest)
        wheel = _publish(proj, None, MESON, "auditor-build:bookworm", tmp_path / "pub", wrap=("greetc-1.0.tar.gz", tarball))
        lock = tmp_path / "requirements.txt"
        lock.write_text(f"--index-url {index.url}\n" + lock_line(
            "wrapdemo", "0.1.0", index.add("wrapdemo", _sdist(proj, tmp_path / "sdist"), now), index.add("wrapdemo", wheel, now)))
        r = auditor("check", str(lock), "--build-index-url", PYPI, "--python", "3.11", report_dir=tmp_path / "r1")
        assert "Traceback" not in r.stderr, r.stderr[-3000:]
        p = r.package("wrapdemo")
        # the publisher built in the same image from the same wrap: byte for byte (measured; partial would mean the
        # wrap's library came out other than the publisher's)
        assert p["rebuilt_here"] and p["verdict"] == "identical", \
            (p["verdict"], [w.get("reason") for w in p["wheels"]], [b.get("reason") for b in p["builds"]])
        build = next(b for b in p["builds"] if b.get("rebuilt"))
        assert build["inputs"] == [{"kind": "wrap-source", "name": "greetc", "version": "greetc-1.0.tar.gz",
                                    "sha256": digest, "source": f"{server.base}/greetc-1.0.tar.gz"}], build["inputs"]
        # another release pins greetc 1.1 by its hash; the server serves other bytes under its URL
        pinned = subproject_tarball("greetc", "1.1")
        server.files["/greetc-1.1.tar.gz"] = subproject_tarball("greetc", "1.1", number=43)
        bad = meson_wrap_project(tmp_path / "bad", "wrapbad", MESON, f"{server.base}/greetc-1.1.tar.gz",
                                 hashlib.sha256(pinned).hexdigest(), sub="1.1")
        wheel = _publish(bad, None, MESON, "auditor-build:bookworm", tmp_path / "pub2", wrap=("greetc-1.1.tar.gz", pinned))
        lock.write_text(f"--index-url {index.url}\n" + lock_line(
            "wrapbad", "0.1.0", index.add("wrapbad", _sdist(bad, tmp_path / "sdist2"), now), index.add("wrapbad", wheel, now)))
        r = auditor("check", str(lock), "--build-index-url", PYPI, "--python", "3.11", report_dir=tmp_path / "r2")
        p = r.package("wrapbad")
        assert not p["rebuilt_here"] and p["builds"] and p["builds"][0]["input_mismatch"]["kind"] == "wrap-source", p
        assert "does not match its pin" in p["builds"][0]["reason"]
    finally:
        server.close()
