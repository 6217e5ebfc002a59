"""Compiled parts of the limiter: gain computer, near-Nyquist margin, gain application, bookkeeping."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "add_nyquist_envelope", "apply_gain", "bound_output_peaks", "gain_curve", "push_down", "required_gain", "split_maximum",
    "stretches",
]


@njit(cache=True, error_model="numpy")
def _forward_minimum(required: np.ndarray, window: int, out: np.ndarray) -> None:
    """out[n] = min(required[n : n + window]) (monotonic queue, O(n))."""
    n = required.shape[0]
    # The queue never holds more than window + 1 indices: a ring that stays in cache, where a
    # frame-long queue cost page faults and cache misses (and a van Herk minimum ran slower).
    size = 1
    while size < window + 1:
        size *= 2
    mask = size - 1
    queue = np.empty(size, dtype=np.int64)
    head = 0
    tail = 0
    # Walk backwards: the queue holds indices of candidates in [n, n + window).
    for i in range(n - 1, -1, -1):
        value = required[i]
        while tail > head and required[queue[(tail - 1) & mask]] >= value:
            tail -= 1
        queue[tail & mask] = i
        tail += 1
        while queue[head & mask] >= i + window:
            head += 1
        out[i] = required[queue[head & mask]]


@njit(cache=True, error_model="numpy")
def _released(
    target: float, quick: float, held: float, fast: float, slow: float, charge: float
) -> tuple[float, float, float]:
    """One sample of the programme-dependent release: (gain, quick, held) after `target` (linear).

    Two reduction envelopes: a fast one (`quick`) that follows every peak and releases with
    `fast`, and a slow one (`held`) that only charges (coefficient `charge`) while reduction is
    held and releases with `slow`. The gain follows the deeper of the two. A transient barely
    charges the slow envelope, so the gain recovers at the fast rate and the next beat is not
    dented; reduction held for a while charges it, so afterwards the gain comes back slowly and
    sustained material does not pump.
    """
    wanted = 1.0 - target
    if wanted >= quick:
        quick = wanted
    else:
        quick = wanted + (quick - wanted) * fast
    if quick > held:
        held = quick + (held - quick) * charge
    else:
        held = quick + (held - quick) * slow
    reduction = quick if quick > held else held
    return (1.0 - reduction if reduction > 1e-15 else 1.0), quick, held


@njit(cache=True, error_model="numpy")
def _average_start(first: float, length: int) -> tuple[np.ndarray, int, float, int]:
    """(waiting, at, reduction, touched) of a moving average whose window starts full of `first`.

    So a peak on the first sample is still met. See _averaged for what the four are.
    """
    before = 1.0 - first
    return np.full(length, before), 0, length * before, (length if before != 0.0 else 0)


@njit(cache=True, error_model="numpy")
def _averaged(
    value: float, length: int, waiting: np.ndarray, at: int, reduction: float, touched: int
) -> tuple[float, int, float, int]:
    """One sample of a moving average of `length` gains: (mean, at, reduction, touched) after `value`.

    `reduction` is the running sum of (1 - gain) over the window, `touched` how many gains in it
    are below 1, `waiting[at]` the oldest 1 - gain (the next to leave). Exactly 1.0 wherever the
    whole window is 1.0, so untouched stretches stay bit-exact.
    """
    entering = 1.0 - value
    reduction += entering
    if entering != 0.0:
        touched += 1
    leaving = waiting[at]
    waiting[at] = entering
    at = at + 1 if at + 1 < length else 0
    reduction -= leaving
    if leaving != 0.0:
        touched -= 1
    if touched == 0:
        return 1.0, at, 0.0, 0  # and drop the rounding residue of the running sum
    return 1.0 - reduction / length, at, reduction, touched


@njit(cache=True, error_model="numpy")
def _release_and_smooth(
    gain: np.ndarray, fast: float, slow: float, charge: float, first: int, second: int
) -> None:
    """In place: release `gain` (see _released), then two moving averages of `first` and `second` gains.

    One pass over one array, where the three stages one after the other made three more
    frame-long arrays (each a tenth of a second of page faults on 5 minutes of audio).
    """
    n = gain.shape[0]
    if n == 0:
        return
    value, quick, held = _released(gain[0], 0.0, 0.0, fast, slow, charge)
    ring_1, at_1, sum_1, touched_1 = _average_start(value, first)
    value, at_1, sum_1, touched_1 = _averaged(value, first, ring_1, at_1, sum_1, touched_1)
    ring_2, at_2, sum_2, touched_2 = _average_start(value, second)
    value, at_2, sum_2, touched_2 = _averaged(value, second, ring_2, at_2, sum_2, touched_2)
    gain[0] = value
    for i in range(1, n):
        value, quick, held = _released(gain[i], quick, held, fast, slow, charge)
        value, at_1, sum_1, touched_1 = _averaged(value, first, ring_1, at_1, sum_1, touched_1)
        value, at_2, sum_2, touched_2 = _averaged(value, second, ring_2, at_2, sum_2, touched_2)
        gain[i] = value


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
    gain = np.empty(required.shape[0])  # numpy's frame-long arrays (see apply_gain)
    _forward_minimum(np.ascontiguousarray(required, dtype=np.float64), window, gain)
    _release_and_smooth(gain, fast_coefficient, slow_coefficient, charge_coefficient, first, second)
    return gain


_ENVELOPE_BLOCK = 4096  # frames per block of add_nyquist_envelope


@njit(cache=True, error_model="numpy")
def _in_phase_envelope(
    audio: np.ndarray,
    first: int,
    second: int,
    base: int,
    lo: int,
    hi: int,
    length: int,
    scale: float,
    ones: np.ndarray,
    twice: np.ndarray,
    envelope: np.ndarray,
) -> None:
    """envelope[k] = max(envelope[k], in-phase envelope of channels `first` and `second` at block frame k).

    Sample k of the block is frame base + k (zero outside [lo, hi)); the doubly averaged value
    of frame base + k + 4 half is done once sample k is in. Row i of `ones` and `twice` holds one
    channel's running sums, one behind. Two channels side by side because each running sum waits
    on its own previous addition: the chains of both run in about the time of one.
    """
    ones_first = ones[0]
    ones_second = ones[1]
    twice_first = twice[0]
    twice_second = twice[1]
    total_first = 0.0
    total_second = 0.0
    twice_total_first = 0.0
    twice_total_second = 0.0
    sign = 1.0 - 2.0 * ((base + lo) & 1)  # (-1)^frame, flipped per frame
    for k in range(envelope.shape[0] + 4 * (length // 2)):
        if lo <= k < hi:
            total_first += audio[base + k, first] * sign
            total_second += audio[base + k, second] * sign
            sign = -sign
        ones_first[k + 1] = total_first
        ones_second[k + 1] = total_second
        if k + 1 >= length:
            m = k + 1 - length  # the first average centred on sample k - half is done
            twice_total_first += ones_first[k + 1] - ones_first[m]
            twice_total_second += ones_second[k + 1] - ones_second[m]
            twice_first[m + 1] = twice_total_first
            twice_second[m + 1] = twice_total_second
            if m + 1 >= length:
                slot = m + 1 - length  # and the second, centred on sample k - 2 half
                value_first = abs(twice_total_first - twice_first[slot]) * scale
                value_second = abs(twice_total_second - twice_second[slot]) * scale
                louder = value_first if value_first > value_second else value_second
                envelope[slot] = louder if louder > envelope[slot] else envelope[slot]


@njit(cache=True, error_model="numpy")
def _window_maxima(
    values: np.ndarray, width: int, rising: np.ndarray, falling: np.ndarray, out: np.ndarray
) -> None:
    """out[a] = max(values[a : a + width]) for every a < out.shape[0] (van Herk / Gil-Werman).

    Cut into pieces of `width`: a window spans the end of one piece and the start of the next, so
    its maximum is the larger of the first's maximum from a on (`falling`) and the next's up to
    a + width - 1 (`rising`). Both running maxima are taken in one loop (two independent chains)
    and nothing branches per value, where a monotonic queue branched on every one.
    """
    length = values.shape[0]
    for start in range(0, length, width):
        stop = min(start + width, length)
        up = values[start]
        down = values[stop - 1]
        for i in range(stop - start):
            ahead = values[start + i]
            behind = values[stop - 1 - i]
            up = ahead if ahead > up else up
            down = behind if behind > down else down
            rising[start + i] = up
            falling[stop - 1 - i] = down
    for a in range(out.shape[0]):
        late = rising[a + width - 1]
        out[a] = falling[a] if falling[a] > late else late


@njit(cache=True, error_model="numpy")
def _add_held(
    window: np.ndarray,
    hold: int,
    count: int,
    centre: int,
    rising: np.ndarray,
    falling: np.ndarray,
    held: np.ndarray,
    out: np.ndarray,
) -> None:
    """out[centre + a] += max(window[a : a + 2 hold + 1]) for a < count, where 0 <= centre + a < len(out).

    `rising`, `falling` and `held` are work arrays at least as long as `window`.
    """
    width = 2 * hold + 1
    used = count + width - 1
    _window_maxima(window[:used], width, rising[:used], falling[:used], held[:count])
    for a in range(max(0, -centre), min(count, out.shape[0] - centre)):
        out[centre + a] += held[a]


@njit(cache=True, error_model="numpy")
def add_nyquist_envelope(audio: np.ndarray, length: int, hold: int, out: np.ndarray, weight: float = 1.0) -> None:
    """Add to `out` (frames,) the envelope of the band just under Nyquist (largest channel, linear).

    (-1)^n x moves Nyquist to 0 Hz; two centred moving averages of `length` (odd) samples then
    keep about the top 1/length of the band (triangular low-pass, sidelobes under -26 dB), whose
    magnitude is the band's in-phase envelope. Each value is then the largest within `hold`
    samples either side, which also covers the band's quadrature part (what an ideal
    reconstruction shows between samples). That band is where a finite interpolator falls short
    of an ideal reconstruction, so the limiter adds this to its detector's reading: added in
    place, so no frame-long array is made for it (on these machines a fresh 100 MB array costs
    0.1 s in page faults alone).
    """
    n, channels = audio.shape
    half = length // 2
    scale = weight / (length * length)
    hold = max(0, hold)
    reach = 2 * hold  # envelope values before a block that its held maxima still need
    # Block by block, so the work arrays stay in cache. Each average is a difference of a running
    # sum started afresh in the block: no rounding builds up.
    span = _ENVELOPE_BLOCK + 4 * half
    ones = np.zeros((2, span + 1))  # ones[i, k]: sum of the first k shifted samples of the block
    twice = np.zeros((2, span - 2 * half + 1))  # twice[i, m]: sum of the first m first averages
    # window[reach + k]: the in-phase envelope of the block's frame k; window[:reach]: of the
    # `reach` frames before the block (zero before the start, which leaves every maximum as it
    # is: the envelope is >= 0).
    size = reach + max(_ENVELOPE_BLOCK, hold)  # room for a block, or for the last `hold` frames
    window = np.zeros(size)
    rising = np.zeros(size)  # work arrays of _add_held
    falling = np.zeros(size)
    held = np.zeros(size)
    for i0 in range(0, n, _ENVELOPE_BLOCK):
        count = min(_ENVELOPE_BLOCK, n - i0)
        envelope = window[reach : reach + count]
        envelope[:] = 0.0
        base = i0 - 2 * half  # frame of the block's first sample into the sums
        lo = max(0, -base)
        hi = min(count + 4 * half, n - base)
        for c in range(0, channels, 2):
            # Channels in pairs; an odd one out is paired with itself (the same time as alone).
            pair = min(c + 1, channels - 1)
            _in_phase_envelope(audio, c, pair, base, lo, hi, length, scale, ones, twice, envelope)
        # Window a covers frames i0 - reach + a .. i0 + a: centred on frame i0 - hold + a.
        _add_held(window, hold, count, i0 - hold, rising, falling, held, out)
        window[:reach] = window[count : count + reach]
    # The last `hold` frames: the signal is zero beyond the end.
    if n > 0:
        window[reach : reach + hold] = 0.0
        _add_held(window, hold, hold, n - hold, rising, falling, held, out)


def required_gain(peaks: np.ndarray, aim: float) -> np.ndarray:
    """Per frame, the gain that brings its peak to `aim` (linear), 1 where it is already under."""
    out = np.empty(peaks.shape[0])
    _required_gain(peaks, aim, out)
    return out


@njit(cache=True, error_model="numpy")
def _required_gain(peaks: np.ndarray, aim: float, out: np.ndarray) -> None:
    for i in range(peaks.shape[0]):
        out[i] = aim / peaks[i] if peaks[i] > aim else 1.0


def apply_gain(source: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """source * gain, the gain per frame on every channel, as a new (frames, channels) array.

    The frame-long arrays of the limiter are made by numpy, not inside the kernels: numpy asks the
    kernel for huge pages (madvise), numba's allocator does not, and the page faults of a fresh
    200 MB array then cost twice as much (28 against 57 ms per 100 MB here).
    """
    out = np.empty(source.shape)
    _apply_gain(source, gain, out)
    return out


@njit(cache=True, error_model="numpy")
def _apply_gain(source: np.ndarray, gain: np.ndarray, out: np.ndarray) -> None:
    # numpy's broadcast product runs its inner loop once per frame over two channels, and took
    # twice as long as this loop (0.29 against 0.14 s on 5 minutes of stereo).
    frames, channels = source.shape
    for i in range(frames):
        for c in range(channels):
            out[i, c] = source[i, c] * gain[i]


@njit(cache=True, error_model="numpy")
def push_down(required: np.ndarray, peaks: np.ndarray, ceiling: float, aim: float) -> int:
    """Where a frame's peak is over `ceiling`, scale its required gain by aim / peak; how many were."""
    over = 0
    for i in range(peaks.shape[0]):
        if peaks[i] > ceiling:
            required[i] *= aim / peaks[i]
            over += 1
    return over


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


@njit(cache=True, error_model="numpy")
def bound_output_peaks(
    source: np.ndarray, gain: np.ndarray, reach: int, block: int, crest: float, spread: float,
    peaks: np.ndarray, estimated: np.ndarray,
) -> None:
    """In place: peaks (the reading of `source`) becomes an upper bound of the reading of source * gain.

    For frame n, with G and g the largest and smallest gain and X the largest |sample| within
    `reach` frames: reading <= crest * G * peaks[n] + spread * (G - g) * X (see dsp.limiter's
    _CREST_BOUND and _SPREAD_BOUND for why). Where every gain within reach is 1 the reading is
    unchanged and left as it is; elsewhere estimated[n] is set. The windows are taken over whole
    blocks of `block` frames (wider than needed, so still bounds) at the cost of one pass.
    """
    n, channels = source.shape
    count = (n + block - 1) // block
    top = np.ones(count)  # per block: largest and smallest gain, largest |sample|
    bottom = np.ones(count)
    loud = np.zeros(count)
    for b in range(count):
        hi = 0.0
        lo = 1.0
        x = 0.0
        for i in range(b * block, min(n, (b + 1) * block)):
            g = gain[i]
            hi = g if g > hi else hi
            lo = g if g < lo else lo
            for c in range(channels):
                v = abs(source[i, c])
                x = v if v > x else x
        top[b], bottom[b], loud[b] = hi, lo, x
    span = (reach + block - 1) // block + 1  # blocks either side that frames within reach can lie in
    for b in range(count):
        hi = 0.0
        lo = 1.0
        x = 0.0
        for k in range(max(0, b - span), min(count, b + span + 1)):
            hi = top[k] if top[k] > hi else hi
            lo = bottom[k] if bottom[k] < lo else lo
            x = loud[k] if loud[k] > x else x
        if lo == 1.0:
            continue  # no gain within reach moved: the reading stands
        for i in range(b * block, min(n, (b + 1) * block)):
            peaks[i] = crest * hi * peaks[i] + spread * (hi - lo) * x
            estimated[i] = True


@njit(cache=True, error_model="numpy")
def split_maximum(values: np.ndarray, estimated: np.ndarray) -> tuple[float, float]:
    """(largest value where not estimated, largest where estimated); -1.0 where there is none."""
    measured = -1.0
    bounded = -1.0
    for i in range(values.shape[0]):
        v = values[i]
        if estimated[i]:
            bounded = v if v > bounded else bounded
        else:
            measured = v if v > measured else measured
    return measured, bounded
