"""The simulated interface: converters with a fractional latency, gain errors, noise and a low-pass."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from devices.audio.base import AnalogChain, check_send
from devices.rig import SimInterfaceConfig
from dsp.delay import windowed_sinc

# The converters' anti-alias filter: linear phase like a real delta-sigma decimator, flat to within
# about 1e-6 up to its pass edge and 120 dB down past its stop edge.
_FILTER_ATTENUATION_DB = 120.0
_AUDIO_BAND_TOP_HZ = 20000.0


class SimInterface:
    """A simulated interface whose loop runs through `analog` (or a plain cable when None).

    The round trip is the configured converter latency plus one block of driver buffering (as JACK
    adds one period), so a different block size really is a different loop. The analog chain is
    called block by block, in stream order, exactly as a real-time stream would feed it.
    """

    def __init__(self, config: SimInterfaceConfig, analog: AnalogChain | None = None, seed: int = 0) -> None:
        self.config = config
        self.sample_rate: int = int(config.sample_rate)
        self.block_size: int = int(config.block_size)
        self.channels: int = len(config.send_channels)
        self.send_channels = list(config.send_channels)
        self.return_channels = list(config.return_channels)
        self.analog = analog
        self._gains = 10.0 ** (np.asarray(config.gain_error_db, dtype=np.float64) / 20.0)
        self._noise_rms = 10.0 ** (config.noise_dbfs / 20.0)
        self._rng = np.random.default_rng(seed)
        self._closed = False
        self.loop_latency_samples: float = float(config.latency_samples) + self.block_size
        whole = math.floor(self.loop_latency_samples)
        self._fraction = self.loop_latency_samples - whole
        self._taps, self._half_taps = converter_filter(self.sample_rate, config.lowpass_hz, self._fraction)
        # the filter already delays by half_taps + fraction; the rest is a plain sample shift,
        # negative when the latency is shorter than the filter (the simulation may read ahead)
        self._shift = whole - self._half_taps

    def playrec(self, send: np.ndarray) -> np.ndarray:
        """Play send (frames, channels) through the loop and return the capture of the same length."""
        if self._closed:
            raise RuntimeError("the simulated interface is closed")
        send = check_send(send, self.channels)
        frames = send.shape[0]
        if self.analog is None:
            looped = send  # a plain cable
        else:
            looped = np.empty_like(send)
            for start in range(0, frames, self.block_size):
                block = send[start:start + self.block_size]
                looped[start:start + len(block)] = self.analog(block, self.sample_rate)
        # the converter filter is linear and time-invariant: filtering the looped stream at once
        # gives the same samples as block by block, only faster
        filtered = signal.oaconvolve(looped, self._taps[:, None], mode="full", axes=0)
        capture = np.zeros((frames, self.channels))
        lo = max(0, self._shift)
        src_lo = lo - self._shift
        count = max(0, min(frames - lo, filtered.shape[0] - src_lo))
        capture[lo:lo + count] = filtered[src_lo:src_lo + count]
        capture *= self._gains[None, :]
        if self._noise_rms > 1e-9:
            # one draw for the whole pass: the same numbers, in the same order, as block by block
            capture += self._noise_rms * self._rng.standard_normal((frames, self.channels))
        return capture

    def close(self) -> None:
        """Nothing to release; later playrec calls are refused."""
        self._closed = True

    def __enter__(self) -> "SimInterface":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def converter_filter(rate: int, lowpass_hz: float, fraction: float) -> tuple[np.ndarray, int]:
    """Taps of the converters' linear-phase low-pass, centred half_taps + fraction samples late."""
    nyquist = rate / 2.0
    # flat through the audio band unless the corner was set below it
    pass_hz = min(_AUDIO_BAND_TOP_HZ, 0.95 * lowpass_hz)
    stop_hz = min(2.0 * lowpass_hz - pass_hz, nyquist)
    cutoff_hz = (pass_hz + stop_hz) / 2.0
    width = 2.0 * math.pi * max(stop_hz - pass_hz, 0.01 * nyquist) / rate
    half_taps = int(math.ceil((_FILTER_ATTENUATION_DB - 8.0) / (2.285 * width) / 2.0)) + 1
    if cutoff_hz >= nyquist * 0.999:
        return windowed_sinc(fraction, half_taps, 1.0, _FILTER_ATTENUATION_DB), half_taps
    return windowed_sinc(fraction, half_taps, cutoff_hz / nyquist, _FILTER_ATTENUATION_DB), half_taps
