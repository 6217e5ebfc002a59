"""The simulated interface as a full-duplex stream: its chain run block by block against a clock."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
from scipy import signal

from devices.audio.base import AnalogChain
from devices.audio.sim import converter_filter
from devices.audio.stream import Block, BlockCallback, Glitch
from devices.errors import AudioError
from devices.rig import SimInterfaceConfig


class SimStream:
    """The simulated loop of devices.audio.sim.SimInterface, streamed: the same latency (the converters'
    plus one block of driver buffering), gain errors, noise and converter filter, so a send played
    through it comes back sample for sample as playrec gives it (noise aside).

    The audio thread runs the callback, then the block of sends through `analog` (the simulated
    units, called in stream order) and the converters. With realtime=True it keeps to the clock:
    block k is due (block k + 1) periods after the start (one block of output buffering); a block
    finished after that is a glitch (an underrun on a real interface) and the clock starts again
    from now. realtime=False runs as fast as it can (a render, a test). The extra outputs are
    offered to the callback like a real interface's and go nowhere (the simulation has no
    monitors: the listening engine sends its monitor feed to a file, a tap or JACK instead).
    """

    def __init__(self, config: SimInterfaceConfig, analog: AnalogChain | None = None, *, seed: int = 0,
                 extra_outputs: list[int] | None = None, realtime: bool = True) -> None:
        self.config = config
        self.sample_rate: int = int(config.sample_rate)
        self.block_size: int = int(config.block_size)
        self.channels: int = len(config.send_channels)
        self.extra_outputs: list[int] = list(extra_outputs or [])
        self.analog = analog
        self.realtime = realtime
        self.loop_latency_samples = float(config.latency_samples) + self.block_size
        whole = math.floor(self.loop_latency_samples)
        self._taps, half_taps = converter_filter(self.sample_rate, config.lowpass_hz, self.loop_latency_samples - whole)
        self._shift = whole - half_taps
        if self._shift < self.block_size:
            # a block's returns would need sends not yet made: the loop is shorter than the filter
            raise AudioError(
                f"interface.latency_samples {config.latency_samples} is too short to stream: the simulated "
                f"converters' filter alone delays {half_taps} samples; give at least {half_taps}")
        self._gains = (10.0 ** (np.asarray(config.gain_error_db, dtype=np.float64) / 20.0))[None, :]
        self._noise_rms = 10.0 ** (config.noise_dbfs / 20.0)
        self._rng = np.random.default_rng(seed)
        self._zi = np.zeros((self._taps.size - 1, self.channels))
        # what the converters have made and not yet delivered: _shift frames ahead of the returns
        self._pending = np.zeros((self._shift, self.channels))
        self._frames = 0
        self._glitches: list[Glitch] = []
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ the contract

    def start(self, callback: BlockCallback) -> None:
        """Start the audio thread (once)."""
        if self._closed or self._thread is not None:
            raise AudioError("this simulated stream was started already or is closed; open a new one")
        self._thread = threading.Thread(target=self._run, args=(callback,), name="hybrid-sim-stream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the audio thread and wait for it (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the stream has stopped (its callback returned False, or stop() was called)."""
        return self._stopped.wait(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopped.is_set()

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

    def __enter__(self) -> "SimStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the audio thread

    def _run(self, callback: BlockCallback) -> None:
        period = self.block_size / self.sample_rate
        started = time.monotonic()
        due = started + period  # block 0 must be out one period after the start
        try:
            while not self._stop.is_set():
                keep_going = self._one_block(callback)
                if self.realtime:
                    now = time.monotonic()
                    if now > due + 1e-3:
                        self._glitches.append(Glitch(self._frames - self.block_size,
                                                     f"block finished {1000 * (now - due):.1f} ms late (underrun)"))
                        due = now
                    else:
                        time.sleep(max(0.0, due - now))
                    due += period
                if keep_going is False:
                    break
        except BaseException as exc:  # never let an exception vanish inside the audio thread
            self._error = exc
        finally:
            self._stopped.set()

    def _one_block(self, callback: BlockCallback) -> bool | None:
        n = self.block_size
        returns = self._pending[:n] * self._gains
        self._pending = self._pending[n:]
        if self._noise_rms > 1e-9:
            returns += self._noise_rms * self._rng.standard_normal(returns.shape)
        block = Block(self._frames, returns.astype(np.float32),
                      np.zeros((n, self.channels), dtype=np.float32),
                      np.zeros((n, len(self.extra_outputs)), dtype=np.float32))
        keep_going = callback(block)
        sends = block.sends.astype(np.float64)
        looped = self.analog(sends, self.sample_rate) if self.analog is not None else sends
        filtered, self._zi = signal.lfilter(self._taps, [1.0], looped, axis=0, zi=self._zi)
        self._pending = np.concatenate([self._pending, filtered])
        self._frames += n
        return keep_going
