"""The `streaming` target: 24-bit WAVs at the session's rate, -1 dBTP, and what platforms will do."""

from __future__ import annotations

from typing import Any

import numpy as np

from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.job import TrackMaster
from hybrid.deliver.platforms import loudness_issues, playback_changes

STREAMING_RATES_HZ = (44100, 48000)


class StreamingBuilder(TargetBuilder):
    name = "streaming"
    bits = 24
    default_ceiling_dbtp = -1.0  # AES TD1008 and the platforms' own guidance

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        peak = entry["true_peak_dbtp"] if entry["true_peak_dbtp"] is not None else float("-inf")
        entry["platforms"] = playback_changes(entry["integrated_lufs"], peak)
        self.issues += loudness_issues(entry["integrated_lufs"], peak, label=self.label(track),
                                       track=track.number)
