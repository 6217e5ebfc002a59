"""Every reading `hybrid analyze` reports, measured in one call."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dsp._audio import as_frames, check_rate
from dsp.loudness import LoudnessMeter
from dsp.truepeak import PeakMeter

__all__ = ["Analysis", "ProgrammeMeter", "analyze"]


@dataclass(frozen=True)
class Analysis:
    """Loudness and peak readings of one programme; None where a value is undefined."""

    integrated_lufs: float | None
    short_term_max_lufs: float | None
    momentary_max_lufs: float | None
    lra_lu: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    duration_s: float
    sample_rate: int
    channels: int

    def to_dict(self) -> dict[str, Any]:
        """Exactly the keys of `hybrid analyze --json` (None for undefined, never -inf)."""
        return asdict(self)


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


class ProgrammeMeter:
    """Every reading of `hybrid analyze`, fed block by block: process(block) as it arrives, finish().

    Memory is flat in the programme's length (a 3 s ring, a 100 ms grid, 80 frames of context); the
    readings are those of the whole programme at once, whatever the blocks (tests split at random)."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = check_rate(rate)
        self.channels = int(channels)
        self._loudness = LoudnessMeter(self.rate, self.channels)
        self._peaks = PeakMeter(self.channels)

    @property
    def frames(self) -> int:
        return self._loudness.frames

    def process(self, block: np.ndarray) -> None:
        """Meter the next block: (frames, channels) float (or 1-D for one channel), finite."""
        frames = as_frames(block)  # checked once for both meters
        if frames.shape[1] != self.channels:
            raise ValueError(f"block has {frames.shape[1]} channels; this meter measures {self.channels}")
        self._loudness.process_checked(frames)
        self._peaks.process_checked(frames)

    def finish(self) -> Analysis:
        """The readings of the whole programme; the meter takes no more blocks after this."""
        loudness = self._loudness.finish()
        return Analysis(
            integrated_lufs=loudness.integrated_lufs,
            short_term_max_lufs=loudness.short_term_max_lufs,
            momentary_max_lufs=loudness.momentary_max_lufs,
            lra_lu=loudness.lra_lu,
            true_peak_dbtp=_finite_or_none(self._peaks.true_peak_dbtp()),
            sample_peak_dbfs=_finite_or_none(self._peaks.sample_peak_dbfs()),
            duration_s=self.frames / self.rate,
            sample_rate=self.rate,
            channels=self.channels,
        )


def analyze(audio: np.ndarray, rate: int) -> Analysis:
    """Integrated, maximum short-term and momentary loudness, LRA, true and sample peak.

    float32 audio is measured as it is (no float64 copy): it holds 16- and 24-bit samples
    exactly, and its rounding elsewhere (2^-24, -144 dB relative) is far below a meter's 0.01 dB.
    The whole programme as one block of a ProgrammeMeter."""
    frames = as_frames(audio, rate=rate)
    meter = ProgrammeMeter(rate, frames.shape[1])
    meter.process(frames)
    return meter.finish()
