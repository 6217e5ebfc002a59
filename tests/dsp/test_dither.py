"""Word-length reduction: integer conventions, TPDF statistics, a -96 dBFS tone, noise shaping."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from dsp.dither import to_pcm

RATE = 44100
FRAMES = 2**18  # ~6 s: long enough to average a tone half an LSB tall


def bin_tone(cycles_per_sample_near: float, amplitude: float) -> tuple[np.ndarray, int]:
    """A sine that lands exactly on an FFT bin (no leakage), and that bin's index."""
    k = int(round(cycles_per_sample_near * FRAMES))
    return amplitude * np.sin(2.0 * np.pi * k * np.arange(FRAMES) / FRAMES), k


def test_integer_conventions_and_bit_exact_24_bit_files() -> None:
    audio = np.random.default_rng(1).uniform(-1.0, 1.0, (1000, 2))
    assert to_pcm(audio, 16).dtype == np.int16
    pcm24 = to_pcm(audio, 24, seed=2)
    assert pcm24.dtype == np.int32
    assert np.all(pcm24 & 0xFF == 0)  # the 24-bit value sits in the top 24 bits
    assert np.max(np.abs((pcm24 >> 8) / 2**23 - audio)) < 2.0 / 2**23
    float32 = to_pcm(audio, 32, dither="tpdf")
    assert float32.dtype == np.float32 and np.array_equal(float32, audio.astype(np.float32))
    buffer = io.BytesIO()
    sf.write(buffer, pcm24, 48000, format="WAV", subtype="PCM_24")
    buffer.seek(0)
    assert np.array_equal(sf.read(buffer, dtype="int32")[0], pcm24)


def test_full_scale_and_beyond_clip_to_the_integer_range() -> None:
    audio = np.array([[1.0], [-1.0], [1.7], [-3.0]])
    for dither in ("tpdf", "shaped", "none"):
        pcm = to_pcm(audio, 16, dither=dither, seed=0)
        assert pcm[0, 0] >= 32766 and pcm[2, 0] == 32767 and pcm[3, 0] == -32768


def test_tpdf_error_is_signal_independent_with_quarter_lsb_power() -> None:
    """TPDF 2 LSB p-p: total error = uniform rounding (1/12) + triangular dither (1/6) = 1/4 LSB^2,
    unbiased whatever the input, including a DC value that plain rounding would always bias."""
    for dc_lsb in (0.0, 0.25, 0.5, 0.37):
        audio = np.full((200000, 1), dc_lsb / 32768.0)
        error = to_pcm(audio, 16, seed=5)[:, 0].astype(float) - dc_lsb
        assert abs(error.mean()) < 0.01
        assert error.var() == pytest.approx(0.25, rel=0.03)
        plain = to_pcm(audio, 16, dither="none")[:, 0].astype(float) - dc_lsb
        assert plain.var() < 1e-12  # rounding a constant: the same error every sample


def _tone_analysis(pcm: np.ndarray, k: int) -> tuple[float, float, float]:
    """(fundamental level dBFS, strongest of harmonics 2-7 relative to the mean noise bin, dB)."""
    x = pcm[:, 0].astype(float) / 32768.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(FRAMES))) ** 2
    window_gain = np.sum(np.hanning(FRAMES)) / 2.0
    level_db = 10.0 * np.log10(np.sum(spectrum[k - 2 : k + 3]) / 1.5) - 20.0 * np.log10(window_gain)
    harmonics = np.array([np.sum(spectrum[h * k - 2 : h * k + 3]) / 5.0 for h in range(2, 8)])
    mask = np.ones(spectrum.size, dtype=bool)
    for h in range(1, 9):
        mask[max(0, h * k - 10) : h * k + 11] = False
    mask[:20] = False
    noise_bin = np.mean(spectrum[mask])
    return level_db, float(10.0 * np.log10(np.max(harmonics) / noise_bin)), float(np.mean(spectrum[mask]))


def test_minus_96_dbfs_tone_survives_16_bit_tpdf_and_not_plain_rounding() -> None:
    """Half an LSB tall: dithered, it comes out at its level with no harmonics above the noise;
    rounded without dither, it turns into a distorted pulse train."""
    level = 10.0 ** (-96.0 / 20.0)
    tone, k = bin_tone(1000.0 / RATE, level)
    audio = tone[:, None]
    dithered_level, dithered_harmonics, _ = _tone_analysis(to_pcm(audio, 16, "tpdf", seed=11), k)
    assert dithered_level == pytest.approx(-96.0, abs=1.0)
    assert dithered_harmonics < 6.0  # within the noise's own bin-to-bin scatter
    rounded_level, rounded_harmonics, _ = _tone_analysis(to_pcm(audio, 16, "none"), k)
    assert rounded_harmonics > 30.0  # harmonics stand far out of an (empty) noise floor
    truncated = np.floor(audio * 32768.0).astype(np.int16)
    _, truncated_harmonics, _ = _tone_analysis(truncated, k)
    assert truncated_harmonics > 30.0


def test_shaped_dither_moves_noise_out_of_the_ears_keenest_band() -> None:
    """Against flat TPDF: less noise at 2-5 kHz, more above 15 kHz; the tone itself unchanged."""
    tone, k = bin_tone(1000.0 / RATE, 10.0 ** (-60.0 / 20.0))
    audio = tone[:, None]
    freqs = np.fft.rfftfreq(FRAMES, 1.0 / RATE)

    def band_noise_db(pcm: np.ndarray, lo: float, hi: float) -> float:
        error = pcm[:, 0].astype(float) / 32768.0 - tone
        spectrum = np.abs(np.fft.rfft(error)) ** 2
        return float(10.0 * np.log10(np.mean(spectrum[(freqs >= lo) & (freqs < hi)])))

    flat = to_pcm(audio, 16, "tpdf", seed=3)
    shaped = to_pcm(audio, 16, "shaped", seed=3)
    assert band_noise_db(shaped, 2000, 5000) < band_noise_db(flat, 2000, 5000) - 6.0
    assert band_noise_db(shaped, 15000, 20000) > band_noise_db(flat, 15000, 20000)
    level, _, _ = _tone_analysis(shaped, k)
    assert level == pytest.approx(-60.0, abs=0.1)


def test_seed_makes_dither_reproducible() -> None:
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (500, 2))
    assert np.array_equal(to_pcm(audio, 16, seed=4), to_pcm(audio, 16, seed=4))
    assert not np.array_equal(to_pcm(audio, 16, seed=4), to_pcm(audio, 16, seed=5))


@pytest.mark.parametrize(("bits", "dither"), [(20, "tpdf"), (16, "noise"), (8, "none")])
def test_bad_arguments(bits: int, dither: str) -> None:
    with pytest.raises(ValueError):
        to_pcm(np.zeros((4, 1)), bits, dither)
