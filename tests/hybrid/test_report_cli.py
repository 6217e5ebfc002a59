"""`hybrid report`: a report for one audio file, or a print's report drawn again elsewhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.cli import main
from tests.dsp.test_qc import RATE, make_mix


@pytest.fixture(scope="module")
def faulty_mix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mix")
    audio = make_mix(seconds=3.0)
    audio[int(1.5 * RATE), 1] += 0.1  # a click on the right
    path = folder / "song.wav"
    sf.write(path, audio, RATE, subtype="FLOAT")
    return path


def test_a_file_report_has_curves_plots_and_the_mix_evaluation(faulty_mix: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", "--json", str(faulty_mix)]) == 0
    paths = {k: Path(v) for k, v in json.loads(capsys.readouterr().out).items()}
    assert paths["html"] == faulty_mix.parent / "song-report" / "report.html"
    doc = json.loads(paths["json"].read_text())
    series = doc["series"]["tracks"]["song"]
    assert {"loudness", "true_peak", "spectrum", "correlation"} <= set(series)
    evaluation = doc["qc"]["song.wav"]
    assert [f["code"] for f in evaluation["findings"]] == ["clicks"]
    assert evaluation["findings"][0]["times_s"] == [1.5]
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64,") == 1 and "0:01.500" in html
    assert "clicks" in paths["text"].read_text() or "click(s)" in paths["text"].read_text()


def test_a_print_report_is_drawn_again_elsewhere_never_in_the_print(faulty_mix: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    printed = tmp_path / "r0003-01"
    (printed / "capture").mkdir(parents=True)
    shutil.copy(faulty_mix, printed / "capture" / "t1.wav")
    data = {"session": {"title": "Again"}, "revision": {"number": 3, "note": "brighter chorus"},
            "tracks": [{"track_id": "t1", "title": "Song", "capture": "capture/t1.wav"}]}
    (printed / "report.json").write_text(json.dumps(data))
    from hybrid.printing.folders import MANIFEST, manifest

    (printed / MANIFEST).write_text(json.dumps(manifest(printed), indent=2, sort_keys=True))  # sealed as a print is
    before = sorted(p.name for p in printed.rglob("*"))
    out = tmp_path / "redrawn"
    assert main(["report", str(printed), "--out", str(out)]) == 0
    assert sorted(p.name for p in printed.rglob("*")) == before
    doc = json.loads((out / "report.json").read_text())
    assert doc["revision"]["note"] == "brighter chorus"
    assert doc["series"]["tracks"]["t1"]["spectrum"]["capture"]  # read from the print's capture
    assert main(["report", str(printed), "--out", str(printed)]) == 2
    assert "never changed" in capsys.readouterr().err


def test_bad_targets_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(tmp_path / "missing.wav")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.wav" in err
    assert main(["report", str(tmp_path)]) == 2  # a folder without report.json
    assert "report.json" in capsys.readouterr().err
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((RATE, 2)), RATE)
    assert main(["report", str(silent), "--out", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [f["code"] for f in doc["qc"]["silent.wav"]["findings"]] == ["silence"]
