"""The digital finishing chain: rate conversion, loudness gain, true-peak limiting, dither."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from dsp._audio import check_rate
# After resample() has checked the input, every array here is made by this chain: the private
# variants skip re-checking it (each check reads the whole programme).
from dsp.dither import _to_pcm, check_word_length
from dsp.limiter import _limit, _limiter_peaks, check_ceiling
from dsp.loudness import _measure
from dsp.resample import resample
from dsp.truepeak import db_or_none

__all__ = ["FinishResult", "FinishSettings", "finish", "loudness_passes"]

# A loudness target is met when the result measures within this of it (the promise is +-0.2 LU).
_LUFS_TOLERANCE_LU = 0.1
_LUFS_MAX_PASSES = 8
_DIMINISHING = 0.25  # loudness gained per dB of added gain below which a target is out of reach
_MAX_STEP_DB = 24.0


@dataclass(frozen=True)
class FinishSettings:
    """How to finish a master: ceiling, optional loudness target, output rate and word length."""

    ceiling_dbtp: float = -1.0
    lufs_target: float | None = None
    rate_hz: int | None = None  # None keeps the input rate
    bits: int = 24
    dither: str = "tpdf"  # tpdf | shaped | none; ignored for 32-bit float
    limiter: bool = True

    def __post_init__(self) -> None:
        check_ceiling(self.ceiling_dbtp)
        if self.lufs_target is not None and not -60.0 <= self.lufs_target <= 0.0:
            # Above the -70 LUFS gate with room to spare, so the result always has a loudness.
            raise ValueError(f"lufs_target {self.lufs_target!r} is not allowed; -60.0 to 0.0 LUFS is")
        if self.rate_hz is not None:
            check_rate(self.rate_hz)
        check_word_length(self.bits, self.dither)


@dataclass(frozen=True)
class FinishResult:
    """What finishing produced and measured. `audio` is float at the output rate, before
    quantisation; `pcm` is what goes into the file (see dsp.dither.to_pcm)."""

    audio: np.ndarray
    pcm: np.ndarray
    rate_hz: int
    bits: int
    gain_db: float  # gain applied before the limiter (the loudness move), dB
    max_gain_reduction_db: float  # deepest limiter reduction, dB (>= 0)
    gain_reduction_db: np.ndarray  # (frames,) limiter reduction per frame, dB (>= 0)
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    lufs_unreachable_by_lu: float | None  # how far short of the target the ceiling left it


def _limited(
    audio: np.ndarray, rate: int, peaks: np.ndarray | None, gain_db: float, settings: FinishSettings
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """After gain and (if enabled) the limiter: audio, limiter reduction per frame (dB), true peak.

    `peaks` are the interval true peaks of `audio` before gain: a gain scales them exactly, so
    they are measured once however many gains are tried. None if not measured: for a single
    pass the limiter measures them itself, and can then update them in place.
    """
    scale = 10.0 ** (gain_db / 20.0)
    if not settings.limiter:
        peaks = _limiter_peaks(audio) if peaks is None else peaks
        top = float(np.max(peaks)) * scale if peaks.size else 0.0
        peak = db_or_none(top)
        return (audio * scale if gain_db != 0.0 else audio), np.zeros(audio.shape[0]), peak
    if gain_db != 0.0:
        audio = audio * scale
        peaks = None if peaks is None else peaks * scale
    result = _limit(audio, rate, settings.ceiling_dbtp, peaks)
    # The reduction is worked out in the gain curve's own array (this result's, used nowhere
    # else): a fresh frame-long array costs page faults. +0.0, never -0.0, where there is none.
    reduction_db = np.negative(result.gain_db, out=result.gain_db)
    np.maximum(0.0, reduction_db, out=reduction_db)
    return result.audio, reduction_db, result.true_peak_dbtp


def loudness_passes(start_lufs: float | None, settings: FinishSettings,
                    one_pass: Callable[[float], tuple[float | None, Any]]) -> tuple[float, float, float | None, Any]:
    """The gain that meets settings.lufs_target: secant steps on measured loudness against gain.

    `start_lufs` is the programme's loudness before any gain; one_pass(gain_db) limits the
    programme at that gain and returns (its integrated loudness, whatever the pass made). Returns
    (gain_db, loudness, unreachable_by_lu or None, the last pass's result). Whole-programme
    finishing and the streamed one (each pass a read of the file) share this rule."""
    if settings.lufs_target is None:
        raise ValueError("loudness_passes needs a lufs_target")
    if start_lufs is None:
        raise ValueError("the audio has no gated loudness (silent, or under 0.4 s), so a loudness target cannot be met")
    gain_db = settings.lufs_target - start_lufs
    unreachable: float | None = None
    previous: tuple[float, float] | None = None  # (gain_db, loudness) of the last pass
    for _ in range(_LUFS_MAX_PASSES):
        loudness, made = one_pass(gain_db)
        if loudness is None:  # only if a pass fell wholly under the -70 LUFS gate
            raise ValueError(f"at {gain_db:+.1f} dB of gain the audio falls under the -70 LUFS gate")
        miss = settings.lufs_target - loudness
        if abs(miss) <= _LUFS_TOLERANCE_LU:
            break
        slope = 1.0  # LU of loudness per dB of gain: 1 until the limiter bites
        if previous is not None and gain_db != previous[0]:
            slope = (loudness - previous[1]) / (gain_db - previous[0])
            if miss > 0.0 and slope < _DIMINISHING:
                # More gain would only crush the programme against the ceiling: stop, and
                # say so unless this pass is already within the promised 0.2 LU.
                if miss > 2.0 * _LUFS_TOLERANCE_LU:
                    unreachable = float(miss)
                break
        previous = (gain_db, loudness)
        gain_db += float(np.clip(miss / max(slope, _DIMINISHING), -_MAX_STEP_DB, _MAX_STEP_DB))
    else:
        if miss > 2.0 * _LUFS_TOLERANCE_LU:
            unreachable = float(miss)
    return gain_db, cast(float, loudness), unreachable, made  # every pass that ends the loop measured one


def finish(audio: np.ndarray, rate: int, settings: FinishSettings | None = None, seed: int | None = None) -> FinishResult:
    """Convert the rate, set the loudness, hold the ceiling, quantise: one master.

    The rate is converted first so that the limiter holds the ceiling at the delivered rate
    (conversion after limiting would bring back overs). With `lufs_target`, the gain before the
    limiter is iterated (secant steps on measured loudness against gain) until the result
    measures the target within 0.1 LU; if the limiter gives back less than a quarter of each
    added dB as loudness, the target is out of reach under the ceiling: the result is the
    loudest pass and `lufs_unreachable_by_lu` says how far short it is.
    """
    settings = settings or FinishSettings()
    rate = check_rate(rate)
    rate_out = int(settings.rate_hz or rate)
    converted = resample(audio, rate, rate_out)  # checks the audio (once: each check reads all of it)

    gain_db = 0.0
    unreachable: float | None = None
    if settings.lufs_target is None:
        finished, reduction_db, peak = _limited(converted, rate_out, None, 0.0, settings)
        loudness = _measure(finished, rate_out).integrated_lufs
    else:
        peaks = _limiter_peaks(converted)

        def one_pass(gain: float) -> tuple[float | None, tuple[np.ndarray, np.ndarray, float | None]]:
            limited = _limited(converted, rate_out, peaks, gain, settings)
            return _measure(limited[0], rate_out).integrated_lufs, limited

        gain_db, loudness, unreachable, (finished, reduction_db, peak) = loudness_passes(
            _measure(converted, rate_out).integrated_lufs, settings, one_pass)

    pcm = _to_pcm(finished, settings.bits, settings.dither, seed=seed)
    return FinishResult(
        audio=finished,
        pcm=pcm,
        rate_hz=rate_out,
        bits=settings.bits,
        gain_db=float(gain_db),
        max_gain_reduction_db=float(max(0.0, np.max(reduction_db))) if reduction_db.size else 0.0,
        gain_reduction_db=reduction_db,
        integrated_lufs=None if loudness is None else float(loudness),
        true_peak_dbtp=peak,
        lufs_unreachable_by_lu=unreachable,
    )
