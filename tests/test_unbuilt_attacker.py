"""The publisher decides whether the rebuild fails: the sources check that then judges the wheel must hold
against an attacker. Each tamper on each backend whose build fails on purpose (meson-python, scikit-build-core,
a setup.py that raises) is `differs`, class code, the member named; the faithful wheel is `failed`."""

from __future__ import annotations

import pytest

from auditor.judge.verdicts import sources_judgement
from tests import attacker

BACKENDS = ("meson", "skbuild", "setuptools")


def judge(tmp_path, backend: str, wheel_members: list) -> dict:
    src = attacker.write_sdist_dir(tmp_path / "src", backend, "demo")
    path = attacker.write_wheel(tmp_path / "dist", "demo", "py3-none-any", wheel_members)
    return sources_judgement(path, src, path.name, "build-failed: the publisher's configure step stops").fields()


@pytest.mark.unit
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_faithful_wheel_of_a_build_that_fails_on_purpose_is_failed(tmp_path, backend):
    f = judge(tmp_path, backend, attacker.members("demo"))
    assert f["verdict"] == "failed" and not f["differences"] and f["check"] == "sources", f
    assert f["verified"]["bytes"] == 2  # the package's two modules, from the sdist's package root
    metadata = next(d for d in f["not_reproduced"] if d["path"].endswith("METADATA"))
    assert "Requires-Dist verified" in metadata["detail"]


@pytest.mark.unit
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("tamper", list(attacker.tampers("demo")))
def test_every_tamper_of_a_build_that_fails_on_purpose_differs_as_code(tmp_path, backend, tamper):
    wheel_members, member, _ = attacker.tampers("demo")[tamper]
    f = judge(tmp_path, backend, wheel_members)
    assert f["verdict"] == "differs" and f["check"] == "sources", f
    found = [d for d in f["differences"] if d["path"] == member]
    assert found and all(d["cls"] == "code" for d in found), f["differences"]
    assert "code" in f["classes"]
    assert f["reason"].startswith("not rebuilt (build-failed")


@pytest.mark.unit
def test_a_changed_version_never_stops_the_requirements_check(tmp_path):
    wheel_members, member, _ = attacker.tampers("demo")["changed Version"]
    f = judge(tmp_path, "meson", wheel_members)
    details = [d["detail"] for d in f["differences"] if d["path"] == member]
    assert any("Name/Version" in d for d in details) and any("published adds evil-helper>=1" in d for d in details)


@pytest.mark.unit
def test_requirements_from_egg_info_and_names_spelled_another_way(tmp_path):
    """setuptools' egg-info requires.txt is a static declaration, sections included; a requirement spelled
    another way under PEP 503 is the same requirement."""
    from auditor.judge import declared

    src = attacker.write_sdist_dir(tmp_path / "src", "setuptools", "demo")
    (src / "demo.egg-info" / "requires.txt").write_text(
        "importlib_resources>=1.3\n\n[:python_version < \"3.11\"]\ntomli\n\n[test]\npytest>=8\n\n"
        "[win:sys_platform == \"win32\"]\npywin32\n")
    want = declared.requirements(src)
    assert want.source == "demo.egg-info/requires.txt"
    published = ["importlib-resources>=1.3", 'tomli; python_version < "3.11"', 'pytest>=8; extra == "test"',
                 'pywin32; sys_platform == "win32" and extra == "win"']
    assert declared.requirement_differences(published, want.values or ()) == []
    assert "published adds evil" in declared.requirement_differences(published + ["evil"], want.values or ())


@pytest.mark.unit
def test_a_large_member_is_compared_by_its_hash_not_refused(tmp_path):
    """Tools shipped as wheels carry 20-40 MB members: the sources check compares them by sha256 instead
    of reading them into memory, and a bound of ours is never a difference."""
    import os

    src = attacker.write_sdist_dir(tmp_path / "src", "setuptools", "demo")
    big = os.urandom(20 << 20)
    (src / "demo" / "blob.bin").write_bytes(big)
    ok = attacker.members("demo", extra=[("demo/blob.bin", big, 0o644)])
    path = attacker.write_wheel(tmp_path / "dist", "demo", "py3-none-any", ok)
    f = sources_judgement(path, src, path.name, "build-failed").fields()
    assert f["verdict"] == "failed" and f["verified"]["bytes"] == 3, f
    bad = attacker.members("demo", extra=[("demo/blob.bin", big[:-1] + b"!", 0o644)])
    path = attacker.write_wheel(tmp_path / "dist2", "demo", "py3-none-any", bad)
    f = sources_judgement(path, src, path.name, "build-failed").fields()
    assert f["verdict"] == "differs" and [d["path"] for d in f["differences"]] == ["demo/blob.bin"]


@pytest.mark.unit
def test_an_internal_error_or_our_limit_is_the_wheels_own_verdict(tmp_path, monkeypatch):
    from auditor.fetch import archives
    from auditor.judge import registry

    src = attacker.write_sdist_dir(tmp_path / "src", "setuptools", "demo")
    path = attacker.write_wheel(tmp_path / "dist", "demo", "py3-none-any", attacker.members("demo"))
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 100)
    f = sources_judgement(path, src, path.name, "build-failed").fields()
    assert f["verdict"] == "unverifiable" and "--max-unpacked-gib" in f["reason"] and not f.get("differences")
    monkeypatch.undo()
    # a rule nobody registered fails the wheel's judgement in a normal run, not only under the tests
    monkeypatch.delenv("AUDITOR_RULES_LOG", raising=False)
    monkeypatch.setattr(registry, "RULES", tuple(r for r in registry.RULES if r.name != "script-shebang"))
    src2 = attacker.write_sdist_dir(tmp_path / "src2", "setuptools", "demo")
    (src2 / "setup.py").write_text("from setuptools import setup\nsetup(scripts=['bin/tool'])\n")
    (src2 / "bin").mkdir()
    (src2 / "bin" / "tool").write_bytes(b"#!/usr/bin/python3\nprint(1)\n")
    path = attacker.write_wheel(tmp_path / "dist3", "demo", "py3-none-any", attacker.members(
        "demo", extra=[("demo-1.0.data/scripts/tool", b"#!python\nprint(1)\n", 0o755)]))
    f = sources_judgement(path, src2, path.name, "build-failed").fields()
    assert f["verdict"] == "failed" and "internal error" in f["reason"] and "script-shebang" in f["reason"], f


def test_builds_that_fail_by_the_publishers_choice_end_to_end(tmp_path, index, auditor, container_backend):
    """Real builds in the sandbox, failing on purpose: a meson-python and a scikit-build-core project whose
    configure step stops, and a setup.py that raises. Every tampered wheel (this platform's and other
    platforms') is `differs`, class code, the member named, exit 1; the faithful wheels are `failed` with the
    sources check, exit 0 (3 with --strict)."""
    from datetime import datetime, timezone

    from tests.conftest import PYPI
    from tests.fixtureindex import lock_line

    now = datetime.now(timezone.utc).replace(microsecond=0)
    honest, tampered = [], []
    for backend in BACKENDS:
        for kind in ("ok", "bad"):
            name = f"fails-{backend}-{kind}"
            hashes = [index.add(name, attacker.write_sdist(tmp_path / name, backend, name), now)]
            if kind == "ok":
                wheels = [("py3-none-any", attacker.members(name))]
            else:
                wheels = [(tag, m) for m, _, tag in attacker.tampers(name, attacker.TAGS).values()]
            for tag, wheel_members in wheels:
                hashes.append(index.add(name, attacker.write_wheel(tmp_path / name, name, tag, wheel_members), now))
            (honest if kind == "ok" else tampered).append(lock_line(name, "1.0", *hashes))
    both = tmp_path / "requirements.txt"
    both.write_text(f"--index-url {index.url}\n" + "".join(honest + tampered))
    r = auditor("check", str(both), "--build-index-url", PYPI, "--python", "3.11")
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    by_name = {p["name"]: p for p in r.results["packages"]}
    for backend in BACKENDS:
        ok, bad = by_name[f"fails-{backend}-ok"], by_name[f"fails-{backend}-bad"]
        assert ok["verdict"] == "failed" and not ok["rebuilt_here"], ok
        assert ok["builds"] and all(not b.get("rebuilt") for b in ok["builds"]), ok["builds"]
        assert ok["wheels"][0]["check"] == "sources" and not ok["wheels"][0]["differences"], ok["wheels"][0]
        assert bad["verdict"] == "differs", bad
        expected = {tag: member for _, member, tag in attacker.tampers(bad["name"], attacker.TAGS).values()}
        for w in bad["wheels"]:
            tag = w["filename"].split("-", 2)[2].removesuffix(".whl")
            assert w["verdict"] == "differs" and w["check"] == "sources", (backend, w["filename"], w["reason"])
            found = [d for d in w["differences"] if d["path"] == expected[tag]]
            assert found and {d["cls"] for d in found} == {"code"}, (backend, w["filename"], w["differences"])
    assert r.code == 1
    only_honest = tmp_path / "honest.txt"
    only_honest.write_text(f"--index-url {index.url}\n" + "".join(honest))
    assert auditor("check", str(only_honest), "--build-index-url", PYPI, "--python", "3.11").code == 0
    assert auditor("check", str(only_honest), "--build-index-url", PYPI, "--python", "3.11", "--strict").code == 3


def test_a_pin_only_an_extra_index_serves_is_fetched_from_it(tmp_path, index, auditor, container_backend):
    """Pins under disjoint markers, one from the lock's --extra-index-url (torch+cpu's shape): each audited
    from the index that serves it, not `unverifiable` for want of files on the first index."""
    from datetime import datetime, timezone

    from tests.conftest import PYPI
    from tests.fixtureindex import FixtureIndex, build_project, lock_line, make_project

    now = datetime.now(timezone.utc).replace(microsecond=0)
    extra = FixtureIndex(tmp_path / "extra")
    try:
        lines = []
        for idx, version, marker in ((index, "1.0", "sys_platform == 'darwin'"), (extra, "1.0+cpu", "sys_platform == 'linux'")):
            sdist, whl = build_project(make_project(tmp_path / f"src{version}", "twopins", version), tmp_path / f"dist{version}")
            hashes = [idx.add("twopins", sdist, now), idx.add("twopins", whl, now)]
            lines.append(lock_line("twopins", version, *hashes).replace(" \\\n", f" ; {marker} \\\n", 1))
        lock = tmp_path / "requirements.txt"
        lock.write_text(f"--index-url {index.url}\n--extra-index-url {extra.url}\n" + "".join(lines))
        r = auditor("check", str(lock), "--build-index-url", PYPI)
        assert "Traceback" not in r.stderr, r.stderr[-2000:]
        got = {(p["version"], p["verdict"], p["index_url"]) for p in r.results["packages"]}
        assert got == {("1.0", "identical", index.url), ("1.0+cpu", "identical", extra.url)}, got
    finally:
        extra.close()


@pytest.mark.unit
def test_a_package_hidden_where_no_build_installs_from_is_not_a_package_root(tmp_path):
    """A package root is found where the sdist holds a package's __init__.py only when the build configuration
    names that directory (grpcio's computed package_dir): an added top-level package whose copy the sdist hides
    under tests/ is still an added module."""
    src = attacker.write_sdist_dir(tmp_path / "src", "setuptools", "demo")
    (src / "tests" / "fixtures" / "evilpkg").mkdir(parents=True)
    (src / "tests" / "fixtures" / "evilpkg" / "__init__.py").write_bytes(b"import os\n")
    (src / "setup.py").write_text("from setuptools import setup, find_packages\n"
                                  "setup(packages=find_packages(exclude=['tests', 'fixtures']))\n")
    path = attacker.write_wheel(tmp_path / "dist", "demo", "py3-none-any", attacker.members(
        "demo", extra=[("evilpkg/__init__.py", b"import os\n", 0o644)]))
    f = sources_judgement(path, src, path.name, "build-failed").fields()
    assert f["verdict"] == "differs" and [(d["path"], d["cls"]) for d in f["differences"]] == [("evilpkg/__init__.py", "code")]
    # the same package under a directory the configuration names is found there (grpcio's shape)
    (src / "lib" / "evilpkg").mkdir(parents=True)
    (src / "lib" / "evilpkg" / "__init__.py").write_bytes(b"import os\n")
    (src / "setup.py").write_text("import os\nfrom setuptools import setup\nsetup(package_dir={'': os.path.join('lib')})\n")
    assert sources_judgement(path, src, path.name, "build-failed").fields()["verdict"] == "failed"
