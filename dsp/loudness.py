"""Loudness per ITU-R BS.1770-5 in EBU mode (Tech 3341) and loudness range (Tech 3342)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsp._audio import as_frames, check_rate
from dsp._kernels import loudness_block

__all__ = [
    "Loudness",
    "LoudnessMeter",
    "channel_weights",
    "gated_lufs",
    "k_weighting_sos",
    "measure",
    "measure_with_blocks",
    "momentary",
    "short_term",
]

# BS.1770: loudness = -0.691 + 10 log10(sum of channel-weighted mean squares), in LUFS.
_OFFSET_LU = -0.691
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0  # integrated loudness (BS.1770-2 onwards)
LRA_RELATIVE_GATE_LU = -20.0  # loudness range (Tech 3342)
MOMENTARY_S = 0.4
SHORT_TERM_S = 3.0

# The analog prototype of BS.1770's K-weighting, from which the 48 kHz table of the
# Recommendation follows by the bilinear transform; deriving it per rate keeps the curve the same
# at 44.1 or 192 kHz instead of sliding it with a reused 48 kHz coefficient set.
_SHELF_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_HIGHPASS_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773


@dataclass(frozen=True)
class Loudness:
    """EBU-mode readings of a programme; None where undefined (silence, or too short)."""

    integrated_lufs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    lra_lu: float | None


def k_weighting_sos(rate: int) -> np.ndarray:
    """BS.1770 K-weighting (high shelf, then 38 Hz high-pass) for `rate` as (2, 6) SOS."""
    rate = check_rate(rate)
    k = np.tan(np.pi * _SHELF_HZ / rate)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**0.4996667741545416  # the band gain that makes the shelf's mid-point match BS.1770
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]
    k = np.tan(np.pi * _HIGHPASS_HZ / rate)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 channel weights: 1.0 for front channels, 1.41 for surrounds, 0 for LFE.

    5 channels are read as L R C Ls Rs and 6 as L R C LFE Ls Rs (the WAV/SMPTE orders); any other
    count weighs every channel 1.0.
    """
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41])
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    return np.ones(channels)


def _lufs(mean_power: np.ndarray | np.floating | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return _OFFSET_LU + 10.0 * np.log10(mean_power)


def _cumulative_power(audio: np.ndarray, rate: int) -> np.ndarray:
    """Running sum of channel-weighted K-weighted power with a leading 0, shape (frames + 1,).

    float32 or float64 samples as they are (no float64 copy): the arithmetic is float64 either way."""
    from dsp._loudness_kernel import cumulative_weighted_power  # numba's JIT: only the series need it

    return cumulative_weighted_power(audio, k_weighting_sos(rate), channel_weights(audio.shape[1]))


def _window_powers(cumulative: np.ndarray, window: int, hop: int) -> np.ndarray:
    """Mean power of every window of `window` samples starting at multiples of `hop`."""
    frames = cumulative.shape[0] - 1
    if frames < window:
        return np.empty(0)
    starts = np.arange(0, frames - window + 1, hop)
    return np.maximum(cumulative[starts + window] - cumulative[starts], 0.0) / window


def _window_lufs(power_sum: float, window: int) -> float | None:
    """Loudness of a window from its power sum; None if there was no such window or it is silent."""
    return float(_lufs(power_sum / window)) if power_sum > 0.0 else None


def _hop(rate: int) -> int:
    # 100 ms: the 75 % overlap of 400 ms gating blocks and the 10 Hz rate of Tech 3342.
    return int(round(0.1 * rate))


def gated_lufs(block_powers: np.ndarray) -> float | None:
    """BS.1770 integrated loudness of gating-block powers (400 ms blocks every 100 ms, channel-weighted
    K-weighted mean squares, as measure_with_blocks returns them): -70 LUFS absolute gate, -10 LU
    relative gate. Blocks of several programmes may be pooled (album loudness); None if all are gated."""
    blocks = np.asarray(block_powers, dtype=np.float64)
    blocks = blocks[_lufs(blocks) > ABSOLUTE_GATE_LUFS]
    if blocks.size == 0:
        return None
    gate = float(_lufs(np.mean(blocks))) + RELATIVE_GATE_LU
    kept = blocks[_lufs(blocks) > gate]
    return float(_lufs(np.mean(kept)))


def _grid_powers(grid: np.ndarray, steps: int, hop: int) -> np.ndarray:
    """Mean power per frame of every window of `steps` grid steps (`hop` frames each) on the grid."""
    return _window_powers(grid, steps, 1) / hop


def _loudness_range(grid: np.ndarray, hop: int) -> float | None:
    values = _grid_powers(grid, 30, hop)
    values = values[_lufs(values) > ABSOLUTE_GATE_LUFS]
    if values.size == 0:
        return None
    gate = float(_lufs(np.mean(values))) + LRA_RELATIVE_GATE_LU
    levels = _lufs(values[_lufs(values) > gate])
    low, high = np.percentile(levels, [10.0, 95.0])
    return float(high - low)


def measure(audio: np.ndarray, rate: int) -> Loudness:
    """Integrated (gated) loudness, maximum momentary and short-term loudness, loudness range.

    Momentary and short-term maxima are taken over every sample position of the 400 ms / 3 s
    window, so a burst between two 100 ms meter ticks is not under-read.
    """
    return measure_with_blocks(audio, rate)[0]


def _measure(frames: np.ndarray, rate: int) -> Loudness:
    """measure() of (frames, channels) float audio already checked."""
    return _measure_with_blocks(frames, rate)[0]


def measure_with_blocks(audio: np.ndarray, rate: int) -> tuple[Loudness, np.ndarray]:
    """measure() and the gating-block powers its integrated loudness was gated from, in one
    K-weighting pass (pool the blocks of several tracks and pass them to gated_lufs for album loudness)."""
    return _measure_with_blocks(as_frames(audio, rate=rate), int(rate))


def _measure_with_blocks(frames: np.ndarray, rate: int) -> tuple[Loudness, np.ndarray]:
    """measure_with_blocks() of (frames, channels) float audio already checked (each check reads all of it)."""
    meter = LoudnessMeter(rate, frames.shape[1])
    meter.process_checked(frames)
    return meter.finish(), meter.block_powers()


class LoudnessMeter:
    """A loudness meter fed block by block: process(block) as the audio arrives, then finish().

    Any split of the programme into blocks gives exactly the readings of the whole programme in one
    block (the K-weighting, the running sum and the sliding maxima carry their state across, sample
    by sample in the same order). Memory is flat: a 3 s ring and the 100 ms grid (80 bytes a second).
    """

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = check_rate(rate)
        self.channels = int(channels)
        self._hop = _hop(self.rate)
        self._momentary = 4 * self._hop  # the 400 ms gating block
        self._short = 30 * self._hop  # the 3 s short-term window
        self._sos = k_weighting_sos(self.rate)
        self._weights = channel_weights(self.channels)
        self._filters = np.zeros((self.channels, 4))
        ring_size = self._short + 1
        self._ring = np.zeros(ring_size)  # running sums of the last 3 s; frame 0's is 0.0
        self._counters = np.array([0, ring_size - self._momentary, ring_size - self._short, self._hop], dtype=np.int64)
        self._sums = np.array([0.0, -1.0, -1.0])  # running sum, best momentary and short-term sums
        self._grid = [np.zeros(1)]  # running sums at every 100 ms, frame 0 first
        self.frames = 0

    def process(self, block: np.ndarray) -> None:
        """Meter the next block: (frames, channels) float (or 1-D for one channel), finite."""
        frames = as_frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError(f"block has {frames.shape[1]} channels; this meter measures {self.channels}")
        self.process_checked(frames)

    def process_checked(self, frames: np.ndarray) -> None:
        """process() of a (frames, channels) float block already checked."""
        grid = np.empty(frames.shape[0] // self._hop + 1)
        written = loudness_block(frames, self._sos, self._weights, self._hop, self._momentary, self._short,
                                 self.frames, self._filters, self._ring, self._counters, self._sums, grid)
        if written:
            self._grid.append(grid[:written])
        self.frames += frames.shape[0]

    def block_powers(self) -> np.ndarray:
        """The gating-block powers so far (400 ms every 100 ms), as measure_with_blocks returns them."""
        return _grid_powers(self._whole_grid(), 4, self._hop)

    def _whole_grid(self) -> np.ndarray:
        if len(self._grid) > 1:
            self._grid = [np.concatenate(self._grid)]
        return self._grid[0]

    def finish(self) -> Loudness:
        """The readings of everything processed (the meter can go on after)."""
        grid = self._whole_grid()
        return Loudness(
            integrated_lufs=gated_lufs(_grid_powers(grid, 4, self._hop)),
            momentary_max_lufs=_window_lufs(float(self._sums[1]), self._momentary),
            short_term_max_lufs=_window_lufs(float(self._sums[2]), self._short),
            lra_lu=_loudness_range(grid, self._hop),
        )


def _series(audio: np.ndarray, rate: int, window_s: float, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    frames = as_frames(audio, rate=rate)
    rate = int(rate)
    if not step_s > 0.0:
        raise ValueError(f"step_s {step_s!r} is not allowed; a positive number of seconds is")
    hop = max(1, int(round(step_s * rate)))
    window = int(round(window_s * rate))
    cumulative = _cumulative_power(frames, rate)
    powers = _window_powers(cumulative, window, hop)
    ends = window + hop * np.arange(powers.shape[0])
    return ends / rate, _lufs(powers)


def momentary(audio: np.ndarray, rate: int, step_s: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Momentary loudness (400 ms window) every `step_s`: (window end times in s, LUFS).

    Silent windows read -inf LUFS; windows are only those that lie wholly inside the audio.
    """
    return _series(audio, rate, MOMENTARY_S, step_s)


def short_term(audio: np.ndarray, rate: int, step_s: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Short-term loudness (3 s window) every `step_s`: (window end times in s, LUFS)."""
    return _series(audio, rate, SHORT_TERM_S, step_s)
