"""The true-peak limiter: ceiling held by an independent 16x reference, timing, transparency, THD+N."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import signal

from dsp.limiter import limit
from dsp.programme import SONGS, render_song
from tests.dsp.reference import reference_true_peak_dbtp

CEILING_DBTP = -1.0


@functools.lru_cache(maxsize=4)
def _song(rate: int) -> np.ndarray:
    return render_song(SONGS[2], rate=rate, seed=3)


def hot_programme(rate: int, over_full_scale_db: float, seconds: float = 2.0) -> np.ndarray:
    """A demo song (kick, snare, hats, bass, pads) at `rate`, its sample peak driven over 0 dBFS."""
    song = _song(rate)[int(0.5 * rate) : int((0.5 + seconds) * rate)]
    return song * (10.0 ** (over_full_scale_db / 20.0) / np.max(np.abs(song)))


def bright_noise(rate: int, over_full_scale_db: float, seconds: float = 2.0) -> np.ndarray:
    """White noise in bursts: content right up to Nyquist, the hardest case for a detector."""
    rng = np.random.default_rng(7)
    noise = rng.standard_normal((int(seconds * rate), 2))
    envelope = np.repeat(rng.uniform(0.2, 1.0, int(seconds * 20)), rate // 20)[: noise.shape[0], None]
    noise = noise[: envelope.shape[0]] * envelope
    return noise * (10.0 ** (over_full_scale_db / 20.0) / np.max(np.abs(noise)))


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("drive_db", [0.0, 6.0, 12.0])
def test_hot_programme_never_exceeds_the_ceiling(rate: int, drive_db: float) -> None:
    audio = hot_programme(rate, drive_db)
    result = limit(audio, rate, ceiling_dbtp=CEILING_DBTP)
    assert reference_true_peak_dbtp(result.audio) <= CEILING_DBTP + 0.1
    assert result.max_gain_reduction_db > drive_db  # it really had work to do


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_bright_noise_driven_12_db_over_never_exceeds_the_ceiling(rate: int) -> None:
    """White noise puts 2 % of its energy within 0.01 fs of Nyquist, where the detector's filter
    rolls off and an ideal FFT reconstruction counts it in full: the limiter's near-Nyquist
    margin (dsp.limiter.limiter_peaks) is what holds this one (without it: 0.16-0.22 dB over)."""
    result = limit(bright_noise(rate, 12.0), rate, ceiling_dbtp=CEILING_DBTP)
    assert reference_true_peak_dbtp(result.audio) <= CEILING_DBTP + 0.1


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_full_scale_square_wave(rate: int) -> None:
    n = np.arange(rate)
    square = np.where(np.sin(2.0 * np.pi * 997.0 * n / rate) >= 0.0, 1.0, -1.0)
    audio = np.stack([square, square], axis=1)
    assert reference_true_peak_dbtp(audio) > 0.5  # a naive square overshoots between samples
    assert reference_true_peak_dbtp(limit(audio, rate).audio) <= CEILING_DBTP + 0.1


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_full_scale_tone_at_0_45_fs(rate: int) -> None:
    """A steady full-scale 0.45 fs tone (10 ms fades: an abrupt start is a step, not a tone)."""
    n = np.arange(rate)
    tone = np.cos(2.0 * np.pi * 0.45 * n + 0.3)
    fade = rate // 100
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    tone[:fade] *= ramp
    tone[-fade:] *= ramp[::-1]
    audio = np.stack([tone, -tone], axis=1)
    assert reference_true_peak_dbtp(limit(audio, rate).audio) <= CEILING_DBTP + 0.1


def test_output_is_time_aligned_same_length_and_stereo_linked() -> None:
    """out = in x gain, sample for sample, with one gain for both channels: no delay, no skew."""
    rate = 48000
    audio = hot_programme(rate, 9.0)
    result = limit(audio, rate)
    assert result.audio.shape == audio.shape
    assert result.gain_db.shape == (audio.shape[0],)
    gain = 10.0 ** (result.gain_db / 20.0)
    np.testing.assert_allclose(result.audio, audio * gain[:, None], rtol=1e-12, atol=1e-15)
    # And the cross-correlation of input and output peaks at lag 0.
    lag = np.argmax(signal.correlate(result.audio[:, 0], audio[:, 0], mode="full", method="fft")) - (audio.shape[0] - 1)
    assert lag == 0


def test_gain_reaches_the_requirement_when_the_peak_arrives_not_after() -> None:
    """An isolated full-scale click in quiet material: the gain is already down at the click and
    starts falling no earlier than the look-ahead before it."""
    rate = 48000
    audio = np.zeros((rate, 2))
    audio[:, :] = 0.1 * np.sin(2.0 * np.pi * 440.0 * np.arange(rate) / rate)[:, None]
    click_at = rate // 2
    audio[click_at, :] = 1.0
    result = limit(audio, rate, lookahead_ms=5.0, attack_ms=5.0)
    reduced = np.flatnonzero(result.gain_db < -1e-9)
    assert reduced[0] >= click_at - int(0.005 * rate)
    assert reduced[0] < click_at
    assert reference_true_peak_dbtp(result.audio) <= CEILING_DBTP + 0.1


def test_material_under_the_ceiling_passes_bit_exact() -> None:
    rate = 48000
    audio = hot_programme(rate, -3.0)  # sample peak -3 dBFS; true peak under -1 dBTP
    assert reference_true_peak_dbtp(audio) < CEILING_DBTP
    result = limit(audio, rate)
    assert np.array_equal(result.audio, audio)
    assert np.all(result.gain_db == 0.0)
    assert result.max_gain_reduction_db == 0.0


def test_stretches_that_need_nothing_are_untouched_bit_exact() -> None:
    """One loud bar in a quiet song: everything well away from it comes out bit-exact."""
    rate = 48000
    audio = hot_programme(rate, -6.0, seconds=6.0)
    audio[3 * rate : 3 * rate + 2000] *= 8.0
    result = limit(audio, rate)
    assert result.max_gain_reduction_db > 3.0
    assert np.array_equal(result.audio[: 2 * rate], audio[: 2 * rate])


def thd_plus_n_db(wave: np.ndarray, freq_hz: float, rate: int) -> float:
    """Everything but the fundamental (least-squares fit of sine, cosine, DC) over the fundamental."""
    t = np.arange(wave.size) / rate
    basis = np.stack([np.sin(2 * np.pi * freq_hz * t), np.cos(2 * np.pi * freq_hz * t), np.ones_like(t)], axis=1)
    coefficients, *_ = np.linalg.lstsq(basis, wave, rcond=None)
    fundamental = basis[:, :2] @ coefficients[:2]
    residual = wave - basis @ coefficients
    return float(10.0 * np.log10(np.sum(residual**2) / np.sum(fundamental**2)))


def test_sine_driven_6_db_in_comes_out_clean() -> None:
    rate = 48000
    ceiling = 10.0 ** (CEILING_DBTP / 20.0)
    t = np.arange(3 * rate) / rate
    sine = ceiling * 10.0 ** (6.0 / 20.0) * np.sin(2.0 * np.pi * 1000.0 * t)
    result = limit(np.stack([sine, sine], axis=1), rate)
    assert result.max_gain_reduction_db == pytest.approx(6.0, abs=0.1)
    steady = result.audio[rate // 2 :, 0]  # after the first attack
    assert thd_plus_n_db(steady, 1000.0, rate) < -60.0
    # A hard clipper at the same ceiling would not pass: the test can tell.
    clipped = np.clip(sine, -ceiling, ceiling)[rate // 2 :]
    assert thd_plus_n_db(clipped, 1000.0, rate) > -30.0


def _recovery_ms(gain_db: np.ndarray, after: int, rate: int) -> float:
    """Time from `after` until the gain is back within 0.5 dB of unity."""
    back = np.flatnonzero(gain_db[after:] > -0.5)
    return 1000.0 * back[0] / rate


def test_release_is_fast_after_a_transient_and_slow_after_sustained_reduction() -> None:
    rate = 48000
    base = 0.2 * np.sin(2.0 * np.pi * 220.0 * np.arange(4 * rate) / rate)
    transient = np.stack([base, base], axis=1)
    transient[rate : rate + 96] *= 8.0  # 2 ms burst, about 12 dB over
    sustained = np.stack([base, base], axis=1)
    sustained[: rate + 96] *= 8.0  # the same level held for a second
    fast = limit(transient, rate)
    slow = limit(sustained, rate)
    after = rate + 96
    assert _recovery_ms(fast.gain_db, after, rate) * 3.0 < _recovery_ms(slow.gain_db, after, rate)


@pytest.mark.parametrize(
    "kwargs",
    [{"ceiling_dbtp": 1.0}, {"lookahead_ms": 0.0}, {"attack_ms": 10.0}, {"release_ms": 0.0}],
)
def test_bad_settings_raise_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        limit(np.zeros((100, 2)), 48000, **kwargs)


def test_reported_true_peak_is_a_full_measurement_of_the_output() -> None:
    """The limiter re-measures only where its gain moved; that must equal measuring everything."""
    from dsp.limiter import limiter_peaks

    rate = 48000
    audio = hot_programme(rate, -6.0, seconds=4.0)
    audio[rate : rate + 3000] *= 6.0  # one loud stretch: most of the programme is untouched
    result = limit(audio, rate)
    full = 20.0 * np.log10(np.max(limiter_peaks(result.audio, rate)))
    assert result.true_peak_dbtp == pytest.approx(full, abs=1e-9)
    assert full <= CEILING_DBTP


def test_limiter_peaks_are_the_meter_plus_the_near_nyquist_envelope() -> None:
    """limiter_peaks = interval true peaks + |(-1)^n x| low-passed by two 89-sample averages, plus
    0.018 x the same through two 41-sample averages, each held at its largest for 100 samples
    either side, checked against numpy convolutions and a plain sliding maximum (edges included,
    the signal zero outside)."""
    from dsp.limiter import limiter_peaks
    from dsp.truepeak import interval_peaks

    audio = bright_noise(48000, 0.0, seconds=0.2)
    expected = interval_peaks(audio, 48000) + _near_nyquist_reference(audio)
    np.testing.assert_allclose(limiter_peaks(audio, 48000), expected, atol=1e-12)


def _held_band(audio: np.ndarray, length: int) -> np.ndarray:
    """|(-1)^n x| through two centred `length`-sample averages, largest channel, held 100 either side."""
    shifted = audio * ((-1.0) ** np.arange(audio.shape[0]))[:, None]
    box = np.ones(length) / length
    half = length - 1
    averaged = [np.convolve(np.convolve(shifted[:, c], box), box)[half : half + audio.shape[0]]
                for c in range(audio.shape[1])]
    in_phase = np.max(np.abs(averaged), axis=0)
    return np.array([np.max(in_phase[max(0, n - 100) : n + 101]) for n in range(in_phase.size)])


def _near_nyquist_reference(audio: np.ndarray) -> np.ndarray:
    """The near-Nyquist margin by numpy convolutions and a plain sliding maximum, any channel count."""
    return _held_band(audio, 89) + 0.018 * _held_band(audio, 41)


@pytest.mark.parametrize(("frames", "channels"), [(1, 2), (30, 2), (150, 1), (4096 + 250, 3), (9000, 1)])
def test_near_nyquist_margin_holds_for_any_length_and_channel_count(frames: int, channels: int) -> None:
    """Shorter than the averages or the hold, a block and a bit, mono and an odd third channel
    (the envelope pairs channels): still the meter plus the margin by the plain reference."""
    from dsp.limiter import limiter_peaks
    from dsp.truepeak import interval_peaks

    rng = np.random.default_rng(frames + channels)
    audio = rng.standard_normal((frames, channels)) * rng.uniform(0.05, 1.0, (frames, 1))
    audio[: frames // 3, -1] = (-1.0) ** np.arange(frames // 3)  # the last channel alone at Nyquist
    expected = interval_peaks(audio, 48000) + _near_nyquist_reference(audio)
    np.testing.assert_allclose(limiter_peaks(audio, 48000), expected, atol=1e-12)
