"""A pilot in the pre-roll and post-roll of every print, to catch a latency change during the capture."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from calibration.record import CalibrationRecord
from devices.errors import CalibrationError
from devices.rig import CalibrationPolicy
from dsp.transfer import estimate_delay, log_sweep, transfer_function

PILOT_S = 0.1
PILOT_LEVEL_DBFS = -20.0
LEAD_S = 0.05
# silence between the pilots and the programme: the chain's ringing and a compressor's release
# die away before the next thing arrives
GAP_S = 0.25
DEFAULT_TAIL_S = 0.5


@dataclass(frozen=True)
class PilotLayout:
    """Where things sit in a wrapped send, in frames: lead, pilot, gap, audio, gap, pilot, tail."""

    rate: int
    channels: int
    pre_pilot_start: int
    audio_start: int
    audio_frames: int
    post_pilot_start: int
    pilot_frames: int
    total_frames: int

    def extract(self, aligned: np.ndarray) -> np.ndarray:
        """The programme's frames out of a compensated (aligned) capture."""
        return aligned[self.audio_start:self.audio_start + self.audio_frames]

    def pilot(self) -> np.ndarray:
        """The pilot itself, shaped (pilot_frames,)."""
        return _pilot(self.rate, self.pilot_frames)


@dataclass(frozen=True)
class PilotCheck:
    """The loop's latency before and after the programme, per channel, and whether it held."""

    ok: bool
    drift_samples: float
    offset_from_record_samples: float
    pre_latency_samples: list[float]
    post_latency_samples: list[float]

    def describe(self) -> str:
        """One line for the operator and the report."""
        return (f"latency moved {self.drift_samples:.3f} samples during the capture "
                f"({self.offset_from_record_samples:.3f} samples from the calibration)")


def wrap(audio: np.ndarray, rate: int, *, tail_s: float = DEFAULT_TAIL_S) -> tuple[np.ndarray, PilotLayout]:
    """The send for a print: pilot, gap, the programme, gap, pilot, and tail_s of silence.

    tail_s must exceed the loop's latency so the post-roll pilot comes back before the end.
    """
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 2:
        raise ValueError(f"audio must be shaped (frames, channels), got {audio.shape}")
    lead, pilot_frames, gap = (int(round(s * rate)) for s in (LEAD_S, PILOT_S, GAP_S))
    tail = int(round(tail_s * rate))
    frames, channels = audio.shape
    audio_start = lead + pilot_frames + gap
    post = audio_start + frames + gap
    total = post + pilot_frames + tail
    send = np.zeros((total, channels))
    pilot = _pilot(rate, pilot_frames)[:, None]
    send[lead:lead + pilot_frames] = pilot
    send[audio_start:audio_start + frames] = audio
    send[post:post + pilot_frames] = pilot
    return send, PilotLayout(rate, channels, lead, audio_start, frames, post, pilot_frames, total)


def check(capture: np.ndarray, layout: PilotLayout, record: CalibrationRecord,
          policy: CalibrationPolicy | None = None) -> PilotCheck:
    """Measure each pilot's latency in the raw capture; ok when pre and post agree within policy."""
    policy = policy or CalibrationPolicy()
    capture = np.asarray(capture, dtype=np.float64)
    if capture.shape != (layout.total_frames, layout.channels):
        raise ValueError(f"capture must be shaped {(layout.total_frames, layout.channels)}, got {capture.shape}")
    pre = _latencies(capture, layout, layout.pre_pilot_start, record)
    post = _latencies(capture, layout, layout.post_pilot_start, record)
    drift = max(abs(a - b) for a, b in zip(pre, post))
    offset = max(abs(a - ch.latency_samples) for a, ch in zip(pre, record.channels))
    return PilotCheck(drift <= policy.max_latency_drift_samples, float(drift), float(offset), pre, post)


def _latencies(capture: np.ndarray, layout: PilotLayout, start: int, record: CalibrationRecord) -> list[float]:
    rate = layout.rate
    pilot = layout.pilot()
    # look at the capture from a little before the pilot's expected return, so the programme's own
    # return (which ends a gap earlier) stays out of the window
    margin = int(0.02 * rate)
    expected = min(record.channel_latencies())
    shift = max(0, int(math.floor(expected)) - margin)
    window = layout.pilot_frames + 2 * margin + int(math.ceil(max(record.channel_latencies()) - expected))
    window = max(window, 2 * layout.pilot_frames)
    lo = start - margin
    if lo + shift + window > capture.shape[0]:
        raise CalibrationError(
            f"the capture ends before the post-roll pilot came back (latency {expected:.0f} samples); "
            "wrap the programme with a longer tail")
    reference = np.zeros(window)
    reference[margin:margin + layout.pilot_frames] = pilot
    segment = capture[lo + shift:lo + shift + window]
    h_bins = transfer_function(reference, segment)
    n_fft = 2 * (h_bins.shape[0] - 1)
    band = (300.0, min(12000.0, 0.3 * rate))
    out = []
    for c in range(layout.channels):
        delay = estimate_delay(h_bins[:, c], rate, n_fft, band_hz=band, max_latency_samples=window // 2)
        if delay.confidence < 0.5:
            raise CalibrationError(
                f"the pilot did not come back clearly on channel {c + 1} (confidence "
                f"{delay.confidence:.2f}); the loop broke or its latency jumped during the print")
        out.append(delay.latency_samples + shift)
    return out


def _pilot(rate: int, frames: int) -> np.ndarray:
    # a short log chirp rather than a steady tone: a tone only pins latency modulo its period
    return log_sweep(rate, frames / rate, PILOT_LEVEL_DBFS, f_start_hz=200.0,
                     f_stop_hz=min(16000.0, 0.45 * rate), fade_s=0.01)
