"""`hybrid demo`: real audio made in code, a session with client revisions, printed, measured and reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dsp.meter import analyze
from dsp.programme import PEAK_DBFS, RATE_HZ, SONGS, render_song
from hybrid.cli import main
from hybrid.mix_evaluation import evaluate
from hybrid.session import open_session


def test_demo_songs_are_stereo_48k_with_headroom_and_pass_mix_evaluation() -> None:
    for n, song in enumerate(SONGS, 1):
        audio = render_song(song, seed=n)
        assert audio.shape[1] == 2 and 8.0 <= audio.shape[0] / RATE_HZ <= 11.0
        assert 20 * np.log10(np.max(np.abs(audio))) == pytest.approx(PEAK_DBFS + song.level_db, abs=1e-6)
        assert abs(np.corrcoef(audio[:, 0], audio[:, 1])[0, 1]) < 0.99  # really stereo
        assert evaluate(audio, RATE_HZ).ready  # no clicks, hum or cut starts for QC to complain about
    assert np.array_equal(render_song(SONGS[0], seed=1), render_song(SONGS[0], seed=1))  # seeded


@pytest.mark.slow
def test_demo_prints_a_session_whose_report_holds_the_measured_loudness(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    session = open_session(out / "session")
    assert session.revision_numbers() == [1, 2, 3]
    assert [Path(p).name for p in result["prints"]] == ["r0002-01", "r0003-01"]
    whole, again = (Path(p) for p in result["prints"])
    report = json.loads((whole / "report.json").read_text())
    assert [t["track_id"] for t in report["tracks"]] == ["first-light", "night-drive", "last-call"]
    for entry in report["deliverables"]["streaming"]["tracks"]:
        audio, rate = sf.read(str(whole / entry["path"]))
        measured = analyze(audio, rate)
        assert rate == 48000 and entry["integrated_lufs"] == pytest.approx(measured.integrated_lufs, abs=0.05)
        assert entry["true_peak_dbtp"] == pytest.approx(measured.true_peak_dbtp, abs=0.05)
        assert measured.integrated_lufs == pytest.approx(-14.0, abs=0.5)  # revision 2's loudness target
        assert measured.true_peak_dbtp <= -1.0 + 0.1
    for entry in report["deliverables"]["cd"]["tracks"]:
        assert sf.info(str(whole / entry["path"])).subtype == "PCM_16"
    assert "LUFS" in (whole / "report.txt").read_text()
    assert sorted(p.name for p in (again / "capture").iterdir()) == ["02-night-drive.wav"]
    assert all(Path(p).is_file() for p in result["paths"])
