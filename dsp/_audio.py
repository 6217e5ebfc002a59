"""Argument checks shared by the metering and finishing functions: shape, finiteness, rate."""

from __future__ import annotations

import numpy as np

__all__ = ["as_frames", "check_rate", "measurable_frames"]

# Rates the meters and the limiter are specified and tested at (BS.1770 asks for 44.1-192 kHz);
# 8 kHz-384 kHz are accepted because nothing in the maths breaks there.
MIN_RATE_HZ = 8000
MAX_RATE_HZ = 384000


def check_rate(rate: float) -> int:
    """The rate as an int, or ValueError naming the value and the range allowed."""
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer, float)) or rate != int(rate):
        raise ValueError(f"sample rate {rate!r} is not allowed; a whole number of Hz is")
    rate = int(rate)
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise ValueError(f"sample rate {rate} Hz is not allowed; {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz is")
    return rate


def as_frames(audio: np.ndarray, rate: float | None = None) -> np.ndarray:
    """A (frames, channels) float view of `audio`; a 1-D array is one channel.

    Raises ValueError for more than two dimensions, no channels, or NaN/infinite samples, since a
    single NaN would silently poison every reading.
    """
    if rate is not None:
        check_rate(rate)
    array = np.asarray(audio)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"audio must be shaped (frames, channels); got shape {array.shape}")
    if array.shape[1] == 0:
        raise ValueError("audio has no channels")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"audio must be float (full scale = 1.0); got {array.dtype}")
    # One pairwise sum instead of a boolean array: NaN and infinity propagate through it.
    if array.size and not np.isfinite(np.sum(array)):
        raise ValueError("audio contains NaN or infinite samples")
    return array


def measurable_frames(audio: np.ndarray, rate: float | None = None) -> np.ndarray:
    """as_frames (shape, float, finite, rate) plus what a measurement needs: at least one frame, float64."""
    x = as_frames(audio, rate)
    if x.shape[0] == 0:
        raise ValueError(f"audio must be shaped (frames, channels) with frames > 0, got {x.shape}")
    return x.astype(np.float64, copy=False)
