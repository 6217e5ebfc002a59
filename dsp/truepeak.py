"""Sample peak and true peak (ITU-R BS.1770-5 Annex 2, with a finer detector than the minimum)."""

from __future__ import annotations

import numpy as np

from dsp._audio import as_frames
from dsp._truepeak_kernel import STAGE1_TAPS, STAGE2_TAPS, interval_peaks_2d, max_interval_peak_2d

__all__ = ["db_or_none", "interval_peaks", "peak_readings", "sample_peak_dbfs", "true_peak_dbtp", "to_db"]


def to_db(linear: float) -> float:
    """20 log10 of a linear amplitude; -inf for zero."""
    return float(20.0 * np.log10(linear)) if linear > 0.0 else float("-inf")


def db_or_none(linear: float) -> float | None:
    """20 log10 of a linear amplitude; None for zero (a reading that is undefined, e.g. silence)."""
    return to_db(linear) if linear > 0.0 else None


def sample_peak_dbfs(audio: np.ndarray) -> float:
    """Largest |sample| over all channels in dBFS (-inf for silence or no samples)."""
    return _sample_peak_dbfs(as_frames(audio))


def _sample_peak_dbfs(frames: np.ndarray) -> float:
    if frames.size == 0:
        return float("-inf")
    return to_db(max(float(np.max(frames)), -float(np.min(frames))))  # no |x| temporary


def interval_peaks(audio: np.ndarray, rate: int) -> np.ndarray:
    """Per sample n, the true peak (linear) reached in [n, n+1) by any channel; shape (frames,).

    4x oversampling through two half-band stages, plus a parabolic estimate of the peak between
    the 4x points around every 4x local maximum.
    Under-read for a tone up to 0.45 fs stays within 0.05 dB (tests sweep frequency and phase).
    """
    frames = as_frames(audio, rate=rate)
    return interval_peaks_2d(frames, STAGE1_TAPS, STAGE2_TAPS)


def true_peak_dbtp(audio: np.ndarray, rate: int) -> float:
    """Maximum true peak over all channels in dBTP (-inf for silence or no samples)."""
    return _true_peak_dbtp(as_frames(audio, rate=rate))


def _true_peak_dbtp(frames: np.ndarray) -> float:
    if frames.size == 0:
        return float("-inf")
    return to_db(max_interval_peak_2d(frames, STAGE1_TAPS, STAGE2_TAPS))


def peak_readings(audio: np.ndarray, rate: int) -> tuple[float, float]:
    """(true peak in dBTP, sample peak in dBFS), the input checked once; -inf for silence."""
    frames = as_frames(audio, rate=rate)
    return _true_peak_dbtp(frames), _sample_peak_dbfs(frames)
