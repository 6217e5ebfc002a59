"""The input door as whole processes: `session new` (every sample of the mix scanned, then hashed)
beside sox reading the same file for its stats and sha256sum hashing it, and the refusals of a
YAML alias bomb and a NaN mix, all in the same run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench._process import ChildRun, best_child, hybrid_argv

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
RATE_HZ = 48000


def _row(task: str, command: str, run: ChildRun, peer: ChildRun | None = None) -> dict[str, Any]:
    return {"task": task, "command": command, "wall_s": round(run.wall_s, 3), "cpu_s": round(run.cpu_s, 3),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
            "peer_over_ours_wall": round(peer.wall_s / run.wall_s, 2) if peer else None, "exit": run.status}


def _bomb(depth: int = 9, width: int = 10) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]" for n in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-door-") as tmp:
        folder = Path(tmp)
        five = folder / "five.wav"
        noise = np.random.default_rng(0).standard_normal((300 * RATE_HZ, 2)) * 0.1
        sf.write(str(five), noise, RATE_HZ, subtype="PCM_24")
        sox = best_child(["sox", str(five), "-n", "stat"], REPEATS)
        sha = best_child(["sha256sum", str(five)], REPEATS)
        # a new folder each time: a session folder is made once
        runs = []
        for n in range(REPEATS):
            runs.append(best_child(hybrid_argv("session", "new", str(folder / f"s{n}"), "--track", str(five)), 1))
        ours = ChildRun(min(r.wall_s for r in runs), min(r.cpu_s for r in runs), max(r.peak_rss_mb for r in runs),
                        max(r.status for r in runs))
        rows.append(_row("session new, 5 min 24-bit stereo", "hybrid session new s --track five.wav", ours, sox))
        rows.append(_row("sox stat, same file", "sox five.wav -n stat", sox))
        rows.append(_row("sha256sum, same file", "sha256sum five.wav", sha))

        bomb = folder / "bomb.yaml"
        bomb.write_text(_bomb())
        rows.append(_row("refusal: 218-byte alias bomb as rig", "hybrid session new b --rig bomb.yaml --track five.wav",
                         best_child(hybrid_argv("session", "new", str(folder / "b"), "--rig", str(bomb), "--track",
                                                str(five)), REPEATS)))
        nan = folder / "nan.wav"
        sf.write(str(nan), np.full((RATE_HZ, 2), np.nan, np.float32), RATE_HZ, subtype="FLOAT")
        rows.append(_row("refusal: NaN mix", "hybrid session new n --track nan.wav",
                         best_child(hybrid_argv("session", "new", str(folder / "n"), "--track", str(nan)), REPEATS)))
    return rows
