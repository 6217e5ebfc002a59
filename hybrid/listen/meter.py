"""The monitor feed's meter, block by block: momentary and short-term loudness, true peak."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import signal

from dsp.loudness import MOMENTARY_S, SHORT_TERM_S, channel_weights, k_weighting_sos
from dsp.truepeak import true_peak_dbtp

# BS.1770's offset from a mean square to LUFS
_OFFSET_LU = -0.691
# frames of the previous block kept in front of the next for the true-peak oversampler's memory
_PEAK_OVERLAP = 64


@dataclass(frozen=True)
class MeterReading:
    """What the monitor meter shows now (None: silence or not enough audio yet)."""

    momentary_lufs: float | None
    short_term_lufs: float | None
    true_peak_dbtp: float | None  # the highest over the last short-term window
    true_peak_max_dbtp: float | None  # the highest since the meter started

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 2)) for k, v in self.__dict__.items()}


class MonitorMeter:
    """EBU-mode momentary (400 ms) and short-term (3 s) loudness and true peak of a stream of blocks.

    The windows end at the last block given and are whole blocks long (at 48 kHz and 256 frames,
    5.3 ms granularity): a reading for the ear, not for a delivery (dsp.meter measures those).
    """

    def __init__(self, rate: int, channels: int, block_size: int) -> None:
        self.rate = rate
        self._sos = k_weighting_sos(rate)
        self._zi = np.zeros((self._sos.shape[0], 2, channels))
        self._weights = channel_weights(channels)
        self._blocks: deque[tuple[float, int, float]] = deque()  # (weighted power sum, frames, peak)
        self._short_frames = int(round(SHORT_TERM_S * rate))
        self._momentary_frames = int(round(MOMENTARY_S * rate))
        self._held = np.zeros((0, channels))
        self._max_peak = 0.0
        self._frames_in = 0
        self.reading = MeterReading(None, None, None, None)

    def process(self, block: np.ndarray) -> MeterReading:
        """Take the next (frames, channels) block of the feed; return the reading after it."""
        weighted, self._zi = signal.sosfilt(self._sos, block, axis=0, zi=self._zi)
        power = float(np.sum(np.sum(weighted * weighted, axis=0) * self._weights))
        with_memory = np.concatenate([self._held, block]) if self._held.size else block
        peak_db = true_peak_dbtp(np.asarray(with_memory, dtype=np.float64), self.rate)
        peak = 10.0 ** (peak_db / 20.0) if math.isfinite(peak_db) else 0.0
        self._held = np.asarray(block[-_PEAK_OVERLAP:], dtype=np.float64)
        self._max_peak = max(self._max_peak, peak)
        self._blocks.append((power, block.shape[0], peak))
        self._frames_in += block.shape[0]
        while self._blocks and self._frames_in - self._blocks[0][1] >= self._short_frames:
            self._frames_in -= self._blocks.popleft()[1]
        self.reading = MeterReading(self._window(self._momentary_frames), self._window(self._short_frames),
                                    _db(max((b[2] for b in self._blocks), default=0.0)), _db(self._max_peak))
        return self.reading

    def _window(self, frames: int) -> float | None:
        if self._frames_in < frames:
            return None
        total, count = 0.0, 0
        for power, n, _ in reversed(self._blocks):
            total += power
            count += n
            if count >= frames:
                break
        mean = total / count
        return _OFFSET_LU + 10.0 * math.log10(mean) if mean > 0.0 else None


def _db(linear: float) -> float | None:
    return 20.0 * math.log10(linear) if linear > 0.0 else None
