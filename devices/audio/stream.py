"""The full-duplex block stream: blocks out of the send channels, blocks in from the returns, as they come.

One contract for both backends (devices.audio.portaudio_stream, devices.audio.sim_stream). A stream
calls one function of yours on its audio thread, once per block, with the returns that just came in
and zeroed buffers for the sends (and for any extra outputs, such as the rig's monitor channels) to
fill in place. The callback must be quick (it runs against the clock: no file I/O, no locks held
for long); `play_blocks` is the blocking helper for a caller who has a programme to play and wants
its returns in its own thread (the print writing captures to disk).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np

from devices.errors import AudioError

__all__ = ["Block", "BlockCallback", "DuplexStream", "Glitch", "StreamState", "play_blocks"]


@dataclass
class Block:
    """One block of the stream, lent to the callback for the duration of the call.

    frame: the stream position of the block's first frame (0 at start; frame k of the sends and of
    the returns are the same instant at the interface, so the loop's round trip shows up as a delay
    between what was sent and what returns). returns: (frames, channels) float32, one column per
    return channel (read it, copy what you keep). sends: (frames, channels) float32 zeros, one
    column per send channel: fill it in place. outputs: (frames, len(extra_outputs)) float32 zeros
    for the extra output channels (the monitor): fill it in place. frames is block_size except
    perhaps when a host delivers an odd-sized block.
    """

    frame: int
    returns: np.ndarray
    sends: np.ndarray
    outputs: np.ndarray

    @property
    def frames(self) -> int:
        return int(self.returns.shape[0])


# Called on the audio thread once per block; return False to stop after this block.
BlockCallback = Callable[[Block], "bool | None"]


@dataclass(frozen=True)
class Glitch:
    """Something that broke the stream's continuity: at which frame, and what (one line)."""

    frame: int
    what: str


@runtime_checkable
class DuplexStream(Protocol):
    """A running full-duplex stream over an interface's send, return and extra output channels.

    start(callback) starts the audio thread; stop() stops it and waits for it (idempotent);
    wait(timeout_s) waits for a callback that returned False (True once stopped). frames counts the
    frames done, glitches lists every discontinuity seen (dropout flags, a late block, a clock
    jump), error holds an exception raised by the callback (the stream stops on it). A stream is
    started once; close() stops it and releases the device.
    """

    sample_rate: int
    block_size: int
    channels: int
    extra_outputs: list[int]

    def start(self, callback: BlockCallback) -> None: ...

    def stop(self) -> None: ...

    def wait(self, timeout_s: float | None = None) -> bool: ...

    @property
    def running(self) -> bool: ...

    @property
    def frames(self) -> int: ...

    @property
    def glitches(self) -> list[Glitch]: ...

    @property
    def error(self) -> BaseException | None: ...

    def close(self) -> None: ...


class StreamState:
    """What both backends keep the same way: the frames done, the glitches seen, the callback's error,
    the stopped event, and close()/with. A backend sets _started when it starts its audio."""

    def __init__(self) -> None:
        self._frames = 0
        self._glitches: list[Glitch] = []
        self._error: BaseException | None = None
        self._stopped = threading.Event()
        self._started = False
        self._closed = False

    def stop(self) -> None:  # pragma: no cover - each backend stops its own audio
        raise NotImplementedError

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the stream has stopped (its callback returned False, or stop() was called)."""
        return self._stopped.wait(timeout_s)

    @property
    def running(self) -> bool:
        return self._started and not self._stopped.is_set()

    @property
    def frames(self) -> int:
        return self._frames

    @property
    def glitches(self) -> list[Glitch]:
        return list(self._glitches)

    @property
    def error(self) -> BaseException | None:
        return self._error

    def close(self) -> None:
        """Stop; later starts are refused."""
        self.stop()
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def play_blocks(stream: DuplexStream, sends: Iterable[np.ndarray], *, tail_frames: int = 0,
                queue_blocks: int = 64, timeout_s: float = 10.0) -> Iterator[np.ndarray]:
    """Play `sends` (blocks of (n, channels), any n) and yield the returns as they come, in your thread.

    The returns cover the frames sent plus tail_frames (silence is sent meanwhile), in blocks of the
    stream's size, float32, frame k of the returns recorded while frame k of the sends played. A
    feeder thread reads `sends` ahead into a queue of queue_blocks stream blocks; the audio thread
    takes from it and puts the returns into another queue that this generator drains. If the feeder
    falls behind (sends not ready in time) or the consumer does (returns not taken in time), the
    stream stops and AudioError says where: no block is silently lost or repeated. Closing the
    generator early stops the stream.
    """
    channels, size = stream.channels, stream.block_size
    outgoing: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=queue_blocks)
    incoming: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=queue_blocks)
    stop_feeding = threading.Event()
    problems: list[str] = []
    state = _Progress(tail_left=int(tail_frames))

    def feed() -> None:
        pending = np.zeros((0, channels), dtype=np.float32)
        try:
            for chunk in sends:
                chunk = np.asarray(chunk, dtype=np.float32)
                if chunk.ndim != 2 or chunk.shape[1] != channels:
                    raise ValueError(f"send blocks must be shaped (frames, {channels}), got {chunk.shape}")
                pending = np.concatenate([pending, chunk]) if pending.size else chunk
                while pending.shape[0] >= size:
                    if not _put(outgoing, pending[:size].copy(), stop_feeding):
                        return
                    pending = pending[size:]
            if pending.shape[0]:
                _put(outgoing, pending.copy(), stop_feeding)
        except BaseException as exc:  # the generator of sends failed: say so instead of hanging
            problems.append(f"the send blocks failed: {exc}")
        finally:
            _put(outgoing, None, stop_feeding)

    def callback(block: Block) -> bool:
        n = block.frames
        if not state.sent_all:
            try:
                data = outgoing.get_nowait()
            except queue.Empty:
                problems.append(f"the sends were not ready in time at frame {block.frame} (the feeder fell behind)")
                incoming.put_nowait(None) if not incoming.full() else None
                return False
            if data is None:
                state.sent_all = True
                state.tail_left -= n
            else:
                # a short last block: the rest of it is silence, and counts against the tail
                m = min(n, data.shape[0])
                block.sends[:m] = data[:m]
                if m < n:
                    state.sent_all = True
                    state.tail_left -= n - m
        else:
            state.tail_left -= n
        try:
            incoming.put_nowait(block.returns.copy())
        except queue.Full:
            problems.append(f"the returns were not taken in time at frame {block.frame} (the consumer fell behind)")
            return False
        if state.sent_all and state.tail_left <= 0:
            incoming.put(None)
            return False
        return True

    feeder = threading.Thread(target=feed, name="hybrid-stream-feeder", daemon=True)
    feeder.start()
    # prime the queue so the first blocks are ready before the clock starts
    _wait_primed(outgoing, min(queue_blocks, 4), feeder)
    stream.start(callback)
    total = 0
    try:
        while True:
            try:
                block = incoming.get(timeout=timeout_s)
            except queue.Empty:
                raise AudioError(f"the stream stalled at frame {stream.frames} (is the audio server "
                                 "freewheeling or gone?)") from None
            if block is None:
                break
            total += block.shape[0]
            yield block
        stream.wait(timeout_s)
        if stream.error is not None:
            raise AudioError(f"the audio callback failed: {stream.error}") from stream.error
        if problems:
            raise AudioError(f"the stream dropped out: {problems[0]}")
        if stream.glitches:
            first = stream.glitches[0]
            raise AudioError(f"the stream dropped out at frame {first.frame}: {first.what}")
    finally:
        stop_feeding.set()
        stream.stop()
        feeder.join(timeout=timeout_s)


@dataclass
class _Progress:
    """How far play_blocks has come (touched by the audio thread only)."""

    tail_left: int
    sent_all: bool = False


def _put(q: queue.Queue, item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _wait_primed(q: queue.Queue, blocks: int, feeder: threading.Thread) -> None:
    import time

    deadline = time.monotonic() + 5.0
    while q.qsize() < blocks and feeder.is_alive() and time.monotonic() < deadline:
        time.sleep(0.002)
