"""Lining the return up with the mix: the round trip split into a whole delay for the sources and a
fractional one for the chain, so the mix, a print and a reference play bit for bit and the return
is moved by the sub-sample rest."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from calibration.record import CalibrationRecord
from dsp.delay import DEFAULT_HALF_TAPS, windowed_sinc


@dataclass(frozen=True)
class Alignment:
    """How the monitor lines the return up with what was sent, from a calibration record.

    Every source (the mix, a print, a reference) is played monitor_delay frames after it was sent:
    a whole number of frames, so it is the file's own samples. The return of channel c arrived
    latency_samples[c] frames after its send; it goes through a windowed sinc that delays it by
    monitor_delay - latency_samples[c] more (at least half_taps: the filter's own centre), and is
    scaled by compensation[c] (1 / its gain at 1 kHz, its polarity put back).
    """

    latency_samples: tuple[float, ...]
    compensation: tuple[float, ...]
    half_taps: int = DEFAULT_HALF_TAPS

    @classmethod
    def from_record(cls, record: CalibrationRecord, half_taps: int = DEFAULT_HALF_TAPS) -> "Alignment":
        latencies = tuple(float(ch.latency_samples) for ch in record.channels)
        comp = tuple((-1.0 if ch.polarity_inverted else 1.0) / 10.0 ** (ch.gain_db / 20.0) for ch in record.channels)
        return cls(latencies, comp, half_taps)

    @property
    def channels(self) -> int:
        return len(self.latency_samples)

    @property
    def monitor_delay(self) -> int:
        """Frames from a send to the monitor output that plays it (sources and chain alike)."""
        return int(math.ceil(max(self.latency_samples))) + self.half_taps

    def chain_taps(self) -> np.ndarray:
        """(taps, channels): each channel's FIR that delays its return by monitor_delay - latency."""
        rows = []
        for latency in self.latency_samples:
            rest = self.monitor_delay - latency - self.half_taps  # >= 0
            whole = math.floor(rest)
            fraction = rest - whole
            if fraction > 1.0 - 1e-12:
                whole, fraction = whole + 1, 0.0
            rows.append(np.concatenate([np.zeros(whole), windowed_sinc(fraction, self.half_taps)]))
        length = max(len(r) for r in rows)
        return np.stack([np.pad(r, (0, length - len(r))) for r in rows], axis=1)


class ChainAligner:
    """The return, level-compensated and delayed onto the sources' timeline, block by block (state kept)."""

    def __init__(self, alignment: Alignment) -> None:
        self.alignment = alignment
        self._taps = alignment.chain_taps() * np.asarray(alignment.compensation)[None, :]
        self._zi = [np.zeros(self._taps.shape[0] - 1) for _ in range(alignment.channels)]

    def process(self, returns: np.ndarray) -> np.ndarray:
        """(frames, channels) return -> the same frames of the aligned chain, float64."""
        out = np.empty((returns.shape[0], self.alignment.channels))
        for c in range(self.alignment.channels):
            out[:, c], self._zi[c] = signal.lfilter(self._taps[:, c], [1.0], returns[:, c], zi=self._zi[c])
        return out


class PositionHistory:
    """Which programme frame each sent frame carried (-1: silence) and at what gain (the fades at
    the loop's edges), for as long as the monitor delay."""

    def __init__(self, delay: int, max_block: int = 8192) -> None:
        self.delay = delay
        self.size = 1 << int(math.ceil(math.log2(delay + 2 * max_block)))
        self._ring = np.full(self.size, -1, dtype=np.int64)
        self._gains = np.zeros(self.size)
        self._frame = 0  # the stream frame of the next push

    def push(self, positions: np.ndarray, gains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Store what was sent in this block; return what is heard now (sent `delay` frames ago)."""
        n = positions.shape[0]
        idx = (self._frame + np.arange(n)) & (self.size - 1)
        back = (idx - self.delay) & (self.size - 1)
        heard, heard_gains = self._ring[back].copy(), self._gains[back].copy()
        self._ring[idx] = positions
        self._gains[idx] = gains
        self._frame += n
        return heard, heard_gains
