"""Peak memory of whole processes against the programme's length: 96 kHz stereo at 1, 10, 60 and
180 minutes, made in code on /tmp block by block and deleted after, beside ffmpeg's R128 meter."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench._process import best_child, hybrid_argv

RATE_HZ = 96000
MINUTES = tuple(float(m) for m in os.environ.get("BENCH_MINUTES", "1,10,60,180").split(","))
# qc still holds the whole programme (issue 15: not streamed yet); measured only this far
WHOLE_FILE_MINUTES = float(os.environ.get("BENCH_WHOLE_FILE_MINUTES", "10"))
_BLOCK_S = 10


def write_programme(path: Path, minutes: float, seed: int = 0) -> Path:
    """Noise with a new level every 10 s (so LRA and the gates have something to do), written as
    RF64 24-bit (past 4 GB a plain WAV cannot say its length) without holding it in memory."""
    rng = np.random.default_rng(seed)
    base = (rng.standard_normal((_BLOCK_S * RATE_HZ, 2)) * 0.3).astype(np.float32)
    blocks = int(round(minutes * 60 / _BLOCK_S))
    with sf.SoundFile(str(path), "w", samplerate=RATE_HZ, channels=2, subtype="PCM_24", format="RF64") as out:
        for _ in range(blocks):
            # loud stretches clip at full scale (as a hot master does), so the limiter works there
            out.write(np.clip(base * np.float32(10.0 ** (rng.uniform(-20.0, 0.0) / 20.0)), -1.0, 1.0))
    return path


def _row(task: str, minutes: float, command: str, argv: list[str], output: Path | None = None) -> dict[str, Any]:
    run = best_child(argv, 1)
    row: dict[str, Any] = {"task": task, "minutes": minutes, "command": command,
                           "peak_rss_mb": round(run.peak_rss_mb, 1), "wall_s": round(run.wall_s, 1),
                           "cpu_s": round(run.cpu_s, 1), "exit": run.status}
    if output is not None:  # the master's true peak by our meter (4x + parabola: reads within 0.05 dB)
        from hybrid.analysis import analyze_file

        row["output_true_peak_dbtp"] = round(analyze_file(output).true_peak_dbtp or float("-inf"), 3)
        output.unlink()
    return row


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for minutes in MINUTES:
        with tempfile.TemporaryDirectory(prefix="bench-memory-", dir="/tmp") as tmp:
            path = write_programme(Path(tmp) / "programme.wav", minutes, seed=int(minutes))
            rows.append(_row("analyze", minutes, "hybrid analyze programme.wav", hybrid_argv("analyze", str(path))))
            rows.append(_row("ffmpeg ebur128", minutes, "ffmpeg -af ebur128=peak=true",
                             ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
                              "-f", "null", "-"]))
            out = Path(tmp) / "finished.wav"
            rows.append(_row("finish", minutes, "hybrid finish programme.wav out.wav --rate 44100 --bits 16",
                             hybrid_argv("finish", str(path), str(out), "--rate", "44100", "--bits", "16"), out))
            # the peer: ffmpeg's limiter at -1 dBFS (a sample-peak limiter: it does not hold a
            # true-peak ceiling) and soxr to 44.1 kHz, 16-bit with triangular dither
            peer = Path(tmp) / "ffmpeg.wav"
            rows.append(_row("ffmpeg alimiter+soxr", minutes, "ffmpeg -af alimiter,aresample=soxr -> 16-bit",
                             ["ffmpeg", "-nostats", "-hide_banner", "-y", "-i", str(path), "-af",
                              "alimiter=limit=0.891:level=false,aresample=44100:resampler=soxr:dither_method=triangular",
                              "-c:a", "pcm_s16le", str(peer)], peer))
            if minutes <= WHOLE_FILE_MINUTES:
                rows.append(_row("qc", minutes, "hybrid qc programme.wav", hybrid_argv("qc", str(path), "--json")))
    return rows
