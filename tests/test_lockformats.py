"""pylock.toml and uv.lock: real files written by uv and pip (fixtures/locks, see regenerate.sh) read to
the same pins as the requirements.txt `uv export` wrote; malformed files are one-line errors naming
file, line and key."""

from __future__ import annotations

import pytest

from auditor.errors import InputError
from auditor.lockfiles import read_lock
from tests.conftest import ROOT

LOCKS = ROOT / "fixtures" / "locks"
H1 = "a" * 64
H2 = "b" * 64


def _pins(path):
    return {(r.name, r.version): r for r in read_lock(path).releases}


@pytest.mark.parametrize("name,fmt", [("uv.lock", "uv.lock"), ("pylock.toml", "pylock.toml"),
                                      ("pylock.pip.toml", "pylock.toml")])
def test_real_lock_files_pin_what_requirements_txt_pins(name, fmt):
    reference = _pins(LOCKS / "requirements.txt")
    lock = read_lock(LOCKS / name)
    assert lock.format == fmt
    got = {(r.name, r.version): r for r in lock.releases}
    assert set(got) == set(reference)  # uv.lock's virtual root project installs nothing: not a pin
    for key, r in got.items():
        assert r.source == "registry"
        assert r.hashes and r.hashes <= reference[key].hashes  # pip lock keeps only the wheel it picked
        assert r.line > 0
    if name != "pylock.pip.toml":
        assert all(got[k].hashes == reference[k].hashes for k in got)


def _uv_lock(tmp_path, sdist_extra="", wheel="", source='{ registry = "https://pypi.org/simple" }'):
    text = f'''version = 1
revision = 2
requires-python = ">=3.11"

[[package]]
name = "six"
version = "1.17.0"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.example/six-1.17.0.tar.gz", hash = "sha256:{H1}", size = 1, upload-time = "2024-12-04T17:35:28.174Z" }}

[[package]]
name = "idna"
version = "3.10"
source = {source}
sdist = {{ url = "https://files.example/idna-3.10.tar.gz", hash = "sha256:{H2}"{sdist_extra} }}
wheels = [
    {wheel or f'{{ url = "https://files.example/idna-3.10-py3-none-any.whl", hash = "sha256:{H1}", upload_time = "2024-09-15T18:07:37Z" }}'},
]
'''
    p = tmp_path / "uv.lock"
    p.write_text(text)
    return p


def test_uv_lock_upload_time_spellings(tmp_path):
    # milliseconds, no milliseconds, and the older upload_time key are all accepted
    lock = read_lock(_uv_lock(tmp_path, sdist_extra=', upload-time = "2024-09-15T18:07:39Z"'))
    assert [(r.name, r.line) for r in lock.releases] == [("six", 5), ("idna", 11)]
    assert lock.releases[1].hashes == {H1, H2}


def test_uv_lock_sources(tmp_path):
    lock = read_lock(_uv_lock(tmp_path, source='{ git = "https://github.com/kjd/idna?rev=v3.10#abc" }'))
    assert lock.releases[1].source == "git" and "github.com/kjd/idna" in lock.releases[1].url
    lock = read_lock(_uv_lock(tmp_path, source='{ url = "https://files.example/idna-3.10.tar.gz" }'))
    assert lock.releases[1].source == "url" and lock.releases[1].url.endswith("idna-3.10.tar.gz")


UV_BAD = [
    (dict(wheel=f'{{ url = "https://x/idna-3.10-py3-none-any.whl", hash = "md5:{H1[:32]}" }}'), 11,
     "package[1].wheels[0].hash", "sha256:<64 hex digits>"),
    (dict(sdist_extra=', upload-time = "yesterday"'), 11, "package[1].sdist.upload-time", "RFC 3339"),
    (dict(source='{ somewhere = "else" }'), 11, "package[1].source", "unknown source"),
]


@pytest.mark.parametrize("kw,line,key,words", UV_BAD)
def test_bad_uv_lock_names_file_line_and_key(tmp_path, auditor, kw, line, key, words):
    _uv_lock(tmp_path, **kw)
    with pytest.raises(InputError) as ei:
        read_lock(tmp_path / "uv.lock")
    assert f"uv.lock:{line}: {key}: " in str(ei.value) and words in str(ei.value)
    r = auditor("check", "uv.lock", "--backend", "local")
    assert r.code == 2 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].endswith(str(ei.value).split("/")[-1]), lines


def _pylock(tmp_path, text):
    p = tmp_path / "pylock.toml"
    p.write_text(text)
    return p


PYLOCK_HEAD = 'lock-version = "1.0"\ncreated-by = "test"\n\n'
PKG = ('[[packages]]\nname = "{n}"\nversion = "1.0"\nindex = "https://pypi.org/simple"\n'
       'sdist = {{ url = "https://x/{n}-1.0.tar.gz", hashes = {hashes} }}\n\n')

PYLOCK_BAD = [
    (PYLOCK_HEAD + PKG.format(n="a", hashes=f'{{ sha256 = "{H1}" }}') + PKG.format(n="b", hashes="{}"), 10,
     "packages[1].sdist.hashes", "At least one hash"),
    (PYLOCK_HEAD + PKG.format(n="a", hashes=f'{{ sha512 = "{H1}" }}'), 4, "packages[0].sdist.hashes", "no sha256"),
    ('lock-version = "2.0"\ncreated-by = "x"\n', 1, "lock-version", "not supported"),
    (PYLOCK_HEAD + "[[packages]]\nname = \n", 5, None, "not valid TOML"),
]


@pytest.mark.parametrize("text,line,key,words", PYLOCK_BAD)
def test_bad_pylock_names_file_line_and_key(tmp_path, auditor, text, line, key, words):
    _pylock(tmp_path, text)
    with pytest.raises(InputError) as ei:
        read_lock(tmp_path / "pylock.toml")
    msg = str(ei.value)
    assert msg.startswith(f"{tmp_path / 'pylock.toml'}:{line}: ") and words in msg, msg
    if key:
        assert f": {key}: " in msg
    r = auditor("check", "pylock.toml", "--backend", "local")
    assert r.code == 2 and "Traceback" not in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 1


def test_pylock_sources(tmp_path):
    text = PYLOCK_HEAD + (
        '[[packages]]\nname = "a"\nvcs = { type = "git", url = "https://example/a.git", commit-id = "abc" }\n\n'
        '[[packages]]\nname = "b"\ndirectory = { path = "./b" }\n\n'
        f'[[packages]]\nname = "c"\narchive = {{ url = "https://example/c-1.0.tar.gz", hashes = {{ sha256 = "{H1}" }} }}\n'
    )
    got = {r.name: r for r in read_lock(_pylock(tmp_path, text)).releases}
    assert (got["a"].source, got["b"].source, got["c"].source) == ("vcs", "directory", "url")
    assert got["c"].hashes == {H1}
    assert got["a"].line == 4 and got["c"].line == 12


@pytest.mark.parametrize("name", ["uv.lock", "pylock.toml", "requirements.txt"])
def test_the_project_root_is_skipped_not_unverifiable(name):
    """A packaged project's own root (uv: `editable = "."`, pylock: `directory = { path = "." }`,
    uv export: `-e .`) is the project being developed: skipped with the reason, not a pin."""
    lock = read_lock(LOCKS / "project" / name)
    assert {r.name for r in lock.releases} == {"attrs", "idna"}
    (root,) = lock.skipped
    # `-e .` does not name the project: it is named after its directory
    assert root.name == ("project" if name == "requirements.txt" else "auditor-fixture-app")
    assert "the project being locked" in root.reason and root.line > 0


def test_an_editable_that_is_not_the_root_stays_a_pin(tmp_path):
    (tmp_path / "requirements.txt").write_text("-e ./elsewhere/pkg\n")
    lock = read_lock(tmp_path / "requirements.txt")
    assert [r.source for r in lock.releases] == ["editable"] and not lock.skipped


def test_strict_is_not_tripped_by_the_project_root(tmp_path, auditor, container_backend):
    r = auditor("check", str(LOCKS / "project" / "uv.lock"), "--backend", container_backend, "--strict")
    assert r.code == 0, r.stderr
    assert [p["name"] for p in r.results["skipped"]] == ["auditor-fixture-app"]
    assert {p["name"]: p["verdict"] for p in r.results["packages"]} == {"attrs": "identical", "idna": "identical"}
    assert "skipped auditor-fixture-app" in r.stderr
