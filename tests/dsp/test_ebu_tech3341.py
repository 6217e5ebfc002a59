"""EBU Tech 3341 (EBU mode) and Tech 3342 (loudness range) minimum-requirement cases, made in code.

The EBU test set's WAV files are not shipped; each signal is synthesised from its description
(stereo 1 kHz sine, levels in dBFS per channel, durations in seconds) at 48 kHz and, for the
loudness cases, at 44.1 and 96 kHz too. Tolerances are the specification's: +-0.1 LU for
loudness, +0.2/-0.4 dB for true peak, +-1 LU for loudness range.
"""

from __future__ import annotations

import numpy as np
import pytest

from dsp.loudness import measure, momentary, short_term
from dsp.truepeak import true_peak_dbtp

RATES = [44100, 48000, 96000]


def tone(rate: int, segments: list[tuple[float, float | None]], freq_hz: float = 1000.0) -> np.ndarray:
    """Stereo sine, continuous in phase, as (seconds, dBFS) segments; None = digital silence."""
    counts = [int(round(seconds * rate)) for seconds, _ in segments]
    total = sum(counts)
    level = np.concatenate(
        [np.full(count, 0.0 if db is None else 10.0 ** (db / 20.0)) for count, (_, db) in zip(counts, segments)]
    )
    wave = np.sin(2.0 * np.pi * freq_hz * np.arange(total) / rate) * level
    return np.stack([wave, wave], axis=1)


def within(value: float | None, expected: float, tolerance: float) -> bool:
    return value is not None and abs(value - expected) <= tolerance


# --- Tech 3341 cases 1-5: momentary, short-term and integrated loudness -----------------------


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("level_db", [-23.0, -33.0], ids=["case1", "case2"])
def test_cases_1_and_2_steady_tone_reads_its_level_on_every_scale(rate: int, level_db: float) -> None:
    audio = tone(rate, [(20.0, level_db)])
    loudness = measure(audio, rate)
    assert within(loudness.integrated_lufs, level_db, 0.1)
    assert within(loudness.momentary_max_lufs, level_db, 0.1)
    assert within(loudness.short_term_max_lufs, level_db, 0.1)
    _, m = momentary(audio, rate)
    _, s = short_term(audio, rate)
    assert np.all(np.abs(m - level_db) <= 0.1)
    assert np.all(np.abs(s - level_db) <= 0.1)


CASES_3_TO_5 = {
    "case3": [(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)],
    "case4": [(10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0), (10.0, -72.0)],
    "case5": [(20.0, -26.0), (20.1, -20.0), (20.0, -26.0)],
}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("case", sorted(CASES_3_TO_5))
def test_cases_3_to_5_gating_gives_minus_23(rate: int, case: str) -> None:
    assert within(measure(tone(rate, CASES_3_TO_5[case]), rate).integrated_lufs, -23.0, 0.1)


def test_gating_matters_in_case_4() -> None:
    """Ungated, case 4 averages to about -25.2 LUFS; the gates are what bring it to -23."""
    rate = 48000
    audio = tone(rate, CASES_3_TO_5["case4"])
    _, blocks = momentary(audio, rate, step_s=0.1)
    ungated = -0.691 + 10.0 * np.log10(np.mean(10.0 ** ((blocks + 0.691) / 10.0)))
    assert ungated < -25.0
    assert within(measure(audio, rate).integrated_lufs, -23.0, 0.1)


# --- Tech 3341 cases 9, 10, 12, 13: short-term and momentary ballistics ----------------------


@pytest.mark.parametrize("rate", RATES)
def test_case_9_short_term_constant_after_3_s(rate: int) -> None:
    """1.34 s at -20 dBFS + 1.66 s at -30 dBFS, five times: every 3 s window holds -23 LUFS."""
    audio = tone(rate, [(1.34, -20.0), (1.66, -30.0)] * 5)
    times, s = short_term(audio, rate, step_s=0.02)
    assert times[0] == pytest.approx(3.0, abs=1e-3)
    assert np.all(np.abs(s - -23.0) <= 0.1)


@pytest.mark.parametrize("rate", RATES)
def test_case_12_momentary_constant_after_1_s(rate: int) -> None:
    """0.18 s at -20 dBFS + 0.22 s at -30 dBFS, repeated: every 400 ms window holds -23 LUFS."""
    audio = tone(rate, [(0.18, -20.0), (0.22, -30.0)] * 25)
    times, m = momentary(audio, rate, step_s=0.01)
    assert np.all(np.abs(m[times >= 1.0] - -23.0) <= 0.1)


@pytest.mark.parametrize("rate", RATES)
def test_case_10_max_short_term_for_each_of_20_burst_positions(rate: int) -> None:
    """A 3 s burst at -23 dBFS placed at 20 positions off the 100 ms grid: max S reads -23.0."""
    for segment in range(20):
        offset_s = 0.5 + segment * 0.0137  # walks through the 100 ms meter grid
        audio = tone(rate, [(offset_s, None), (3.0, -23.0), (1.0, None)])
        assert within(measure(audio, rate).short_term_max_lufs, -23.0, 0.1), segment


@pytest.mark.parametrize("rate", RATES)
def test_case_13_max_momentary_for_each_of_20_burst_positions(rate: int) -> None:
    """A 400 ms burst at -23 dBFS at 20 positions off the 100 ms grid: max M reads -23.0."""
    for segment in range(20):
        offset_s = 0.5 + segment * 0.0049
        audio = tone(rate, [(offset_s, None), (0.4, -23.0), (0.5, None)])
        assert within(measure(audio, rate).momentary_max_lufs, -23.0, 0.1), segment


def test_silence_has_no_loudness() -> None:
    loudness = measure(np.zeros((48000 * 5, 2)), 48000)
    assert loudness == type(loudness)(None, None, None, None)


def test_too_short_for_a_window_reads_none() -> None:
    loudness = measure(tone(48000, [(0.3, -23.0)]), 48000)
    assert loudness.momentary_max_lufs is None
    assert loudness.integrated_lufs is None
    assert loudness.short_term_max_lufs is None


# --- Tech 3341 cases 15-23: true peak (48 kHz, +0.2 / -0.4 dB) --------------------------------


def sine_at(rate: int, freq_hz: float, peak_db: float, phase_deg: float, seconds: float = 1.0) -> np.ndarray:
    """A steady sine with 10 ms raised-cosine fades: an abrupt start is a step, and a step truly
    overshoots between samples, which is not what these cases measure."""
    n = np.arange(int(seconds * rate))
    wave = 10.0 ** (peak_db / 20.0) * np.sin(2.0 * np.pi * freq_hz * n / rate + np.radians(phase_deg))
    fade = int(0.01 * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    wave[:fade] *= ramp
    wave[-fade:] *= ramp[::-1]
    return np.stack([wave, wave], axis=1)


@pytest.mark.parametrize(
    ("case", "freq_hz", "peak_db", "phase_deg", "expected_dbtp"),
    [
        (15, 12000.0, -6.0, 0.0, -6.0),  # fs/4, samples on the crests
        (16, 12000.0, -6.0, 45.0, -6.0),  # fs/4, samples 3 dB under the crests
        (17, 8000.0, -6.0, 60.0, -6.0),  # fs/6
        (18, 6000.0, -6.0, 67.5, -6.0),  # fs/8
        (19, 12000.0, 3.0103, 45.0, 3.0),  # samples at 0 dBFS, crests at +3 dBTP
    ],
)
def test_cases_15_to_19_true_peak_of_tones(case: int, freq_hz: float, peak_db: float, phase_deg: float, expected_dbtp: float) -> None:
    reading = true_peak_dbtp(sine_at(48000, freq_hz, peak_db, phase_deg), 48000)
    assert expected_dbtp - 0.4 <= reading <= expected_dbtp + 0.2, case


def _bandlimited_peak_signal(kind: str, rate: int = 48000) -> np.ndarray:
    """Cases 20-23 as signals whose analytic (continuous) peak is exactly 0 dBTP.

    The EBU files for 20-23 are not reproduced sample for sample here; these are signals of the
    same kind (inter-sample peaks well above the sample peak, content up to 0.45 fs) whose
    expected reading, 0.0 dBTP, follows from their definition.
    """
    n = np.arange(rate, dtype=np.float64)
    if kind == "pulse":  # a band-limited pulse whose crest falls half-way between two samples
        centre = rate / 2 + 0.5
        t = n - centre
        wave = np.sinc(0.9 * t) * np.kaiser(n.size, 8.0)
    elif kind == "nyquist_tone":  # a 0.44 fs burst (Gaussian envelope) cresting between samples
        # |envelope * cos| <= envelope <= 1 with equality only at the centre: the peak is 1.0.
        t = n - rate / 2 - 0.5
        wave = np.exp(-0.5 * (t / 16.0) ** 2) * np.cos(2.0 * np.pi * 0.44 * t)
    elif kind in ("two_tones", "square"):
        if kind == "two_tones":
            freqs, amps = np.array([0.31, 0.43]), np.array([0.5, 0.5])
        else:  # odd harmonics of 997 Hz up to 0.45 fs: a band-limited square wave
            k = np.arange(1, 22, 2)
            freqs, amps = k * 997.0 / rate, 1.0 / k
        phases = np.array([0.3, 1.1, 0.7, 2.0, 0.1, 1.5, 2.5, 0.9, 1.9, 0.4, 1.2])[: freqs.size]

        fade_s = 0.01 * rate  # 10 ms raised-cosine fades: an abrupt start would overshoot

        def continuous(t: np.ndarray) -> np.ndarray:
            tones = np.sum(amps[:, None] * np.cos(2.0 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]), axis=0)
            edge = np.clip(np.minimum(t, n.size - 1 - t) / fade_s, 0.0, 1.0)
            return tones * (0.5 - 0.5 * np.cos(np.pi * edge))

        wave = continuous(n)
        # The analytic peak: a 1/8-sample grid, then 1/8192 sample around its 40 highest points.
        grid = np.arange(0.0, n.size - 1, 1.0 / 8.0)
        coarse = np.abs(continuous(grid))
        top = grid[np.argsort(coarse)[-40:]]
        fine = continuous((top[:, None] + np.linspace(-0.125, 0.125, 2049)[None, :]).ravel())
        wave = wave / np.max(np.abs(fine))
    else:  # pragma: no cover
        raise AssertionError(kind)
    return np.stack([wave, wave], axis=1)


@pytest.mark.parametrize(
    ("case", "kind"), [(20, "pulse"), (21, "nyquist_tone"), (22, "two_tones"), (23, "square")]
)
def test_cases_20_to_23_inter_sample_peaks_read_0_dbtp(case: int, kind: str) -> None:
    audio = _bandlimited_peak_signal(kind)
    reading = true_peak_dbtp(audio, 48000)
    assert -0.4 <= reading <= 0.2, (case, reading)
    if kind in ("pulse", "nyquist_tone"):
        # Real inter-sample peaks: the samples alone under-read by a clear margin.
        assert 20.0 * np.log10(np.max(np.abs(audio))) < reading - 0.3


# --- Tech 3342 cases 1-4: loudness range -------------------------------------------------------


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("levels", "expected_lu"),
    [
        ([-20.0, -30.0], 10.0),
        ([-20.0, -15.0], 5.0),
        ([-40.0, -20.0], 20.0),
        ([-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ],
    ids=["case1", "case2", "case3", "case4"],
)
def test_tech_3342_loudness_range(rate: int, levels: list[float], expected_lu: float) -> None:
    audio = tone(rate, [(20.0, level) for level in levels])
    assert within(measure(audio, rate).lra_lu, expected_lu, 1.0)
