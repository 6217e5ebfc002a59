"""Sample-rate conversion for delivery through libsoxr at its very-high-quality setting."""

from __future__ import annotations

import numpy as np
import soxr

from dsp._audio import as_frames, check_rate

__all__ = ["DELIVERY_RATES_HZ", "resample"]

# The rates the deliverables use; any rate the meters accept converts, these are the tested ones.
DELIVERY_RATES_HZ = (44100, 48000, 88200, 96000, 176400, 192000)


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """`audio` converted from `rate_in` to `rate_out` Hz, (frames, channels) float64.

    soxr VHQ: flat to well past 20 kHz, images and aliases below -140 dB, linear phase, so the
    result lines up with the input. The length is round(frames * rate_out / rate_in) (soxr's own
    count, within one sample of the exact ratio). The same rate returns a copy.
    """
    frames = as_frames(audio, rate=rate_in)
    rate_in = check_rate(rate_in)
    rate_out = check_rate(rate_out)
    if rate_in == rate_out:
        return np.array(frames, dtype=np.float64)
    if frames.shape[0] == 0:
        return np.zeros((0, frames.shape[1]))
    converted = soxr.resample(np.ascontiguousarray(frames, dtype=np.float64), rate_in, rate_out, quality="VHQ")
    return np.asarray(converted, dtype=np.float64).reshape(-1, frames.shape[1])
