"""Lock reading: every malformed case is one line naming file:line, exit 2, no traceback."""

from __future__ import annotations

import pytest

from auditor.errors import InputError
from auditor.lockfiles import read_lock

H1 = "a" * 64
H2 = "b" * 64


def test_reads_pip_compile_output(tmp_path):
    (tmp_path / "sub.txt").write_text(f"packaging==24.0 --hash=sha256:{H2}\n")
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "--index-url https://example.invalid/simple\n"
        "--extra-index-url https://mirror.invalid/simple\n"
        "-r sub.txt\n"
        f"six==1.17.0 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2.upper()}\n    # via foo\n"
        f'idna==3.10 ; python_version >= "3.8" --hash=sha256:{H1}\n'
    )
    got = read_lock(lock)
    by = {r.name: r for r in got.releases}
    assert set(by) == {"six", "idna", "packaging"}
    assert by["six"].hashes == {H1, H2}
    assert by["six"].line == 4
    assert by["idna"].marker == 'python_version >= "3.8"'
    assert by["packaging"].file.endswith("sub.txt") and by["packaging"].line == 1
    assert got.index_urls == ("https://example.invalid/simple", "https://mirror.invalid/simple")


BAD = [
    ("six==1.17.0\n", 1, "no --hash"),
    (f"six>=1.0 --hash=sha256:{H1}\n", 1, "not pinned with '=='"),
    (f"six --hash=sha256:{H1}\n", 1, "not pinned"),
    (f"# ok\nsix==1.* --hash=sha256:{H1}\n", 2, "not pinned"),
    ("this is not valid\n", 1, "Invalid requirement"),
    ("six==1.17.0 --hash=sha256:xyz\n", 1, "malformed sha256"),
    ("six==1.17.0 --hash=md5:abc\n", 1, "unknown hash algorithm"),
    (f"six==1.0 --hash=sha256:{H1}\nsix==1.0 --hash=sha256:{H1}\n", 2, "pinned twice"),
    (f"six==1.0 --hash=sha256:{H1}\n-r missing.txt\n", 2, "cannot be read"),
]


@pytest.mark.parametrize("text,line,words", BAD)
def test_bad_lock_is_an_error_naming_file_and_line(tmp_path, text, line, words):
    lock = tmp_path / "requirements.txt"
    lock.write_text(text)
    with pytest.raises(InputError) as ei:
        read_lock(lock)
    msg = str(ei.value)
    assert f"requirements.txt:{line}:" in msg
    assert words in msg


@pytest.mark.parametrize("text,line,words", BAD)
def test_bad_lock_cli_one_line_exit_2(tmp_path, auditor, text, line, words):
    (tmp_path / "requirements.txt").write_text(text)
    r = auditor("check", "requirements.txt", "--backend", "local")
    assert r.code == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert f"requirements.txt:{line}:" in lines[0] and words in lines[0]


def test_missing_lock_file(auditor):
    r = auditor("check", "nope.txt", "--backend", "local")
    assert r.code == 2 and "nope.txt" in r.stderr and "Traceback" not in r.stderr


def test_one_project_pinned_twice_under_disjoint_markers_is_audited_per_pin(tmp_path):
    """A requirements export pins torch for macOS and, from another index, torch+cpu for linux: pip installs
    it, so both are audited; pins whose markers can hold together are still refused, naming both lines."""
    lock = tmp_path / "requirements.txt"
    lock.write_text("--index-url https://pypi.invalid/simple\n--extra-index-url https://cpu.invalid/whl\n"
                    f"torch==2.5.1 ; sys_platform == 'darwin' --hash=sha256:{H1}\n"
                    f"torch==2.5.1+cpu ; sys_platform == 'linux' --hash=sha256:{H2}\n")
    got = read_lock(lock)
    assert [(r.name, r.version, r.line) for r in got.releases] == [("torch", "2.5.1", 3), ("torch", "2.5.1+cpu", 4)]
    assert got.index_urls == ("https://pypi.invalid/simple", "https://cpu.invalid/whl")
    lock.write_text(f"torch==2.5.1 ; python_version >= '3.9' --hash=sha256:{H1}\n"
                    f"torch==2.5.1+cpu ; sys_platform == 'linux' --hash=sha256:{H2}\n")
    with pytest.raises(InputError, match=r"requirements.txt:2: .*pinned twice for the same environments \(also at .*:1"):
        read_lock(lock)
