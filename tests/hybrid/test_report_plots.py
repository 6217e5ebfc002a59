"""The report's curves and plots from a print folder made here: what they show is what the files hold."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from dsp.finishing import FinishSettings, finish
from dsp.loudness import measure
from dsp.meter import analyze
from hybrid.report import write_report
from hybrid.report.series import reduction_curve
from tests.dsp.test_qc import RATE, make_mix

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _strict_json(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def print_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A print folder as the pipeline leaves it: source, capture, a limited streaming master,
    a calibration record with its loop response and a fingerprint file."""
    folder = tmp_path_factory.mktemp("r0001-01")
    tracks, entries = [], []
    for number, seed in ((1, 1), (2, 2)):
        track_id = f"t{number}"
        source = make_mix(seconds=3.0, seed=seed)
        capture = source * 0.98  # the chain, near unity
        (folder / "capture").mkdir(exist_ok=True)
        (folder / "deliverables" / "streaming").mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"source-{track_id}.wav", source, RATE, subtype="FLOAT")
        sf.write(folder / "capture" / f"{track_id}.wav", capture, RATE, subtype="FLOAT")
        result = finish(capture, RATE, FinishSettings(ceiling_dbtp=-1.0, lufs_target=-11.0), seed=number)
        master = Path("deliverables/streaming") / f"{track_id}.wav"
        sf.write(folder / master, result.pcm, RATE, subtype="PCM_24")
        entries.append({"track_id": track_id, "path": str(master), "paths": [str(master)], "rate_hz": RATE,
                        "integrated_lufs": result.integrated_lufs, "true_peak_dbtp": result.true_peak_dbtp,
                        "ceiling_dbtp": -1.0, "gain_db": result.gain_db,
                        "max_gain_reduction_db": result.max_gain_reduction_db,
                        "gain_reduction": reduction_curve(result.gain_reduction_db, RATE)})
        tracks.append({"track_id": track_id, "title": f"Song {number}", "capture": f"capture/{track_id}.wav",
                       "source": str(folder / f"source-{track_id}.wav"),
                       "measurements": {"source": analyze(source, RATE).to_dict(),
                                        "capture": analyze(capture, RATE).to_dict()}})
    freqs = [31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000]
    (folder / "fingerprint.json").write_text(json.dumps({
        "freqs_hz": freqs, "response_db": [[0.0] * 9 + [-0.4], [0.1] * 9 + [-0.3]],
        "levels_dbfs": [-30, -20, -12, -6], "gain_reduction_db": [[0, 0, 0.5, 2.5], [0, 0, 0.5, 2.4]]}))
    data = {
        "session": {"dir": str(folder.parent), "title": "Plots EP"},
        "revision": {"number": 2, "note": "a touch more air", "units": {"eq": {"air_db": 0.5}},
                     "finishing": {"ceiling_dbtp": -1.0, "lufs_target": -11.0}},
        "calibration": {"latency_samples": 100.25, "confidence": 0.999, "sample_rate": RATE,
                        "response": {"freqs_hz": freqs, "channels": [[0.0] * 10, [-0.1] * 10]}},
        "fingerprint": {"file": "fingerprint.json", "measured_at": "2026-11-21T00:00:00Z"},
        "tracks": tracks,
        "deliverables": {"streaming": {"tracks": entries, "compliance": {"errors": [], "warnings": []}}},
    }
    return folder, data


@pytest.fixture(scope="module")
def written(print_dir: tuple[Path, dict]) -> dict[str, Path]:
    folder, data = print_dir
    return write_report(folder, data)


def test_series_hold_the_measurements_of_the_files(print_dir: tuple[Path, dict], written: dict[str, Path]) -> None:
    folder, data = print_dir
    doc = _strict_json(written["json"].read_text())
    assert set(doc["series"]["tracks"]) == {"t1", "t2"}
    t1 = doc["series"]["tracks"]["t1"]
    assert t1["master_target"] == "streaming"
    master, rate = sf.read(folder / "deliverables/streaming/t1.wav", always_2d=True)
    assert t1["loudness"]["master"]["integrated_lufs"] == pytest.approx(measure(master, rate).integrated_lufs, abs=1e-9)
    assert set(t1["loudness"]) == {"source", "capture", "master"}  # the capture: the chain's gain on the programme
    assert set(t1["spectrum"]) == {"centres_hz", "source", "capture", "master"}
    # The true-peak curve's maximum is the file's true peak; it never passes the ceiling.
    entry = data["deliverables"]["streaming"]["tracks"][0]
    assert max(v for v in t1["true_peak"]["dbtp"] if v is not None) == pytest.approx(entry["true_peak_dbtp"], abs=0.05)
    corr = [v for v in t1["correlation"]["values"] if v is not None]
    assert min(corr) > 0.0 and max(corr) <= 1.0


def test_recorded_gain_reduction_matches_the_renderers(print_dir: tuple[Path, dict], written: dict[str, Path]) -> None:
    _, data = print_dir
    doc = _strict_json(written["json"].read_text())
    for entry in data["deliverables"]["streaming"]["tracks"]:
        reduction = doc["series"]["tracks"][entry["track_id"]]["gain_reduction"]
        assert entry["max_gain_reduction_db"] > 1.0  # the fixture drives the limiter
        assert max(reduction["db"]) == pytest.approx(entry["max_gain_reduction_db"], abs=0.01)
        assert len(reduction["db"]) <= 800


def test_html_is_self_contained_with_one_png_per_plot(written: dict[str, Path]) -> None:
    html = written["html"].read_text()
    sources = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert len(sources) == 4  # two tracks, the chain, the album
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == PNG_MAGIC
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width >= 500 and height >= 250
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "<link" not in html and "http://" not in html and "https://" not in html


def test_the_report_draws_again_from_its_json_without_the_audio(print_dir: tuple[Path, dict],
                                                                 written: dict[str, Path], tmp_path: Path) -> None:
    doc = _strict_json(written["json"].read_text())
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    again = write_report(moved, doc)
    redone = _strict_json(again["json"].read_text())
    assert redone["series"]["tracks"] == doc["series"]["tracks"]
    assert again["html"].read_text().count("data:image/png;base64,") == 4


def test_missing_audio_only_leaves_curves_out(print_dir: tuple[Path, dict], tmp_path: Path) -> None:
    folder, data = print_dir
    partial = tmp_path / "partial"
    shutil.copytree(folder / "capture", partial / "capture")
    paths = write_report(partial, {**data, "fingerprint": None}, plots=False)
    doc = _strict_json(paths["json"].read_text())
    t1 = doc["series"]["tracks"]["t1"]
    assert t1["master_target"] is None and "master" not in t1["spectrum"]
    assert set(t1["spectrum"]) == {"centres_hz", "source", "capture"}
    assert "fingerprint" not in doc["series"]["chain"] and "calibration" in doc["series"]["chain"]


def test_decimation_keeps_the_extremes_a_reader_looks_for() -> None:
    import numpy as np

    from hybrid.report.series import decimate, finite

    times = np.arange(100_000) / 1000.0
    values = np.zeros(100_000)
    values[54_321] = 7.5  # one deep gain reduction, 1 ms long
    t, v = decimate(times, values, "max", max_points=800)
    assert len(v) <= 800 and v.max() == 7.5 and t[np.argmax(v)] <= 54.321 < t[np.argmax(v)] + 0.2
    values[54_321] = -0.9
    assert decimate(times, values, "min", max_points=800)[1].min() == -0.9
    assert finite([1.234, float("-inf"), float("nan")]) == [1.23, None, None]


def test_the_spectra_are_loudness_matched_and_the_difference_is_what_the_chain_did() -> None:
    # The master sat 8 dB above the source, so a 3 dB shelf was invisible between the curves.
    from hybrid.report.plots import matched_spectra

    centres = [100.0, 1000.0, 10000.0]
    spectrum = {"centres_hz": centres, "source": [-30.0, -32.0, -40.0], "capture": [-30.2, -32.2, -37.2],
                "master": [-22.0, -24.0, -29.0]}
    loudness = {"source": {"integrated_lufs": -23.0}, "capture": {"integrated_lufs": -23.2},
                "master": {"integrated_lufs": -14.0}}
    matched, differences, shifts = matched_spectra(spectrum, loudness)
    assert shifts == pytest.approx({"source": 0.0, "capture": 0.2, "master": -9.0})
    assert matched["master"] == pytest.approx([-31.0, -33.0, -38.0])
    assert differences["capture"] == pytest.approx([0.0, 0.0, 3.0])  # the shelf, at its height
    assert differences["master"] == pytest.approx([-1.0, -1.0, 2.0])


def test_the_chains_gain_on_the_programme_has_a_point_every_100_ms() -> None:
    # The compression plot had four points (the fingerprint's tones).
    from hybrid.report.plots import programme_gain

    times = [round(0.4 + 0.1 * k, 1) for k in range(100)]
    source = [-30.0 + 0.1 * k for k in range(100)]
    capture = [s - max(0.0, (s + 25.0) * 0.5) for s in source]  # 2:1 above -25 LUFS
    loudness = {"source": {"momentary": {"times_s": times, "lufs": source}},
                "capture": {"momentary": {"times_s": times, "lufs": capture}}}
    level, gain = programme_gain(loudness)
    assert len(level) == 100
    assert gain[level < -25.0] == pytest.approx(0.0) and gain[-1] == pytest.approx(-(source[-1] + 25.0) / 2)
