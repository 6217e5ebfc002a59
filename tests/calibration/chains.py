"""Small stateful analog chains for the simulated loop: delays, filters, inversions, a latency jump.

Each keeps its state between calls because the simulated interface feeds it block by block.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from dsp.delay import windowed_sinc


class StreamingFIR:
    """Per-channel FIR taps run as a stream (lfilter with carried state)."""

    def __init__(self, taps_per_channel: list[np.ndarray]) -> None:
        self.taps = [np.asarray(t, dtype=np.float64) for t in taps_per_channel]
        self.state = [np.zeros(len(t) - 1) for t in self.taps]
        self.block_lengths: list[int] = []

    def __call__(self, audio: np.ndarray, rate: int) -> np.ndarray:
        self.block_lengths.append(audio.shape[0])
        out = np.empty_like(audio)
        for c, taps in enumerate(self.taps):
            out[:, c], self.state[c] = signal.lfilter(taps, [1.0], audio[:, c], zi=self.state[c])
        return out


def delay_taps(delay_samples: float, half_taps: int = 64, gain: float = 1.0) -> np.ndarray:
    """FIR taps that delay by delay_samples (>= half_taps) with a gain; full band to 0.9 Nyquist."""
    whole = int(np.floor(delay_samples))
    fraction = delay_samples - whole
    taps = windowed_sinc(fraction, half_taps) * gain
    return np.concatenate([np.zeros(whole - half_taps), taps])


class StreamingSOS:
    """A second-order-section filter on every channel, run as a stream."""

    def __init__(self, sos: np.ndarray, channels: int) -> None:
        self.sos = sos
        self.state = np.zeros((sos.shape[0], 2, channels))

    def __call__(self, audio: np.ndarray, rate: int) -> np.ndarray:
        out, self.state = signal.sosfilt(self.sos, audio, axis=0, zi=self.state)
        return out


class LatencyJump:
    """A plain cable whose delay steps from before_samples to after_samples at frame switch_at."""

    def __init__(self, before_samples: float, after_samples: float, switch_at: int, channels: int) -> None:
        self.before = StreamingFIR([delay_taps(before_samples)] * channels)
        self.after = StreamingFIR([delay_taps(after_samples)] * channels)
        self.switch_at = switch_at
        self.position = 0

    def __call__(self, audio: np.ndarray, rate: int) -> np.ndarray:
        # both paths run all the time (so each has its history); the output switches over
        a, b = self.before(audio, rate), self.after(audio, rate)
        frames = np.arange(self.position, self.position + audio.shape[0])
        self.position += audio.shape[0]
        return np.where((frames >= self.switch_at)[:, None], b, a)
