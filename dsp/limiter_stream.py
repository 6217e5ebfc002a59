"""The true-peak limiter fed block by block: overlapping segments through the whole-programme limiter."""

from __future__ import annotations

import numpy as np

from dsp._audio import as_frames, check_rate
from dsp.limiter import _REACH_SAMPLES, _Times, _limit, _limiter_peaks, check_ceiling
from dsp.truepeak import db_or_none

__all__ = ["BlockLimiter"]

# Each segment is limited with this much of the programme before it (its output thrown away), so
# that the release and its sustained-reduction memory (480 ms and 300 ms by default) have settled
# where the segment's own output starts: after 5 s the gain differs from a run over the whole
# programme by about e^-10 of the reduction (1e-4 dB of a 4 dB reduction), under the 0.05 dB the
# limiter aims below its ceiling, and the join is measured anyway (see _check_join).
PREROLL_S = 5.0
SEGMENT_S = 30.0


class BlockLimiter:
    """dsp.limiter.limit as a stream: process(block) returns the limited audio that is ready,
    finish() the rest; memory holds one segment (30 s) and its pre-roll (5 s), whatever the length.

    The programme is limited in segments, each by the whole-programme limiter over the segment,
    the PREROLL_S before it and enough after it for the look-ahead and the detector's reach. A
    programme that fits in one segment comes out bit for bit as limit() gives it; a longer one
    differs from limit() of the whole only by the pre-roll's settling (a gain e^-10 of its
    reduction away), and every join between two segments is measured by the limiter's own detector
    on the output actually handed back: over the ceiling there, it refuses (RuntimeError, never
    seen: tests run every reference programme through segments of a fraction of a second and judge
    the output by an independent 16x reference).
    """

    def __init__(self, rate: int, channels: int, ceiling_dbtp: float = -1.0, segment_s: float = SEGMENT_S,
                 preroll_s: float = PREROLL_S) -> None:
        self.rate = check_rate(rate)
        self.channels = int(channels)
        check_ceiling(ceiling_dbtp)
        self.ceiling_dbtp = float(ceiling_dbtp)
        times = _Times()
        lookahead = max(1, int(round(times.lookahead_ms * self.rate / 1000.0)))
        attack = max(2, int(round(times.attack_ms * self.rate / 1000.0)))
        # frames after a segment that decide its last gains: the look-ahead, the attack's ramp,
        # the detector's reach over them, twice for the re-measured stretches' context
        self._tail = lookahead + attack + 2 * _REACH_SAMPLES
        self._segment = max(1, int(round(segment_s * self.rate)))
        self._preroll = max(0, int(round(preroll_s * self.rate)))
        self._join = 2 * _REACH_SAMPLES  # output held back around a join, each side, to measure it
        self._buffer = np.zeros((0, self.channels))  # input from frame self._origin on
        self._origin = 0
        self._next = 0  # the first frame whose output is not yet decided
        self._held = np.zeros((0, self.channels))  # decided output not yet handed back (join context)
        self._top = 0.0  # the largest reading: every window's, every join's
        self._deepest_db = 0.0
        self._finished = False

    def process(self, block: np.ndarray) -> np.ndarray:
        """Limit the next block; the output ready so far (frames, channels) float64, maybe none."""
        frames = as_frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError(f"block has {frames.shape[1]} channels; this limiter takes {self.channels}")
        if self._finished:
            raise ValueError("the programme has ended (finish() was called); start a new limiter")
        self._buffer = np.concatenate([self._buffer, np.asarray(frames, dtype=np.float64)])
        out = []
        while self._origin + self._buffer.shape[0] >= self._next + self._segment + self._tail:
            out.append(self._run(self._next + self._segment + self._tail, self._next + self._segment))
        return self._emit(out, final=False)

    def finish(self) -> np.ndarray:
        """The rest of the limited programme, once its last block is in."""
        if self._finished:
            return np.zeros((0, self.channels))
        end = self._origin + self._buffer.shape[0]
        out = [self._run(end, end)] if end > self._next else []
        self._finished = True
        return self._emit(out, final=True)

    @property
    def true_peak_dbtp(self) -> float | None:
        """The largest reading of the output by the limiter's (conservative) detector; None for silence."""
        return db_or_none(self._top)

    @property
    def max_gain_reduction_db(self) -> float:
        return self._deepest_db

    def _run(self, window_end: int, decided_end: int) -> np.ndarray:
        """Limit [next - preroll, window_end) of the input; the output of [next, decided_end)."""
        start = max(self._origin, self._next - self._preroll)
        window = self._buffer[start - self._origin : window_end - self._origin]
        result = _limit(window, self.rate, self.ceiling_dbtp)
        keep = slice(self._next - start, decided_end - start)
        if result.true_peak_dbtp is not None:
            self._top = max(self._top, 10.0 ** (result.true_peak_dbtp / 20.0))
        if result.gain_db[keep].size:
            self._deepest_db = max(self._deepest_db, float(-np.min(result.gain_db[keep])))
        decided = result.audio[keep]
        self._next = decided_end
        # input before the next window's pre-roll is no longer needed
        drop = max(0, self._next - self._preroll - self._origin)
        self._buffer = self._buffer[drop:].copy()
        self._origin += drop
        return decided

    def _emit(self, decided: list[np.ndarray], final: bool) -> np.ndarray:
        """Hand back the decided output but the frames a join still needs for its measurement."""
        if not decided:
            if final:
                out, self._held = self._held, np.zeros((0, self.channels))
                return out
            return np.zeros((0, self.channels))
        pending = self._held
        for piece in decided:
            if pending.shape[0]:
                self._check_join(pending, piece)
            pending = np.concatenate([pending, piece])
        keep = 0 if final else min(self._join, pending.shape[0])
        self._held = pending[pending.shape[0] - keep :].copy()
        return pending[: pending.shape[0] - keep]

    def _check_join(self, before: np.ndarray, after: np.ndarray) -> None:
        """Measure the output across a join (two segments' gains meet there) as it is handed back."""
        left = before[-self._join :]
        right = after[: self._join]
        region = np.concatenate([left, right])
        reach = min(_REACH_SAMPLES, left.shape[0], right.shape[0])
        readings = _limiter_peaks(region)[left.shape[0] - reach : left.shape[0] + reach]
        top = float(np.max(readings)) if readings.size else 0.0
        self._top = max(self._top, top)
        if top > 10.0 ** (self.ceiling_dbtp / 20.0):  # pragma: no cover - never seen; never hand it back
            raise RuntimeError(f"limiter segments met {20 * np.log10(top):+.3f} dBTP at a join, over the ceiling")
