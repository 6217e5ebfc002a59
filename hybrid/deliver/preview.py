"""The `preview` target: a tagged MP3 (320 kb/s) or Ogg Vorbis for the client to listen to."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.encode import write_audio
from hybrid.deliver.job import TrackMaster

PREVIEW_FORMATS = {"mp3": ("MP3", "MPEG_LAYER_III"), "ogg": ("OGG", "VORBIS")}


class PreviewBuilder(TargetBuilder):
    name = "preview"
    bits = None  # lossy: no word length; the float master goes to the encoder undithered
    default_ceiling_dbtp = -1.0  # the encoder overshoots; -1 dBTP leaves it room

    @property
    def extension(self) -> str:  # type: ignore[override]
        return self.job.preview_format  # renderer._check_choices refused any other

    def write(self, path: Path, pcm: np.ndarray, rate_hz: int, track: TrackMaster) -> None:
        fmt, subtype = PREVIEW_FORMATS[self.extension]
        if fmt == "MP3":
            # constant bit rate at compression level 0 is libsndfile's 320 kb/s
            write_audio(path, pcm, rate_hz, format=fmt, subtype=subtype, bitrate_mode="CONSTANT",
                        compression_level=0)
        else:
            write_audio(path, pcm, rate_hz, format=fmt, subtype=subtype, compression_level=0.2)
