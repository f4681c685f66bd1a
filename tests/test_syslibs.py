"""A build that fails for a file a Debian package ships: the cause names the file, the suite's Contents index
names the package (the development package; curl's OpenSSL flavour), and the release is built again in a
derived image (the real release, pycurl 7.46.0, is in test_real_pypi.py)."""

from __future__ import annotations

import gzip

import pytest

from auditor.judge.configured import SdistSources
from auditor.rebuild.failures import explain
from auditor.sandbox import debian

CONTENTS = """usr/bin/curl                                            web/curl
usr/bin/curl-config                                     libdevel/libcurl4-gnutls-dev,libdevel/libcurl4-nss-dev,libdevel/libcurl4-openssl-dev
usr/include/lz4.h                                       libdevel/liblz4-dev
usr/include/lz4frame.h                                  libdevel/liblz4-dev
usr/lib/x86_64-linux-gnu/pkgconfig/liblz4.pc            libdevel/liblz4-dev
usr/share/doc/lz4frame.h/example                        doc/not-a-header
usr/include/libxml2/libxml/tree.h                       libdevel/libxml2-dev
usr/include/tg_owt/third_party/crc32c/src/include/crc32c/crc32c.h libdevel/libtgowt-dev
usr/include/vendored/zz/zstd.h                           libdevel/libvendors-zstd-dev
usr/include/zstd.h                                      libdevel/libzstd-dev
usr/lib/x86_64-linux-gnu/openblas-pthread/pkgconfig/openblas.pc libdevel/libopenblas0-pthread-dev
usr/lib/x86_64-linux-gnu/openblas-openmp/pkgconfig/openblas.pc libdevel/libopenblas0-openmp-dev
"""


@pytest.fixture
def index(tmp_path):
    path = tmp_path / "Contents-amd64.gz"
    path.write_bytes(gzip.compress(CONTENTS.encode()))
    return path


@pytest.mark.unit
@pytest.mark.parametrize("log, missing, package", [
    ("src/_memray/compat.h:3:10: fatal error: lz4frame.h: No such file or directory", ("header", "lz4frame.h"), "liblz4-dev"),
    ("Could not run curl-config: [Errno 2] No such file or directory: 'curl-config'", ("program", "curl-config"),
     "libcurl4-openssl-dev"),
    ('meson.build:9:0: ERROR: Dependency "liblz4" not found, tried pkgconfig', ("pkgconfig", "liblz4.pc"), "liblz4-dev"),
    ("x.c:1:10: fatal error: libxml/tree.h: No such file or directory", ("header", "libxml/tree.h"), "libxml2-dev"),
    # scipy 1.17.0 (issue 47): meson asks for OpenBLAS; Debian ships openblas.pc, through alternatives, per flavour
    ('meson.build:9:0: ERROR: Dependency "OpenBLAS" not found, tried pkgconfig', ("pkgconfig", "OpenBLAS.pc"),
     "libopenblas0-openmp-dev"),
])
def test_the_file_a_build_lacks_is_named_and_found_in_the_contents_index(index, log, missing, package):
    cause = explain(log)
    assert cause is not None and cause.missing == missing, cause
    path, packages = debian.find_in(index, *missing)
    assert debian._choose(list(packages)) == package and path.lower().endswith(missing[1].lower())


@pytest.mark.unit
def test_nothing_is_found_for_a_file_no_package_ships_or_an_odd_name(index):
    assert debian.find_in(index, "header", "nosuch.h") is None
    assert debian.find_in(index, "header", "../etc/passwd") is None  # never a path out
    assert debian.find_in(index, "program", "lz4frame.h") is None  # a header is not a program
    # a copy deep in another project's vendored tree is not the library (google-crc32c 1.7.1: Debian has no
    # libcrc32c-dev; bookworm's only crc32c/crc32c.h is WebRTC's third_party copy)
    assert debian.find_in(index, "header", "crc32c/crc32c.h") is None
    assert debian.find_in(index, "header", "zstd.h") == ("usr/include/zstd.h", ("libzstd-dev",))  # the shallowest


@pytest.mark.unit
def test_the_index_digest_is_read_from_the_suites_release():
    release = ("Origin: Debian\nSHA256:\n 00ab 61033 contrib/Contents-amd64.gz\n dd91 11629145 main/Contents-amd64.gz\n"
               "MD5Sum:\n ff 1 main/Contents-amd64.gz\n")
    assert debian._release_sha256(release, "main/Contents-amd64.gz") == "dd91"
    assert debian._release_sha256(release, "main/Contents-arm64.gz") is None


def test_an_image_named_for_an_interpreter_is_checked_and_recorded(tmp_path, auditor, container_backend):
    """--interpreter-image X.Y=REF: an image a user names for an interpreter no Debian suite has. Its version is
    read inside it: a mismatch is refused in one line; a match is recorded with its ID in the results."""
    from auditor.sandbox.oci import DEFAULT_IMAGE

    lock = tmp_path / "requirements.txt"
    lock.write_text("")
    r = auditor("check", str(lock), "--interpreter-image", f"3.12={DEFAULT_IMAGE}", "--report-dir", str(tmp_path / "a"))
    assert r.code == 2 and "its python3 is Python 3.11, not 3.12" in r.stderr and "Traceback" not in r.stderr
    r = auditor("check", str(lock), "--interpreter-image", f"3.11={DEFAULT_IMAGE}", "--report-dir", str(tmp_path / "b"))
    assert r.code == 0, r.stderr
    named = r.results["environment"]["interpreter_images"]["3.11"]
    assert named["ref"] == DEFAULT_IMAGE and named["id"].startswith("sha256:")
    assert auditor("check", str(lock), "--interpreter-image", "python3.12", "--report-dir", str(tmp_path / "c")).code == 2


@pytest.mark.unit
def test_a_build_that_went_on_without_a_header_and_lost_its_extension_is_another_configuration():
    """google-crc32c 1.7.1's setup.py builds pure Python when crc32c/crc32c.h is missing: its wheel lacks the
    C module and the Requires-Dist the published wheels have. That build is not a rebuild of theirs: every wheel
    `failed` with the cause (not `differs` on METADATA); with the module there, or no missing file logged, the
    build stands."""
    from types import SimpleNamespace

    from auditor.judge.attempts import Attempts, Rebuilt, ReleaseInputs
    from auditor.plan.groups import Member
    from auditor.records import BuildRecord

    published = SimpleNamespace(members=["google_crc32c/__init__.py", "google_crc32c/_crc32c.cpython-312-x86_64-linux-gnu.so"])
    pure = SimpleNamespace(members=["google_crc32c/__init__.py", "google_crc32c/python.py"])

    def attempts(rebuilt, missing):
        release = ReleaseInputs(None, None, "", None, None, None)  # type: ignore[arg-type]
        run = Attempts(None, [], [Member(SimpleNamespace(), published, None, True)], 0, release)  # type: ignore[arg-type]
        record = BuildRecord(backend=None, backend_version=None, generator=None, declared_requires=[], cutoff=None,
                             source_date_epoch=None, tz="UTC", timestamp_policy={}, python="3.13", sandbox="docker",
                             variant=None, variant_env={}, variant_options={}, notes=[])
        record.chosen, record.missing = True, missing
        run.records, run.kept = [record], Rebuilt(None, rebuilt, "x.whl")  # type: ignore[arg-type]
        run.sources = SdistSources({"_crc32c"}, native={"_crc32c"})  # the sdist holds src/google_crc32c/_crc32c.c
        return run, record

    run, record = attempts(pure, ["header", "crc32c/crc32c.h"])
    assert run.lacks_extensions() == ["google_crc32c/_crc32c"]
    cause = run.fell_back()
    assert cause == record.reason and "went on without crc32c/crc32c.h" in cause and "google_crc32c/_crc32c" in cause
    assert run.kept is None and run.failed and run.best[0][1].verdict == "failed"
    run, _ = attempts(pure, None)
    assert run.fell_back() is None and run.kept is not None  # no missing file in its log: the comparison says
    run, _ = attempts(published, ["header", "crc32c/crc32c.h"])
    assert run.fell_back() is None  # a probe's missing header, the module built anyway
    # the attacker's twin: a published module the sdist has no source for, and a log that names a missing header,
    # is never explained away as a fallback: it stays a difference against the rebuild
    published.members.append("google_crc32c/_evil.cpython-312-x86_64-linux-gnu.so")
    run, _ = attempts(pure, ["header", "crc32c/crc32c.h"])
    assert run.fell_back() is None and run.kept is not None
