"""`hybrid` as whole processes (start-up counts) beside ffmpeg's R128 meter in the same run:
--help and a refusal, analyze of a 1 s and a 5 min file, 500 one-second files in one call."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench._process import ChildRun, best_child, hybrid_argv, run_child

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
MANY_FILES = int(os.environ.get("BENCH_MANY_FILES", "500"))
RATE_HZ = 48000


def _ffmpeg(path: Path) -> list[str]:
    return ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"]


def _row(task: str, command: str, run: ChildRun, peer: ChildRun | None = None) -> dict[str, Any]:
    return {"task": task, "command": command, "wall_s": round(run.wall_s, 3), "cpu_s": round(run.cpu_s, 3),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
            "peer_over_ours_wall": round(peer.wall_s / run.wall_s, 2) if peer else None,
            "exit": run.status}


def _noise_file(path: Path, seconds: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    audio = rng.standard_normal((int(seconds * RATE_HZ), 2)) * 0.1
    sf.write(str(path), audio.astype(np.float32), RATE_HZ, subtype="FLOAT")
    return path


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-processes-") as tmp:
        folder = Path(tmp)
        # the floor on this machine in this run: the interpreter alone, and with numpy (every audio command's)
        rows.append(_row("python", "python3 -c pass", best_child([sys.executable, "-c", "pass"], REPEATS)))
        rows.append(_row("python + numpy", "python3 -c 'import numpy'",
                         best_child([sys.executable, "-c", "import numpy"], REPEATS)))
        rows.append(_row("help", "hybrid --help", best_child(hybrid_argv("--help"), REPEATS)))
        rows.append(_row("refusal", "hybrid analyze missing.wav",
                         best_child(hybrid_argv("analyze", str(folder / "missing.wav")), REPEATS)))

        one = _noise_file(folder / "one.wav", 1.0, 1)
        peer = best_child(_ffmpeg(one), REPEATS)
        rows.append(_row("analyze 1 s", "hybrid analyze one.wav", best_child(hybrid_argv("analyze", str(one)), REPEATS), peer))
        rows.append(_row("ffmpeg 1 s", "ffmpeg -af ebur128=peak=true", peer))

        from bench.dsp_speed import programme  # the demo songs, 5 minutes, level moves, +3 dBFS float

        five = folder / "five.wav"
        sf.write(str(five), programme().astype(np.float32), RATE_HZ, subtype="FLOAT")
        peer = best_child(_ffmpeg(five), REPEATS)
        rows.append(_row("analyze 5 min", "hybrid analyze five.wav", best_child(hybrid_argv("analyze", str(five)), REPEATS), peer))
        rows.append(_row("ffmpeg 5 min", "ffmpeg -af ebur128=peak=true", peer))

        many = [_noise_file(folder / f"short{i:03d}.wav", 1.0, 100 + i) for i in range(MANY_FILES)]
        ours = best_child(hybrid_argv("analyze", "--json", *map(str, many)), max(1, REPEATS // 2))
        each = [run_child(_ffmpeg(path)) for path in many]  # once per file, as a shell loop would
        peer = ChildRun(sum(r.wall_s for r in each), sum(r.cpu_s for r in each),
                        max(r.peak_rss_mb for r in each), max(r.status for r in each))
        rows.append(_row(f"analyze {MANY_FILES} x 1 s", "hybrid analyze --json short*.wav (one call)", ours, peer))
        rows.append(_row(f"ffmpeg {MANY_FILES} x 1 s", "for f in short*.wav; do ffmpeg ... $f; done", peer))
    return rows
