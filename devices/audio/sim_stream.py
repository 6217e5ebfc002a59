"""The simulated interface as a full-duplex stream: its chain run block by block against a clock."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
from scipy import signal

from devices.audio.base import AnalogChain
from devices.audio.sim import converter_filter
from devices.audio.stream import Block, BlockCallback, Glitch, StreamState
from devices.errors import AudioError
from devices.rig import SimInterfaceConfig


# The simulated interface's output buffer, in blocks (4 x 256 frames at 48 kHz: 21 ms), as a
# driver buffers a few periods: on a shared two-core machine one block of slack underran several
# times a minute while a commit hashed files; this is also the sim's share of the monitor latency
SIM_BUFFER_BLOCKS = 4


class SimStream(StreamState):
    """The simulated loop of devices.audio.sim.SimInterface, streamed: the same latency (the converters'
    plus one block of driver buffering), gain errors, noise and converter filter, so a send played
    through it comes back sample for sample as playrec gives it (noise aside).

    The audio thread runs the callback, then the block of sends through `analog` (the simulated
    units, called in stream order) and the converters. With realtime=True it keeps to the clock
    of a device with buffer_blocks blocks of output buffer: block k is made no sooner than block
    k - buffer_blocks has played and is due before the buffer runs dry; one finished later is a
    glitch (an underrun) and the clock starts again from there. realtime=False runs as fast as it can (a render, a test). The extra outputs are
    offered to the callback like a real interface's and go nowhere (the simulation has no
    monitors: the listening engine sends its monitor feed to a file, a tap or JACK instead).
    """

    def __init__(self, config: SimInterfaceConfig, analog: AnalogChain | None = None, *, seed: int = 0,
                 extra_outputs: list[int] | None = None, realtime: bool = True,
                 buffer_blocks: int = SIM_BUFFER_BLOCKS) -> None:
        self.config = config
        self.sample_rate: int = int(config.sample_rate)
        self.block_size: int = int(config.block_size)
        self.channels: int = len(config.send_channels)
        self.extra_outputs: list[int] = list(extra_outputs or [])
        self.analog = analog
        self.realtime = realtime
        self.buffer_blocks = max(1, int(buffer_blocks))
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
        super().__init__()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ the contract

    def start(self, callback: BlockCallback) -> None:
        """Start the audio thread (once)."""
        if self._closed or self._thread is not None:
            raise AudioError("this simulated stream was started already or is closed; open a new one")
        self._thread = threading.Thread(target=self._run, args=(callback,), name="hybrid-sim-stream", daemon=True)
        self._started = True
        self._thread.start()

    def stop(self) -> None:
        """Stop the audio thread and wait for it (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()


    # ------------------------------------------------------------------ the audio thread

    def _run(self, callback: BlockCallback) -> None:
        period = self.block_size / self.sample_rate
        ahead = self.buffer_blocks
        origin = time.monotonic()  # when block 0 started to be made
        k = 0
        try:
            while not self._stop.is_set():
                if self.realtime:
                    # the output buffer holds `ahead` blocks: block k may be made once block k - ahead
                    # has been played, and must be done before the buffer runs dry
                    wait = origin + (k - ahead + 1) * period - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                keep_going = self._one_block(callback)
                if self.realtime:
                    now, due = time.monotonic(), origin + (k + ahead) * period
                    if now > due + 1e-3:
                        self._glitches.append(Glitch(self._frames - self.block_size,
                                                     f"block finished {1000 * (now - due):.1f} ms late (underrun)"))
                        origin = now - (k + ahead) * period  # the clock starts again from here
                k += 1
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
