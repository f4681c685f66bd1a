"""Hostile sdists on a local fixture index, audited in the default (container) backend: the run
finishes with a verdict for each, nothing escapes to the host, and the build has no network."""

from __future__ import annotations

import tarfile
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import PYPI
from tests.fixtureindex import lock_line, make_sdist_tar, rewrite_wheel

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PYPROJECT = b'[build-system]\nrequires = ["setuptools==75.6.0"]\nbuild-backend = "setuptools.build_meta"\n'


def ti(name, type_=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = type_, linkname, 0o644, 1700000000
    return info


def fake_wheel(dest: Path, name: str, init: bytes = b"") -> Path:
    """A plausible published wheel (what the hostile sdist claims to build), RECORD true to it."""
    w = dest / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(w, "w") as zf:
        zf.writestr(f"{name}/__init__.py", init)
        zf.writestr(f"{name}-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        zf.writestr(f"{name}-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: setuptools (75.6.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{name}-1.0.dist-info/RECORD", "")
    return rewrite_wheel(w, w, lambda members: None)


def setup_py(body: str) -> bytes:
    return (f"import setuptools\n{body}\nsetuptools.setup(name=NAME, version='1.0', packages=[NAME])\n").encode()


def test_hostile_sdists(tmp_path, index, auditor, container_backend):
    marker = Path(f"/tmp/auditor-escape-{uuid.uuid4().hex}")
    cases = {
        "hostile-dotdot": [(ti("hostile-dotdot-1.0/../../escaped.txt"), b"x")],
        "hostile-abs": [(ti("hostile-abs-1.0/setup.py"), b""), (ti(f"{marker}-abs"), b"x")],
        "hostile-link": [(ti("hostile-link-1.0/out", tarfile.SYMTYPE, "/tmp"), None),
                         (ti(f"hostile-link-1.0/out/{marker.name}-link"), b"x")],
        "hostile-net": [
            (ti("hostile-net-1.0/pyproject.toml"), PYPROJECT),
            (ti("hostile-net-1.0/hostile_net/__init__.py"), b""),
            (ti("hostile-net-1.0/setup.py"), setup_py(
                "NAME = 'hostile_net'\nimport socket\nsocket.create_connection(('pypi.org', 443), timeout=10).close()")),
        ],
        "hostile-net-tampered": [
            (ti("hostile-net-tampered-1.0/pyproject.toml"), PYPROJECT),
            (ti("hostile-net-tampered-1.0/hostile_net_tampered/__init__.py"), b""),
            (ti("hostile-net-tampered-1.0/setup.py"), setup_py(
                "NAME = 'hostile_net_tampered'\nimport socket\nsocket.create_connection(('pypi.org', 443), timeout=10).close()")),
        ],
        "hostile-write": [
            (ti("hostile-write-1.0/pyproject.toml"), PYPROJECT),
            (ti("hostile-write-1.0/hostile_write/__init__.py"), b""),
            (ti("hostile-write-1.0/setup.py"), setup_py(f"NAME = 'hostile_write'\nopen('{marker}', 'w').write('pwned')")),
        ],
    }
    lines = []
    for name, members in cases.items():
        sd = make_sdist_tar(tmp_path / f"{name}-1.0.tar.gz", f"{name}-1.0", members)
        # the tampered one's published wheel has a module the sdist does not hold
        w = fake_wheel(tmp_path, name.replace("-", "_"), b"import os\n" if name.endswith("-tampered") else b"")
        lines.append(lock_line(name, "1.0", index.add(name, sd, NOW), index.add(name, w, NOW)))
    lock = tmp_path / "requirements.txt"
    lock.write_text("".join(lines))
    r = auditor("check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend)
    assert "Traceback" not in r.stderr
    res = r.results
    assert res["complete"] and res["environment"]["isolation"] == "container"
    v = {p["name"]: p for p in res["packages"]}
    assert set(v) == set(cases)
    for name in ("hostile-dotdot", "hostile-abs", "hostile-link"):
        assert v[name]["verdict"] == "failed", v[name]
        assert "unsafe sdist" in v[name]["reason"]
        assert "unsafe-archive" in v[name]["sdist"]["flags"]
    net = v["hostile-net"]
    # the build cannot run here: the reason says why in one line; the wheel is `failed`, never `partial`, and
    # carries the sources check as evidence (its module, RECORD, WHEEL match; METADATA listed)
    assert net["verdict"] == "failed" and not net.get("rebuilt_here"), net
    assert "tried to reach the network" in net["build"]["reason"], net["build"]["reason"]
    (w,) = net["wheels"]
    assert w["check"] == "sources" and w["reason"].startswith("not rebuilt (") and "tried to reach the network" in w["reason"]
    assert w["verified"]["bytes"] >= 1 and w["members_verified"] >= 3, w
    tampered = v["hostile-net-tampered"]  # the same, with a changed .py in the published wheel: differs
    assert tampered["verdict"] == "differs" and tampered["wheels"][0]["check"] == "sources", tampered
    assert [d["path"] for d in tampered["wheels"][0]["differences"]] == ["hostile_net_tampered/__init__.py"]
    assert res["rebuilt"]["releases"] == 1 and v["hostile-write"]["rebuilt_here"] and r.code == 1  # only hostile-write builds
    log = (r.report_dir / net["build"]["log"]).read_text()
    assert "socket" in log or "gaierror" in log or "Network is unreachable" in log, log[-2000:]
    # the write happened inside the container's tmpfs, never on the host
    # rebuilt (its write landed in the container's tmpfs): against a published wheel that is not what its setup.py
    # builds (no top_level.txt, another METADATA), it differs
    assert v["hostile-write"]["verdict"] == "differs", v["hostile-write"]["reason"]
    assert not marker.exists()
    assert not list(Path("/tmp").glob(f"{marker.name}*"))
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_build_timeout_kills_the_container(tmp_path, index, auditor, container_backend):
    from tests.conftest import auditor_containers

    run_id = f"test-{uuid.uuid4().hex[:12]}"

    name = "hostile-slow"
    sd = make_sdist_tar(tmp_path / f"{name}-1.0.tar.gz", f"{name}-1.0", [
        (ti(f"{name}-1.0/pyproject.toml"), PYPROJECT),
        (ti(f"{name}-1.0/hostile_slow/__init__.py"), b""),
        (ti(f"{name}-1.0/setup.py"), setup_py("NAME = 'hostile_slow'\nimport time\ntime.sleep(600)")),
    ])
    w = fake_wheel(tmp_path, "hostile_slow")
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_line(name, "1.0", index.add(name, sd, NOW), index.add(name, w, NOW)))
    import threading
    import time

    done: list = []
    runner = threading.Thread(target=lambda: done.append(auditor(
        "check", str(lock), "--index-url", index.url, "--build-index-url", PYPI, "--backend", container_backend,
        "--build-timeout", "20", env={"AUDITOR_RUN_ID": run_id})))
    runner.start()
    seen = set()
    while runner.is_alive():  # the sleeping build's container carries this run's label while it runs
        seen |= auditor_containers(run_id)
        time.sleep(0.5)
    runner.join()
    assert seen, "no container labelled with the run's AUDITOR_RUN_ID was seen during the build"
    r = done[0]
    pkg = r.package(name)
    # killed at the timeout; its wheel is `failed`, with the sources check as evidence
    assert pkg["verdict"] == "failed" and pkg["build"]["reason"].startswith("timeout"), pkg["build"]
    assert pkg["wheels"][0]["check"] == "sources" and pkg["wheels"][0]["members_verified"] >= 1
    assert "timeout" in pkg["wheels"][0]["reason"], pkg["wheels"][0]
    assert pkg["build"]["seconds"] < 60
    assert auditor_containers(run_id) == set()  # none of this run's containers is left


def test_image_build_is_idempotent(auditor, container_backend):
    first = auditor("image", "build")
    second = auditor("image", "build")
    assert first.code == 0 and second.code == 0, first.stderr
    digest = first.stdout.strip()
    assert digest.startswith("sha256:") and second.stdout.strip() == digest
    assert "Debian packages" in second.stderr
