"""Compiled gain computer of the limiter: look-ahead minimum, adaptive release, smoothed attack."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["gain_curve"]


@njit(cache=True, error_model="numpy")
def _forward_minimum(required: np.ndarray, window: int) -> np.ndarray:
    """out[n] = min(required[n : n + window]) (monotonic queue, O(n))."""
    n = required.shape[0]
    out = np.empty(n)
    queue = np.empty(n + window, dtype=np.int64)
    head = 0
    tail = 0
    # Walk backwards: the queue holds indices of candidates in [n, n + window).
    for i in range(n - 1, -1, -1):
        value = required[i]
        while tail > head and required[queue[tail - 1]] >= value:
            tail -= 1
        queue[tail] = i
        tail += 1
        while queue[head] >= i + window:
            head += 1
        out[i] = required[queue[head]]
    return out


@njit(cache=True, error_model="numpy")
def _release(target: np.ndarray, fast: float, slow: float, sustain: float) -> np.ndarray:
    """Follow `target` down at once and back up with a programme-dependent release.

    `fast`/`slow` are one-pole coefficients for transient and sustained gain reduction, `sustain`
    the coefficient of the running average of gain reduction. A short spike leaves the average
    low, so the gain recovers fast (transients do not dent what follows); reduction held for a
    while pulls the average up to the reduction itself, so the release slows and sustained
    material does not pump.
    """
    n = target.shape[0]
    out = np.empty(n)
    gain = 1.0
    average = 0.0
    for i in range(n):
        wanted = target[i]
        if wanted <= gain:
            gain = wanted
        else:
            reduction = 1.0 - gain
            ratio = average / reduction if reduction > 1e-12 else 1.0
            if ratio > 1.0:
                ratio = 1.0
            coefficient = fast + (slow - fast) * ratio
            gain = wanted - (wanted - gain) * coefficient
            if wanted - gain < 1e-15:
                gain = wanted
        average = sustain * average + (1.0 - sustain) * (1.0 - gain)
        out[i] = gain
    return out


@njit(cache=True, error_model="numpy")
def _moving_average(values: np.ndarray, length: int) -> np.ndarray:
    """out[n] = mean(values[n - length + 1 : n + 1]), values before 0 taken equal to values[0].

    Exactly 1.0 wherever the whole window is 1.0, so untouched stretches stay bit-exact.
    """
    n = values.shape[0]
    out = np.empty(n)
    if n == 0:
        return out
    # Running sum of (1 - value) over the window, and how many values in it are below 1; the
    # window starts full of values[0] so a peak on the first sample is still met.
    before = 1.0 - values[0]
    reduction = length * before
    touched = length if before != 0.0 else 0
    for i in range(n):
        entering = 1.0 - values[i]
        reduction += entering
        if entering != 0.0:
            touched += 1
        leaving = 1.0 - values[i - length] if i >= length else before
        reduction -= leaving
        if leaving != 0.0:
            touched -= 1
        if touched == 0:
            reduction = 0.0  # drop the rounding residue of the running sum
            out[i] = 1.0
        else:
            out[i] = 1.0 - reduction / length
    return out


def gain_curve(
    required: np.ndarray,
    lookahead_samples: int,
    attack_samples: int,
    fast_coefficient: float,
    slow_coefficient: float,
    sustain_coefficient: float,
) -> np.ndarray:
    """Smooth gain (linear, <= 1) that is at or below `required` at every sample.

    The forward minimum over the look-ahead window is released adaptively, then smoothed by two
    moving averages whose combined span fits inside the window, so at each sample every value
    being averaged already includes that sample's requirement: the ramp down finishes exactly
    when the peak arrives, and the audio itself is never delayed.
    """
    window = max(1, int(lookahead_samples))
    attack = max(2, min(int(attack_samples), window))
    first = (attack + 1) // 2
    second = attack - first + 1  # first + second - 1 == attack <= window
    held = _forward_minimum(np.ascontiguousarray(required, dtype=np.float64), window)
    released = _release(held, fast_coefficient, slow_coefficient, sustain_coefficient)
    return _moving_average(_moving_average(released, first), second)
