"""The typed results: serialized in one place (optional fields left out while unset), read back whole
by from_dict (the verdict cache), and set() refuses a field a record does not have."""

from __future__ import annotations

import pytest

from auditor.records import BuildRecord, Finding, PackageResult, WheelResult


def _wheel(**kw) -> WheelResult:
    return WheelResult(filename="p-1.0-py3-none-any.whl", url="u", sha256="0" * 64, upload_time=None, size=1,
                       yanked=None, flags=[], **kw)


def test_a_result_round_trips_through_its_results_json_form():
    build = BuildRecord(backend="flit-core", backend_version="3.9.0", generator="flit 3.9.0", declared_requires=[],
                        cutoff=None, source_date_epoch=None, tz="UTC", timestamp_policy={"name": "mtime", "reason": ""},
                        python="3.11", sandbox="docker", variant=None, variant_env={}, variant_options={}, notes=[],
                        attempt=0, chosen=True)
    pkg = PackageResult(name="p", version="1.0", lock_file="r.txt", lock_line=3, verdict="differs",
                        wheels=[_wheel(verdict="differs", differences=[{"path": "p/a.py", "kind": "content"}],
                                       finding="abc")],
                        builds=[build], build=build, findings=[Finding("abc", ["p.whl"], ["code"], [], ["p/a.py"], "r")])
    data = pkg.to_dict()
    assert "check" not in data["wheels"][0] and "budget_hit" not in data  # unset optional fields are left out
    assert data["builds"][0]["attempt"] == 0 and "_stage" not in data  # 0 is a value; private fields never written
    again = PackageResult.from_dict(data)
    assert isinstance(again.wheels[0], WheelResult) and isinstance(again.build, BuildRecord)
    assert isinstance(again.findings[0], Finding) and again.to_dict() == data


def test_unknown_fields_are_refused():
    w = _wheel()
    w.set(check="rebuilt")
    assert w.check == "rebuilt"
    with pytest.raises(TypeError, match="no field 'verdcit'"):
        w.set(verdcit="identical")
    with pytest.raises(TypeError, match="bogus"):
        PackageResult.from_dict(dict(PackageResult("p", "1", "r", 1).to_dict(), bogus=1))
