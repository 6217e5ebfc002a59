"""The `hires` target: 24-bit WAV and FLAC at the print's own rate or the one the session asks for; never upsampled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.compliance import Issue
from hybrid.deliver.encode import write_audio
from hybrid.deliver.job import RenderJob, TrackMaster
from hybrid.deliver.rates import HIRES_RATES_HZ, upsampled_hires

__all__ = ["HIRES_MIN_RATE_HZ", "HIRES_RATES_HZ", "HiresBuilder"]

HIRES_MIN_RATE_HZ = 88200  # below this a store's "hi-res" shelf may not take the files (said, not refused)


class HiresBuilder(TargetBuilder):
    name = "hires"
    bits = 24
    default_ceiling_dbtp = -1.0

    def __init__(self, job: RenderJob, folder: Path) -> None:
        super().__init__(job, folder)
        self.low_rates: set[int] = set()  # file rates under HIRES_MIN_RATE_HZ, said once in complete()

    def companions(self, path: Path, pcm: np.ndarray, rate_hz: int) -> list[Path]:
        # the same samples, losslessly packed: what most hi-res stores take; level 5 is FLAC's default
        flac = path.with_suffix(".flac")
        write_audio(flac, pcm, rate_hz, format="FLAC", subtype="PCM_24", compression_level=0.5)
        return [flac]

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        if rate_hz > self.source_rate_hz:  # an upsampled file is not hi-res: not a pass
            self.issues.append(Issue("error", "hires.upsampled", f"{self.label(track)}: "
                                     + str(upsampled_hires(self.source_rate_hz, rate_hz)), track.number))
        elif track.mix_rate_hz is not None and track.mix_rate_hz < rate_hz:
            self.issues.append(Issue(
                "warning", "hires.mix_upsampled", f"{self.label(track)}: a {track.mix_rate_hz} Hz mix, played through "
                f"the rig at {self.source_rate_hz} Hz: this {rate_hz} Hz file holds nothing above "
                f"{track.mix_rate_hz // 2} Hz; stores that check call it upsampled", track.number))
        if rate_hz < HIRES_MIN_RATE_HZ:
            self.low_rates.add(rate_hz)

    def complete(self) -> dict[str, Any]:
        for rate_hz in sorted(self.low_rates):  # once for the album, not per track
            self.issues.append(Issue(
                "warning", "hires.rate", f"hires: {rate_hz} Hz, the print's own rate (not upsampled); a store that "
                f"wants {HIRES_MIN_RATE_HZ} Hz or more needs a print at that rate"))
        return super().complete()
