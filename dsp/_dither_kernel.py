"""Compiled quantisers: TPDF dither straight to PCM integers, error feedback for shaped dither."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["shaped_quantise", "tpdf_quantise"]


@njit(cache=True, error_model="numpy")
def shaped_quantise(scaled: np.ndarray, dither: np.ndarray, feedback: np.ndarray, lowest: float, highest: float,
                    errors: np.ndarray) -> np.ndarray:
    """Round `scaled` (in LSBs) to integers with error feedback, per channel.

    v = x - sum_k feedback[k] * e[n-1-k]; q = round(v + dither); e = q - v. The total error then
    has the spectrum of the dither shaped by (1 - H(z)): pushed out of the ear's most sensitive
    band. The fed-back error is clamped so a clipped sample cannot make the loop run away.
    errors[c] holds channel c's last errors (newest first): carried from block to block.
    """
    frames, channels = scaled.shape
    order = feedback.shape[0]
    out = np.empty((frames, channels))
    for c in range(channels):
        history = errors[c]
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


@njit(cache=True, error_model="numpy")
def tpdf_quantise(
    audio: np.ndarray, full_scale: float, state: np.uint64, lowest: float, highest: float, shift: int, out: np.ndarray
) -> np.uint64:
    """Write `audio` (full scale 1.0) into the integer array `out` as PCM with TPDF dither.

    Each sample is scaled to LSBs (times `full_scale`), dithered, rounded down, clipped to
    [lowest, highest] and shifted left by `shift` bits (8 puts a 24-bit value in an int32's top
    bits). Writing the integers here spares two float copies of the whole programme. The dither
    is the sum of two uniform [0, 1) draws minus 1 (a triangle over +-1 LSB), both taken from one
    64-bit xorshift64* output (its high and low 32 bits): statistically ample for dither, and a
    few ns per sample where a generator call per draw was most of the cost. `state` is the
    generator's (never 0); the new state is returned, for the next block.
    """
    frames, channels = audio.shape
    state = np.uint64(state)
    multiplier = np.uint64(2685821657736338717)
    mask = np.uint64(0xFFFFFFFF)
    unit = 1.0 / 4294967296.0
    for n in range(frames):
        for c in range(channels):
            state ^= state >> np.uint64(12)
            state ^= state << np.uint64(25)
            state ^= state >> np.uint64(27)
            word = state * multiplier
            first = float(word >> np.uint64(32)) * unit
            second = float(word & mask) * unit
            value = np.floor(audio[n, c] * full_scale + first + second - 0.5)
            if value < lowest:
                value = lowest
            elif value > highest:
                value = highest
            out[n, c] = np.int64(value) << shift
    return state
