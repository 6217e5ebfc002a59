"""Compiled K-weighting: two biquads per channel, squared, channel-weighted and summed, block by block."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cumulative_weighted_power", "loudness_block"]

_BLOCK = 4096  # frames per block: the block's power stays in cache


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _k_weight(x: float, k: tuple, s1a: float, s2a: float, s1b: float, s2b: float) -> tuple:
    """One sample through the K-weighting (shelf, then high-pass) in transposed direct form II, the
    numerically quiet form for the 38 Hz pole: (output, the four new filter memories).

    k = (b0 b1 b2 a1 a2 of the shelf, then of the high-pass). Each memory update adds the term
    that waits for the output last, so the rest is ready before the output is."""
    y = k[0] * x + s1a
    s1a = (k[1] * x + s2a) - k[3] * y
    s2a = k[2] * x - k[4] * y
    v = k[5] * y + s1b
    s1b = (k[6] * y + s2b) - k[8] * v
    s2b = k[7] * y - k[9] * v
    return v, s1a, s2a, s1b, s2b


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _add_pair(
    audio: np.ndarray, start: int, count: int, first: int, second: int, w0: float, w1: float,
    sos: np.ndarray, state: np.ndarray, power: np.ndarray,
) -> None:
    """power[i] += w0 * k(audio[start + i, first])^2 + w1 * k(audio[start + i, second])^2.

    k() is the K-weighting; state[c] holds channel c's four filter memories between blocks.
    Two channels per pass because each biquad is a chain of dependent multiply-adds: a second,
    independent chain in the same loop runs in the time the first spends waiting. With no second
    channel (second = first, w1 = 0) the extra work is thrown away.
    """
    k = (sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5], sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5])
    s1a0, s2a0, s1b0, s2b0 = state[first, 0], state[first, 1], state[first, 2], state[first, 3]
    s1a1, s2a1, s1b1, s2b1 = state[second, 0], state[second, 1], state[second, 2], state[second, 3]
    for i in range(count):
        v0, s1a0, s2a0, s1b0, s2b0 = _k_weight(float(audio[start + i, first]), k, s1a0, s2a0, s1b0, s2b0)
        v1, s1a1, s2a1, s1b1, s2b1 = _k_weight(float(audio[start + i, second]), k, s1a1, s2a1, s1b1, s2b1)
        power[i] += w0 * v0 * v0 + w1 * v1 * v1
    state[first, 0], state[first, 1], state[first, 2], state[first, 3] = s1a0, s2a0, s1b0, s2b0
    if second != first:
        state[second, 0], state[second, 1], state[second, 2], state[second, 3] = s1a1, s2a1, s1b1, s2b1


@njit(cache=True, error_model="numpy")
def _block_power(audio: np.ndarray, start: int, count: int, sos: np.ndarray, weights: np.ndarray,
                 state: np.ndarray, power: np.ndarray) -> None:
    """power[i] = sum over channels of weight * (K-weighted audio[start + i])^2, for i < count."""
    for i in range(count):
        power[i] = 0.0
    active = [c for c in range(audio.shape[1]) if weights[c] != 0.0]  # an LFE (weight 0) costs nothing
    for index in range(0, len(active), 2):
        first = active[index]
        if index + 1 < len(active):
            second = active[index + 1]
            _add_pair(audio, start, count, first, second, weights[first], weights[second], sos, state, power)
        else:
            _add_pair(audio, start, count, first, first, weights[first], 0.0, sos, state, power)


@njit(cache=True, error_model="numpy")
def cumulative_weighted_power(audio: np.ndarray, sos: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Running sum over frames of the channel-weighted K-weighted power, with a leading 0.

    out[n] = sum over frames < n and channels c of weights[c] * (K-weighted sample)^2; shape
    (frames + 1,), so any window's power is a difference of two entries. `sos` is (2, 6) second
    order sections (b0 b1 b2 a0 a1 a2, a0 = 1). Arithmetic is float64 whatever the input's float type.
    """
    frames, channels = audio.shape
    out = np.empty(frames + 1)
    out[0] = 0.0
    state = np.zeros((channels, 4))
    power = np.empty(_BLOCK)
    total = 0.0
    for start in range(0, frames, _BLOCK):
        count = min(_BLOCK, frames - start)
        _block_power(audio, start, count, sos, weights, state, power)
        for i in range(count):
            total += power[i]
            out[start + i + 1] = total
    return out


# Slots of a loudness stream's carried state (LoudnessState.counters): ring slot of the newest
# running sum, of the sum `momentary` and `short` frames back, frames to the next grid point.
_AT, _BACK_M, _BACK_S, _TO_GRID = 0, 1, 2, 3
# Slots of LoudnessState.sums: the running power sum, the best momentary and short-term sums.
_TOTAL, _BEST_M, _BEST_S = 0, 1, 2


@njit(cache=True, error_model="numpy")
def loudness_block(
    audio: np.ndarray, sos: np.ndarray, weights: np.ndarray, hop: int, momentary: int, short: int,
    frames_before: int, filters: np.ndarray, ring: np.ndarray, counters: np.ndarray, sums: np.ndarray,
    grid_out: np.ndarray,
) -> int:
    """Carry a loudness meter over one more block of audio; the number of grid points written.

    The meter's state lives in the arrays passed in (filters (channels, 4), ring, counters, sums),
    so a programme fed in blocks of any size gives, bit for bit, what one call over all of it gives:
    the arithmetic is the same sample by sample, in the same order. `frames_before` is how many
    frames earlier blocks held. grid_out receives the running sum at each multiple of `hop` passed
    in this block (at least len(audio) // hop + 1 slots). Sums are -1.0 while the programme is
    shorter than the window. A ring of the last `short` running sums (about 1 MB at 48 kHz: it
    stays in cache) stands in for the whole running sum.
    """
    frames = audio.shape[0]
    ring_size = ring.shape[0]
    at, back_m, back_s, to_grid = counters[_AT], counters[_BACK_M], counters[_BACK_S], counters[_TO_GRID]
    total, best_m, best_s = sums[_TOTAL], sums[_BEST_M], sums[_BEST_S]
    power = np.empty(_BLOCK)
    written = 0
    for start in range(0, frames, _BLOCK):
        count = min(_BLOCK, frames - start)
        _block_power(audio, start, count, sos, weights, filters, power)
        for i in range(count):
            total += power[i]
            n = frames_before + start + i + 1  # the running sum now covers frames < n
            at = at + 1 if at + 1 < ring_size else 0
            back_m = back_m + 1 if back_m + 1 < ring_size else 0
            back_s = back_s + 1 if back_s + 1 < ring_size else 0
            ring[at] = total
            if n >= momentary:
                best_m = max(best_m, total - ring[back_m])
            if n >= short:
                best_s = max(best_s, total - ring[back_s])
            to_grid -= 1  # a counter: a division per frame costs more than the filters
            if to_grid == 0:
                grid_out[written] = total
                written += 1
                to_grid = hop
    counters[_AT], counters[_BACK_M], counters[_BACK_S], counters[_TO_GRID] = at, back_m, back_s, to_grid
    sums[_TOTAL], sums[_BEST_M], sums[_BEST_S] = total, best_m, best_s
    return written
