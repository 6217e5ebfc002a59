"""Gentle, level-dependent saturation: a soft transfer curve with unity gain for small signals.

y = (tanh(g*x + b) - tanh(b)) / (g * (1 - tanh(b)^2)), g = 10^(drive_db/20). Small signals pass at
exactly unity gain with no offset; as the level rises the curve bends, first adding a third harmonic
that grows with the square of the level (about (g*A)^2/12 of the fundamental for a sine of amplitude A),
and with a bias b != 0 also a second harmonic, like a tube stage away from its symmetric point.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["saturate", "harmonic_levels_db"]


def saturate(audio: np.ndarray, drive_db: float, bias: float = 0.0) -> np.ndarray:
    """Saturate (frames, channels) audio; drive_db sets how hard (-20 dB: barely, +12 dB: plainly)."""
    if not -60.0 <= drive_db <= 40.0:
        raise ValueError(f"drive_db must be between -60 and +40 dB, got {drive_db}")
    if not -0.9 <= bias <= 0.9:
        raise ValueError(f"bias must be between -0.9 and 0.9, got {bias}")
    g = 10.0 ** (drive_db / 20.0)
    tb = math.tanh(bias)
    x = np.asarray(audio, dtype=np.float64)
    return (np.tanh(g * x + bias) - tb) / (g * (1.0 - tb * tb))


def harmonic_levels_db(audio: np.ndarray, rate: float, f0_hz: float, harmonics: int = 5) -> np.ndarray:
    """Levels in dB of harmonics 1..n of a steady tone (first channel), relative to full scale.

    A Blackman window over the whole array; meant for checking a sound model, not for metering.
    """
    x = np.asarray(audio, dtype=np.float64)[:, 0]
    n = x.shape[0]
    window = np.blackman(n)
    spectrum = np.abs(np.fft.rfft(x * window)) * 2.0 / window.sum()
    out = []
    for k in range(1, harmonics + 1):
        f = k * f0_hz
        if f >= rate / 2:
            out.append(-math.inf)
            continue
        i = int(round(f * n / rate))
        lo, hi = max(0, i - 3), min(len(spectrum), i + 4)
        peak = spectrum[lo:hi].max()
        out.append(20.0 * math.log10(max(peak, 1e-300)))
    return np.asarray(out)
