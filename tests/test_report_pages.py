"""The report of a large run: a small index and a page per release; upload timelines grouped by burst."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from auditor.fetch.timeline import bursts, timeline
from auditor.report import html

RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "history" / "mozterm-1.0.0.results.json"


def _hiredis_like() -> dict:
    """A release shaped like hiredis 0.2.0: its sdist in 2015, twelve wheels added in 2018 within minutes."""
    rows = {"name": "hiredis", "version": "0.2.0",
            "sdist": {"filename": "hiredis-0.2.0.tar.gz", "upload_time": "2015-05-25T11:03:00Z", "flags": []},
            "wheels": [], "unlocked": []}
    for i in range(12):
        rows["unlocked"].append({"filename": f"hiredis-0.2.0-cp3{i % 8}-cp3{i % 8}m-manylinux1_x86_64.{i}.whl",
                                 "upload_time": f"2018-11-14T10:{10 + i:02d}:00Z", "flags": ["late-upload"],
                                 "verdict": "differs" if i < 2 else "partial"})
    return rows


def test_uploads_are_grouped_into_bursts():
    (early, late) = bursts(timeline(_hiredis_like()))
    assert [r["filename"] for r in early["rows"]] == ["hiredis-0.2.0.tar.gz"] and not early["late"]
    assert len(late["rows"]) == 12 and late["late"] and late["verdicts"] == {"differs": 2, "partial": 10}
    assert late["start"] == "2018-11-14T10:10:00Z" and late["end"] == "2018-11-14T10:21:00Z"
    # an hour apart, within the gap: one burst; a file with no upload time is a burst of its own, last
    p = _hiredis_like()
    p["unlocked"][5]["upload_time"] = "2018-11-14T15:30:00Z"
    p["unlocked"][6]["upload_time"] = None
    groups = bursts(timeline(p))
    assert [len(b["rows"]) for b in groups] == [1, 11, 1] and groups[-1]["start"] is None


def test_a_burst_is_one_label_in_the_timeline(tmp_path):
    view = html.timeline_view(timeline(_hiredis_like()))
    labels = [b["label"] for b in view["bursts"]]
    assert labels == ["2015-05-25 11:03: hiredis-0.2.0.tar.gz (source 1)",
                      "2018-11-14 10:10 to 2018-11-14 10:21: 12 files (differs 2, partial 10) (late)"]
    data = json.loads(RESULTS.read_text())
    data["packages"] = [_hiredis_like()]
    page = html.render_html(data, tmp_path).read_text()
    assert page.count('class="burst"') == 2 and page.count('class="burst-label"') == 2  # not 13 overlapping labels


def test_a_large_run_is_an_index_and_a_page_per_release(tmp_path, monkeypatch):
    data = json.loads(RESULTS.read_text())
    (mozterm,) = data["packages"]
    for b in mozterm["builds"]:
        (tmp_path / b["log"]).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / b["log"]).write_text("the log\n")
    data["packages"] = [mozterm] + [dict(copy.deepcopy(mozterm), name=f"proj{i}", version="1/../x" if i == 1 else "2.0")
                                    for i in range(1, 4)]
    monkeypatch.setattr(html, "SPLIT_OVER", 3)
    index = html.render_html(data, tmp_path).read_text()
    pages = sorted(p.name for p in (tmp_path / "releases").iterdir())
    assert pages == ["mozterm-1.0.0.html", "proj1-1_.._x.html", "proj2-2.0.html", "proj3-2.0.html"]  # no path climbs
    assert 'href="releases/mozterm-1.0.0.html"' in index and 'id="pkg-mozterm-1.0.0"' not in index
    page = (tmp_path / "releases" / "mozterm-1.0.0.html").read_text()
    assert 'id="pkg-mozterm-1.0.0"' in page and 'href="../index.html"' in page and "the log" in page
    # a small run stays one page
    (tmp_path / "small").mkdir()
    small = html.render_html(dict(data, packages=[mozterm]), tmp_path / "small").read_text()
    assert 'id="pkg-mozterm-1.0.0"' in small and not (tmp_path / "small" / "releases").exists()


def test_a_finding_without_members_says_why_not_unknown(tmp_path):
    """A wheel that differs as a whole (unreadable; bytes not the lock's) has no member difference: its finding
    names the archive and the wheel's reason, not an empty member list and cause 'unknown'."""
    data = json.loads(RESULTS.read_text())
    (p,) = data["packages"]
    p["findings"] = [{"id": "x", "wheels": [p["wheels"][0]["filename"]], "classes": ["code"], "causes": [],
                      "members": [], "reason": "published wheel unreadable: not a zip file"}]
    page = html.render_html(data, tmp_path).read_text()
    row = page[page.index('<tr class="finding'):]
    row = row[:row.index("</tr>")]
    assert "the archive itself" in row and "published wheel unreadable: not a zip file" in row and "unknown" not in row
