"""Where the monitor feed goes besides the interface's monitor channels: a caller's tap, a file."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from devices.errors import AudioFileError

# blocks a tap or a file writer may fall behind by before the oldest is dropped (and counted):
# at 48 kHz and 256 frames, about 2.7 s
SINK_QUEUE_BLOCKS = 512


class Tap:
    """Hands the monitor feed to a caller, block by block: get() -> (frame, (frames, channels) float32).

    The audio thread never waits for the caller: a caller that falls SINK_QUEUE_BLOCKS behind
    loses the oldest blocks, and `dropped` counts them (the frame numbers show the gap).
    """

    def __init__(self, max_blocks: int = SINK_QUEUE_BLOCKS, *, wait: bool = False) -> None:
        self._queue: queue.Queue[tuple[int, np.ndarray]] = queue.Queue(maxsize=max_blocks)
        self.dropped = 0
        self.closed = False
        self.wait = wait  # a stream with no clock of its own (realtime=False) waits for the caller instead

    def put(self, frame: int, block: np.ndarray) -> None:
        if self.closed:
            return
        while self.wait and not self.closed:
            try:
                self._queue.put((frame, block), timeout=0.1)
                return
            except queue.Full:
                continue
        while not self.closed:
            try:
                self._queue.put_nowait((frame, block))
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def get(self, timeout_s: float | None = None) -> tuple[int, np.ndarray] | None:
        """The next block (its monitor frame and audio), or None after timeout_s."""
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.closed = True


class FileSink:
    """Writes the monitor feed to a float WAV as it plays (a writer thread; the file appears under
    its name, atomically, when the listening stops)."""

    def __init__(self, path: str | Path, rate: int, channels: int) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise AudioFileError(self.path, "its folder does not exist", "give --monitor-file a path in an existing folder")
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        self._file = sf.SoundFile(str(self._tmp), "w", samplerate=rate, channels=channels,
                                  format="WAV", subtype="FLOAT")
        self._tap = Tap()
        self.frames = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, name="hybrid-monitor-file", daemon=True)
        self._thread.start()

    def put(self, frame: int, block: np.ndarray) -> None:
        self._tap.put(frame, block)

    @property
    def dropped(self) -> int:
        return self._tap.dropped

    def _write(self) -> None:
        while not self._stop.is_set() or not self._tap._queue.empty():
            item = self._tap.get(0.05)
            if item is not None:
                self._file.write(item[1])
                self.frames += item[1].shape[0]

    def discard(self) -> None:
        """Stop and leave nothing behind (the listening never started)."""
        self._tap.close()
        self._stop.set()
        self._thread.join()
        self._file.close()
        self._tmp.unlink(missing_ok=True)
        self._stop.set()

    def close(self) -> None:
        """Write what is queued, close the file and move it into place."""
        if self._stop.is_set():
            return
        self._tap.close()
        self._stop.set()
        self._thread.join()
        self._file.close()
        os.replace(self._tmp, self.path)
