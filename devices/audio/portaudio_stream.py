"""A real interface as a full-duplex stream: one sounddevice Stream, its callback handing blocks over."""

from __future__ import annotations

from typing import Any

import numpy as np

from devices.audio.portaudio import _DROPOUT_FLAGS, find_device, import_sounddevice
from devices.audio.stream import Block, BlockCallback, Glitch, StreamState
from devices.errors import AudioError
from devices.rig import SoundDeviceInterfaceConfig



class PortAudioStream(StreamState):
    """The rig's PortAudio device opened full duplex for as long as wanted.

    One sounddevice.Stream (float32, block_size frames per callback) carries the send channels,
    the return channels and the extra outputs (the monitor channels), so all of them share one
    clock: frame k of every channel is the same instant. PortAudio calls the callback on its own
    thread; a dropout flag is kept in glitches (the stream goes on: the caller decides what a
    glitch means), an exception in your callback stops the stream and is kept in error. The
    input clock (time.inputBufferAdcTime) is not checked: on JACK's dummy driver it is wall time
    and drifts from the server's sample clock by a block every few seconds with nothing lost.
    """

    def __init__(self, config: SoundDeviceInterfaceConfig, *, extra_outputs: list[int] | None = None) -> None:
        self.config = config
        self.sd = import_sounddevice()
        self.sample_rate: int = int(config.sample_rate)
        self.block_size: int = int(config.block_size)
        self.channels: int = len(config.send_channels)
        self.extra_outputs: list[int] = list(extra_outputs or [])
        self.device_index, self.device_name = find_device(self.sd, config)
        self._out_map = [ch - 1 for ch in config.send_channels]
        self._extra_map = [ch - 1 for ch in self.extra_outputs]
        self._in_map = [ch - 1 for ch in config.return_channels]
        outputs = max(config.send_channels + self.extra_outputs)
        self._stream_channels = (max(config.return_channels), outputs)
        super().__init__()
        self._stream: Any = None

    def start(self, callback: BlockCallback) -> None:
        """Open the device and start the stream (once)."""
        if self._closed or self._stream is not None:
            raise AudioError(f"this stream on {self.device_name!r} was started already or is closed; open a new one")
        sd = self.sd
        out_map, extra_map, in_map = self._out_map, self._extra_map, self._in_map
        channels, extras = self.channels, len(self.extra_outputs)

        def audio(indata: np.ndarray, outdata: np.ndarray, count: int, time: Any, status: Any) -> None:
            try:
                if status:
                    hit = [name for name in _DROPOUT_FLAGS if getattr(status, name, False)]
                    if hit:
                        self._glitches.append(Glitch(self._frames, ", ".join(hit)))
                block = Block(self._frames, indata[:, in_map], np.zeros((count, channels), dtype=np.float32),
                              np.zeros((count, extras), dtype=np.float32))
                keep_going = callback(block)
                outdata.fill(0.0)
                outdata[:, out_map] = block.sends
                if extras:
                    outdata[:, extra_map] = block.outputs
                self._frames += count
            except BaseException as exc:  # never let an exception vanish inside the audio thread
                self._error = exc
                raise sd.CallbackAbort from exc
            if keep_going is False:
                raise sd.CallbackStop

        try:
            self._stream = sd.Stream(samplerate=self.sample_rate, blocksize=self.block_size,
                                     device=(self.device_index, self.device_index), channels=self._stream_channels,
                                     dtype="float32", callback=audio, finished_callback=self._stopped.set)
            self._stream.start()
            self._started = True
        except sd.PortAudioError as exc:
            self._stopped.set()
            raise AudioError(f"could not open audio device {self.device_name!r} as a stream: {exc}") from exc

    def stop(self) -> None:
        """Stop the stream and close the device (idempotent)."""
        if self._stream is not None:
            try:
                self._stream.stop()
            finally:
                self._stream.close()
                self._stopped.set()
