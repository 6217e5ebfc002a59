"""Measure the loop: a log sweep out of every send, its returns deconvolved into latency and level."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import fft

from calibration.record import CalibrationRecord, ChannelCalibration, LoopResponse, now_utc
from dsp.transfer import (
    DelayEstimate, band_level_db, estimate_delay, fractional_octave_db, log_sweep, transfer_function,
)
from devices.audio.base import AudioInterface
from devices.errors import CalibrationError

# A return this far above its noise after deconvolution, and this coherent with a pure delay,
# is a loop; anything less is a missing patch cable or the wrong channel.
MIN_PEAK_TO_NOISE_DB = 30.0
MIN_CONFIDENCE = 0.5
LEVEL_REFERENCE_HZ = 1000.0
# each send's sweep starts this much after the previous send's (see run_sweep)
STAGGER_S = 0.05


def measure(interface: AudioInterface, *, rig_name: str, sweep_s: float = 1.0, level_dbfs: float = -12.0,
            tail_s: float = 0.75, response_fraction: int = 12) -> CalibrationRecord:
    """Measure latency, polarity, per-channel level at 1 kHz and the loop's response.

    tail_s of silence after the sweep bounds the longest latency that can be measured.
    """
    rate = int(interface.sample_rate)
    # an interface that knows its own part of the round trip (the simulation) gets room for it
    known_s = float(getattr(interface, "loop_latency_samples", 0.0)) / rate
    tail_s = max(tail_s, known_s + 0.25)
    loop = run_sweep(interface, sweep_s=sweep_s, level_dbfs=level_dbfs, lead_s=0.05, tail_s=tail_s)
    sends, returns = channel_numbers(interface)
    freqs, response_db = fractional_octave_db(loop.h_bins, rate, loop.n_fft, response_fraction)
    channels = []
    for c in range(interface.channels):
        delay = loop.delays[c]
        channels.append(ChannelCalibration(
            send=sends[c], return_=returns[c], gain_db=float(loop.gains_db[c]),
            latency_samples=delay.latency_samples, polarity_inverted=delay.polarity_inverted,
            confidence=delay.confidence, noise_floor_dbfs=loop.noise_floor_dbfs[c],
            crosstalk_db=loop.crosstalk_db[c] if loop.crosstalk_db else None,
        ))
    mean_latency = float(np.mean([ch.latency_samples for ch in channels]))
    channels = [ch.model_copy(update={"skew_samples": ch.latency_samples - mean_latency}) for ch in channels]
    return CalibrationRecord(
        rig=rig_name, sample_rate=rate, block_size=int(interface.block_size), measured_at=now_utc(),
        latency_samples=mean_latency, confidence=min(ch.confidence for ch in channels),
        polarity_inverted=any(ch.polarity_inverted for ch in channels), channels=channels,
        response=LoopResponse(freqs_hz=[float(f) for f in freqs],
                              channels=[[round(float(v), 4) for v in response_db[:, c]] for c in range(interface.channels)],
                              resolution_octaves=1.0 / response_fraction),
    )


@dataclass
class SweepResult:
    """What one sweep through the loop gave: transfer functions, delays, levels, noise, crosstalk."""

    h_bins: np.ndarray
    n_fft: int
    delays: list[DelayEstimate]
    gains_db: np.ndarray
    noise_floor_dbfs: list[float | None]
    crosstalk_db: list[float | None] = field(default_factory=list)


def run_sweep(interface: AudioInterface, *, sweep_s: float, level_dbfs: float, lead_s: float,
              tail_s: float) -> SweepResult:
    """Play one sweep on every send, each STAGGER_S later than the one before, and analyse each
    return against the first send's timing.

    The stagger is what tells the sends apart: a return fed by the wrong send comes back a whole
    stagger early or late, far beyond any real skew, so crossed patch cables are caught here
    instead of printing a master with its channels swapped.
    """
    rate = int(interface.sample_rate)
    n = int(interface.channels)
    lead = int(round(lead_s * rate))
    tail = int(round(tail_s * rate))
    stagger = int(round(STAGGER_S * rate))
    sweep = log_sweep(rate, sweep_s, level_dbfs)
    frames = lead + sweep.size + (n - 1) * stagger + tail
    send = np.zeros((frames, n))
    for c in range(n):
        send[lead + c * stagger:lead + c * stagger + sweep.size, c] = sweep
    capture = interface.playrec(send)
    sends, returns = channel_numbers(interface)
    peak = np.max(np.abs(capture), axis=0)
    for c in range(n):
        if peak[c] >= 0.999:
            raise CalibrationError(
                f"return {returns[c]} clipped during the calibration sweep (send {sends[c]}); "
                "lower the return gain or the units' output")
    # zero-padded 4x: bins of a few tenths of a hertz keep even the 20 Hz twelfth-octave band populated
    n_fft = fft.next_fast_len(4 * frames, real=True)
    h_bins = transfer_function(send[:, 0], capture, n_fft)
    arrivals = []
    for c in range(n):
        delay = estimate_delay(h_bins[:, c], rate, n_fft, max_latency_samples=frames - sweep.size)
        if delay.peak_to_noise_db < MIN_PEAK_TO_NOISE_DB or delay.confidence < MIN_CONFIDENCE:
            raise CalibrationError(
                f"no clear signal came back on return {returns[c]} from send {sends[c]} "
                f"(peak {delay.peak_to_noise_db:.0f} dB over noise, confidence {delay.confidence:.2f}); "
                "check the patch, the channel numbers in the rig file and that the units pass audio")
        arrivals.append(delay)
    _refuse_crossed_returns([d.latency_samples for d in arrivals], stagger, sends, returns)
    delays = [replace(d, latency_samples=d.latency_samples - c * stagger) for c, d in enumerate(arrivals)]
    # H against the first send's timing carries each channel's stagger as a pure delay, which
    # leaves levels alone. A 1/48-octave band: the level at 1 kHz itself, averaged against noise
    gains_db = band_level_db(h_bins, rate, n_fft, LEVEL_REFERENCE_HZ, fraction=48.0)
    quiet = capture[: max(lead // 2, 1)]
    noise_floor = [_dbfs(float(np.sqrt(np.mean(quiet[:, c] ** 2)))) for c in range(n)]
    crosstalk = _crosstalk_db(h_bins, n_fft, rate, [d.latency_samples for d in arrivals], stagger)
    return SweepResult(h_bins, n_fft, delays, gains_db, noise_floor, crosstalk)


def _crosstalk_db(h_bins: np.ndarray, n_fft: int, rate: int, arrivals: list[float],
                  stagger: int) -> list[float | None]:
    """Per return, the loudest other send it carries, in dB against its own send (peak to peak).

    Another send's sweep started a whole number of staggers earlier or later, so what leaks from
    it shows up in this return's impulse response that many staggers from the main arrival.
    """
    n = len(arrivals)
    if n < 2:
        return [None] * n
    # judged in the band where a sweep is strong on every rig: the sweep's own band edges ring for
    # tens of milliseconds and would read as crosstalk
    weight = _smooth_band(np.arange(h_bins.shape[0]), n_fft, rate)
    impulses = fft.irfft(h_bins * weight[:, None], n_fft, axis=0)
    reach = stagger // 8
    out: list[float | None] = []
    for r, arrival in enumerate(arrivals):
        main = int(round(arrival))
        own = float(np.max(np.abs(impulses[max(0, main - reach):main + reach, r])))
        worst = 0.0
        for c in range(n):
            if c == r:
                continue
            at = main + (c - r) * stagger
            if 0 <= at - reach and at + reach <= n_fft:
                worst = max(worst, float(np.max(np.abs(impulses[at - reach:at + reach, r]))))
        out.append(round(20 * math.log10(max(worst, 1e-12) / own), 1) if own > 0 else None)
    return out


def _smooth_band(bins: np.ndarray, n_fft: int, rate: int, lo_hz: float = 200.0, hi_hz: float = 8000.0) -> np.ndarray:
    """A weighting of rfft bins: one from lo_hz to hi_hz, raised-cosine over an octave each side."""
    octaves = np.log2(np.maximum(bins * rate / n_fft, 1e-9))
    rise = np.clip(octaves - (math.log2(lo_hz) - 1), 0.0, 1.0)
    fall = np.clip((math.log2(hi_hz) + 1) - octaves, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))


def _refuse_crossed_returns(arrivals: list[float], stagger: int, sends: list[int], returns: list[int]) -> None:
    """CalibrationError naming the sends the returns really carry, when they are not their own."""
    if len(arrivals) < 2:
        return
    first = min(arrivals)  # some return carries the earliest sweep: send 1's, when all are patched
    carried = [int(round((t - first) / stagger)) for t in arrivals]
    offsets = [t - c * stagger for c, t in enumerate(arrivals)]
    if max(offsets) - min(offsets) < stagger / 2:
        return
    wrong = [f"return {returns[c]} carries send {sends[src] if 0 <= src < len(sends) else '?'}"
             for c, src in enumerate(carried) if src != c]
    raise CalibrationError(
        "the returns do not carry their own sends: " + ", ".join(wrong)
        + " (expected send " + ", ".join(f"{s} -> return {r}" for s, r in zip(sends, returns))
        + "); check the patch or the channel numbers in the rig file")


def channel_numbers(interface: AudioInterface) -> tuple[list[int], list[int]]:
    """The rig's send and return channel numbers, or 1..N when the interface does not say."""
    n = int(interface.channels)
    sends = list(getattr(interface, "send_channels", None) or range(1, n + 1))
    returns = list(getattr(interface, "return_channels", None) or range(1, n + 1))
    return sends, returns


def _dbfs(rms: float) -> float | None:
    return round(20 * math.log10(rms), 2) if rms > 0 else None
