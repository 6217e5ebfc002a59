"""Saturation: unity for small signals, a third harmonic growing with the square of the level, bias for the second."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dsp.saturation import harmonic_levels_db, saturate

RATE = 48000
T = np.arange(RATE) / RATE


def _sine(amplitude: float) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * 1000 * T))[:, None]


def test_small_signals_pass_at_unity_and_silence_stays_silent() -> None:
    x = _sine(1e-5)
    # the departure from unity scales with the level: at 1e-5 (-100 dBFS) it is 100 dB further down
    assert np.max(np.abs(saturate(x, 0.0, bias=0.2) - x)) < 1e-5 * 1e-5
    assert np.array_equal(saturate(np.zeros((10, 2)), 6.0, 0.3), np.zeros((10, 2)))


@pytest.mark.parametrize("drive_db", [-20.0, -12.0, -6.0])
def test_the_third_harmonic_matches_the_cubic_term(drive_db: float) -> None:
    amplitude = 0.5
    g = 10 ** (drive_db / 20)
    levels = harmonic_levels_db(saturate(_sine(amplitude), drive_db), RATE, 1000)
    expected = 20 * math.log10((g * amplitude) ** 2 / 12)  # tanh(u) = u - u^3/3: H3/H1 = u^2/12
    assert levels[2] - levels[0] == pytest.approx(expected, abs=0.3)
    assert levels[1] < -150  # symmetric: no even harmonics


def test_distortion_rises_two_db_per_db_of_level() -> None:
    h3 = [harmonic_levels_db(saturate(_sine(a), -12.0), RATE, 1000) for a in (0.1, 0.2)]
    assert (h3[1][2] - h3[1][0]) - (h3[0][2] - h3[0][0]) == pytest.approx(20 * math.log10(4), abs=0.1)


def test_bias_brings_a_second_harmonic() -> None:
    levels = harmonic_levels_db(saturate(_sine(0.5), -6.0, bias=0.2), RATE, 1000)
    assert levels[1] - levels[0] > -40


def test_out_of_range_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="drive_db"):
        saturate(_sine(0.1), 80.0)
    with pytest.raises(ValueError, match="bias"):
        saturate(_sine(0.1), 0.0, bias=1.5)
