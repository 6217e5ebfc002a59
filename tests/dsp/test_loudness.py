"""K-weighting per rate, channel weights and the loudness series (beyond the EBU cases)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from dsp.loudness import channel_weights, k_weighting_sos, measure, momentary, short_term

# ITU-R BS.1770-5, Tables 1 and 2: the K-weighting coefficients at 48 kHz.
BS1770_SHELF_48K = [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585]
BS1770_HIGHPASS_48K = [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621]


def test_k_weighting_at_48k_is_the_recommendations_table() -> None:
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0], BS1770_SHELF_48K, atol=1e-10)
    np.testing.assert_allclose(sos[1], BS1770_HIGHPASS_48K, atol=1e-8)


@pytest.mark.parametrize("rate", [44100, 88200, 96000, 176400, 192000])
def test_k_weighting_derived_per_rate_keeps_the_48k_curve(rate: int) -> None:
    """Same curve (within 0.05 dB, 20 Hz-16 kHz) at every rate; the 48 kHz set reused would be
    1 dB (44.1 kHz) to 22 dB (192 kHz) off, so this test tells the two apart."""
    freqs = np.geomspace(20.0, 16000.0, 300)

    def response_db(sos: np.ndarray, fs: int) -> np.ndarray:
        return 20.0 * np.log10(np.abs(signal.sosfreqz(sos, worN=freqs, fs=fs)[1]))

    reference = response_db(k_weighting_sos(48000), 48000)
    assert np.max(np.abs(response_db(k_weighting_sos(rate), rate) - reference)) < 0.05
    assert np.max(np.abs(response_db(k_weighting_sos(48000), rate) - reference)) > 1.0


def _tone(rate: int, seconds: float, level_db: float, freq_hz: float = 1000.0) -> np.ndarray:
    n = np.arange(int(seconds * rate))
    return 10.0 ** (level_db / 20.0) * np.sin(2.0 * np.pi * freq_hz * n / rate)


def test_surround_channels_weigh_1_5_db_more_and_lfe_nothing() -> None:
    rate = 48000
    wave = _tone(rate, 5.0, -20.0)
    front = np.zeros((wave.size, 5))
    front[:, 0] = wave
    surround = np.zeros((wave.size, 5))
    surround[:, 3] = wave
    difference = measure(surround, rate).integrated_lufs - measure(front, rate).integrated_lufs
    assert difference == pytest.approx(10.0 * np.log10(1.41), abs=0.01)
    lfe_only = np.zeros((wave.size, 6))
    lfe_only[:, 3] = wave
    assert measure(lfe_only, rate).integrated_lufs is None
    assert list(channel_weights(2)) == [1.0, 1.0]


def test_mono_reads_3_lu_under_the_same_signal_on_two_channels() -> None:
    rate = 44100
    wave = _tone(rate, 5.0, -20.0)
    mono = measure(wave[:, None], rate).integrated_lufs
    stereo = measure(np.stack([wave, wave], axis=1), rate).integrated_lufs
    assert stereo - mono == pytest.approx(10.0 * np.log10(2.0), abs=0.01)


def test_k_weighting_lowers_bass_and_lifts_treble_as_specified() -> None:
    """Tones at 100 Hz, 5 kHz and 10 kHz read, relative to 1 kHz, exactly the K-curve's gain
    difference: the whole meter (filter, squaring, gating) applies the weighting it states."""
    rate = 48000
    sos = k_weighting_sos(rate)
    at_1k = measure(_tone(rate, 3.0, -20.0)[:, None], rate).integrated_lufs
    for freq in (100.0, 5000.0, 10000.0):
        reading = measure(_tone(rate, 3.0, -20.0, freq)[:, None], rate).integrated_lufs
        gain = np.abs(signal.sosfreqz(sos, worN=[freq, 1000.0], fs=rate)[1])
        assert reading - at_1k == pytest.approx(20.0 * np.log10(gain[0] / gain[1]), abs=0.02)


def test_momentary_and_short_term_series_times_and_values() -> None:
    rate = 48000
    audio = np.stack([_tone(rate, 4.0, -23.0)] * 2, axis=1)
    times, m = momentary(audio, rate, step_s=0.1)
    assert times[0] == pytest.approx(0.4)
    assert np.allclose(np.diff(times), 0.1)
    assert times[-1] <= 4.0
    assert np.allclose(m, -23.0, atol=0.05)
    times, s = short_term(audio, rate, step_s=0.5)
    assert times[0] == pytest.approx(3.0)
    assert np.allclose(s, -23.0, atol=0.05)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: momentary(np.zeros((10, 2)), 48000, step_s=0.0),
        lambda: measure(np.zeros((10, 2, 1)), 48000),
        lambda: measure(np.full((48000, 1), np.nan), 48000),
        lambda: measure(np.zeros((48000, 2)), 1000),
        lambda: measure(np.zeros((48000, 2), dtype=np.int16), 48000),
    ],
)
def test_bad_arguments_raise_value_error(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        bad()
