"""dsp.spectrum: band layout per IEC 61260-1, band levels against known powers, tonal balance."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.spectrum import band_edges_hz, fractional_octave, spectral_balance

RATE = 48000


def test_third_octave_centres_are_the_base_ten_series_and_bands_tile() -> None:
    centres, lower, upper = band_edges_hz(3, 20.0, 20000.0)
    # IEC 61260-1: exact mid-band frequencies 1000 * 10^(3k/30); nominal 31.5, 63, 125, ... 16k.
    k = np.round(10.0 * np.log10(centres / 1000.0)).astype(int)
    assert np.allclose(centres, 1000.0 * 10.0 ** (k / 10.0), rtol=1e-12)
    assert k[0] == -17 and k[-1] == 13  # 19.95 Hz ... 19953 Hz
    assert np.allclose(upper[:-1], lower[1:], rtol=1e-12)
    assert np.allclose(upper / lower, 10.0 ** (0.1), rtol=1e-12)


def test_octave_bands_even_fraction_straddles_1k() -> None:
    centres, _, _ = band_edges_hz(2, 500.0, 2000.0)
    assert not np.any(np.isclose(centres, 1000.0))
    # IEC 61260-1: for even b, fm = 1000 * G^((2k+1)/(2b)), so the nearest above 1 kHz is G^(1/4).
    assert np.any(np.isclose(centres, 1000.0 * 10.0 ** (0.3 / 4)))


@pytest.mark.parametrize("freq_hz, amplitude", [(1000.0, 0.5), (63.0957, 1.0), (8000.0, 0.1)])
def test_a_sine_reads_its_aes17_level_in_its_band(freq_hz: float, amplitude: float) -> None:
    t = np.arange(2 * RATE) / RATE
    tone = amplitude * np.sin(2 * np.pi * freq_hz * t)
    centres, level = fractional_octave(tone[:, None], RATE)
    band = int(np.argmin(np.abs(np.log(centres / freq_hz))))
    assert level[band] == pytest.approx(20 * np.log10(amplitude), abs=0.1)
    others = np.delete(level, [band - 1, band, band + 1])
    assert np.all(others < level[band] - 40.0)


def test_white_noise_band_levels_match_their_bandwidth() -> None:
    rng = np.random.default_rng(7)
    sigma = 0.1
    noise = sigma * rng.standard_normal((8 * RATE, 2))
    centres, level = fractional_octave(noise, RATE, 3, 100.0, 16000.0)
    _, lower, upper = band_edges_hz(3, 100.0, 16000.0)
    # White noise spreads sigma^2 evenly over 0..fs/2; AES17 adds 3.01 dB.
    expected = 10 * np.log10(sigma**2 * (upper - lower) / (RATE / 2) * 2)
    assert np.allclose(level, expected[: len(level)], atol=0.6)


def test_balance_against_itself_and_a_quieter_copy_is_flat() -> None:
    rng = np.random.default_rng(3)
    mix = rng.standard_normal((4 * RATE, 2)) * 0.1
    same = spectral_balance(mix, RATE, mix, RATE)
    assert np.allclose(same.difference_db, 0.0, atol=1e-9)
    quieter = spectral_balance(mix * 0.316, RATE, mix, RATE)
    assert np.allclose(quieter.difference_db, 0.0, atol=1e-6)
    assert all(abs(v) < 1e-6 for v in quieter.regions_db.values())


def test_balance_reads_a_brighter_top_end() -> None:
    rng = np.random.default_rng(4)
    reference = rng.standard_normal((4 * RATE, 1)) * 0.1
    spectrum = np.fft.rfft(reference[:, 0])
    freqs = np.fft.rfftfreq(reference.shape[0], 1 / RATE)
    spectrum[freqs >= 6000.0] *= 2.0  # +6.02 dB above 6 kHz
    brighter = np.fft.irfft(spectrum, n=reference.shape[0])[:, None]
    balance = spectral_balance(brighter, RATE, reference, RATE)
    assert balance.regions_db["high"] == pytest.approx(6.02, abs=0.3)
    assert abs(balance.regions_db["low"]) < 0.3 and abs(balance.regions_db["low_mid"]) < 0.3
    assert balance.tilt_db_per_octave > 0.5


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError):
        fractional_octave(np.zeros((0, 2)), RATE)
    with pytest.raises(ValueError):
        fractional_octave(np.zeros((10, 2)), 0)
    with pytest.raises(ValueError):
        band_edges_hz(0)
