"""The tests' independent true-peak reference: nothing of dsp/ is used to compute it."""

from __future__ import annotations

import numpy as np
from scipy import signal


def reference_true_peak_dbtp(audio: np.ndarray) -> float:
    """16x by FFT over the whole excerpt (an ideal band-limited reconstruction up to Nyquist),
    4096 zeros either side so the FFT's circular wrap cannot touch the programme."""
    padded = np.pad(np.asarray(audio, dtype=np.float64), ((4096, 4096), (0, 0)))
    upsampled = signal.resample(padded, 16 * padded.shape[0], axis=0)
    return float(20.0 * np.log10(np.max(np.abs(upsampled))))
