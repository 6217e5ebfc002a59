"""dsp.delay: fractional delays against analytic signals, exact integer shifts, and the inverse."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from dsp.delay import fractional_delay, windowed_sinc


def _tone(rate: int, freq_hz: float, frames: int, delay: float = 0.0) -> np.ndarray:
    t = (np.arange(frames) - delay) / rate
    return np.sin(2 * np.pi * freq_hz * t)[:, None]


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("delay", [0.5, 0.123, 17.75, -3.4])
def test_fractional_delay_of_a_tone_matches_the_analytic_shifted_tone(rate: int, delay: float) -> None:
    frames = 8192
    for freq in (100.0, 1000.0, 10000.0, 19000.0):
        got = fractional_delay(_tone(rate, freq, frames), delay)
        want = _tone(rate, freq, frames, delay)
        middle = slice(1024, frames - 1024)  # away from the edges where the filter sees zeros
        assert np.max(np.abs(got[middle] - want[middle])) < 1e-5


def test_integer_delays_are_exact_shifts_both_ways() -> None:
    x = np.random.default_rng(1).standard_normal((1000, 2))
    np.testing.assert_array_equal(fractional_delay(x, 7)[7:], x[:-7])
    np.testing.assert_array_equal(fractional_delay(x, 7)[:7], 0.0)
    np.testing.assert_array_equal(fractional_delay(x, -5)[:-5], x[5:])
    np.testing.assert_array_equal(fractional_delay(x, 0.0), x)
    assert not np.any(fractional_delay(x, 5000))


def test_delay_then_advance_nulls_band_limited_noise_below_140_db() -> None:
    rate = 44100
    rng = np.random.default_rng(7)
    sos = signal.butter(12, 19000, fs=rate, output="sos")
    x = signal.sosfiltfilt(sos, rng.standard_normal((rate, 2)), axis=0)
    y = fractional_delay(fractional_delay(x, 123.731), -123.731)
    inner = slice(2000, -2000)
    residual_db = 20 * np.log10(np.std(y[inner] - x[inner]) / np.std(x[inner]))
    assert residual_db < -140


def test_windowed_sinc_is_unity_at_dc_and_symmetric_about_its_fractional_centre() -> None:
    taps = windowed_sinc(0.25, 64)
    assert taps.sum() == pytest.approx(1.0, abs=1e-12)
    centre = np.sum(np.arange(taps.size) * taps) / taps.sum()
    assert centre == pytest.approx(64.25, abs=1e-5)


def test_half_a_sample_left_uncompensated_leaves_the_analytic_residual() -> None:
    # whole-sample compensation cannot remove half a sample: the residual of x(t-0.5) - x(t) is
    # |2 sin(pi f 0.5 / fs)|, i.e. -3.8 dB at 10 kHz, -23.7 dB at 1 kHz, -43.7 dB at 100 Hz (48 kHz)
    rate, frames = 48000, 14400 + 4096  # the middle 14400 frames hold whole periods of each tone
    for freq in (100.0, 1000.0, 10000.0):
        x = _tone(rate, freq, frames)
        residual = (fractional_delay(x, 0.5) - x)[2048:-2048]
        got_db = 20 * np.log10(np.std(residual) / np.std(x[2048:-2048]))
        want_db = 20 * np.log10(2 * np.sin(np.pi * freq * 0.5 / rate))
        assert got_db == pytest.approx(want_db, abs=0.01)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="frames, channels"):
        fractional_delay(np.zeros(10), 1.5)
    with pytest.raises(ValueError, match="finite"):
        fractional_delay(np.zeros((10, 1)), float("nan"))
    with pytest.raises(ValueError, match="fraction"):
        windowed_sinc(1.5, 8)
