"""Rebuild real PyPI packages in the real container (needs PyPI; runs under CI)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

EXAMPLE = ROOT / "fixtures" / "example" / "requirements.txt"


def test_real_packages_reproduce_in_the_container(auditor, container_backend):
    r = auditor("check", str(EXAMPLE), "--backend", container_backend, "--strict")
    assert "Traceback" not in r.stderr
    res = r.results
    assert res["environment"]["isolation"] == "container"
    assert res["environment"]["image"]["id"].startswith("sha256:")
    verdicts = {p["name"]: p["verdict"] for p in res["packages"]}
    assert set(verdicts) == {"idna", "attrs", "six"}
    assert all(v in ("identical", "equivalent") for v in verdicts.values()), verdicts
    backends = {p["name"]: p["build"]["backend"] for p in res["packages"]}
    assert backends == {"idna": "flit-core", "attrs": "hatchling", "six": "setuptools"}
    for p in res["packages"]:
        for w in p["wheels"]:
            if w["verdict"] == "equivalent":
                assert w["normalizations"] and not w["differences"]
    assert r.code == 0


HIREDIS = ROOT / "fixtures" / "hiredis" / "requirements.txt"


def test_hiredis_late_wheels(auditor, container_backend):
    """The 2018 case: a lock holding only hiredis 0.2.0's 2015 sdist hash."""
    r = auditor("check", str(HIREDIS), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    pkg = r.package("hiredis")
    assert pkg["sdist"]["filename"] == "hiredis-0.2.0.tar.gz" and pkg["sdist"]["flags"] == []
    assert pkg["wheels"] == []
    late = pkg["unlocked"]
    assert len(late) == 12
    assert all(set(w["flags"]) == {"late-upload", "not-in-lockfile"} for w in late)
    assert all(w["upload_time"].startswith("2018-08-16") for w in late)
    # the sdist is rebuilt, but for Python 2-era wheels of other platforms: each late wheel is compared with
    # that rebuild, or, where none could be made, gets the sources check as evidence and is `failed`
    for w in late:
        assert w["members_verified"] >= 2, w["reason"]
        assert (w["verdict"], w["check"]) in {("partial", "rebuilt-other-platform"), ("partial", "rebuilt-binary"),
                                              ("failed", "sources")}, (w["filename"], w["check"], w["reason"])
    inv = auditor("investigate", "hiredis==0.2.0", "--backend", container_backend, report_dir=r.report_dir.parent / "inv")
    assert "upload timeline" in inv.stdout
    ipkg = inv.package("hiredis")
    assert sorted(w["filename"] for w in ipkg["wheels"]) == sorted(w["filename"] for w in late)
    assert all("late-upload" in w["flags"] and "not-in-lockfile" not in w["flags"] for w in ipkg["wheels"])


POPULAR = ROOT / "fixtures" / "popular" / "requirements.txt"


def test_popular_packages_reproduce(auditor, container_backend):
    """Every one identical or equivalent across the main build backends (measured: 18/18)."""
    r = auditor("check", str(POPULAR), "--backend", container_backend, "-q")
    pkgs = r.results["packages"]
    assert len(pkgs) == 18
    backends = {p["build"]["backend"] for p in pkgs if p["build"]}
    assert {"setuptools", "wheel", "flit-core", "hatchling", "poetry-core"} <= backends, backends
    assert any(p["name"] == "pdm-backend" for p in pkgs)
    good = [p for p in pkgs if p["verdict"] in ("identical", "equivalent")]
    assert len(good) == len(pkgs), [(p["name"], p["verdict"], p["reason"]) for p in pkgs if p not in good]
    # an equivalent wheel always names what was normalized, and nothing but normalizations
    for p in pkgs:
        for w in p["wheels"]:
            if w["verdict"] == "equivalent":
                assert w["normalizations"] and not w["differences"]


LOCKS = ROOT / "fixtures" / "locks"


def test_every_lock_format_gives_the_requirements_txt_verdicts(auditor, container_backend, tmp_path):
    """The same three pins, as written by `uv export`, `uv lock`, `uv export --format pylock.toml` and
    `pip lock`, audited afresh each time (no result cache): the same verdicts."""
    verdicts = {}
    for name in ("requirements.txt", "uv.lock", "pylock.toml", "pylock.pip.toml"):
        r = auditor("check", str(LOCKS / name), "--backend", container_backend, "--no-result-cache",
                    report_dir=tmp_path / name)
        assert r.code == 0 and "Traceback" not in r.stderr, r.stderr
        res = r.results
        assert all(not p.get("cached") for p in res["packages"])
        verdicts[name] = {p["name"]: p["verdict"] for p in res["packages"]}
        assert all(p["lock_file"].endswith(name) and p["lock_line"] > 0 for p in res["packages"])
    reference = verdicts["requirements.txt"]
    assert set(reference) == {"attrs", "idna", "six"}
    assert all(v in ("identical", "equivalent") for v in reference.values()), reference
    for name, got in verdicts.items():
        assert got == reference, (name, got, reference)


BINARY = ROOT / "fixtures" / "binary" / "requirements.txt"


def test_real_binary_packages_are_partial(auditor, container_backend):
    """markupsafe and pyyaml (C extensions): the cp39, cp311 and cp313 manylinux wheels are rebuilt here,
    each with its interpreter; every other wheel (other Pythons, macOS, Windows, musllinux, aarch64…) is
    compared with a rebuild."""
    r = auditor("check", str(BINARY), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    for name, so in (("markupsafe", "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"),
                     ("pyyaml", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so")):
        pkg = r.package(name)
        assert pkg["verdict"] == "partial", (name, pkg["reason"])
        # each linux x86_64 wheel of an interpreter an image has (3.9, 3.11, 3.13) is rebuilt with it
        native = [w for w in pkg["wheels"] if w["check"] == "rebuilt-binary"]
        assert {w["filename"].split("-")[2] for w in native} == {"cp39", "cp311", "cp313"}, [w["filename"] for w in native]
        for n in native:
            assert n["verdict"] == "partial" and pkg["builds"][n["build"]]["python"] == \
                {"cp39": "3.9", "cp311": "3.11", "cp313": "3.13"}[n["filename"].split("-")[2]]
        w = next(n for n in native if "cp311-cp311-manylinux" in n["filename"])
        assert w["verdict"] == "partial" and not w["differences"] and w["members_verified"] >= 8, w
        assert so in {d["path"] for d in w["not_reproduced"]}
        others = [w for w in pkg["wheels"] if w["check"] == "rebuilt-other-platform"]
        assert len(others) >= 40 and all(o["verdict"] == "partial" for o in others)
        assert any("win" in o["filename"] for o in others) and any("macosx" in o["filename"] for o in others)
    assert r.code == 0


NAMED = ROOT / "fixtures" / "named" / "requirements.txt"


def test_named_releases_reproduce_or_say_why(auditor, container_backend):
    """The releases the issue tracker named as false alarms: each reproduced by its rule (era, odd modes,
    uv_build, universal, metadata spelling, wheel < 0.31's DESCRIPTION.rst); the true differences between
    an sdist and its wheel stay `differs`, each with its cause, and only the two of class code fail the run."""
    r = auditor("check", str(NAMED), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    pkgs = {p["name"]: p for p in r.results["packages"]}
    for name in ("sigstore-models", "pyramid-redirect", "pyramid-openapi3"):  # uv_build; setup.py-era
        assert pkgs[name]["verdict"] in ("identical", "equivalent"), (name, pkgs[name]["reason"])
    assert pkgs["sigstore-models"]["verdict"] == "identical"
    for name in ("alembic", "amqp", "boto3", "paginate", "python-slugify", "pytz", "webencodings", "s3transfer",
                 "vine", "natsort", "click-repl", "premailer", "mako", "pyramid-mailer", "pyramid-rpc", "pymacaroons"):
        assert pkgs[name]["verdict"] == "equivalent", (name, pkgs[name]["reason"])
    # boto3's publisher's setuptools spelled Requires-Dist otherwise (amqp's needed it too until the legacy
    # default carried wheel, as PEP 518 says: its rebuild now writes the publisher's METADATA)
    assert "metadata-format" in pkgs["boto3"]["wheels"][0]["normalizations"]
    assert any(n.startswith("DESCRIPTION.rst") for n in pkgs["pymacaroons"]["wheels"][0]["metadata_format"])
    assert pkgs["pytz"]["build"]["variant"] == "universal"
    assert {b["python"] for b in pkgs["webencodings"]["builds"]} == {"3.11", "3.9"}  # the era's setuptools needs 3.9
    # pyramid-services 2.2's era setuptools needs Python 3.8 (HTMLParser.unescape), which no image has: its pure
    # bdist_wheel-made wheel is built again on 3.9 with the setuptools and wheel of 3.9's release, and reproduces
    ps = pkgs["pyramid-services"]
    assert ps["verdict"] == "equivalent" and ps.get("rebuilt_here"), ps["reason"]
    assert any("the era's toolchain needs Python 3.8 or older" in n for b in ps["builds"] for n in b.get("notes") or [])
    # true differences, each said in its one line
    assert "setup.py reads changes.rst, which the sdist does not hold" in pkgs["translationstring"]["reason"]
    assert "the sdist holds no such file" in pkgs["paginate-sqlalchemy"]["reason"]
    assert "release step outside the sdist" in pkgs["botocore"]["reason"]
    assert "left over in the publisher's working tree" in pkgs["click-plugins"]["reason"]
    assert "passlib/_setup/" in pkgs["passlib"]["reason"]
    code = {n for n, p in pkgs.items() for w in p["wheels"] if "code" in (w.get("classes") or [])}
    assert code == {"click-plugins", "passlib"}, code
    for name in ("translationstring", "paginate-sqlalchemy", "botocore", "click-plugins", "passlib"):
        assert pkgs[name]["verdict"] == "differs", (name, pkgs[name]["reason"])
    assert r.code == 1, r.stderr  # the two of class code


INTERPRETERS = ROOT / "fixtures" / "interpreters" / "requirements.txt"


def test_platform_wheels_of_every_interpreter_without_false_alarms(auditor, container_backend):
    r = auditor("check", str(INTERPRETERS), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    pkgs = {p["name"]: p for p in r.results["packages"]}
    for p in pkgs.values():
        assert all(w["verdict"] in ("partial", "equivalent", "identical") for w in p["wheels"]), \
            [(w["filename"], w["reason"]) for w in p["wheels"] if w["verdict"] == "differs"]
    ms = {w["filename"]: w for w in pkgs["markupsafe"]["wheels"]}
    cp313 = next(w for n, w in ms.items() if "cp313-cp313-manylinux" in n and "x86_64" in n)
    assert cp313["check"] == "rebuilt-binary" and cp313["members_verified"] >= 8
    assert pkgs["markupsafe"]["builds"][cp313["build"]]["python"] == "3.13"
    cp314 = next(w for n, w in ms.items() if "cp314-cp314-manylinux" in n and "x86_64" in n)  # the forky image
    assert cp314["check"] == "rebuilt-binary" and cp314["members_verified"] >= 8, cp314["reason"]
    assert pkgs["markupsafe"]["builds"][cp314["build"]]["python"] == "3.14"
    # pyyaml's cp38 wheel (a Python no image has, older than all) is compared with a rebuild whose build
    # requirements were resolved for 3.8: that era's setuptools writes the dist-info directory as the
    # publisher's did (PyYAML-…), where a current one needed the named dist-info-name
    cp38 = next(w for n, w in {w["filename"]: w for w in pkgs["pyyaml"]["wheels"]}.items() if "cp38" in n)
    assert any("Python 3.8's era" in note for b in pkgs["pyyaml"]["builds"] for note in b.get("notes") or [])
    assert cp38["verdict"] == "partial" and "dist-info-name" not in cp38["normalizations"], cp38["reason"]
    assert any(b.get("variant") == "mypyc" for b in pkgs["charset-normalizer"]["builds"])


UNBUILT = ROOT / "fixtures" / "unbuilt" / "requirements.txt"


def test_a_rust_release_is_failed_with_the_sources_check_never_partial(auditor, container_backend):
    """bcrypt 4.3.0 (Rust; no crate registry reachable here): nothing is rebuilt, so every wheel is `failed` with the
    build's cause and the sources check as evidence (its Python members match the sdist, its compiled
    members are not verified), and the summary says 0 of 1 releases were rebuilt here."""
    r = auditor("check", str(UNBUILT), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    (pkg,) = r.results["packages"]
    assert pkg["verdict"] == "failed" and not pkg.get("rebuilt_here"), pkg["reason"]
    assert "crate source unreachable" in pkg["reason"], pkg["reason"]  # its crates, not the toolchain, are missing
    for w in pkg["wheels"] + pkg["unlocked"]:
        assert w["verdict"] == "failed" and w["check"] == "sources", (w["filename"], w["reason"])
        assert w["reason"].startswith("not rebuilt (") and w["verified"]["not_verified"] >= 1, w["reason"]
        assert w["members_verified"] >= 3, w["reason"]  # its Python files, WHEEL, RECORD at least
    assert r.results["rebuilt"] == {"releases": 0, "of": 1, "wheels": 0,
                                    "wheels_of": len(pkg["wheels"]) + len(pkg["unlocked"])}
    assert "rebuilt here: 0 of 1 releases" in r.stdout and r.code == 0


LARGE_MEMBER = ROOT / "fixtures" / "large-member" / "requirements.txt"


def test_a_release_with_a_31_mb_member_is_judged_not_refused(auditor, container_backend):
    """ruff 0.8.0 ships its executable (31 MB) under ruff-0.8.0.data/scripts/; its Rust build cannot run here.
    Before, reading that member past a 16 MiB bound of ours made all 17 wheels `differs` ("published wheel
    unreadable"), a limit reported as tampering. Now each wheel gets the sources check: its Python members and
    dist-info verified, the executable (named by the sdist's configuration) listed as not verified."""
    r = auditor("check", str(LARGE_MEMBER), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    (pkg,) = r.results["packages"]
    assert pkg["verdict"] == "failed", pkg["reason"]
    for w in pkg["wheels"] + pkg["unlocked"]:
        assert w["verdict"] == "failed" and w["check"] == "sources" and not w["differences"], (w["filename"], w["reason"])
        listed = {d["path"]: d["detail"] for d in w["not_reproduced"]}
        exe = next(p for p in listed if p.startswith("ruff-0.8.0.data/scripts/ruff"))
        assert listed[exe] == "compiled executable: needs a rebuild"
        assert w["verified"]["bytes"] >= 3
    assert len(pkg["wheels"]) + len(pkg["unlocked"]) == 17 and r.code == 0
    # its Cargo.lock takes four crates from git, which auditor does not fetch: the one-line cause says so (issue
    # 36), not "needs a Rust toolchain"; nothing was built
    (build,) = pkg["builds"]
    assert build["reason"].startswith("build inputs: Cargo.lock takes 4 crate(s) from git (lsp-types 0.95.1 "), build["reason"]
    assert set(build["system_packages"]) == {"cargo", "rustc"} and not build.get("rebuilt")


RUST = ROOT / "fixtures" / "rust" / "requirements.txt"


def test_real_rust_releases_name_the_crate_source_they_could_not_reach(auditor, container_backend):
    """nh3 0.2.21 and rpds-py 0.22.3 (maturin, PyO3): every crate is pinned by Cargo.lock, and crates.io is not
    reachable from this machine. Each is `failed` with one line naming the crate source, nothing built; the
    publisher's rustc is read from its module's .comment; the wheel gets the sources check (issue 36)."""
    r = auditor("check", str(RUST), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    for pkg in r.results["packages"]:
        assert pkg["verdict"] == "failed" and not pkg["rebuilt_here"], (pkg["name"], pkg["reason"])
        (build,) = pkg["builds"]
        assert build["reason"] == "build inputs: crate source unreachable: https://index.crates.io/config.json", build["reason"]
        assert re.fullmatch(r"1\.\d+\.\d+", build["toolchain"]["publisher_rustc"]), build.get("toolchain")
        (wheel,) = pkg["wheels"]
        assert wheel["check"] == "sources" and "crate source unreachable" in wheel["reason"], wheel["reason"]
    assert r.code == 0


SYSLIBS = ROOT / "fixtures" / "syslibs" / "requirements.txt"


def test_a_build_that_lacks_a_system_library_is_built_again_with_its_debian_package(auditor, container_backend):
    """pycurl 7.46.0's build runs curl-config, which the base image lacks: before, failed ("the sdist does not
    hold curl-config (an incomplete sdist)"). Now the cause names curl-config, bookworm's Contents index names
    libcurl4-openssl-dev, and the release is built again in a derived image whose ID the results record: its
    wheels are compared with that rebuild."""
    r = auditor("check", str(SYSLIBS), "--backend", container_backend, "--python", "3.11")
    assert "Traceback" not in r.stderr
    (pkg,) = r.results["packages"]
    assert pkg["rebuilt_here"], pkg["reason"]
    first, derived = pkg["builds"][0], next(b for b in pkg["builds"] if b.get("system_packages"))
    assert "needs curl-config" in first["reason"] and first["missing"] == ["program", "curl-config"]
    assert derived["system_packages"] == ["libcurl4-openssl-dev"] and derived["image"]["id"].startswith("sha256:")
    assert derived["image"]["ref"].startswith("auditor-build:bookworm-plus-") and derived.get("rebuilt")
    assert any("Contents-amd64.gz" in n for n in derived["notes"])
    locked = next(w for w in pkg["wheels"] if "manylinux" in w["filename"])
    assert locked["check"] == "rebuilt-binary", locked["reason"]
    assert any(w["verdict"] == "partial" for w in pkg["wheels"] + pkg["unlocked"])


HELD_OUT_30 = ROOT / "fixtures" / "held-out-30" / "requirements.txt"


def test_the_held_out_locks_false_alarms_are_gone(auditor, container_backend):
    """The pure releases the held-out-lock issue named, rebuilt for real: tabulate 0.9.0 (the publisher's
    setuptools_scm template, the sdist's own bytes) and mccabe 0.6.1 (setup_requires handed in, rebuilt on 3.9)
    reproduce; boto3's examples/*.rst and redis's py.typed are differences of class packaging only, which do not
    fail the run. mozterm 1.0.0 (bdist_wheel 0.31.1) and cachy 0.3.0 (poetry 1.0.0a5) need Python 3.8
    (HTMLParser.unescape), which no image has: mozterm's pure wheel is built again on the oldest image's Python
    with the setuptools and wheel of that Python's release and reproduces (METADATA spelling aside); cachy's
    poetry-made wheel stays failed with that cause and the sources check (a newer poetry writes another wheel).
    The lock says Python 3.13: recorded."""
    r = auditor("check", str(HELD_OUT_30), "--backend", container_backend)
    assert "Traceback" not in r.stderr
    pkgs = {p["name"]: p for p in r.results["packages"]}
    assert r.results["environment"]["targets"]["pythons"] == ["3.13"]
    for name in ("tabulate", "mccabe"):
        assert pkgs[name]["verdict"] in ("identical", "equivalent"), (name, pkgs[name]["reason"])
    assert any("the sdist's own copy" in t for t in pkgs["tabulate"]["wheels"][0].get("tool_steps") or [])
    for name in ("boto3", "redis"):
        w = pkgs[name]["wheels"][0]
        assert pkgs[name]["verdict"] == "differs" and w["classes"] == ["packaging"], (name, w["reason"])
    assert pkgs["mozterm"]["verdict"] in ("identical", "equivalent"), pkgs["mozterm"]["reason"]
    assert any("the era's toolchain needs Python 3.8 or older" in n for b in pkgs["mozterm"]["builds"]
               for n in b.get("notes") or [])
    assert pkgs["cachy"]["verdict"] == "failed" and "needs Python 3.8 or older" in pkgs["cachy"]["reason"], pkgs["cachy"]["reason"]
    assert pkgs["cachy"]["wheels"][0]["check"] == "sources"
    assert r.code == 0


def test_wheels_for_a_python_no_image_has_are_judged_with_their_eras_toolchain(auditor, container_backend):
    """multidict 6.0.5's cp37 wheels lack the __init__.pyi and py.typed its other wheels ship: setuptools 69
    began to package them, 68.0.0 was the last for Python 3.7. Their rebuild resolves its build requirements
    for Python 3.7 (setuptools 68.0.0), so they match it; compared with the cp311 rebuild they differed."""
    r = auditor("investigate", "multidict==6.0.5", "--backend", container_backend, "--python", "3.11",
                "--no-diffoscope-compiled")
    assert "Traceback" not in r.stderr
    p = r.results["packages"][0]
    cp37 = [w for w in p["wheels"] + p["unlocked"] if "-cp37-" in w["filename"]]
    assert cp37 and all(w["verdict"] == "partial" for w in cp37), [(w["filename"], w["reason"]) for w in cp37]
    era = [b for b in p["builds"] if any("Python 3.7's era" in n for n in b.get("notes") or [])]
    assert era and {"name": "setuptools", "version": "68.0.0"}.items() <= next(
        r for r in era[0]["requirements"] if r["name"] == "setuptools").items()
    assert p["verdict"] == "partial", p["reason"]


PY312 = ROOT / "fixtures" / "py312" / "requirements.txt"


def test_a_lock_for_a_python_no_image_has_is_built_once_with_the_nearest_without_false_alarms(auditor, container_backend):
    """The compiled releases that taught issue 37's rules, pinned for Python 3.12 (no image has it), rebuilt for
    real once, with 3.13: coverage 7.14.0's cp312 wheel names its script coverage-3.12 where the rebuild says 3.13
    (entry-point-python-version); uvloop 0.21.0 imports glibc's `_environ` where the rebuild imports `environ`
    (glibc-symbol-aliases); pillow 12.3.0 holds the string 3.1.4.1, a version, not a host (dotted-number-string).
    google-crc32c 1.7.1's setup.py builds pure Python when crc32c/crc32c.h is missing (Debian ships no such
    header): that build is another configuration, so its wheels are failed with that cause, not `differs` on the
    Requires-Dist the C build adds."""
    r = auditor("check", str(PY312), "--python", "3.12", "--backend", container_backend)
    assert "Traceback" not in r.stderr
    assert r.results["environment"]["targets"]["pythons"] == ["3.13"]
    assert "no image has the Python 3.12 that --python names" in r.results["environment"]["targets"]["why"]
    pkgs = {p["name"]: p for p in r.results["packages"]}

    def wheel(name, tag):
        return next(w for w in pkgs[name]["wheels"] + pkgs[name]["unlocked"]
                    if f"-{tag}-{tag}-manylinux" in w["filename"] and "x86_64" in w["filename"])

    for name in ("coverage", "uvloop", "pillow"):
        assert all(b["python"] in ("3.13", "3.11") for b in pkgs[name]["builds"])  # no build per interpreter
        assert wheel(name, "cp312")["verdict"] == "partial", (name, wheel(name, "cp312")["reason"])
    assert "entry-point-python-version" in wheel("coverage", "cp312")["normalizations"]
    assert "glibc-symbol-aliases" in wheel("uvloop", "cp313")["normalizations"]
    assert "dotted-number-string" in wheel("pillow", "cp313")["normalizations"]
    for name in ("uvloop", "pillow"):
        assert pkgs[name]["verdict"] == "partial", pkgs[name]["reason"]
    crc = pkgs["google-crc32c"]
    assert crc["verdict"] == "failed" and not crc["rebuilt_here"], crc["reason"]
    assert "fell back to another configuration" in crc["reason"] and "crc32c/crc32c.h" in crc["reason"]
    assert all(w["check"] == "sources" and w["verdict"] == "failed" for w in crc["wheels"] + crc["unlocked"])
    # coverage's Windows wheels say 'Ned Batchelder and 261 others' where its sdist's CONTRIBUTORS.txt makes 255:
    # a true difference of class metadata, which does not fail the run
    assert all(set(w["classes"]) <= {"metadata", "packaging"} for p in pkgs.values()
               for w in p["wheels"] + p["unlocked"] if w["verdict"] == "differs")
    assert r.code == 0
