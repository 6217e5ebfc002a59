"""The `hires` target: 24-bit WAV and FLAC at the print's own rate or the one the session asks for; never upsampled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.compliance import Issue
from hybrid.deliver.encode import write_audio
from hybrid.deliver.job import TrackMaster
from hybrid.deliver.rates import HIRES_RATES_HZ, upsampled_hires

__all__ = ["HIRES_MIN_RATE_HZ", "HIRES_RATES_HZ", "HiresBuilder"]

HIRES_MIN_RATE_HZ = 88200  # below this a store's "hi-res" shelf may not take the files (said, not refused)


class HiresBuilder(TargetBuilder):
    name = "hires"
    bits = 24
    default_ceiling_dbtp = -1.0

    def companions(self, path: Path, pcm: np.ndarray, rate_hz: int) -> list[Path]:
        # the same samples, losslessly packed: what most hi-res stores take; level 5 is FLAC's default
        flac = path.with_suffix(".flac")
        write_audio(flac, pcm, rate_hz, format="FLAC", subtype="PCM_24", compression_level=0.5)
        return [flac]

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        if rate_hz > self.source_rate_hz:  # an upsampled file is not hi-res: not a pass
            self.issues.append(Issue("error", "hires.upsampled", f"{self.label(track)}: "
                                     + str(upsampled_hires(self.source_rate_hz, rate_hz)), track.number))
        elif rate_hz < HIRES_MIN_RATE_HZ:
            self.issues.append(Issue(
                "warning", "hires.rate", f"{self.label(track)}: {rate_hz} Hz, the print's own rate (not upsampled); "
                f"a store that wants {HIRES_MIN_RATE_HZ} Hz or more needs a print at that rate", track.number))
