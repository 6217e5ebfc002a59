"""The compressor against its own definition: static curve, attack/release time constants, auto release, sidechain, mix."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.dynamics import Compressor, compress, static_curve_db

RATE = 48000


def test_static_curve_known_points() -> None:
    # hard knee: 10 dB over a -20 dB threshold at 4:1 comes out 2.5 dB over: 7.5 dB of reduction
    assert static_curve_db(-10.0, -20.0, 4.0, 0.0) == pytest.approx(7.5)
    assert static_curve_db(-30.0, -20.0, 4.0, 0.0) == pytest.approx(0.0)
    # soft knee of width W: at the threshold (1 - 1/R) * W / 8; continuous at both knee edges
    assert static_curve_db(-20.0, -20.0, 4.0, 6.0) == pytest.approx(0.75 * 6 / 8)
    assert static_curve_db(-17.0, -20.0, 4.0, 6.0) == pytest.approx(0.75 * 3)
    assert static_curve_db(-23.0, -20.0, 4.0, 6.0) == pytest.approx(0.0)


def test_a_steady_level_settles_on_the_static_curve() -> None:
    level = 10 ** (-8 / 20)
    x = np.full((RATE, 2), level)  # a steady level the peak detector reads exactly
    y, gr = compress(x, RATE, threshold_db=-20.0, ratio=4.0, attack_ms=5.0, release_ms=100.0, knee_db=6.0)
    assert gr[-1] == pytest.approx(9.0, abs=1e-6)  # 12 dB over at 4:1
    assert 20 * np.log10(y[-1, 0]) == pytest.approx(-17.0, abs=1e-6)


def test_attack_and_release_are_one_pole_time_constants() -> None:
    x = np.zeros((RATE, 1))
    x[: RATE // 2] = 10 ** (-10 / 20)  # 10 dB over for half a second, then silence
    _, gr = compress(x, RATE, threshold_db=-20.0, ratio=100.0, attack_ms=10.0, release_ms=50.0, knee_db=0.0)
    final = gr[RATE // 2 - 1]
    assert gr[int(0.010 * RATE) - 1] == pytest.approx(final * (1 - np.exp(-1)), rel=2e-3)
    assert gr[RATE // 2 + int(0.050 * RATE) - 1] == pytest.approx(final * np.exp(-1), rel=2e-3)


def test_auto_release_recovers_fast_after_a_peak_and_slowly_after_sustained_compression() -> None:
    def recovery_db(burst_s: float) -> float:
        x = np.zeros((int((burst_s + 0.3) * RATE), 1))
        x[: int(burst_s * RATE)] = 10 ** (-6 / 20)
        _, gr = compress(x, RATE, -20.0, 10.0, 1.0, "auto", knee_db=0.0)
        end = int(burst_s * RATE)
        return float(gr[end] - gr[end + int(0.2 * RATE)])  # how much reduction let go within 200 ms
    short, long = recovery_db(0.02), recovery_db(3.0)
    assert short > 10.0  # a 20 ms peak is let go of almost entirely
    assert long < 5.0    # after 3 s of compression the release has slowed down


def test_the_sidechain_high_pass_ignores_bass() -> None:
    t = np.arange(RATE) / RATE
    bass = (0.5 * np.sin(2 * np.pi * 50 * t))[:, None]
    _, plain = compress(bass, RATE, -20.0, 4.0, 1.0, 100.0)
    _, filtered = compress(bass, RATE, -20.0, 4.0, 1.0, 100.0, sidechain_hpf_hz=250.0)
    assert plain[RATE // 2:].mean() > 8.0
    assert filtered[RATE // 2:].mean() < plain[RATE // 2:].mean() - 6.0


def test_makeup_and_mix() -> None:
    x = np.random.default_rng(2).standard_normal((RATE, 2)) * 0.01  # far below the threshold
    y, gr = compress(x, RATE, -10.0, 4.0, 1.0, 100.0, makeup_db=6.0)
    assert np.max(gr) == 0.0
    assert np.allclose(y, x * 10 ** (6 / 20))
    loud = x * 50
    dry, _ = compress(loud, RATE, -20.0, 4.0, 1.0, 100.0, mix=0.0)
    assert np.array_equal(dry, loud)
    wet, _ = compress(loud, RATE, -20.0, 4.0, 1.0, 100.0, mix=1.0)
    half, _ = compress(loud, RATE, -20.0, 4.0, 1.0, 100.0, mix=0.5)
    assert np.allclose(half, 0.5 * (wet + loud))


def test_blocks_continue_the_envelope() -> None:
    x = np.random.default_rng(3).standard_normal((RATE, 2)) * 0.3
    whole, _ = compress(x, RATE, -20.0, 4.0, 3.0, "auto", sidechain_hpf_hz=90.0)
    comp = Compressor(RATE, -20.0, 4.0, 3.0, "auto", sidechain_hpf_hz=90.0)
    parts = [comp.process(x[i:i + 256])[0] for i in range(0, RATE, 256)]
    assert np.max(np.abs(np.vstack(parts) - whole)) < 1e-12


def test_bad_settings_are_value_errors() -> None:
    with pytest.raises(ValueError, match="ratio"):
        Compressor(RATE, -20.0, 0.5, 1.0, 100.0)
    with pytest.raises(ValueError, match="release_ms"):
        Compressor(RATE, -20.0, 2.0, 1.0, "slow")
    with pytest.raises(ValueError, match="mix"):
        Compressor(RATE, -20.0, 2.0, 1.0, 100.0, mix=1.5)
