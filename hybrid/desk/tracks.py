"""A track's overview for the page: the waveform in columns of min/max, and what `hybrid qc` says of
the mix (its loudness, true peak and findings), measured once per file version."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from hybrid.audiofile import read_audio

COLUMNS = 800  # waveform columns: the overview's width in device pixels at 1x on a laptop screen


def waveform(audio: np.ndarray, columns: int = COLUMNS) -> list[list[float]]:
    """[min, max] of the channels' mid signal per column (a lane the eye reads as the track's shape)."""
    mid = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    columns = max(1, min(columns, mid.shape[0]))
    edges = np.linspace(0, mid.shape[0], columns + 1).astype(int)
    lows = np.minimum.reduceat(mid, edges[:-1])
    highs = np.maximum.reduceat(mid, edges[:-1])
    return [[round(float(lo), 4), round(float(hi), 4)] for lo, hi in zip(lows, highs)]


def overview(path: Path) -> dict[str, Any]:
    """Waveform, duration, loudness (the keys of `hybrid analyze --json`) and QC of one mix."""
    from hybrid.mix_evaluation import evaluate, json_safe  # scipy.signal/stats: 0.8 s, loaded at first use

    audio, rate = read_audio(path, dtype="float32")
    evaluation = evaluate(audio, rate, name=path.name)
    data = json_safe(evaluation.to_dict())
    return {"duration_s": audio.shape[0] / rate, "sample_rate": rate, "channels": int(audio.shape[1]),
            "waveform": waveform(audio), "loudness": data["measurements"].get("loudness", {}),
            "verdict": data.get("verdict"), "ready": data.get("ready"), "findings": data.get("findings", [])}


class OverviewCache:
    """Overviews keyed by the file's path, size and mtime: a changed mix is measured again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[str, int, int], dict[str, Any]] = {}

    def get(self, path: Path) -> dict[str, Any]:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key in self._found:
                return self._found[key]
        made = overview(path)
        with self._lock:
            self._found[key] = made
        return made
