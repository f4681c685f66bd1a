"""Build inputs the sdist pins by hash (plan/pins.py, fetch/inputs.py): Cargo.lock's crates from a sparse
registry on 127.0.0.1 or a directory, checked against the lock before use, cached by checksum, vendored as
cargo's directory source; meson wraps' downloads checked against their source_hash."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest

from auditor.caches.downloads import Cache
from auditor.fetch.index import HttpClient
from auditor.fetch.inputs import (BuildInputError, InputMismatch, InputUnreachable, crate_source,
                                  fetch_inputs)
from auditor.plan.pins import read_pins, rust_python
from tests.crates import GREET, GREET_TAMPERED, CrateRegistry, FileServer, cargo_lock, make_crate, maturin_project

pytestmark = pytest.mark.unit


@pytest.fixture
def registry():
    r = CrateRegistry()
    yield r
    r.close()


def _project(tmp_path, crates):
    return maturin_project(tmp_path, "rustdemo", "1.16.0", crates)


def test_cargo_lock_pins_every_registry_crate_and_names_what_it_cannot_pin(tmp_path):
    greet = make_crate("greet", "0.1.0", GREET)
    digest = hashlib.sha256(greet).hexdigest()
    proj = _project(tmp_path, [("greet", "0.1.0", digest)])
    pins = read_pins(proj)
    assert pins.rust and not pins.unpinned and [(c.name, c.version, c.sha256) for c in pins.crates] == [("greet", "0.1.0", digest)]
    # a git dependency, another registry, a crate without checksum: each named, none fetched
    (proj / "Cargo.lock").write_text(cargo_lock("rustdemo", [("greet", "0.1.0", digest)]) + '''
[[package]]
name = "fromgit"
version = "0.2.0"
source = "git+https://example.org/fromgit?rev=abc#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "private"
version = "1.0.0"
source = "registry+https://registry.example.org/index"
checksum = "''' + "0" * 64 + '''"

[[package]]
name = "nosum"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
''')
    pins = read_pins(proj)
    reasons = " | ".join(pins.unpinned)
    assert "1 crate(s) from git (fromgit 0.2.0 (https://example.org/fromgit at 0123456789ab))" in reasons
    assert "private 1.0.0 from another registry" in reasons
    assert "no checksum for nosum 1.0.0" in reasons and [c.name for c in pins.crates] == ["greet"]
    # the first lock format kept checksums under [metadata]
    (proj / "Cargo.lock").write_text('[[package]]\nname = "greet"\nversion = "0.1.0"\n'
                                     'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
                                     f'[metadata]\n"checksum greet 0.1.0 (registry+https://github.com/rust-lang/crates.io-index)" = "{digest}"\n')
    assert [c.sha256 for c in read_pins(proj).crates] == [digest]
    (proj / "Cargo.lock").unlink()
    assert read_pins(proj).unpinned == ["the sdist holds Cargo.toml but no Cargo.lock: nothing pins its crates"]


def test_crates_come_from_a_sparse_registry_verified_cached_and_vendored(tmp_path, registry):
    greet = make_crate("greet", "0.1.0", GREET)
    digest = registry.publish("greet", "0.1.0", greet)
    pins = read_pins(_project(tmp_path, [("greet", "0.1.0", digest)]))
    cache, http = Cache(tmp_path / "cache"), HttpClient(tries=1)
    fetched, notes = fetch_inputs(pins, tmp_path / "in1", cache, http, crate_source(registry.index))
    assert [(f.kind, f.name, f.version, f.sha256, f.cached) for f in fetched] == [("crate", "greet", "0.1.0", digest, False)]
    assert fetched[0].source == registry.index and not notes
    vendored = tmp_path / "in1" / "vendor" / "greet-0.1.0"
    assert (vendored / "src" / "lib.rs").read_text() == GREET
    assert json.loads((vendored / ".cargo-checksum.json").read_text()) == {"files": {}, "package": digest}
    # fetched once per checksum: the next release's build takes it from the cache, no request
    before = len(registry.requests)
    fetched, _ = fetch_inputs(pins, tmp_path / "in2", cache, http, crate_source(registry.index))
    assert fetched[0].cached and len(registry.requests) == before


def test_a_crate_that_does_not_match_cargo_lock_is_never_vendored(tmp_path, registry):
    honest = make_crate("greet", "0.1.0", GREET)
    pinned = hashlib.sha256(honest).hexdigest()
    served = registry.publish("greet", "0.1.0", make_crate("greet", "0.1.0", GREET_TAMPERED))
    pins = read_pins(_project(tmp_path, [("greet", "0.1.0", pinned)]))
    with pytest.raises(InputMismatch) as exc:
        fetch_inputs(pins, tmp_path / "in", Cache(tmp_path / "cache"), HttpClient(tries=1), crate_source(registry.index))
    assert pinned in str(exc.value) and served in str(exc.value) and "greet 0.1.0" in str(exc.value)
    assert not (tmp_path / "in" / "vendor" / "greet-0.1.0").exists()


def test_a_source_that_does_not_answer_is_named_in_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    digest = hashlib.sha256(make_crate("greet", "0.1.0", GREET)).hexdigest()
    pins = read_pins(_project(tmp_path, [("greet", "0.1.0", digest)]))
    with pytest.raises(InputUnreachable) as exc:
        fetch_inputs(pins, tmp_path / "in", Cache(tmp_path / "cache"), HttpClient(tries=1, timeout=5),
                     crate_source(f"sparse+http://127.0.0.1:{port}/index/"))
    assert str(exc.value) == f"crate source unreachable: http://127.0.0.1:{port}/index/config.json"


def test_a_directory_of_crate_files_is_a_crate_source(tmp_path):
    greet = make_crate("greet", "0.1.0", GREET)
    d = tmp_path / "crates"
    d.mkdir()
    (d / "greet-0.1.0.crate").write_bytes(greet)
    pins = read_pins(_project(tmp_path, [("greet", "0.1.0", hashlib.sha256(greet).hexdigest())]))
    fetched, _ = fetch_inputs(pins, tmp_path / "in", Cache(tmp_path / "cache"), HttpClient(), crate_source(str(d)))
    assert fetched[0].source == str(d)
    (d / "greet-0.1.0.crate").write_bytes(make_crate("greet", "0.1.0", GREET_TAMPERED))
    with pytest.raises(InputMismatch):
        fetch_inputs(pins, tmp_path / "in2", Cache(tmp_path / "cache2"), HttpClient(), crate_source(str(d)))
    with pytest.raises(BuildInputError, match="not a sparse index"):
        crate_source("https://example.org/index")


def test_a_crate_that_escapes_its_directory_is_refused(tmp_path, registry):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("../../evil.rs")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    digest = registry.publish("greet", "0.1.0", buf.getvalue())
    pins = read_pins(_project(tmp_path, [("greet", "0.1.0", digest)]))
    with pytest.raises(BuildInputError, match="escapes"):
        fetch_inputs(pins, tmp_path / "in", Cache(tmp_path / "cache"), HttpClient(tries=1), crate_source(registry.index))
    assert not (tmp_path / "evil.rs").exists()


def test_meson_wraps_are_fetched_by_their_source_hash(tmp_path):
    server = FileServer()
    try:
        payload = b"the subproject's sources"
        server.files["/zlib-1.3.tar.gz"] = payload
        proj = tmp_path / "proj"
        (proj / "subprojects").mkdir(parents=True)
        wrap = (f"[wrap-file]\ndirectory = zlib-1.3\nsource_url = {server.base}/zlib-1.3.tar.gz\n"
                f"source_filename = zlib-1.3.tar.gz\nsource_hash = {hashlib.sha256(payload).hexdigest()}\n")
        (proj / "subprojects" / "zlib.wrap").write_text(wrap)
        (proj / "subprojects" / "carried.wrap").write_text(wrap.replace("zlib-1.3\n", "carried-1\n", 1))
        (proj / "subprojects" / "carried-1").mkdir()  # the sdist carries its sources: nothing to fetch
        pins = read_pins(proj)
        assert not pins.rust and [(w.name, w.role) for w in pins.wraps] == [("zlib", "source")]
        fetched, notes = fetch_inputs(pins, tmp_path / "in", Cache(tmp_path / "cache"), HttpClient(), None)
        assert (tmp_path / "in" / "packagecache" / "zlib-1.3.tar.gz").read_bytes() == payload and not notes
        assert [f.kind for f in fetched] == ["wrap-source"]
        server.files["/zlib-1.3.tar.gz"] = b"other bytes"
        with pytest.raises(InputMismatch, match="wrap-source zlib"):
            fetch_inputs(pins, tmp_path / "in2", Cache(tmp_path / "cache2"), HttpClient(), None)
        del server.files["/zlib-1.3.tar.gz"]  # a wrap meson may not need: said, the build goes on
        fetched, notes = fetch_inputs(pins, tmp_path / "in3", Cache(tmp_path / "cache3"), HttpClient(tries=1), None)
        assert not fetched and "zlib.wrap" in notes[0]
    finally:
        server.close()


@pytest.mark.parametrize("log, cause, needs", [
    ("error: package `half v2.4.1` cannot be built because it requires rustc 1.81 or newer, while the currently "
     "active rustc version is 1.63.0", "needs rustc 1.81 or newer (a crate's rust-version); the image's rustc is 1.63.0", (1, 81)),
    ("error: rustc 1.63.0 is not supported by the following package:\n  jiter@0.8.2 requires rustc 1.74",
     "needs rustc 1.74 or newer (a crate's rust-version); the image's rustc is 1.63.0", (1, 74)),
    ("error: failed to parse lock file at: /build/x/Cargo.lock\nCaused by:\n  lock file version 4 requires `-Znext-lockfile-bump`",
     "needs rustc 1.78 or newer: the sdist's Cargo.lock is format 4, which the image's cargo cannot read", (1, 78)),
    ("error[E0658]: use of unstable library feature 'is_some_and'", None, (1, 0)),
])
def test_a_rust_build_that_needs_a_newer_rustc_says_which(log, cause, needs):
    from auditor.rebuild.failures import explain

    found = explain(log)
    assert found is not None and found.needs_rustc == needs, found
    assert cause is None or found.text == cause, found.text


def test_the_publishers_rustc_is_read_from_its_compiled_module(tmp_path):
    from auditor.fetch.archives import read_wheel
    from auditor.plan.pins import publisher_rustc
    from tests import attacker

    so = b"\x7fELF" + b"\0" * 60 + b"rustc version 1.83.0 (90b35a623 2024-11-26)\0"
    path = attacker.write_wheel(tmp_path, "demo", "cp311-cp311-linux_x86_64", attacker.members(
        "demo", extra=[("demo/_native.cpython-311-x86_64-linux-gnu.so", so, 0o755)]))
    assert publisher_rustc(read_wheel(path)) == "1.83.0"
    plain = attacker.write_wheel(tmp_path / "p", "demo", "py3-none-any", attacker.members("demo"))
    assert publisher_rustc(read_wheel(plain)) is None


def test_a_build_that_needs_a_newer_rustc_goes_to_the_oldest_image_whose_rustc_is_new_enough():
    from types import SimpleNamespace

    from auditor.rebuild.retry import newer_rustc
    from auditor.records import BuildPlan, TimestampPolicy

    plan = BuildPlan(backend="maturin", backend_version=None, generator=None, requires=[], cutoff=None,
                     timestamp=TimestampPolicy(None, "none", "test"), python="3.11")

    def retry(needs):
        last = SimpleNamespace(needs_rustc=needs, reason="build-failed: needs rustc …")
        return newer_rustc(SimpleNamespace(failed=True, records=[last], last_plan=None, plan=plan), None), last

    got, _ = retry([1, 74])
    assert got[0].python == "3.13" and "rustc 1.85" in got[1][0]  # trixie's 1.85, not forky's
    got, _ = retry([1, 0])  # "a newer rustc", unnamed: the next suite's
    assert got[0].python == "3.13"
    got, last = retry([1, 99])
    assert got is None and "no image's rustc is new enough" in last.reason


def test_the_publishers_crate_directory_is_read_from_its_panic_locations(tmp_path):
    from auditor.fetch.archives import read_wheel
    from auditor.plan.pins import publisher_crate_dir
    from tests import attacker

    def wheel(path: bytes, where):
        so = b"\x7fELF" + b"\0" * 60 + path + b"/greet-0.1.0/src/lib.rs\0"
        return read_wheel(attacker.write_wheel(where, "demo", "cp311-cp311-linux_x86_64", attacker.members(
            "demo", extra=[("demo/_native.cpython-311-x86_64-linux-gnu.so", so, 0o755)])))

    runner = b"/home/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f"
    assert publisher_crate_dir(wheel(runner, tmp_path / "a")) == runner.decode()
    # a path the sandbox keeps for itself, or one that climbs, is not taken
    assert publisher_crate_dir(wheel(b"/in/x/registry/src/index.crates.io-6f17d22bba15001f", tmp_path / "b")) is None
    assert publisher_crate_dir(wheel(b"/a/../registry/src/index.crates.io-6f17d22bba15001f", tmp_path / "c")) is None


RUSTC_OF = {"3.9": (1, 48), "3.11": (1, 63), "3.13": (1, 85), "3.14": (1, 97)}


def test_the_image_of_a_rust_build_is_chosen_by_rust_version_then_the_publishers_rustc():
    """The wheel's own interpreter stays while its image's rustc satisfies Cargo.toml's rust-version; when it
    does not, the image whose rustc does and is nearest to the publisher's (cryptography 45: rust-version 1.74,
    built with rustc 1.87 -> trixie's 1.85, not forky's 1.97); without the publisher's, the oldest that fits."""
    assert rust_python(RUSTC_OF, "3.11", "1.60", "1.87.0") is None
    assert rust_python(RUSTC_OF, "3.11", None, "1.87.0") is None
    py, why = rust_python(RUSTC_OF, "3.11", "1.74", "1.87.0")
    assert py == "3.13" and "rustc 1.74 or newer" in why and "1.63" in why and "publisher's 1.87.0" in why
    assert rust_python(RUSTC_OF, "3.11", "1.74", "1.96.1")[0] == "3.14"
    assert rust_python(RUSTC_OF, "3.11", "1.74", None)[0] == "3.13"
    assert rust_python(RUSTC_OF, "3.9", "1.50.0", None)[0] == "3.11"
    assert rust_python(RUSTC_OF, "3.11", "1.99", "1.99.0") is None  # none can: the build's failure says so


def test_requirements_without_wheels_for_the_interpreter_ask_for_an_older_one():
    from auditor.rebuild.build import needs_older_python

    uv = ("No solution found when resolving dependencies cause: Because markupsafe==2.0.1 has no usable wheels and "
          "you require markupsafe==2.0.1, we can conclude that your requirements are unsatisfiable.")
    assert needs_older_python(uv, "3.11") == (3, 10)
    assert needs_older_python("Because you require flit-core==4.2.0 and flit-core==3.5.1 …", "3.11") is None
    assert needs_older_python(uv, "default") is None


def test_a_source_that_did_not_answer_is_not_asked_again_in_the_run(tmp_path):
    """Each Rust release of a lock would otherwise wait its own timeouts for the same index: once it did not
    answer, later releases of the run are told so at once, in the same line (a server listening there now is
    not asked)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    digest = hashlib.sha256(make_crate("greet", "0.1.0", GREET)).hexdigest()
    pins = read_pins(_project(tmp_path, [("greet", "0.1.0", digest)]))
    source = crate_source(f"sparse+http://127.0.0.1:{port}/index/")
    with pytest.raises(InputUnreachable):
        fetch_inputs(pins, tmp_path / "in", Cache(tmp_path / "cache"), HttpClient(tries=1, timeout=5), source)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", port))
        listening.listen()
        listening.settimeout(0.5)
        with pytest.raises(InputUnreachable) as exc:
            fetch_inputs(pins, tmp_path / "in2", Cache(tmp_path / "cache"), HttpClient(tries=1, timeout=5), source)
        with pytest.raises(socket.timeout):
            listening.accept()  # nobody connected
    assert str(exc.value) == f"crate source unreachable: http://127.0.0.1:{port}/index/config.json"
