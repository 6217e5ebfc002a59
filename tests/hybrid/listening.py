"""Helpers for the listening tests: mixes made in code, sessions at bypass or neutral, the tap read out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from devices.profile import load_profile
from devices.rig import load_rig
from hybrid.listen import ListenEngine

RATE = 48000


def band_noise_mix(path: Path, seconds: float, seed: int, rms: float = 0.2, top_hz: float = 15000.0) -> Path:
    """Stereo noise band-limited to 30 Hz - top_hz (inside every converter's flat band), as a float WAV."""
    rng = np.random.default_rng(seed)
    sos = signal.butter(8, [30.0, top_hz], btype="bandpass", fs=RATE, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal((int(seconds * RATE) + 4800, 2)), axis=0)[4800:]
    x *= rms / np.sqrt(np.mean(x ** 2))
    sf.write(str(path), x.astype(np.float32), RATE, subtype="FLOAT")
    return path


def setting_words(kind: str, rig_path: str | None = None) -> list[str]:
    """UNIT.PARAM=VALUE for every unit of a rig: `neutral` (engaged, flat) or `bypass` (relays out)."""
    words = []
    for unit in load_rig(rig_path).units:
        profile = load_profile(unit.profile)
        values = profile.neutral()
        position = profile.parameters.get("bypass")
        if kind == "bypass" and position is not None and position.detents:
            values["bypass"] = next(p for p in position.detents if p in ("on", "out"))
        words += [f"{unit.name}.{k}={v}" for k, v in values.items()]
    return words


class TapRecorder:
    """Drains an engine's tap on its own thread, keeping every block by its monitor frame."""

    def __init__(self, engine: ListenEngine) -> None:
        import threading

        assert engine.tap is not None
        self.engine = engine
        self.blocks: list[np.ndarray] = []
        self.first: int | None = None
        self.next_frame = 0
        self.gap = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            item = self.engine.tap.get(0.05)  # type: ignore[union-attr]
            if item is None:
                continue
            frame, block = item
            if self.first is None:
                self.first, self.next_frame = frame, frame
            if frame != self.next_frame:
                self.gap = self.gap or f"the tap jumped from frame {self.next_frame} to {frame}"
            self.blocks.append(block)
            self.next_frame = frame + block.shape[0]

    def wait_for(self, frame: int, timeout_s: float = 60.0) -> None:
        """Until the recording reaches monitor frame `frame`."""
        import time

        deadline = time.monotonic() + timeout_s
        while self.next_frame < frame:
            assert time.monotonic() < deadline, f"the feed stopped at frame {self.next_frame} " \
                                                f"(stream error: {self.engine.stream.error})"
            time.sleep(0.005)

    def now(self) -> int:
        return self.next_frame

    def audio(self, start: int, end: int) -> np.ndarray:
        """Monitor frames [start, end) as float64 (waits for them)."""
        self.wait_for(end)
        assert not self.gap, self.gap
        whole = np.concatenate(self.blocks)
        return whole[start - self.first:end - self.first].astype(np.float64)  # type: ignore[operator]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def null_db(a: np.ndarray, b: np.ndarray) -> float:
    """Residual of b against a, dB relative to a."""
    return float(10 * np.log10(np.mean((a - b) ** 2) / np.mean(a ** 2)))
