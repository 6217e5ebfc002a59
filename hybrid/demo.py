"""A short demo record made in code: three stereo mixes (drums, bass, chords, a little noise) at 48 kHz."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from dsp.programme import RATE_HZ, SONGS, render_song

__all__ = ["RATE_HZ", "SONGS", "render_song", "write_demo_mixes"]


def write_demo_mixes(folder: str | Path, rate: int = RATE_HZ) -> list[Path]:
    """Write the three demo mixes as 24-bit WAVs into folder, in album order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, song in enumerate(SONGS, 1):
        path = folder / f"{n:02d}-{song.slug}.wav"
        sf.write(path, render_song(song, rate, seed=n), rate, subtype="PCM_24")
        paths.append(path)
    return paths
