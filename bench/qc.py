"""Mix evaluation and report speed: x real time per check on 3 minutes of stereo 48 kHz, beside
ffmpeg's astats (a peer that measures peak, DC, RMS and flat factor), and the report's drawing time."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench._timing import best_of, real_time
from dsp import qc
from dsp.meter import analyze
from dsp.programme import SONGS, render_song
from dsp.truepeak import interval_peaks
from hybrid.mix_evaluation import evaluate

RATE = 48000
SECONDS = 180.0


def _programme() -> np.ndarray:
    """Three minutes of the demo songs back to back (drums, bass, pads, a noise floor)."""
    parts, total = [], 0
    while total < SECONDS * RATE:
        song = SONGS[len(parts) % len(SONGS)]
        parts.append(render_song(song, RATE, seed=len(parts)))
        total += parts[-1].shape[0]
    return np.concatenate(parts)[: int(SECONDS * RATE)]


def _timed(name: str, seconds: float, call: Any) -> dict[str, Any]:
    return {"bench": name, "audio_s": seconds, **real_time(seconds, *best_of(call))}


def run() -> list[dict[str, Any]]:
    audio = _programme()
    interval_peaks(audio[:RATE], RATE)  # numba compiles once, outside the timings
    rows = [
        _timed("hybrid.mix_evaluation.evaluate (every check)", SECONDS, lambda: evaluate(audio, RATE)),
        _timed("dsp.meter.analyze (loudness, LRA, true peak)", SECONDS, lambda: analyze(audio, RATE)),
        _timed("dsp.truepeak.interval_peaks (overs, per sample)", SECONDS, lambda: interval_peaks(audio, RATE)),
        _timed("dsp.qc.clicks", SECONDS, lambda: qc.clicks(audio, RATE)),
        _timed("dsp.qc.hum", SECONDS, lambda: qc.hum(audio, RATE)),
        _timed("dsp.qc.clipped_runs", SECONDS, lambda: qc.clipped_runs(audio)),
        _timed("dsp.qc.noise_floor", SECONDS, lambda: qc.noise_floor(audio, RATE)),
        _timed("dsp.qc.edges", SECONDS, lambda: qc.edges(audio, RATE)),
        _timed("dsp.qc.correlation_over_time", SECONDS, lambda: qc.correlation_over_time(audio, RATE)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "programme.wav"
        sf.write(path, audio, RATE, subtype="PCM_24")
        if shutil.which("ffmpeg"):
            rows.append(_timed("ffmpeg astats (peer: peak, DC, RMS, flat factor)", SECONDS, lambda: subprocess.run(
                ["ffmpeg", "-v", "error", "-i", str(path), "-af", "astats", "-f", "null", "-"], check=True)))
        rows.append(_report_time(Path(tmp)))
    return rows


def _report_time(folder: Path) -> dict[str, Any]:
    """write_report for the demo's three songs as source, capture and master: curves and plots."""
    from hybrid.report import write_report

    tracks, seconds = [], 0.0
    for n, song in enumerate(SONGS, 1):
        mix = render_song(song, RATE, seed=n)
        seconds += mix.shape[0] / RATE
        for stage in ("source", "capture"):
            sf.write(folder / f"{stage}-{n}.wav", mix, RATE, subtype="FLOAT")
        tracks.append({"track_id": song.slug, "title": song.title, "source": str(folder / f"source-{n}.wav"),
                       "capture": f"capture-{n}.wav"})
    timing = best_of(lambda: write_report(folder / "out", {"session": {"title": "bench"}, "tracks": tracks}, audio_dir=folder))
    return {"bench": "hybrid.report.write_report (3 demo songs: curves, qc, 4 plots)", "audio_s": round(seconds, 1),
            **real_time(seconds, *timing)}


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
