"""The `hires` target: 24-bit WAV and FLAC at 88.2 or 96 kHz (or the source's own higher rate), no needless SRC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.compliance import Issue
from hybrid.deliver.encode import write_audio
from hybrid.deliver.job import TrackMaster

HIRES_MIN_RATE_HZ = 88200
HIRES_RATES_HZ = (88200, 96000, 176400, 192000)  # what a session may ask for in delivery.hires.rate_hz


def hires_rate_hz(source_rate_hz: int) -> int:
    """The source rate when it is already high; otherwise the double rate of its family."""
    if source_rate_hz >= HIRES_MIN_RATE_HZ:
        return source_rate_hz
    return 88200 if source_rate_hz % 11025 == 0 else 96000


class HiresBuilder(TargetBuilder):
    name = "hires"
    bits = 24
    default_ceiling_dbtp = -1.0

    def rate_for(self, source_rate_hz: int) -> int:
        # a store's asked-for rate wins; renderer._check_choices refused any outside HIRES_RATES_HZ
        return self.job.hires_rate_hz or hires_rate_hz(source_rate_hz)

    def companions(self, path: Path, pcm: np.ndarray, rate_hz: int) -> list[Path]:
        # the same samples, losslessly packed: what most hi-res stores take; level 5 is FLAC's default
        flac = path.with_suffix(".flac")
        write_audio(flac, pcm, rate_hz, format="FLAC", subtype="PCM_24", compression_level=0.5)
        return [flac]

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        if self.source_rate_hz < HIRES_MIN_RATE_HZ:
            self.issues.append(Issue(
                "warning", "hires.upsampled",
                f"{self.label(track)}: printed at {self.source_rate_hz} Hz and upsampled to {rate_hz} Hz; "
                f"it holds nothing above {self.source_rate_hz // 2} Hz, and some stores check", track.number))
