"""Compiled gain computer of the limiter: look-ahead minimum, adaptive release, smoothed attack."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["gain_curve", "nyquist_envelope", "required_gain", "stretches"]


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
def _release(target: np.ndarray, fast: float, slow: float, charge: float) -> np.ndarray:
    """Follow `target` (linear gain) down at once and back up with a programme-dependent release.

    Two reduction envelopes: a fast one that follows every peak and releases with `fast`, and a
    slow one that only charges (coefficient `charge`) while reduction is held and releases with
    `slow`. The gain follows the deeper of the two. A transient barely charges the slow envelope,
    so the gain recovers at the fast rate and the next beat is not dented; reduction held for a
    while charges it, so afterwards the gain comes back slowly and sustained material does not pump.
    """
    n = target.shape[0]
    out = np.empty(n)
    quick = 0.0  # reductions (1 - gain), >= 0
    held = 0.0
    for i in range(n):
        wanted = 1.0 - target[i]
        if wanted >= quick:
            quick = wanted
        else:
            quick = wanted + (quick - wanted) * fast
        if quick > held:
            held = quick + (held - quick) * charge
        else:
            held = quick + (held - quick) * slow
        reduction = quick if quick > held else held
        out[i] = 1.0 - reduction if reduction > 1e-15 else 1.0
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
    charge_coefficient: float,
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
    released = _release(held, fast_coefficient, slow_coefficient, charge_coefficient)
    return _moving_average(_moving_average(released, first), second)


_ENVELOPE_BLOCK = 4096  # frames per block of nyquist_envelope


@njit(cache=True, error_model="numpy")
def nyquist_envelope(audio: np.ndarray, length: int, hold: int) -> np.ndarray:
    """Envelope of the band just under Nyquist, largest over channels, linear, shape (frames,).

    (-1)^n x moves Nyquist to 0 Hz; two centred moving averages of `length` (odd) samples then
    keep about the top 1/length of the band (triangular low-pass, sidelobes under -26 dB), whose
    magnitude is the band's in-phase envelope. Each value is then the largest within `hold`
    samples either side, which also covers the band's quadrature part (what an ideal
    reconstruction shows between samples). That band is where a finite interpolator falls short
    of an ideal reconstruction, so the limiter adds this to its detector's reading.
    """
    n, channels = audio.shape
    out = np.zeros(n)
    half = length // 2
    scale = 1.0 / (length * length)
    hold = max(0, hold)
    # Block by block, so the work arrays stay in cache and the only frame-long array is `out`
    # (on these machines a fresh 100 MB array costs 0.1 s in page faults alone). Each average is
    # a difference of a running sum started afresh in the block: no rounding builds up.
    span = _ENVELOPE_BLOCK + 4 * half
    ones = np.zeros(span + 1)  # ones[k]: sum of the first k shifted samples of the block
    twice = np.zeros(span - 2 * half + 1)  # twice[m]: sum of the first m first averages
    envelope = np.zeros(_ENVELOPE_BLOCK)  # this block's in-phase envelope, max over channels
    # Centred maximum over 2 * hold + 1 values: a monotonic queue of (frame, value) in rings.
    size = 1
    while size < 2 * hold + 2:
        size *= 2
    mask = size - 1
    queue_at = np.zeros(size, dtype=np.int64)
    queue_value = np.zeros(size)
    head = 0
    tail = 0
    for i0 in range(0, n, _ENVELOPE_BLOCK):
        count = min(_ENVELOPE_BLOCK, n - i0)
        for k in range(count):
            envelope[k] = 0.0
        base = i0 - 2 * half  # frame of the block's first sample into the sums
        lo = max(0, -base)
        hi = min(count + 4 * half, n - base)
        span_count = count + 4 * half
        for c in range(channels):
            # One pass: sample k enters the first running sum, the first average centred on
            # k - half enters the second, and the doubly averaged value centred on k - 2 half
            # (frame i0 + k - 4 half) is done. The arrays are the running sums, one behind.
            total = 0.0
            twice_total = 0.0
            for k in range(span_count):
                frame = base + k
                sample = audio[frame, c] * (1.0 - 2.0 * (frame & 1)) if lo <= k < hi else 0.0
                total += sample
                ones[k + 1] = total
                if k + 1 >= length:
                    twice_total += ones[k + 1] - ones[k + 1 - length]
                    m = k + 1 - length  # index of that first average
                    twice[m + 1] = twice_total
                    if m + 1 >= length:
                        value = abs(twice[m + 1] - twice[m + 1 - length]) * scale
                        slot = m + 1 - length
                        envelope[slot] = max(envelope[slot], value)
        # Frame j = i0 + k enters the queue; out[j - hold] is then complete.
        for k in range(count):
            j = i0 + k
            value = envelope[k]
            while tail > head and queue_value[(tail - 1) & mask] <= value:
                tail -= 1
            queue_at[tail & mask] = j
            queue_value[tail & mask] = value
            tail += 1
            while queue_at[head & mask] < j - 2 * hold:
                head += 1
            if j >= hold:
                out[j - hold] = queue_value[head & mask]
    # The last `hold` frames: what is left in the queue (the signal is zero beyond the end).
    for j in range(n, n + hold):
        while head < tail and queue_at[head & mask] < j - 2 * hold:
            head += 1
        if j >= hold:
            out[j - hold] = queue_value[head & mask] if head < tail else 0.0
    return out


@njit(cache=True, error_model="numpy")
def required_gain(peaks: np.ndarray, aim: float) -> np.ndarray:
    """Per frame, the gain that brings its peak to `aim` (linear), 1 where it is already under."""
    n = peaks.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = aim / peaks[i] if peaks[i] > aim else 1.0
    return out


@njit(cache=True, error_model="numpy")
def stretches(changed: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of runs of True in `changed`, runs closer than `gap` merged."""
    n = changed.shape[0]
    starts = np.empty(n // 2 + 1, dtype=np.int64)
    stops = np.empty(n // 2 + 1, dtype=np.int64)
    count = 0
    last = -gap - 1  # stop of the current run
    for i in range(n):
        if changed[i]:
            if count > 0 and i - last < gap:
                stops[count - 1] = i + 1
            else:
                starts[count] = i
                stops[count] = i + 1
                count += 1
            last = i + 1
    return starts[:count], stops[:count]
