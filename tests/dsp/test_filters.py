"""Matched second-order filters against their analog prototypes, and against the bilinear transform's cramping."""

from __future__ import annotations

import numpy as np
import pytest

from dsp import filters as F

RATE = 48000
FREQS = np.geomspace(20, 20000, 400)


def _analog_peak(f0: float, gain_db: float, q: float) -> np.ndarray:
    a = 10 ** (gain_db / 40)
    return F.analog_response_db(np.array([1, a / q, 1]), np.array([1, 1 / (a * q), 1]), f0, FREQS)


def _rbj_peak(f0: float, gain_db: float, q: float, rate: float) -> np.ndarray:
    """The bilinear (Audio EQ Cookbook) bell, written out independently, for comparison."""
    a = 10 ** (gain_db / 40)
    w = 2 * np.pi * f0 / rate
    alpha = np.sin(w) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w), 1 - alpha / a])
    return np.array([np.r_[b, den] / den[0]])


@pytest.mark.parametrize("f0", [30.0, 100.0, 330.0, 1000.0])
@pytest.mark.parametrize("gain_db", [-6.0, -3.0, 3.0, 6.0])
@pytest.mark.parametrize("q", [0.5, 0.7, 1.4, 2.0])
def test_bells_below_1khz_follow_the_analog_curve_within_three_hundredths_of_a_db(f0: float, gain_db: float,
                                                                                   q: float) -> None:
    error = F.sos_response_db(F.peaking(f0, gain_db, q, RATE), FREQS, RATE) - _analog_peak(f0, gain_db, q)
    assert np.max(np.abs(error)) < 0.03


@pytest.mark.parametrize("f0", [2200.0, 3300.0, 4700.0, 6800.0, 10000.0, 15000.0])
def test_bells_near_nyquist_keep_their_analog_shape_where_the_bilinear_transform_cramps(f0: float) -> None:
    analog = _analog_peak(f0, 6.0, 0.7)
    matched = np.max(np.abs(F.sos_response_db(F.peaking(f0, 6.0, 0.7, RATE), FREQS, RATE) - analog))
    bilinear = np.max(np.abs(F.sos_response_db(_rbj_peak(f0, 6.0, 0.7, RATE), FREQS, RATE) - analog))
    assert matched < 0.6
    assert bilinear > 2.9 * matched  # measured: 0.06 vs 0.16 dB at 2.2 kHz, 0.58 vs 3.16 dB at 15 kHz


def test_a_bell_has_exactly_its_gain_at_its_frequency_and_the_analog_gain_at_nyquist() -> None:
    sos = F.peaking(12000.0, 4.5, 1.0, RATE)
    assert F.sos_response_db(sos, np.array([12000.0]), RATE)[0] == pytest.approx(4.5, abs=1e-9)
    a = 10 ** (4.5 / 40)
    nyquist_analog = F.analog_response_db(np.array([1, a, 1]), np.array([1, 1 / a, 1]), 12000.0,
                                          np.array([RATE / 2]))[0]
    assert F.sos_response_db(sos, np.array([RATE / 2 - 1e-6]), RATE)[0] == pytest.approx(nyquist_analog, abs=1e-6)
    assert F.sos_response_db(sos, np.array([1e-3]), RATE)[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("f0", [30.0, 1000.0, 10000.0])
@pytest.mark.parametrize("gain_db", [-6.0, 6.0])
def test_shelves_follow_the_analog_curve(f0: float, gain_db: float) -> None:
    a = 10 ** (gain_db / 40)
    sa, q = np.sqrt(a), 1 / np.sqrt(2)
    high = F.analog_response_db(a * np.array([a, sa / q, 1]), np.array([1, sa / q, a]), f0, FREQS)
    low = F.analog_response_db(a * np.array([1, sa / q, a]), np.array([a, sa / q, 1]), f0, FREQS)
    assert np.max(np.abs(F.sos_response_db(F.high_shelf(f0, gain_db, RATE), FREQS, RATE) - high)) < 0.1
    assert np.max(np.abs(F.sos_response_db(F.low_shelf(f0, gain_db, RATE), FREQS, RATE) - low)) < 0.1
    # half the gain at the corner, all of it at the far end
    assert F.sos_response_db(F.low_shelf(f0, gain_db, RATE), np.array([f0, 1e-3]), RATE) == \
        pytest.approx([gain_db / 2, gain_db], abs=1e-6)


def test_high_and_low_pass_are_3_db_down_at_the_corner_with_12_db_per_octave_skirts() -> None:
    hp = F.highpass(100.0, RATE)
    db = F.sos_response_db(hp, np.array([100.0, 25.0, 12.5, 10000.0]), RATE)
    assert db[0] == pytest.approx(-3.0103, abs=1e-3)
    assert db[1] - db[2] == pytest.approx(12.0, abs=0.1)
    assert db[3] == pytest.approx(0.0, abs=1e-3)
    lp = F.lowpass(1000.0, RATE)
    db = F.sos_response_db(lp, np.array([1000.0, 10.0, 8000.0, 16000.0]), RATE)
    assert db[0] == pytest.approx(-3.0103, abs=1e-3)
    assert db[1] == pytest.approx(0.0, abs=1e-6)
    assert db[2] - db[3] == pytest.approx(12.0, abs=0.3)


def test_proportional_q_narrows_the_bell_as_the_gain_grows() -> None:
    def width_octaves(gain_db: float) -> float:
        sos = F.peaking(1000.0, gain_db, F.proportional_q(0.7, gain_db), RATE)
        f = np.geomspace(50, 20000, 4000)
        db = F.sos_response_db(sos, f, RATE)
        above = f[db >= gain_db / 2]
        return float(np.log2(above[-1] / above[0]))
    assert F.proportional_q(0.7, 12.0) == pytest.approx(1.4)
    assert width_octaves(2.0) > width_octaves(6.0) + 0.3


def test_a_zero_gain_filter_is_exactly_a_wire() -> None:
    x = np.random.default_rng(0).standard_normal((1000, 2))
    for sos in (F.peaking(1000, 0.0, 1, RATE), F.low_shelf(100, 0.0, RATE), F.tilt(800, 0.0, RATE)):
        assert np.array_equal(F.apply_sos(sos, x), x)


def test_streaming_in_blocks_gives_the_same_samples_as_one_pass() -> None:
    x = np.random.default_rng(1).standard_normal((4096, 2))
    sos = np.vstack([F.peaking(3000, 4, 1, RATE), F.high_shelf(10000, -3, RATE)])
    whole = F.apply_sos(sos, x)
    zi = F.sos_state(sos, 2)
    parts = []
    for i in range(0, 4096, 300):
        y, zi = F.apply_sos(sos, x[i:i + 300], zi)
        parts.append(y)
    assert np.max(np.abs(np.vstack(parts) - whole)) < 1e-12


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="f0_hz"):
        F.peaking(0.0, 3, 1, RATE)
    with pytest.raises(ValueError, match="q must be above zero"):
        F.peaking(1000, 3, 0.0, RATE)
    with pytest.raises(ValueError, match=r"\(frames, channels\)"):
        F.apply_sos(F.identity_sos(), np.zeros(10))
