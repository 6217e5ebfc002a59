"""Analog-matched second-order filters (no cramping near Nyquist) as second-order sections.

The poles are the analog prototype's poles mapped exactly (z = exp(s T)); the zeros are chosen so
that the digital magnitude equals the analog one at DC, at Nyquist and at the filter's own
frequency (after M. Vicanek, "Matched Second Order Digital Filters", 2016). Unlike the bilinear
transform, a 16 kHz bell at 44.1 kHz keeps its analog width and a shelf keeps its analog slope.

Every design function returns `sos` shaped (n, 6) in scipy's layout [b0 b1 b2 1 a1 a2].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy import signal

__all__ = ["peaking", "low_shelf", "high_shelf", "highpass", "lowpass", "tilt", "proportional_q",
           "apply_sos", "sos_response_db", "analog_response_db", "identity_sos"]

_BUTTERWORTH_Q = 1.0 / math.sqrt(2.0)


def identity_sos() -> np.ndarray:
    """One section that passes audio unchanged."""
    return np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])


def proportional_q(q: float, gain_db: float) -> float:
    """Q that rises with the amount of boost or cut, as on proportional-Q consoles.

    At small gains the bell is broad (musical nudges), at full gain it tightens: Q doubles at 12 dB.
    """
    return q * (1.0 + abs(gain_db) / 12.0)


def peaking(f0_hz: float, gain_db: float, q: float, rate: float) -> np.ndarray:
    """A bell: gain_db at f0_hz, 0 dB far away; analog prototype (s^2 + s*A/Q + 1)/(s^2 + s/(A*Q) + 1)."""
    _check(f0_hz, rate, q)
    if gain_db == 0.0:
        return identity_sos()
    a = 10.0 ** (gain_db / 40.0)
    num = np.array([1.0, a / q, 1.0])
    den = np.array([1.0, 1.0 / (a * q), 1.0])
    return _matched(num, den, f0_hz, rate)


def low_shelf(f0_hz: float, gain_db: float, rate: float, q: float = _BUTTERWORTH_Q) -> np.ndarray:
    """Second-order low shelf: gain_db at DC, 0 dB far above f0_hz, half the gain (in dB) at f0_hz."""
    return _shelf(f0_hz, gain_db, rate, q, high=False)


def high_shelf(f0_hz: float, gain_db: float, rate: float, q: float = _BUTTERWORTH_Q) -> np.ndarray:
    """Second-order high shelf: 0 dB at DC, gain_db far above f0_hz, half the gain (in dB) at f0_hz."""
    return _shelf(f0_hz, gain_db, rate, q, high=True)


def _shelf(f0_hz: float, gain_db: float, rate: float, q: float, high: bool) -> np.ndarray:
    _check(f0_hz, rate, q)
    if gain_db == 0.0:
        return identity_sos()
    a = 10.0 ** (gain_db / 40.0)
    sa = math.sqrt(a)
    num = a * np.array([1.0, sa / q, a])
    den = np.array([a, sa / q, 1.0])
    if high:
        # s -> 1/s mirrors the low shelf about f0: the same polynomials, coefficients reversed
        num, den = num[::-1], den[::-1]
    return _matched(num, den, f0_hz, rate)


def highpass(f0_hz: float, rate: float, q: float = _BUTTERWORTH_Q) -> np.ndarray:
    """Second-order high-pass, -3 dB at f0_hz for the Butterworth Q; a double zero at DC."""
    _check(f0_hz, rate, q)
    a1, a2 = _poles(f0_hz, q, rate)
    w0 = 2.0 * math.pi * f0_hz / rate
    # match |H| = Q at f0 (the analog value) with numerator b0 (1 - z^-1)^2
    target = q
    den_mag = abs(1.0 + a1 * np.exp(-1j * w0) + a2 * np.exp(-2j * w0))
    num_mag = abs(1.0 - np.exp(-1j * w0)) ** 2
    b0 = target * den_mag / num_mag
    return np.array([[b0, -2.0 * b0, b0, 1.0, a1, a2]])


def lowpass(f0_hz: float, rate: float, q: float = _BUTTERWORTH_Q) -> np.ndarray:
    """Second-order low-pass, unity at DC, analog magnitude at f0_hz, finite (not zero) at Nyquist."""
    _check(f0_hz, rate, q)
    a1, a2 = _poles(f0_hz, q, rate)
    big_a0, big_a1, big_a2 = (1 + a1 + a2) ** 2, (1 - a1 + a2) ** 2, -4 * a2
    w0 = 2.0 * math.pi * f0_hz / rate
    phi1 = math.sin(w0 / 2) ** 2
    phi0 = 1.0 - phi1
    phi2 = 4.0 * phi0 * phi1
    r1 = (big_a0 * phi0 + big_a1 * phi1 + big_a2 * phi2) * q * q
    b_dc = big_a0
    b_ny = max((r1 - b_dc * phi0) / phi1, 0.0)
    b0 = 0.5 * (math.sqrt(b_dc) + math.sqrt(b_ny))
    b1 = math.sqrt(b_dc) - b0
    return np.array([[b0, b1, 0.0, 1.0, a1, a2]])


def tilt(pivot_hz: float, tilt_db: float, rate: float) -> np.ndarray:
    """A gentle tilt around pivot_hz: +tilt_db/2 far above, -tilt_db/2 far below (0.5 Q shelves)."""
    if tilt_db == 0.0:
        return identity_sos()
    low = low_shelf(pivot_hz, -tilt_db / 2.0, rate, q=0.5)
    high = high_shelf(pivot_hz, tilt_db / 2.0, rate, q=0.5)
    return np.vstack([low, high])


def apply_sos(sos: np.ndarray, audio: np.ndarray, zi: np.ndarray | None = None
              ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Filter (frames, channels) audio along time; with zi (from sos_state) also return the new state."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 2:
        raise ValueError(f"audio must be shaped (frames, channels), got {audio.shape}")
    if zi is None:
        return signal.sosfilt(sos, audio, axis=0)
    # streaming a block at a time: the same transposed direct form II as scipy's sosfilt, without
    # its per-call overhead (which dominates for 256-frame blocks)
    out = np.empty_like(audio)
    zf = np.array(zi, dtype=np.float64, copy=True)
    _sos_stream(np.ascontiguousarray(sos, dtype=np.float64), audio, zf, out)
    return out, zf


@njit(cache=True, nogil=True)
def _sos_stream(sos: np.ndarray, x: np.ndarray, z: np.ndarray, out: np.ndarray) -> None:
    frames, channels = x.shape
    for c in range(channels):
        for i in range(frames):
            v = x[i, c]
            for s in range(sos.shape[0]):
                y = sos[s, 0] * v + z[s, 0, c]
                z[s, 0, c] = sos[s, 1] * v - sos[s, 4] * y + z[s, 1, c]
                z[s, 1, c] = sos[s, 2] * v - sos[s, 5] * y
                v = y
            out[i, c] = v


def sos_state(sos: np.ndarray, channels: int) -> np.ndarray:
    """A zero filter state for apply_sos on `channels` channels (the filter at rest)."""
    return np.zeros((sos.shape[0], 2, channels))


def sos_response_db(sos: np.ndarray, freqs_hz: np.ndarray, rate: float) -> np.ndarray:
    """Magnitude response in dB of sections at the given frequencies."""
    _, h = signal.sosfreqz(sos, worN=np.asarray(freqs_hz, dtype=np.float64), fs=rate)
    return 20.0 * np.log10(np.maximum(np.abs(h), 1e-300))


def analog_response_db(num: np.ndarray, den: np.ndarray, f0_hz: float, freqs_hz: np.ndarray) -> np.ndarray:
    """Magnitude in dB of an analog prototype normalised to f0_hz (s = j f / f0), for comparisons."""
    s = 1j * np.asarray(freqs_hz, dtype=np.float64) / f0_hz
    h = np.polyval(num, s) / np.polyval(den, s)
    return 20.0 * np.log10(np.abs(h))


# --------------------------------------------------------------------------- the matching


def _check(f0_hz: float, rate: float, q: float) -> None:
    if not (rate > 0 and 0 < f0_hz):
        raise ValueError(f"need 0 < f0_hz and rate > 0, got f0_hz={f0_hz}, rate={rate}")
    if not q > 0:
        raise ValueError(f"q must be above zero, got {q}")


def _poles(f0_hz: float, q: float, rate: float) -> tuple[float, float]:
    """a1, a2 of the analog poles of s^2 + s/q + 1 (scaled to f0) mapped by z = exp(sT)."""
    w0 = 2.0 * math.pi * f0_hz / rate
    zeta = 1.0 / (2.0 * q)
    a2 = math.exp(-2.0 * zeta * w0)
    if zeta <= 1.0:
        a1 = -2.0 * math.exp(-zeta * w0) * math.cos(math.sqrt(1.0 - zeta * zeta) * w0)
    else:
        a1 = -2.0 * math.exp(-zeta * w0) * math.cosh(math.sqrt(zeta * zeta - 1.0) * w0)
    return a1, a2


def _matched(num: np.ndarray, den: np.ndarray, f0_hz: float, rate: float) -> np.ndarray:
    """Digital sections for the analog num/den (polynomials in s normalised to f0_hz)."""
    roots = np.roots(den) * 2.0 * math.pi * f0_hz / rate
    zp = np.exp(roots)
    a1 = float(-(zp[0] + zp[1]).real)
    a2 = float((zp[0] * zp[1]).real)
    big_a = ((1 + a1 + a2) ** 2, (1 - a1 + a2) ** 2, -4 * a2)

    def analog_power(w: float) -> float:
        s = 1j * w * rate / (2.0 * math.pi * f0_hz)
        return float(abs(np.polyval(num, s) / np.polyval(den, s)) ** 2)

    def phis(w: float) -> tuple[float, float, float]:
        p1 = math.sin(w / 2.0) ** 2
        p0 = 1.0 - p1
        return p0, p1, 4.0 * p0 * p1

    def den_power(w: float) -> float:
        p = phis(w)
        return big_a[0] * p[0] + big_a[1] * p[1] + big_a[2] * p[2]

    w0 = 2.0 * math.pi * f0_hz / rate
    # the third matching point: the filter's own frequency, kept away from Nyquist where phi2 -> 0
    wm = min(w0, 0.8 * math.pi)
    b_dc = analog_power(0.0) * den_power(0.0)
    b_ny = analog_power(math.pi) * den_power(math.pi)
    p0, p1, p2 = phis(wm)
    b_mid = (analog_power(wm) * den_power(wm) - b_dc * p0 - b_ny * p1) / p2
    sq_dc, sq_ny = math.sqrt(b_dc), math.sqrt(b_ny)
    w = 0.5 * (sq_dc + sq_ny)
    # a response no second-order section can match exactly: take the nearest realisable one
    b0 = 0.5 * (w + math.sqrt(max(w * w + b_mid, 0.0)))
    b1 = 0.5 * (sq_dc - sq_ny)
    b2 = -b_mid / (4.0 * b0)
    return np.array([[b0, b1, b2, 1.0, a1, a2]])
