"""Album work: order, gaps in CD frames, album loudness as BS.1770 over the record, tone against the album."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from dsp.loudness import measure
from dsp.spectrum import spectral_balance
from hybrid.session.album import AlbumTrack, album_view

RATE = 48000


def _noise(seconds: float, lufs: float, seed: int, shelf_db: float = 0.0) -> np.ndarray:
    """Stereo noise at an exact integrated loudness; shelf_db tilts its top end (a brighter track)."""
    x = np.random.default_rng(seed).standard_normal((int(seconds * RATE), 2))
    x = signal.sosfilt(signal.butter(2, [40, 15000], btype="band", fs=RATE, output="sos"), x, axis=0)
    if shelf_db:
        b, a = signal.butter(1, 4000, btype="high", fs=RATE)
        x = x + (10 ** (shelf_db / 20) - 1) * signal.lfilter(b, a, x, axis=0)
    return x * 10 ** ((lufs - measure(x, RATE).integrated_lufs) / 20)


def test_album_loudness_is_the_power_mean_of_the_tracks_gaps_gated_out() -> None:
    tracks = [AlbumTrack.measure("a", "A", 150, _noise(6, -20.0, 1), RATE), AlbumTrack.measure("b", "B", 75, _noise(6, -26.0, 2), RATE)]
    view = album_view(tracks, "streaming")
    # equal lengths, both within 10 LU of the album: the gated mean is the mean of their powers
    expected = 10 * math.log10((10 ** (-20 / 10) + 10 ** (-26 / 10)) / 2)
    assert view["integrated_lufs"] == pytest.approx(expected, abs=0.05)
    assert view["order"] == ["a", "b"] and view["gaps_frames"] == [150, 75]
    assert [t["gap_before_s"] for t in view["tracks"]] == [2.0, 1.0]
    assert view["duration_s"] == pytest.approx(12 + 3, abs=1e-3)  # the gaps are on the record too
    offsets = [t["loudness_vs_album_lu"] for t in view["tracks"]]
    assert offsets == pytest.approx([-20 - expected, -26 - expected], abs=0.05)
    assert view["loudness_spread_lu"] == pytest.approx(6.0, abs=0.05)
    assert view["tracks"][1]["notes"] and "LU from the album" in view["tracks"][1]["notes"][0]


def test_a_brighter_track_shows_in_the_consistency_view_as_dsp_spectrum_measures_it() -> None:
    plain = [_noise(5, -18.0, s) for s in (3, 4)]
    bright = _noise(5, -18.0, 5, shelf_db=6.0)
    tracks = [AlbumTrack.measure("p1", "", 150, plain[0], RATE), AlbumTrack.measure("b", "", 150, bright, RATE),
              AlbumTrack.measure("p2", "", 150, plain[1], RATE)]
    view = album_view(tracks, "streaming")
    rows = {t["track_id"]: t for t in view["tracks"]}
    assert rows["b"]["tone_vs_album_db"]["high"] > 1.5 and rows["p1"]["tone_vs_album_db"]["high"] < -0.5
    assert rows["b"]["tilt_vs_album_db_per_octave"] > 0.3
    # an independent path: dsp.spectrum's balance of each track against the whole album, played through
    album = np.concatenate([plain[0], bright, plain[1]])
    for track_id, audio in (("b", bright), ("p1", plain[0])):
        reference = spectral_balance(audio, RATE, album, RATE).regions_db
        for region, value in rows[track_id]["tone_vs_album_db"].items():
            assert value == pytest.approx(reference[region], abs=0.1)


def test_one_track_is_an_album_of_one() -> None:
    audio = _noise(4, -16.0, 6)
    view = album_view([AlbumTrack.measure("only", "Only", 150, audio, RATE)], "cd")
    assert view["integrated_lufs"] == pytest.approx(measure(audio, RATE).integrated_lufs, abs=0.005)
    assert view["tracks"][0]["loudness_vs_album_lu"] == pytest.approx(0.0, abs=0.05)
    assert view["tracks"][0]["tone_vs_album_db"] == {}
