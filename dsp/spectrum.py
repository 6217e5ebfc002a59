"""Fractional-octave spectra and the spectral balance of a track against a reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from dsp._audio import as_frames

__all__ = ["Balance", "band_edges_hz", "fractional_octave", "power_spectrum", "spectral_balance"]

# IEC 61260-1 base-ten octave ratio: band centres fall on the familiar 31.5, 63, 125 ... 16k series.
_OCTAVE_RATIO = 10.0 ** (3.0 / 10.0)

# Regions an engineer talks about when comparing tone, in Hz.
REGIONS_HZ = {"low": (20.0, 250.0), "low_mid": (250.0, 2000.0), "high_mid": (2000.0, 6000.0),
              "high": (6000.0, 20000.0)}


def _check(audio: np.ndarray, rate: float) -> np.ndarray:
    """as_frames (shape, float, finite, rate) plus the one thing it allows that a spectrum cannot: no frames."""
    x = as_frames(audio, rate)
    if x.shape[0] == 0:
        raise ValueError(f"audio must be shaped (frames, channels) with frames > 0, got {x.shape}")
    return x.astype(np.float64, copy=False)

def power_spectrum(audio: np.ndarray, rate: float, resolution_hz: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density averaged over channels: (freqs_hz, psd in FS^2/Hz).

    Hann windows with 50 % overlap; the segment is 1/resolution_hz seconds, shortened for short
    signals. Integrating psd over a band gives the mean square of the signal in that band.
    """
    x = _check(audio, rate)
    if not resolution_hz > 0:
        raise ValueError(f"resolution_hz must be positive, got {resolution_hz}")
    nperseg = int(min(x.shape[0], max(16, round(rate / resolution_hz))))
    freqs, psd = signal.welch(x, fs=rate, window="hann", nperseg=nperseg, axis=0, detrend=False,
                              scaling="density")
    return freqs, psd.mean(axis=1)


def band_edges_hz(fraction: int = 3, fmin_hz: float = 20.0, fmax_hz: float = 20000.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centres, lower edges, upper edges) of 1/fraction-octave bands, base-ten per IEC 61260-1."""
    if fraction < 1:
        raise ValueError(f"fraction must be 1 or more, got {fraction}")
    # Odd fractions have a band centred on 1 kHz; even fractions straddle it (IEC 61260-1, 5.4).
    offset = 0.0 if fraction % 2 else 0.5
    k_lo = int(np.floor(fraction * np.log(fmin_hz / 1000.0) / np.log(_OCTAVE_RATIO) - offset))
    k_hi = int(np.ceil(fraction * np.log(fmax_hz / 1000.0) / np.log(_OCTAVE_RATIO) - offset))
    k = np.arange(k_lo, k_hi + 1) + offset
    centres = 1000.0 * _OCTAVE_RATIO ** (k / fraction)
    keep = (centres >= fmin_hz * _OCTAVE_RATIO ** (-0.5 / fraction)) & \
           (centres <= fmax_hz * _OCTAVE_RATIO ** (0.5 / fraction))
    centres = centres[keep]
    half = _OCTAVE_RATIO ** (1.0 / (2 * fraction))
    return centres, centres / half, centres * half


def fractional_octave(audio: np.ndarray, rate: float, fraction: int = 3, fmin_hz: float = 20.0,
                      fmax_hz: float = 20000.0) -> tuple[np.ndarray, np.ndarray]:
    """Band levels of a 1/fraction-octave analysis: (centres_hz, level_dbfs), channels averaged.

    Levels follow AES17: a full-scale sine reads 0 dBFS in its band. Bands above Nyquist are left
    out; a band with no energy reads -inf.
    """
    x = _check(audio, rate)
    centres, lower, upper = band_edges_hz(fraction, fmin_hz, min(fmax_hz, rate / 2.0))
    keep = upper <= rate / 2.0 * 1.0001
    centres, lower, upper = centres[keep], lower[keep], upper[keep]
    # Resolution fine enough for the narrowest (lowest) band to hold several bins.
    narrowest = float((upper - lower)[0]) if len(lower) else 10.0
    freqs, psd = power_spectrum(x, rate, resolution_hz=max(0.5, narrowest / 4.0))
    df = freqs[1] - freqs[0] if len(freqs) > 1 else rate
    # Cumulative power with bin edges at +-df/2, interpolated so band edges cut bins proportionally.
    cum = np.concatenate([[0.0], np.cumsum(psd * df)])
    bin_edges = np.concatenate([freqs - df / 2.0, [freqs[-1] + df / 2.0]])
    power = np.interp(upper, bin_edges, cum) - np.interp(lower, bin_edges, cum)
    with np.errstate(divide="ignore"):
        level = 10.0 * np.log10(np.maximum(power, 0.0) * 2.0)  # *2: a sine of peak 1 has mean square 1/2
    return centres, level


@dataclass(frozen=True)
class Balance:
    """A track's tone against a reference, levels matched: positive = more than the reference."""

    centres_hz: np.ndarray
    difference_db: np.ndarray  # per band, after matching the overall level
    regions_db: dict[str, float]  # low, low_mid, high_mid, high
    tilt_db_per_octave: float  # least-squares slope of the difference over log2 frequency


def spectral_balance(audio: np.ndarray, rate: float, reference: np.ndarray, reference_rate: float,
                     fraction: int = 3) -> Balance:
    """Compare the tone of audio with a reference over 31.5 Hz - 16 kHz, whatever their loudness.

    Overall level is matched on the mean of band powers in 100 Hz - 5 kHz, where mixes of one genre
    agree most, so a brighter or bass-heavier mix shows up at the ends rather than moving the match.
    """
    fmax = min(16000.0, rate / 2.2, reference_rate / 2.2)
    c1, lev = fractional_octave(audio, rate, fraction, 31.5, fmax)
    c2, ref = fractional_octave(reference, reference_rate, fraction, 31.5, fmax)
    n = min(len(c1), len(c2))
    centres, lev, ref = c1[:n], lev[:n], ref[:n]
    floor = -150.0  # bands without energy compare as very quiet rather than -inf
    lev, ref = np.maximum(lev, floor), np.maximum(ref, floor)
    match = (centres >= 100.0) & (centres <= 5000.0)
    if not match.any():
        match = np.ones_like(centres, dtype=bool)
    offset = 10.0 * np.log10(np.mean(10.0 ** (lev[match] / 10.0)) / np.mean(10.0 ** (ref[match] / 10.0)))
    diff = lev - ref - offset
    regions = {}
    for name, (lo, hi) in REGIONS_HZ.items():
        sel = (centres >= lo) & (centres < hi)
        if sel.any():
            regions[name] = float(10.0 * np.log10(np.mean(10.0 ** ((lev[sel] - offset) / 10.0))
                                                  / np.mean(10.0 ** (ref[sel] / 10.0))))
    octaves = np.log2(centres / 1000.0)
    tilt = float(np.polyfit(octaves, diff, 1)[0]) if n >= 2 else 0.0
    return Balance(centres, diff, regions, tilt)
