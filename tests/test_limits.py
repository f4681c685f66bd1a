"""Limits protect the machine, never the verdict (issue 45, cases 4 and 5): a member past the judge's read bound is
one member not judged (cause read-limit, naming the bound and --max-member-mib); every other member is still
judged and any difference found stands. A publisher chooses the sizes of its own files, and of its sdist's."""

from __future__ import annotations

import pytest

from auditor.fetch import archives
from auditor.judge.members import compare_other_platform, compare_wheels
from auditor.judge.verdicts import sources_judgement, verdict_of
from auditor.records import Verdict
from tests import attacker
from tests.test_compare import _other_platform, wheel

pytestmark = pytest.mark.unit
BOUND = 4096  # the run's read bound for these tests (64 MiB by default): what a test can pad past cheaply
EVIL = ("demo/evil.py", b"import os\nos.system('id')\n", 0o644)
PADDED = attacker._metadata("demo") + b"Description-Content-Type: text/plain\n\n" + b"padding " * 1024


@pytest.fixture(autouse=True)
def small_bound(monkeypatch):
    monkeypatch.setattr(archives, "READ_LIMIT", BOUND)


def _members(metadata=None, extra=()):
    return attacker.members("demo", metadata=metadata, extra=extra)


def _unread(cmp) -> list[str]:
    return [d.path for d in cmp.compiled_differences if d.cause == "read-limit"]


@pytest.mark.twin("read-limit")
def test_an_added_module_beside_a_padded_metadata_differs_on_the_rebuilt_path(tmp_path):
    reb = wheel(tmp_path / "r.whl", members=_members())
    cmp = compare_wheels(wheel(tmp_path / "p.whl", members=_members(PADDED, [EVIL])), reb)
    verdict, said = verdict_of(cmp)
    assert verdict is Verdict.DIFFERS and ("demo/evil.py", "code") in [(d.path, d.cls) for d in cmp.differences], said
    assert _unread(cmp) == ["demo-1.0.dist-info/METADATA"]
    detail = next(d.detail for d in cmp.compiled_differences if d.cause == "read-limit")
    assert "--max-member-mib" in detail and f"{BOUND >> 20} MiB" in detail
    # the padding alone: that member not judged, the wheel unverifiable (never differs, never reproduced)
    alone = compare_wheels(wheel(tmp_path / "q.whl", members=_members(PADDED)), reb)
    verdict, said = verdict_of(alone)
    assert verdict is Verdict.UNVERIFIABLE and not alone.differences and "METADATA" in said and "--max-member-mib" in said


def test_the_same_on_another_platforms_path(tmp_path):
    reb = wheel(tmp_path / "r.whl", members=_members())
    pub = wheel(tmp_path / "p.whl", members=_other_platform(_members(PADDED, [EVIL])))
    cmp = compare_other_platform(pub, reb)
    assert ("demo/evil.py", "code") in [(d.path, d.cls) for d in cmp.differences]
    assert _unread(cmp) == ["demo-1.0.dist-info/METADATA"]


def test_a_changed_module_whose_rebuilt_twin_is_past_the_bound_differs(tmp_path):
    """Case 5: the sdist (the publisher's) makes the rebuild's copy large; the published one is small and changed.
    No rule reads a copy past the bound, so none accounts for the published member by it: a difference."""
    big = ("demo/util.py", b"def add(a, b):\n    return a + b\n" + b"# pad\n" * 2000, 0o644)
    reb = wheel(tmp_path / "r.whl", members=[big if n == "demo/util.py" else (n, d, m) for n, d, m in _members()])
    pub = wheel(tmp_path / "p.whl", members=[(n, b"import os\nos.system('id')\n" if n == "demo/util.py" else d, m)
                                             for n, d, m in _members()])
    cmp = compare_wheels(pub, reb, binary=True)
    assert ("demo/util.py", "code") in [(d.path, d.cls) for d in cmp.differences] and not _unread(cmp)


@pytest.mark.twin("read-limit")
@pytest.mark.parametrize("backend", ("meson", "setuptools"))
def test_an_added_module_beside_a_padded_metadata_differs_when_the_build_fails(tmp_path, backend):
    """Case 4: the build fails by the publisher's choice; METADATA padded past the bound was `unverifiable` for the
    whole wheel, hiding the added module."""
    src = attacker.write_sdist_dir(tmp_path / "src", backend, "demo")
    path = attacker.write_wheel(tmp_path / "dist", "demo", "py3-none-any", _members(PADDED, [EVIL]))
    f = sources_judgement(path, src, path.name, "build-failed: on purpose").fields()
    assert f["verdict"] == "differs", f["reason"]
    assert ("demo/evil.py", "code") in [(d["path"], d["cls"]) for d in f["differences"]]
    assert [d["path"] for d in f["not_reproduced"] if d.get("cause") == "read-limit"] == ["demo-1.0.dist-info/METADATA"]


@pytest.mark.twin("read-limit")
def test_a_compiled_module_whose_rebuilt_twin_is_past_the_bound_differs(tmp_path, monkeypatch):
    """The attacker's setup.py appended 130 MiB to the module its build makes: the rebuild's copy past the bound made
    the whole release unverifiable (the release's linked libraries were read without a guard) and the published
    module 'not judged'. Only the published member's size makes it not judged: here it differs, class code."""
    from auditor.judge import members

    monkeypatch.setattr(members, "COMPILED_READ", BOUND)
    so = "demo/_x.cpython-311-x86_64-linux-gnu.so"
    reb = wheel(tmp_path / "r.whl", members=_members(extra=[(so, b"\x7fELF" + b"\0" * (2 * BOUND), 0o755)]))
    pub = wheel(tmp_path / "p.whl", members=_members(extra=[(so, b"\x7fELF\x02\x01" + b"\0" * 64, 0o755)]))
    cmp = compare_wheels(pub, reb, binary=True)
    assert (so, "code") in [(d.path, d.cls) for d in cmp.differences] and not _unread(cmp), cmp.differences
    big = wheel(tmp_path / "b.whl", members=_members(extra=[(so, b"\x7fELF" + b"\1" * (2 * BOUND), 0o755)]))
    assert _unread(compare_wheels(big, reb, binary=True)) == [so]  # the published one past it: not judged
