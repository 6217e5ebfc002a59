"""Loop measurements from a known send and its capture: sweep, transfer function, delay, levels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft

__all__ = [
    "log_sweep", "transfer_function", "DelayEstimate", "estimate_delay", "band_level_db",
    "fractional_octave_db", "response_freqs_hz",
]

# Deconvolution floor relative to the sweep's strongest bin: keeps bins the sweep never excited
# (DC, the very top) from blowing noise up into the impulse response.
_REGULARIZATION = 1e-10


def log_sweep(rate: int, duration_s: float, level_dbfs: float = -12.0, f_start_hz: float = 10.0,
              f_stop_hz: float | None = None, fade_s: float = 0.01) -> np.ndarray:
    """An exponential (Farina) sine sweep, shaped (frames,), peak at level_dbfs, with short fades."""
    if duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    f_stop_hz = 0.49 * rate if f_stop_hz is None else f_stop_hz
    if not 0 < f_start_hz < f_stop_hz <= rate / 2:
        raise ValueError(f"need 0 < f_start_hz < f_stop_hz <= {rate / 2}, got {f_start_hz}, {f_stop_hz}")
    frames = int(round(duration_s * rate))
    t = np.arange(frames) / rate
    k = math.log(f_stop_hz / f_start_hz)
    phase = 2 * math.pi * f_start_hz * duration_s / k * (np.exp(t * k / duration_s) - 1.0)
    sweep = np.sin(phase)
    fade = min(int(fade_s * rate), frames // 4)
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, fade))
        sweep[:fade] *= ramp
        sweep[-fade:] *= ramp[::-1]
    return sweep * 10.0 ** (level_dbfs / 20.0)


def transfer_function(send: np.ndarray, capture: np.ndarray, n_fft: int | None = None) -> np.ndarray:
    """H(f) = capture/send per channel, as rfft bins shaped (bins, channels).

    send is (frames,) (the same excitation on every channel) or (frames, channels); capture is
    (frames, channels). The send must end in enough silence for the loop's latency and ringing,
    so the circular deconvolution equals the linear one.
    """
    capture = np.asarray(capture, dtype=np.float64)
    if capture.ndim == 1:
        capture = capture[:, None]
    send = np.asarray(send, dtype=np.float64)
    if send.ndim == 1:
        send = send[:, None]
    n_fft = fft.next_fast_len(max(send.shape[0], capture.shape[0]), real=True) if n_fft is None else n_fft
    x = fft.rfft(send, n_fft, axis=0)
    y = fft.rfft(capture, n_fft, axis=0)
    power = np.abs(x) ** 2
    floor = _REGULARIZATION * power.max(axis=0, keepdims=True)
    return y * np.conj(x) / (power + floor)


@dataclass(frozen=True)
class DelayEstimate:
    """One channel's delay: latency in samples (fractional), gain, polarity and how sure we are."""

    latency_samples: float
    polarity_inverted: bool
    confidence: float
    peak_to_noise_db: float


def estimate_delay(h_bins: np.ndarray, rate: int, n_fft: int, band_hz: tuple[float, float] | None = None,
                   max_latency_samples: int | None = None) -> DelayEstimate:
    """The delay of one channel's transfer function (rfft bins of length n_fft//2+1).

    Coarse: the impulse response's peak. Fine: the weighted slope of the phase over band_hz after
    removing the coarse delay, which is exact for any delay, integer or not, where a parabola
    through the correlation peak is biased by up to several hundredths of a sample. Polarity is
    the sign of the response once the delay is removed, so an inverted return is never mistaken
    for a half-period shift. Confidence is the coherence of the response with a pure delay over the
    band (1 = a perfect delay, near 0 = noise).
    """
    h_bins = np.asarray(h_bins)
    impulse = fft.irfft(h_bins, n_fft)
    search = impulse if max_latency_samples is None else impulse[:max_latency_samples + 1]
    peak = int(np.argmax(np.abs(search)))
    noise = np.delete(np.abs(impulse), np.arange(max(0, peak - 2000), min(n_fft, peak + 2000)))
    noise_rms = float(np.sqrt(np.mean(noise ** 2))) if noise.size else 0.0
    peak_to_noise_db = 20 * math.log10(abs(impulse[peak]) / noise_rms) if noise_rms > 0 else math.inf
    lo_hz, hi_hz = band_hz if band_hz is not None else (200.0, min(16000.0, 0.4 * rate))
    freqs = np.arange(h_bins.shape[0]) * rate / n_fft
    sel = (freqs >= lo_hz) & (freqs <= hi_hz)
    omega = 2 * math.pi * freqs[sel] / rate
    response = h_bins[sel]
    weight = np.abs(response) ** 2
    tau = float(peak)
    if weight.sum() <= 0:
        return DelayEstimate(tau, False, 0.0, peak_to_noise_db)
    sign = 1.0
    for _ in range(4):  # each pass removes the delay found so far; converges in two or three
        residual = response * np.exp(1j * omega * tau)
        sign = 1.0 if np.real(np.sum(weight * residual)) >= 0 else -1.0
        phase = np.angle(sign * residual)
        step = -float(np.sum(weight * phase * omega) / np.sum(weight * omega ** 2))
        tau += step
        if abs(step) < 1e-7:
            break
    residual = sign * response * np.exp(1j * omega * tau)
    coherence = float(abs(np.sum(weight * residual / np.maximum(np.abs(residual), 1e-300)))
                      / np.sum(weight))
    return DelayEstimate(tau, sign < 0, coherence, peak_to_noise_db)


def band_level_db(h_bins: np.ndarray, rate: int, n_fft: int, centre_hz: float,
                  fraction: float = 6.0, clip_hz: tuple[float, float] = (0.0, math.inf)) -> np.ndarray:
    """Level in dB of |H| averaged (in power) over a 1/fraction-octave band, per channel.

    clip_hz trims the band's edges, so the end bands of a 20 Hz-20 kHz response stay inside it.
    """
    power = np.abs(np.asarray(h_bins)) ** 2
    return _band_db(_cumulative(power), rate, n_fft, centre_hz, fraction, clip_hz)


def _cumulative(power: np.ndarray) -> np.ndarray:
    if power.ndim == 1:
        power = power[:, None]
    return np.concatenate([np.zeros((1, power.shape[1])), np.cumsum(power, axis=0)])


def _band_db(cumulative: np.ndarray, rate: int, n_fft: int, centre_hz: float, fraction: float,
             clip_hz: tuple[float, float]) -> np.ndarray:
    bins = cumulative.shape[0] - 1
    lo_hz = max(centre_hz * 2 ** (-0.5 / fraction), clip_hz[0])
    hi_hz = min(centre_hz * 2 ** (0.5 / fraction), clip_hz[1])
    lo = max(0, math.ceil(lo_hz * n_fft / rate))
    hi = min(bins - 1, math.floor(hi_hz * n_fft / rate))
    if hi < lo:  # a band narrower than one bin: the nearest bin
        lo = hi = min(bins - 1, int(round(centre_hz * n_fft / rate)))
    mean_power = (cumulative[hi + 1] - cumulative[lo]) / (hi - lo + 1)
    return 10 * np.log10(np.maximum(mean_power, 1e-30))


def response_freqs_hz(fraction: int = 12, lo_hz: float = 20.0, hi_hz: float = 20000.0) -> np.ndarray:
    """Band centres 1000 * 2**(k/fraction) Hz from lo_hz to hi_hz."""
    # the first and last bands are the ones that contain lo_hz and hi_hz
    k_lo = round(fraction * math.log2(lo_hz / 1000.0))
    k_hi = round(fraction * math.log2(hi_hz / 1000.0))
    return 1000.0 * 2.0 ** (np.arange(k_lo, k_hi + 1) / fraction)


def fractional_octave_db(h_bins: np.ndarray, rate: int, n_fft: int, fraction: int = 12,
                         lo_hz: float = 20.0, hi_hz: float = 20000.0) -> tuple[np.ndarray, np.ndarray]:
    """The loop's response in 1/fraction-octave bands: (centres_hz, dB shaped (bands, channels))."""
    hi_hz = min(hi_hz, 0.5 * rate)
    centres = response_freqs_hz(fraction, lo_hz, hi_hz)
    cumulative = _cumulative(np.abs(np.asarray(h_bins)) ** 2)
    levels = np.stack([_band_db(cumulative, rate, n_fft, f, fraction, (lo_hz, hi_hz)) for f in centres])
    return centres, levels
