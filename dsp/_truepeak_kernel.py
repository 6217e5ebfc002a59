"""Compiled 4x true-peak detector: two half-band interpolators and a parabolic peak refinement."""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import signal

__all__ = ["STAGE1_TAPS", "STAGE2_TAPS", "interval_peaks_2d"]


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
    # Taps outermost, samples innermost over slices indexed by the bare loop variable (no
    # wrap-around checks), four taps per pass to cut the loads and stores of dst: LLVM vectorises.
    total = taps.shape[0]
    k = 0
    while k + 4 <= total:
        t0, t1, t2, t3 = taps[k], taps[k + 1], taps[k + 2], taps[k + 3]
        b0 = src[origin - k : origin - k + count]
        b1 = src[origin - k - 1 : origin - k - 1 + count]
        b2 = src[origin - k - 2 : origin - k - 2 + count]
        b3 = src[origin - k - 3 : origin - k - 3 + count]
        a0 = src[origin + 1 + k : origin + 1 + k + count]
        a1 = src[origin + 2 + k : origin + 2 + k + count]
        a2 = src[origin + 3 + k : origin + 3 + k + count]
        a3 = src[origin + 4 + k : origin + 4 + k + count]
        for i in range(count):
            dst[i] += t0 * (b0[i] + a0[i]) + t1 * (b1[i] + a1[i]) + t2 * (b2[i] + a2[i]) + t3 * (b3[i] + a3[i])
        k += 4
    while k < total:
        tap = taps[k]
        before = src[origin - k : origin - k + count]
        after = src[origin + 1 + k : origin + 1 + k + count]
        for i in range(count):
            dst[i] += tap * (before[i] + after[i])
        k += 1


@njit(cache=True, fastmath=True, error_model="numpy")
def _crest(left: np.float32, centre: np.float32, right: np.float32) -> np.float32:
    """|centre|, or the peak of the parabola through the three |values| if centre is a crest.

    Branch-free arithmetic (and numpy's error model: no zero-division check) so that the loop
    calling it vectorises like the filters do.
    """
    curvature = left - centre - centre + right
    crest = np.float32((centre >= left) & (centre >= right) & (curvature < np.float32(-1e-30)))
    safe = curvature * crest - (np.float32(1.0) - crest)
    lift = -(left - right) * (left - right) / (np.float32(8.0) * safe)
    # A parabola adds at most a few % at 4x; the clamp guards against odd input.
    limit = centre * np.float32(0.05)
    lift = lift if lift < limit else limit
    return centre + crest * lift


@njit(cache=True, fastmath=True, error_model="numpy")
def interval_peaks_2d(audio: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """Per frame n, the largest |reconstructed value| of any channel in [n, n + 1), linear.

    Reconstruction is 4x oversampling: x[n], the quarter point q1, the half point (stage 1) and
    the three-quarter point q3 (stage 2 written out over x and the half points, so every loop
    runs over contiguous memory). At every 4x point that is a local maximum, a parabola through
    it and its two neighbours estimates the peak between the 4x points, which removes the
    up-to-0.55 dB under-read of plain 4x near 0.45 fs.
    """
    n, channels = audio.shape
    out = np.zeros(n)
    k1 = h1.shape[0]
    k2 = h2.shape[0]
    reach = k2 // 2 + 2  # input samples stage 2 and the refinement need either side of a block
    pad = k1 + reach + 2
    xp = np.zeros(n + 2 * pad, dtype=np.float32)
    half = np.empty(_BLOCK + 2 * reach, dtype=np.float32)  # half[j]: after sample start-reach+j
    q1 = np.empty(_BLOCK + 2, dtype=np.float32)  # q1[j], q3[j]: after sample start-1+j
    q3 = np.empty(_BLOCK + 2, dtype=np.float32)
    for channel in range(channels):
        for i in range(n):
            xp[pad + i] = audio[i, channel]
        _channel_peaks(xp, n, pad, reach, h1, h2, half, q1, q3, out)
    return out


@njit(cache=True, fastmath=True, error_model="numpy")
def _channel_peaks(
    xp: np.ndarray,
    n: int,
    pad: int,
    reach: int,
    h1: np.ndarray,
    h2: np.ndarray,
    half: np.ndarray,
    q1: np.ndarray,
    q3: np.ndarray,
    out: np.ndarray,
) -> None:
    """Raise out[n] to this channel's interval peaks (xp: the channel, zero-padded by `pad`)."""
    k2 = h2.shape[0]
    for start in range(0, n, _BLOCK):
        length = min(_BLOCK, n - start)
        _halfband(xp, pad + start - reach, length + 2 * reach, h1, half)
        count = length + 2
        for j in range(count):
            q1[j] = 0.0
            q3[j] = 0.0
        xo = pad + start - 1  # xp index of sample start-1
        ho = reach - 1  # half index of sample start-1
        # In the 2x signal z (z[2m] = x[m], z[2m+1] = half[m]), q1 is half-way between z[2m] and
        # z[2m+1], q3 between z[2m+1] and z[2m+2]; tap k pairs z[2m-k] with z[2m+1+k] (q1) and
        # z[2m+1-k] with z[2m+2+k] (q3).
        for k in range(k2):
            g = h2[k]
            h = k // 2
            if k % 2 == 0:
                a1 = xp[xo - h : xo - h + count]
                b1 = half[ho + h : ho + h + count]
                a3 = half[ho - h : ho - h + count]
                b3 = xp[xo + 1 + h : xo + 1 + h + count]
            else:
                a1 = half[ho - h - 1 : ho - h - 1 + count]
                b1 = xp[xo + h + 1 : xo + h + 1 + count]
                a3 = xp[xo - h : xo - h + count]
                b3 = half[ho + h + 1 : ho + h + 1 + count]
            for j in range(count):
                q1[j] += g * (a1[j] + b1[j])
                q3[j] += g * (a3[j] + b3[j])
        peaks = out[start : start + length]
        samples = xp[pad + start : pad + start + length + 1]
        halves = half[reach : reach + length]
        quarter = q1[1 : 1 + length]
        three = q3[1 : 1 + length]
        three_before = q3[0:length]
        for i in range(length):
            v0 = abs(samples[i])
            v1 = abs(quarter[i])
            v2 = abs(halves[i])
            v3 = abs(three[i])
            r0 = _crest(abs(three_before[i]), v0, v1)
            r1 = _crest(v0, v1, v2)
            r2 = _crest(v1, v2, v3)
            r3 = _crest(v2, v3, abs(samples[i + 1]))
            # max(), not an if: a branch here would stop this loop vectorising
            peaks[i] = max(max(max(r0, r1), max(r2, r3)), peaks[i])
