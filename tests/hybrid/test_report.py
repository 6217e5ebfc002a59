"""write_report: the three documents of a print, from partial or full pipeline data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hybrid.report as report
from hybrid.report import write_report


def _print_data() -> dict:
    return {
        "session": {"dir": "/sessions/demo", "title": "Demo EP"},
        "revision": {"number": 3, "note": "chorus a touch brighter", "author": "ana",
                     "created_at": "2026-11-20T10:00:00Z",
                     "units": {"eq": {"air_db": 1.5, "low_hz": 100}, "pultec": {"low_boost": "3"}},
                     "finishing": {"ceiling_dbtp": -1.0, "lufs_target": -14.0}},
        "rig": "sim-studio",
        "recall": {"eq": {"sent": {"air_db": 1.5}, "read_back": {"air_db": 1.5}, "notes": []}},
        "recall_sheets": {"pultec": "LOW BOOST   [ 3 ]\nHIGH ATTEN  [ 0 ]"},
        "tracks": [{"track_id": "01", "title": "Opening",
                    "measurements": {"source": {"integrated_lufs": -18.24, "true_peak_dbtp": -3.1},
                                     "capture": {"integrated_lufs": -17.9, "true_peak_dbtp": -2.57}}}],
        "deliverables": {
            "streaming": {"tracks": [{"track_id": "01", "integrated_lufs": -14.03, "true_peak_dbtp": -1.04,
                                      "gain_db": 3.9, "max_gain_reduction_db": 2.1}],
                          "compliance": {"errors": [], "warnings": []}},
            "cd": {"tracks": [{"track_id": "01", "integrated_lufs": -10.5, "true_peak_dbtp": -0.31}],
                   "compliance": {"errors": ["track 01 true peak -0.31 dBTP above -1.0"], "warnings": []}},
        },
        "software": {"hybrid": "0.1.0", "python": "3.11"},
    }


def test_writes_the_three_documents_and_json_keeps_the_data(tmp_path: Path) -> None:
    paths = write_report(tmp_path, _print_data())
    assert set(paths) == {"json", "text", "html"}
    assert paths["json"] == tmp_path / "report.json"
    doc = json.loads(paths["json"].read_text())
    assert doc["revision"]["note"] == "chorus a touch brighter"
    assert doc["deliverables"]["cd"]["tracks"][0]["true_peak_dbtp"] == -0.31
    assert paths["html"].read_text().startswith("<!DOCTYPE html>")


def test_text_has_loudness_and_true_peak_per_track_per_deliverable(tmp_path: Path) -> None:
    text = write_report(tmp_path, _print_data())["text"].read_text()
    lines = text.splitlines()
    streaming = next(line for line in lines if line.startswith("streaming "))
    assert "-14.0 LUFS" in streaming and "-1.04 dBTP" in streaming and "2.1 dB" in streaming
    cd = next(line for line in lines if line.startswith("cd "))
    assert "-10.5 LUFS" in cd and "-0.31 dBTP" in cd
    source = next(line for line in lines if line.startswith("source "))
    assert "-18.2 LUFS" in source
    assert "Note: chorus a touch brighter" in text
    assert "eq: air_db=1.5, low_hz=100" in text
    assert "finishing: ceiling_dbtp=-1, lufs_target=-14" in text
    assert "cd: FAIL" in text and "streaming: pass" in text
    assert "LOW BOOST   [ 3 ]" in text


@pytest.mark.parametrize("drop", ["session", "revision", "tracks", "deliverables", "recall", "recall_sheets",
                                  "rig", "software"])
def test_any_key_may_be_missing(tmp_path: Path, drop: str) -> None:
    data = _print_data()
    del data[drop]
    paths = write_report(tmp_path, data)
    assert all(p.stat().st_size > 0 for p in paths.values())


def test_empty_data_still_gives_a_report(tmp_path: Path) -> None:
    paths = write_report(tmp_path, {})
    assert "Mastering report: untitled" in paths["text"].read_text()


def test_html_escapes_what_the_user_typed(tmp_path: Path) -> None:
    data = _print_data()
    data["revision"]["note"] = "<script>alert(1)</script> & more"
    html = write_report(tmp_path, data)["html"].read_text()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_a_failure_while_rendering_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(RuntimeError):
        write_report(tmp_path, _print_data())
    assert list(tmp_path.iterdir()) == []


def test_no_python_values_show_through_and_the_settings_say_what_they_do(tmp_path: Path) -> None:
    # "partial: False", "None", "overrides: units={'comp': ...}", "bypass=in" (engaged on the passive
    # EQ), a unit set by hand listed as "recall: sent", and an empty compliance "details" column.
    data = _print_data()
    data["revision"]["units"]["pultec"]["bypass"] = "in"
    data["revision"]["units"]["eq"]["bypass"] = "off"
    data["revision"]["tracks"] = {"01": {"units": {"comp": {"ratio": 4.0}}, "finishing": {}}}
    data["recall"]["pultec"] = {"sent": {"low_boost": "3", "bypass": "in"}, "read_back": None, "notes": []}
    data["deliverables"]["streaming"]["tracks"][0].update(bits=24, rate_hz=48000, ceiling_dbtp=-1.0)
    data["album"] = {"stage": "streaming", "partial": True, "printed_tracks": ["01"], "integrated_lufs": -14.0,
                     "tracks": [{"track_id": "01", "tilt_vs_album_db_per_octave": None, "notes": []}]}
    paths = write_report(tmp_path, data)
    text, html = paths["text"].read_text(), paths["html"].read_text()
    for shown in (text, html):
        assert "True" not in shown and "False" not in shown and "None" not in shown
        assert "{'" not in shown and "units=" not in shown and "bypass=" not in shown
    assert "pultec: low_boost=3, in circuit (switch at IN)" in text
    assert "eq: air_db=1.5, low_hz=100, in circuit" in text
    pultec = text[text.index("pultec:"):].splitlines()[1]
    assert pultec == "  recall: set by hand from the recall sheet (confirmed by the operator)"
    assert "track 01 overrides the album with: comp.ratio=4" in text
    assert "streaming: pass (1 file(s); 24-bit 48 kHz; true peak up to -1.04 dBTP (ceiling -1.0 dBTP); integrated -14.0 LUFS)" in text
    assert "printed in this print: 01" in text
    assert "24-bit 48 kHz; true peak up to -1.04 dBTP" in html  # the details column is filled
