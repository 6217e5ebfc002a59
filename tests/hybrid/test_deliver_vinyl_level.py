"""Vinyl follows the album's loudness decisions: the level streaming gets, less one album-wide
amount when unlimited; its limiter and ceiling take effect; the session's vinyl level is used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render

RATE = 48000
LEVELS = (0.9, 0.45, 0.2)  # three mixes 13 dB apart, as an album's mixes come in


def _programme(seconds: float, seed: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    noise = rng.standard_normal((t.size, 2))
    kernel = np.ones(8) / 8
    noise = np.stack([np.convolve(noise[:, c], kernel, mode="same") for c in range(2)], axis=1)
    beat = (np.sin(2 * np.pi * 2 * t) > 0.6)[:, None]  # transients: peaks well above the average
    audio = 0.2 * noise + 0.6 * beat * np.sin(2 * np.pi * 60 * t)[:, None] + 0.2 * np.sin(2 * np.pi * 440 * t)[:, None]
    return level * audio / np.max(np.abs(audio))


def _job(tmp_path: Path, finishing: dict, **fields) -> RenderJob:
    tracks = []
    for n, level in enumerate(LEVELS, start=1):
        path = tmp_path / f"{n:02d}-t{n}.wav"
        sf.write(str(path), _programme(6.0, n, level).astype(np.float32), RATE, subtype="FLOAT")
        tracks.append(TrackMaster(number=n, track_id=f"t{n}", title=f"T{n}", capture_path=path,
                                  finishing=dict(finishing)))
    return RenderJob(tracks=tracks, album=AlbumInfo(title="A"), revision=1, **fields)


def _true_peak_16x_dbtp(path: Path) -> float:
    audio, _ = sf.read(str(path), dtype="float64", always_2d=True)
    return float(20 * np.log10(np.max(np.abs(resample_poly(audio, 16, 1, axis=0)))))


def test_unlimited_vinyl_keeps_the_loudness_decisions_relations_with_no_spread(tmp_path: Path) -> None:
    job = _job(tmp_path, {"lufs_target": -12.0}, ceilings_dbtp={"vinyl": -4.0})  # a cutter's -4 dBTP
    targets = render(job, ["streaming", "vinyl"], tmp_path / "out").per_target
    streaming = [e["integrated_lufs"] for e in targets["streaming"]["tracks"]]
    vinyl = targets["vinyl"]["tracks"]
    levels = [e["integrated_lufs"] for e in vinyl]
    assert max(streaming) - min(streaming) <= 0.3
    assert max(levels) - min(levels) <= 0.1  # was -17.6 to -13.1 LUFS: the mixes' own levels
    offset = vinyl[0]["level_offset_db"]
    assert offset < 0 and all(e["level_offset_db"] == offset for e in vinyl)
    assert np.mean(levels) == pytest.approx(-12.0 + offset, abs=0.15)
    peaks = [_true_peak_16x_dbtp(e["path"]) for e in vinyl]
    assert max(peaks) == pytest.approx(-4.0, abs=0.15)  # the hottest at the ceiling, unlimited, no higher
    assert all(e["max_gain_reduction_db"] in (0.0, None) for e in vinyl)
    assert any(w["rule"] == "vinyl.level" for w in targets["vinyl"]["compliance"]["warnings"])


def test_the_vinyl_limiter_and_its_ceiling_take_effect(tmp_path: Path) -> None:
    job = _job(tmp_path, {"lufs_target": -14.0}, vinyl_limiter=True, ceilings_dbtp={"vinyl": -4.5})
    vinyl = render(job, ["vinyl"], tmp_path / "out").per_target["vinyl"]
    assert vinyl["compliance"]["errors"] == []
    for entry in vinyl["tracks"]:
        assert entry["ceiling_dbtp"] == -4.5 and entry["max_gain_reduction_db"] > 0.5  # it limits
        assert _true_peak_16x_dbtp(entry["path"]) <= -4.5 + 0.15
        assert entry["integrated_lufs"] == pytest.approx(-14.0, abs=0.2)


def test_the_sessions_vinyl_level_sets_every_track(tmp_path: Path) -> None:
    job = _job(tmp_path, {"lufs_target": -10.0}, vinyl_lufs_target=-20.0)
    vinyl = render(job, ["vinyl"], tmp_path / "out").per_target["vinyl"]
    assert [e["level_lufs"] for e in vinyl["tracks"]] == [-20.0] * 3
    levels = [e["integrated_lufs"] for e in vinyl["tracks"]]
    assert all(level == pytest.approx(-20.0, abs=0.15) for level in levels)  # room enough: no offset
    assert all(e["level_offset_db"] == 0.0 for e in vinyl["tracks"])


def test_with_no_loudness_decision_vinyl_is_the_print(tmp_path: Path) -> None:
    job = _job(tmp_path, {})
    vinyl = render(job, ["vinyl"], tmp_path / "out").per_target["vinyl"]
    for entry, track in zip(vinyl["tracks"], job.tracks):
        written, _ = sf.read(str(entry["path"]), dtype="float64")
        source, _ = sf.read(str(track.capture_path), dtype="float64")
        assert np.max(np.abs(written - source)) <= 2.0 / 2**23 and entry["level_lufs"] is None
