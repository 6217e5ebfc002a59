"""Undo the loop: advance each return by its fractional latency and correct its gain and polarity."""

from __future__ import annotations

import numpy as np

from calibration.record import CalibrationRecord
from dsp.delay import fractional_delay


def compensate(capture: np.ndarray, record: CalibrationRecord) -> np.ndarray:
    """The capture (frames, channels) aligned with what was sent, at unity gain at 1 kHz.

    Each channel is advanced by its own measured latency (so per-channel skew goes too), divided
    by its gain at 1 kHz and flipped back if its return was inverted. Same frames out; the last
    latency_samples frames are silence.
    """
    capture = np.asarray(capture, dtype=np.float64)
    if capture.ndim != 2 or capture.shape[1] != len(record.channels):
        raise ValueError(f"capture must be shaped (frames, {len(record.channels)}), got {capture.shape}")
    out = np.empty_like(capture)
    for c, channel in enumerate(record.channels):
        gain = 10.0 ** (channel.gain_db / 20.0) * (-1.0 if channel.polarity_inverted else 1.0)
        out[:, c] = fractional_delay(capture[:, c:c + 1], -channel.latency_samples)[:, 0] / gain
    return out
