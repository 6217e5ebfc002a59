"""A look-ahead, stereo-linked true-peak brickwall limiter that verifies its own output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsp._audio import as_frames
from dsp._limiter_kernel import (
    add_nyquist_envelope,
    apply_gain,
    bound_output_peaks,
    gain_curve,
    push_down,
    required_gain,
    split_maximum,
    stretches,
)
from dsp._truepeak_kernel import MAX_LIFT, STAGE1_TAPS, STAGE2_TAPS, interval_peaks_2d
from dsp.truepeak import db_or_none

__all__ = ["LimiterResult", "check_ceiling", "limit", "limiter_peaks"]

# Aim a hair under the ceiling: the detector reads tones within +0.03/-0.01 dB, and dense programme
# within about 0.08 dB of an ideal (FFT) reconstruction; a 0.05 dB aim keeps the output within 0.1 dB
# of the ceiling by such a reference at an inaudible cost.
_AIM_DB = 0.05
_MAX_PASSES = 12
# The near-Nyquist margin (see limiter_peaks). (-1)^n x moves Nyquist to 0 Hz; two moving averages
# of 89 samples (a triangle, response sinc^2, first null 0.0112 fs from Nyquist) pass a tone d fs
# under Nyquist at least as strongly as the detector misses its peak between samples: swept over
# d and phase, the detector reads 91 % low at d = 0.0005, 25 % at 0.005, 1.5 % at 0.01, 1 % from
# there to 0.015 and 0.5 % at 0.02; the triangle passes 99.9 %, 53 %, 1.4 % at the first three. The
# detector's last 1 % between 0.0104 and 0.02 falls in the triangle's null, so a shelf, 1.8 % of
# the band through two 41-sample averages (null 0.024 fs), covers it. Swept over d and phase the
# limiter then reads a steady tone at least 0.9955 of its ideal peak (as the single 49-sample
# triangle did), while a tone at 23.5 kHz at 48 kHz (d = 0.0104) reads 1.015 of it, where the
# 49-sample triangle, flat out to 0.02 fs, read 1.38: a master with such a tone in it landed up to
# 1.1 dB under the ceiling (tests/dsp/test_limiter_programmes.py: now within 0.15 dB).
_NYQUIST_AVERAGE = 89
_NYQUIST_SHELF_AVERAGE = 41
_NYQUIST_SHELF_WEIGHT = 0.018
# The averages give the in-phase part of that band; between samples an ideal reconstruction shows
# its quadrature part, which peaks where the in-phase part crosses zero. A tone d fs under Nyquist
# trades one for the other over a quarter of its beat, 1/(4 d) samples, so the margin holds the
# largest in-phase magnitude for 100 samples either side: the whole envelope for d >= 0.0025 fs
# (110 Hz under Nyquist at 44.1 kHz, 240 Hz at 96 kHz). Without this hold song 3 in C at 96 kHz
# came out 0.12 dB over by a 16x reference (tests/dsp/test_limiter_programmes.py).
_NYQUIST_HOLD = 100
# How far a changed sample moves the limiter's reading: the detector's stage-1 filter spans 76
# samples either side, the near-Nyquist margin 88 (its longer averages) + _NYQUIST_HOLD. Re-measured stretches keep
# this much beyond a change, and are computed with as much again of context so their edges read true.
_REACH_SAMPLES = 80 + 2 * (_NYQUIST_AVERAGE // 2) + _NYQUIST_HOLD
# Where the gain moved, the output's reading is first bounded from the input's: with G and g the
# largest and smallest gain and X the largest |sample| within _REACH_SAMPLES of frame n,
#   reading(source * gain)[n] <= _CREST_BOUND * G * peaks[n] + _SPREAD_BOUND * (G - g) * X.
# The detector: a 4x point of (gain * source) is gain[n] times the input's plus a sum of taps times
# (gain[k] - gain[n]) * source[k], at most (G - g) * X * the taps' absolute sum (3.58 for the half
# point, the largest of the four 4x phases); the reading is at most 1 + MAX_LIFT times its interval's
# largest 4x point, and the input's 4x points are at most its reading. The near-Nyquist margin:
# its averages' weights sum to 1 (the shelf's to _NYQUIST_SHELF_WEIGHT), so the same split costs
# G * the input's margin plus 2 (1 + shelf weight) (G - g) X (the gain compared across the averages
# and the hold). 0.1 % more covers float32 rounding.
# tests/dsp/test_limiter.py checks the bound against measured readings under steep gain ramps.
_DETECTOR_TAP_SUM = 2.0 * float(np.sum(np.abs(STAGE1_TAPS.astype(np.float64))))
_CREST_BOUND = (1.0 + MAX_LIFT) * 1.001
_SPREAD_BOUND = _CREST_BOUND * _DETECTOR_TAP_SUM + 2.0 * (1.0 + _NYQUIST_SHELF_WEIGHT)
_BOUND_BLOCK = 64  # frames per block of the bound's windows (wider windows, one cheap pass)


@dataclass(frozen=True)
class LimiterResult:
    """The limited audio (same shape, same timing), its gain per frame, the deepest reduction."""

    audio: np.ndarray
    gain_db: np.ndarray  # (frames,), <= 0
    max_gain_reduction_db: float  # >= 0
    true_peak_dbtp: float | None = None  # of the output, by the limiter's (conservative) detector


def limiter_peaks(audio: np.ndarray, rate: int) -> np.ndarray:
    """What the limiter holds under its ceiling, per frame (linear, max over channels).

    The true-peak detector's interval peaks plus a margin for the band just under Nyquist,
    where the detector's half-band filter rolls off (to 0.5 at Nyquist, as any finite
    interpolator must) while an ideal reconstruction counts that band in full. The margin is
    the band's in-phase magnitude, weighted at least as much as the detector misses it (see
    _NYQUIST_AVERAGE) and held over the time its quadrature part needs to show (_NYQUIST_HOLD).
    Music carries little there, so this costs it next to nothing.
    """
    return _limiter_peaks(as_frames(audio, rate=rate))


def _limiter_peaks(frames: np.ndarray) -> np.ndarray:
    """limiter_peaks of (frames, channels) float audio already checked."""
    peaks = interval_peaks_2d(frames, STAGE1_TAPS, STAGE2_TAPS)  # a fresh float64 array: ours to add to
    source = np.asarray(frames, dtype=np.float64)
    add_nyquist_envelope(source, _NYQUIST_AVERAGE, _NYQUIST_HOLD, peaks)
    add_nyquist_envelope(source, _NYQUIST_SHELF_AVERAGE, _NYQUIST_HOLD, peaks, _NYQUIST_SHELF_WEIGHT)
    return peaks


def _coefficient(time_ms: float, rate: int) -> float:
    return float(np.exp(-1000.0 / (time_ms * rate)))


def check_ceiling(ceiling_dbtp: float) -> None:
    """ValueError unless the ceiling is one a limiter can hold: -60 to 0 dBTP."""
    if not -60.0 <= ceiling_dbtp <= 0.0:
        raise ValueError(f"ceiling_dbtp {ceiling_dbtp!r} is not allowed; -60.0 to 0.0 dBTP is")


@dataclass(frozen=True)
class _Times:
    """The limiter's times, checked: look-ahead, attack, release after a transient and after held reduction."""

    lookahead_ms: float = 5.0
    attack_ms: float = 5.0
    release_ms: float = 60.0
    sustained_release_ms: float = 480.0


def _checked_times(lookahead_ms: float, attack_ms: float, release_ms: float, sustained_release_ms: float | None) -> _Times:
    """The times as _Times (sustained release 8x the release unless given), or ValueError naming the one not allowed."""
    if not 0.1 <= lookahead_ms <= 50.0:
        raise ValueError(f"lookahead_ms {lookahead_ms!r} is not allowed; 0.1 to 50 ms is")
    if not 0.1 <= attack_ms <= lookahead_ms:
        raise ValueError(f"attack_ms {attack_ms!r} is not allowed; 0.1 ms up to the look-ahead is")
    if not 1.0 <= release_ms <= 5000.0:
        raise ValueError(f"release_ms {release_ms!r} is not allowed; 1 to 5000 ms is")
    slow_ms = 8.0 * release_ms if sustained_release_ms is None else float(sustained_release_ms)
    if not release_ms <= slow_ms <= 20000.0:
        raise ValueError(f"sustained_release_ms {slow_ms!r} is not allowed; release_ms to 20000 ms is")
    return _Times(lookahead_ms, attack_ms, release_ms, slow_ms)


def _remeasure(audio: np.ndarray, peaks: np.ndarray, changed: np.ndarray, estimated: np.ndarray) -> None:
    """Update `peaks` in place wherever a change in `audio` can have moved the reading; what is
    measured there is no longer an estimate."""
    frames = audio.shape[0]
    # Changed samples closer than the context they need are re-measured as one stretch.
    starts, stops = stretches(changed, 4 * _REACH_SAMPLES)
    for start, stop in zip(starts, stops):
        keep_lo = max(0, start - _REACH_SAMPLES)
        keep_hi = min(frames, stop + _REACH_SAMPLES)
        lo = max(0, keep_lo - _REACH_SAMPLES)
        hi = min(frames, keep_hi + _REACH_SAMPLES)
        fresh = _limiter_peaks(audio[lo:hi])
        peaks[keep_lo:keep_hi] = fresh[keep_lo - lo : keep_hi - lo]
        estimated[keep_lo:keep_hi] = False


def _measured_top(audio: np.ndarray, peaks: np.ndarray, estimated: np.ndarray) -> float:
    """The largest reading of the output, every candidate measured: estimates (bounds) that reach
    the largest measured reading are measured too, so the true peak reported is a reading."""
    while True:
        top, bound = split_maximum(peaks, estimated)
        if bound < top:  # also when nothing is estimated (bound -1.0)
            return top
        _remeasure(audio, peaks, estimated & (peaks >= top), estimated)


def limit(
    audio: np.ndarray,
    rate: int,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 5.0,
    attack_ms: float = 5.0,
    release_ms: float = 60.0,
    sustained_release_ms: float | None = None,
    peaks: np.ndarray | None = None,
) -> LimiterResult:
    """Hold the true peak of `audio` at or under `ceiling_dbtp`, all channels linked.

    The gain reaches what a peak needs exactly when the peak arrives (look-ahead over the
    future, not a delay: output and input line up and have the same length). Release is
    programme dependent: `release_ms` after a short transient, up to `sustained_release_ms`
    (default 8x release) when reduction has been held. The output is then measured with the
    true-peak detector and any interval still over is pushed down and the gain recomputed, until
    nothing is over. Audio whose true peak is already under the ceiling is returned unchanged.
    `peaks`, if given, is `limiter_peaks(audio, rate)` already measured (a caller trying several
    gains scales one measurement instead of repeating it).
    """
    frames = as_frames(audio, rate=rate)
    check_ceiling(ceiling_dbtp)
    times = _checked_times(lookahead_ms, attack_ms, release_ms, sustained_release_ms)
    return _limit(frames, rate, ceiling_dbtp, peaks, times)


def _limit(
    frames: np.ndarray, rate: int, ceiling_dbtp: float, peaks: np.ndarray | None = None, times: _Times = _Times()
) -> LimiterResult:
    """limit() of (frames, channels) float audio already checked (each check reads all of it)."""
    rate = int(rate)
    check_ceiling(ceiling_dbtp)
    source = np.asarray(frames, dtype=np.float64)  # read only: the caller's array is never touched
    length = source.shape[0]
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    measured_here = peaks is None
    if peaks is None:
        peaks = _limiter_peaks(source)
    elif peaks.shape != (length,):
        raise ValueError(f"peaks must be shaped ({length},) like the audio's frames; got {peaks.shape}")
    if length == 0 or float(np.max(peaks)) <= ceiling:
        top = float(np.max(peaks)) if length else 0.0
        return LimiterResult(source.copy(), np.zeros(length), 0.0, db_or_none(top))

    aim = ceiling * 10.0 ** (-_AIM_DB / 20.0)
    required = required_gain(np.ascontiguousarray(peaks, dtype=np.float64), aim)
    lookahead = max(1, int(round(times.lookahead_ms * rate / 1000.0)))
    attack = max(2, int(round(times.attack_ms * rate / 1000.0)))
    fast = _coefficient(times.release_ms, rate)
    slow = _coefficient(times.sustained_release_ms, rate)
    charge = _coefficient(5.0 * times.release_ms, rate)  # how long reduction must hold to count as sustained

    gain = gain_curve(required, lookahead, attack, fast, slow, charge)
    output = apply_gain(source, gain)
    # Where the gain stayed exactly 1 the output is the input, whose peaks are known. Where it
    # moved, the output's reading is bounded from the input's (see _CREST_BOUND), and measured only
    # where that bound reaches the aim: a bound under it can never ask for more reduction, so the
    # gain comes out exactly as if everything had been measured (a tenth of the work on a loud
    # master, where the gain moves almost everywhere and the bound reaches the aim at its peaks).
    # Peaks measured here are ours to update (a copy of 100 MB costs about 0.1 s of page faults).
    out_peaks = peaks if measured_here else np.array(peaks, dtype=np.float64)
    estimated = np.zeros(length, dtype=np.bool_)
    bound_output_peaks(source, gain, _REACH_SAMPLES, _BOUND_BLOCK, _CREST_BOUND, _SPREAD_BOUND, out_peaks, estimated)
    _remeasure(output, out_peaks, estimated & (out_peaks > aim), estimated)
    for _ in range(_MAX_PASSES):
        # Push each interval still over down by what it misses, plus the aim.
        if not push_down(required, out_peaks, ceiling, aim):
            break
        new_gain = gain_curve(required, lookahead, attack, fast, slow, charge)
        changed = new_gain != gain
        gain = new_gain
        np.multiply(source, gain[:, None], out=output, where=changed[:, None])
        _remeasure(output, out_peaks, changed, estimated)
    else:  # pragma: no cover - never seen; refuse to hand back output over the ceiling
        raise RuntimeError("limiter did not converge under its ceiling")

    # The gain's own array becomes the curve in dB (a fresh frame-long array costs page faults).
    gain_db = np.log10(gain, out=gain)  # exactly 0.0 where the gain is 1; gain is never 0
    gain_db *= 20.0
    top = _measured_top(output, out_peaks, estimated)
    return LimiterResult(output, gain_db, float(max(0.0, -np.min(gain_db))), db_or_none(top))
