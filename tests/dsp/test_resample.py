"""Delivery rate conversion: length, timing, flatness and rejection, between the six studio rates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dsp.resample import DELIVERY_RATES_HZ, resample

PAIRS = [(a, b) for a, b in itertools.permutations(DELIVERY_RATES_HZ, 2)]


def _tone(freq_hz: float, rate: int, frames: int, phase: float = 0.3) -> np.ndarray:
    return np.sin(2.0 * np.pi * freq_hz * np.arange(frames) / rate + phase)


@pytest.mark.parametrize(("rate_in", "rate_out"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_length_timing_and_level_between_every_pair(rate_in: int, rate_out: int) -> None:
    """Length within one sample of the exact ratio; a 1 kHz tone comes out where and as loud as
    the same tone generated at the output rate (no delay, no level change)."""
    frames = int(0.25 * rate_in)
    audio = np.stack([_tone(1000.0, rate_in, frames), -_tone(1000.0, rate_in, frames)], axis=1)
    out = resample(audio, rate_in, rate_out)
    assert abs(out.shape[0] - frames * rate_out / rate_in) <= 1.0
    assert out.shape[1] == 2
    expected = _tone(1000.0, rate_out, out.shape[0])
    middle = slice(out.shape[0] // 4, 3 * out.shape[0] // 4)  # away from the edges' ramps
    assert np.max(np.abs(out[middle, 0] - expected[middle])) < 1e-4
    assert np.max(np.abs(out[middle, 1] + expected[middle])) < 1e-4


def test_flat_to_20_khz_and_rejects_what_no_longer_fits() -> None:
    rate_in, rate_out, frames = 48000, 44100, 48000
    passband = resample(_tone(20000.0, rate_in, frames)[:, None], rate_in, rate_out)[10000:-10000, 0]
    assert 20.0 * np.log10(np.sqrt(2.0) * np.std(passband)) == pytest.approx(0.0, abs=0.01)
    alias = resample(_tone(23000.0, rate_in, frames)[:, None], rate_in, rate_out)[10000:-10000, 0]
    assert 20.0 * np.log10(np.sqrt(2.0) * np.std(alias)) < -100.0


def test_same_rate_is_a_copy_and_empty_stays_empty() -> None:
    audio = np.ones((10, 2))
    out = resample(audio, 48000, 48000)
    assert np.array_equal(out, audio) and out is not audio
    assert resample(np.zeros((0, 2)), 48000, 44100).shape == (0, 2)


def test_bad_rate() -> None:
    with pytest.raises(ValueError):
        resample(np.zeros((10, 1)), 48000, 0)
