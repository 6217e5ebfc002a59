"""Deliverable rendering speed per target (x real time) on the demo music, beside ffmpeg doing the CD step."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench._timing import best_of, real_time
from dsp.programme import SONGS, render_song
from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render

TRACK_S = 120.0  # each demo song looped to two minutes


def _album(folder: Path) -> tuple[RenderJob, float]:
    tracks = []
    for n, song in enumerate(SONGS, start=1):
        mix = render_song(song)
        audio = np.tile(mix, (int(np.ceil(TRACK_S * 48000 / mix.shape[0])), 1))[: int(TRACK_S * 48000)]
        path = folder / f"{n:02d}-{song.slug}.wav"
        sf.write(str(path), (audio * 1.6).astype(np.float32), 48000, subtype="FLOAT")  # hot: the limiter works
        tracks.append(TrackMaster(n, song.slug, song.title, path, isrc=f"GBAYE26{n:05d}",
                                  finishing={"ceiling_dbtp": -1.0}))
    album = AlbumInfo(title="Demo", artist="Hybrid", upc_ean="4006381333931")
    return RenderJob(tracks=tracks, album=album, revision=1), TRACK_S * len(tracks)


def run() -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        job, audio_s = _album(folder)
        for target in ("streaming", "cd", "hires", "vinyl", "preview"):
            timing = best_of(lambda target=target: render(job, [target], folder / "out"))
            rows.append({"target": target, "audio_s": audio_s, **real_time(audio_s, *timing)})
        if shutil.which("ffmpeg"):
            # the peer: ffmpeg's soxr resampler and triangular dither to 16 bit, no limiter, no checks
            def peer() -> None:
                for track in job.tracks:
                    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(track.capture_path), "-af",
                                    "aresample=44100:resampler=soxr:dither_method=triangular", "-c:a", "pcm_s16le",
                                    str(folder / f"ff-{track.number}.wav")], check=True)

            rows.append({"target": "ffmpeg cd-format only (peer)", "audio_s": audio_s, **real_time(audio_s, *best_of(peer))})
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
