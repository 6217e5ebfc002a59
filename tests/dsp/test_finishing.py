"""The finishing chain: loudness target met or plainly unreachable, ceiling held at the output rate."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from dsp.finishing import FinishSettings, finish
from dsp.loudness import measure
from dsp.programme import SONGS, render_song
from tests.dsp.reference import reference_true_peak_dbtp


@functools.lru_cache(maxsize=2)
def _song(rate: int) -> np.ndarray:
    song = render_song(SONGS[2], rate=rate, seed=1)[: 6 * rate]
    return song * (10.0 ** (-6.0 / 20.0) / np.max(np.abs(song)))  # a mix with 6 dB headroom


@pytest.mark.parametrize("target", [-16.0, -12.0, -10.0])
def test_loudness_target_is_met_within_0_2_lu_under_the_ceiling(target: float) -> None:
    mix = _song(48000)
    result = finish(mix, 48000, FinishSettings(ceiling_dbtp=-1.0, lufs_target=target, bits=24), seed=1)
    assert result.lufs_unreachable_by_lu is None
    assert result.integrated_lufs == pytest.approx(target, abs=0.2)
    assert measure(result.audio, 48000).integrated_lufs == pytest.approx(target, abs=0.2)
    assert reference_true_peak_dbtp(result.audio) <= -1.0 + 0.1
    assert result.true_peak_dbtp <= -1.0 + 1e-9


def test_an_unreachable_target_is_reported_with_how_far_short() -> None:
    mix = _song(48000)
    result = finish(mix, 48000, FinishSettings(ceiling_dbtp=-1.0, lufs_target=-3.0))
    assert result.lufs_unreachable_by_lu is not None and result.lufs_unreachable_by_lu > 0.2
    # measured independently of finish's own bookkeeping: the shortfall is what the file really lacks
    assert measure(result.audio, 48000).integrated_lufs == pytest.approx(-3.0 - result.lufs_unreachable_by_lu,
                                                                         abs=0.01)
    assert result.true_peak_dbtp <= -1.0
    assert reference_true_peak_dbtp(result.audio) <= -1.0 + 0.1  # even with ~18 dB of limiting


def test_rate_conversion_then_ceiling_held_at_the_delivered_rate() -> None:
    mix = _song(48000) * 4.0  # 6 dB over full scale: the limiter must work
    result = finish(mix, 48000, FinishSettings(ceiling_dbtp=-1.0, rate_hz=44100, bits=16), seed=2)
    assert result.rate_hz == 44100
    assert abs(result.audio.shape[0] - mix.shape[0] * 44100 / 48000) <= 1
    assert result.pcm.dtype == np.int16 and result.pcm.shape == result.audio.shape
    assert result.max_gain_reduction_db > 5.0
    assert result.gain_reduction_db.shape == (result.audio.shape[0],)
    assert reference_true_peak_dbtp(result.audio) <= -1.0 + 0.1
    # The 16-bit file itself (dither included) still holds the ceiling.
    assert reference_true_peak_dbtp(result.pcm / 32768.0) <= -1.0 + 0.1


def test_nothing_to_do_leaves_the_mix_untouched_before_dither() -> None:
    mix = _song(48000)
    result = finish(mix, 48000, FinishSettings(bits=32))
    assert np.array_equal(result.audio, mix)
    assert result.gain_db == 0.0 and result.max_gain_reduction_db == 0.0
    assert np.array_equal(result.pcm, mix.astype(np.float32))


def test_without_the_limiter_gain_is_applied_and_nothing_else() -> None:
    mix = _song(48000)
    result = finish(mix, 48000, FinishSettings(lufs_target=-20.0, limiter=False, bits=32))
    assert result.max_gain_reduction_db == 0.0
    assert np.allclose(result.audio, mix * 10.0 ** (result.gain_db / 20.0))
    assert result.integrated_lufs == pytest.approx(-20.0, abs=0.1)


def test_a_target_for_silence_is_refused() -> None:
    with pytest.raises(ValueError, match="no gated loudness"):
        finish(np.zeros((48000, 2)), 48000, FinishSettings(lufs_target=-14.0))


@pytest.mark.parametrize(
    "kwargs",
    [{"ceiling_dbtp": 3.0}, {"lufs_target": 5.0}, {"rate_hz": 12}, {"bits": 20}, {"dither": "noise"}],
)
def test_settings_refuse_what_is_not_allowed(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        FinishSettings(**kwargs)


def test_without_limiter_or_target_the_true_peak_is_still_measured() -> None:
    from dsp.limiter import limiter_peaks

    mix = _song(48000) * 2.0  # over the ceiling: nothing may hold it, the reading must say so
    result = finish(mix, 48000, FinishSettings(limiter=False, bits=32))
    assert np.array_equal(result.audio, mix)
    assert result.max_gain_reduction_db == 0.0 and not np.any(result.gain_reduction_db)
    assert result.true_peak_dbtp == pytest.approx(20.0 * np.log10(np.max(limiter_peaks(mix, 48000))), abs=1e-12)
    assert result.true_peak_dbtp > -1.0


@pytest.mark.parametrize(
    ("audio", "rate", "words"),
    [
        (np.full((4800, 2), np.nan), 48000, "NaN"),
        (np.zeros((4800, 2)), 12, "sample rate"),
        (np.zeros((4800, 2), dtype=np.int16), 48000, "float"),
        (np.zeros((10, 2, 2)), 48000, "shaped"),
    ],
)
def test_audio_and_rate_are_refused_before_any_work(audio: np.ndarray, rate: int, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        finish(audio, rate, FinishSettings(rate_hz=44100, bits=16))
