"""Compiled K-weighting: two biquads per channel, squared and channel-weighted in one pass."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["max_window_sum", "weighted_power"]


@njit(cache=True, error_model="numpy")
def weighted_power(audio: np.ndarray, sos: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per frame, sum over channels of weight * (K-weighted sample)^2; shape (frames,).

    `sos` is (2, 6) second-order sections (b0 b1 b2 a0 a1 a2, a0 = 1), run in transposed
    direct form II, the numerically quiet form for low-frequency poles (the 38 Hz high-pass).
    """
    frames, channels = audio.shape
    out = np.zeros(frames)
    for c in range(channels):
        weight = weights[c]
        if weight == 0.0:
            continue
        s1a = 0.0
        s2a = 0.0
        s1b = 0.0
        s2b = 0.0
        b0a, b1a, b2a, a1a, a2a = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
        b0b, b1b, b2b, a1b, a2b = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
        for n in range(frames):
            x = audio[n, c]
            y = b0a * x + s1a
            s1a = b1a * x - a1a * y + s2a
            s2a = b2a * x - a2a * y
            v = b0b * y + s1b
            s1b = b1b * y - a1b * v + s2b
            s2b = b2b * y - a2b * v
            out[n] += weight * v * v
    return out


@njit(cache=True, error_model="numpy")
def max_window_sum(cumulative: np.ndarray, window: int) -> float:
    """Largest cumulative[i + window] - cumulative[i]: the loudest window at any sample position."""
    best = 0.0
    for i in range(cumulative.shape[0] - window):
        value = cumulative[i + window] - cumulative[i]
        if value > best:
            best = value
    return best
