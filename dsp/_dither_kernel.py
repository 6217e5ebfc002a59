"""Compiled error-feedback quantiser for noise-shaped dither."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["shaped_quantise"]


@njit(cache=True, error_model="numpy")
def shaped_quantise(scaled: np.ndarray, dither: np.ndarray, feedback: np.ndarray, lowest: float, highest: float) -> np.ndarray:
    """Round `scaled` (in LSBs) to integers with error feedback, per channel.

    v = x - sum_k feedback[k] * e[n-1-k]; q = round(v + dither); e = q - v. The total error then
    has the spectrum of the dither shaped by (1 - H(z)): pushed out of the ear's most sensitive
    band. The fed-back error is clamped so a clipped sample cannot make the loop run away.
    """
    frames, channels = scaled.shape
    order = feedback.shape[0]
    out = np.empty((frames, channels))
    for c in range(channels):
        history = np.zeros(order)
        for n in range(frames):
            shaped = 0.0
            for k in range(order):
                shaped += feedback[k] * history[k]
            wanted = scaled[n, c] - shaped
            value = np.floor(wanted + dither[n, c] + 0.5)
            if value < lowest:
                value = lowest
            elif value > highest:
                value = highest
            error = value - wanted
            if error > 4.0:
                error = 4.0
            elif error < -4.0:
                error = -4.0
            for k in range(order - 1, 0, -1):
                history[k] = history[k - 1]
            history[0] = error
            out[n, c] = value
    return out
