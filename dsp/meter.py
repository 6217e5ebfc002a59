"""Every reading `hybrid analyze` reports, measured in one call."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dsp.loudness import measure
from dsp.truepeak import peak_readings

__all__ = ["Analysis", "analyze"]


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


def analyze(audio: np.ndarray, rate: int) -> Analysis:
    """Integrated, maximum short-term and momentary loudness, LRA, true and sample peak.

    float32 audio is measured as it is (no float64 copy): it holds 16- and 24-bit samples
    exactly, and its rounding elsewhere (2^-24, -144 dB relative) is far below a meter's 0.01 dB."""
    loudness = measure(audio, rate)  # each of the two checks the audio: shape, float, finite
    true_peak, sample_peak = peak_readings(audio, rate)
    shape = np.shape(audio)  # (frames,) or (frames, channels), as the readings accepted it
    return Analysis(
        integrated_lufs=loudness.integrated_lufs,
        short_term_max_lufs=loudness.short_term_max_lufs,
        momentary_max_lufs=loudness.momentary_max_lufs,
        lra_lu=loudness.lra_lu,
        true_peak_dbtp=_finite_or_none(true_peak),
        sample_peak_dbfs=_finite_or_none(sample_peak),
        duration_s=shape[0] / int(rate),
        sample_rate=int(rate),
        channels=int(shape[1]) if len(shape) == 2 else 1,
    )
