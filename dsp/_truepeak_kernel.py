"""Compiled 4x true-peak detector: two half-band interpolators and a parabolic peak refinement."""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import signal

__all__ = ["STAGE1_TAPS", "STAGE2_TAPS", "interval_peaks_1d"]


def _halfband_unique_taps(numtaps: int, passband: float) -> np.ndarray:
    """The distinct odd-phase taps of an equiripple half-band interpolator (x2 gain included).

    `passband` is the edge relative to the *output* rate (Nyquist = 0.5). The even phase of a
    half-band filter is the input sample itself, so only the odd phase costs anything, and it is
    symmetric: y(n + 1/2) = sum_k taps[k] * (x[n - k] + x[n + 1 + k]).
    """
    h = signal.remez(numtaps, [0.0, passband, 0.5 - passband, 0.5], [1.0, 0.0], fs=1.0)
    centre = (numtaps - 1) // 2
    odd = 2.0 * h[centre + 1 :: 2]  # taps at centre+1, centre+3, ...: the half-sample phase
    return np.ascontiguousarray(odd, dtype=np.float32)


# Stage 1 (x2) must be sharp: flat to 0.49 fs and rejecting images from 0.51 fs, because a true
# peak is what an ideal reconstruction reaches, and dense programme (cymbals, noise, clipped
# material) has real energy between 0.45 and 0.5 fs: a detector flat only to 0.45 fs read a
# limited noise burst 0.5 dB low against an FFT reference, this one within 0.06 dB. Stage 2 (x2
# again) only rejects images that stage 1 already pushed far away, so it is short. Tones swept
# over frequency and phase to 0.45 fs read within +-0.03 dB of the analytic peak (see tests).
# float32 arithmetic: its 1e-7 relative error is 1e-5 dB, and it halves the time (wider SIMD).
STAGE1_TAPS = _halfband_unique_taps(303, 0.49 / 2.0)
STAGE2_TAPS = _halfband_unique_taps(19, 0.49 / 4.0)

_BLOCK = 4096  # samples per block: the block's work arrays stay in L1/L2 cache


@njit(cache=True, fastmath=True, error_model="numpy")
def _halfband(src: np.ndarray, origin: int, count: int, taps: np.ndarray, dst: np.ndarray) -> None:
    """dst[i] = value half-way between src[origin+i] and src[origin+i+1], for i < count."""
    for i in range(count):
        dst[i] = 0.0
    for k in range(taps.shape[0]):
        tap = taps[k]
        # Slices indexed by the bare loop variable: no wrap-around checks, so LLVM vectorises.
        before = src[origin - k : origin - k + count]
        after = src[origin + 1 + k : origin + 1 + k + count]
        for i in range(count):
            dst[i] += tap * (before[i] + after[i])


@njit(cache=True, fastmath=True, error_model="numpy")
def interval_peaks_1d(x: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """Per input sample n, the largest |reconstructed value| in [n, n + 1), linear full scale.

    Reconstruction is 4x oversampling (x[n] and three interpolated points per sample). At every
    4x point that is a local maximum, a parabola through it and its two neighbours estimates the
    peak between the 4x points, which removes the up-to-0.55 dB under-read of plain 4x near
    0.45 fs (a parabola fits a sine's crest to within 0.05 dB at 4x up to 0.45 fs).
    """
    n = x.shape[0]
    out = np.empty(n)
    k1 = h1.shape[0]
    k2 = h2.shape[0]
    margin = k2 // 2 + 2  # stage-1 samples needed either side of a block by stage 2
    pad = k1 + margin + 2
    xp = np.zeros(n + 2 * pad, dtype=np.float32)
    for i in range(n):
        xp[pad + i] = x[i]
    span = _BLOCK + 2 * margin
    mid = np.empty(span, dtype=np.float32)
    z = np.zeros(2 * span + 2, dtype=np.float32)
    q = np.zeros(2 * span + 2, dtype=np.float32)
    w = np.zeros(4 * _BLOCK + 2, dtype=np.float32)  # |4x values| of the block, one spare each side
    p = np.zeros(4 * _BLOCK + 2, dtype=np.float32)  # the same, refined where a local maximum
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        first = start - margin  # input index of z[0]
        count = stop - start + 2 * margin
        _halfband(xp, pad + first, count, h1, mid)
        for i in range(count):
            z[2 * i] = xp[pad + first + i]
            z[2 * i + 1] = mid[i]
        _halfband(z, k2, 2 * count - 2 * k2, h2, q[k2:])
        length = stop - start
        base = 2 * margin  # z/q index of the block's first sample
        w[0] = abs(q[base - 1])
        for i in range(length):
            j = base + 2 * i
            w[1 + 4 * i] = abs(z[j])
            w[2 + 4 * i] = abs(q[j])
            w[3 + 4 * i] = abs(z[j + 1])
            w[4 + 4 * i] = abs(q[j + 1])
        w[1 + 4 * length] = abs(z[base + 2 * length])
        # Branch-free arithmetic (and numpy's error model: no zero-division check) so that this
        # loop vectorises like the filters do.
        centre = w[1 : 1 + 4 * length]
        left = w[0 : 4 * length]
        right = w[2 : 2 + 4 * length]
        refined = p[: 4 * length]
        for j in range(4 * length):
            c = centre[j]
            a = left[j]
            b = right[j]
            curvature = a - c - c + b
            crest = np.float32((c >= a) & (c >= b) & (curvature < np.float32(-1e-30)))
            safe = curvature * crest - (np.float32(1.0) - crest)
            lift = -(a - b) * (a - b) / (np.float32(8.0) * safe)
            # A parabola adds at most a few % at 4x; the clamp guards against odd input.
            limit = c * np.float32(0.05)
            lift = lift if lift < limit else limit
            refined[j] = c + crest * lift
        for i in range(length):
            o = 4 * i
            out[start + i] = max(max(refined[o], refined[o + 1]), max(refined[o + 2], refined[o + 3]))
    return out
