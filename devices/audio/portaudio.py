"""A real interface through PortAudio (sounddevice): full-duplex play/record in blocks, dropouts refused."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from devices.audio.base import check_send
from devices.errors import AudioError, MissingDependencyError
from devices.rig import SoundDeviceInterfaceConfig

log = logging.getLogger(__name__)

# the stream gets this long beyond the programme's own duration before we call it stalled
# (JACK in freewheel mode, a server that went away, a device unplugged)
_STALL_MARGIN_S = 10.0
_DROPOUT_FLAGS = ("input_underflow", "input_overflow", "output_underflow", "output_overflow")


def import_sounddevice() -> Any:
    """sounddevice, or a MissingDependencyError that says what to install."""
    try:
        import sounddevice
    except OSError as exc:  # the Python package is there, the PortAudio library is not
        raise MissingDependencyError("PortAudio (the audio interface library)",
                                     "apt-get install libportaudio2") from exc
    except ImportError as exc:
        raise MissingDependencyError("the sounddevice package", "pip install 'hybrid[hardware]'") from exc
    return sounddevice


@dataclass
class _Run:
    """What one pass of the stream saw."""

    frames: int
    position: int = 0
    flags: list[str] = field(default_factory=list)
    adc_times: list[float] = field(default_factory=list)
    block_frames: list[int] = field(default_factory=list)
    error: BaseException | None = None


@dataclass
class _Pass:
    """One pass's capture and what went wrong ("" when nothing did)."""

    capture: np.ndarray
    problem: str
    stalled: bool = False


# with on_dropout: retry, a flagged pass is played again; a third pass only ever happens to settle
# two flagged passes that disagree (one of them really lost audio, or both did)
_RETRY_PASSES = 3

# two captures of the same send "agree" when no block of their difference rises above this,
# relative to the capture's RMS: noise and analog drift stay far below, one lost block (which
# shifts everything after it) comes out near 0 dB
_AGREEMENT_DB = -40.0


def captures_agree(a: np.ndarray, b: np.ndarray, block: int = 1024) -> bool:
    """Whether two captures of the same send hold the same audio, block for block."""
    if a.shape != b.shape:
        return False
    level = float(np.sqrt(np.mean(a ** 2)))
    if level < 1e-6:  # both (near) silent: nothing there to have lost
        return float(np.max(np.abs(a - b), initial=0.0)) < 1e-5
    limit = level * 10 ** (_AGREEMENT_DB / 20)
    for start in range(0, a.shape[0], block):
        diff = a[start:start + block] - b[start:start + block]
        if float(np.sqrt(np.mean(diff ** 2))) > limit:
            return False
    return True


class PortAudioInterface:
    """An interface opened through PortAudio with the rig's send and return channel numbers.

    playrec streams the send out in blocks of block_size from a sounddevice callback and records
    the returns into the capture (the only whole-programme buffer). Input and output share one
    full-duplex stream, so frame k of the capture was recorded while frame k of the send played.
    A dropout flag from the callback fails the pass. With on_dropout: retry the send is played
    again: a clean pass is kept, and so is a flagged pass whose capture agrees sample for sample
    with the previous flagged one (nothing was lost: see playrec); after three passes without
    either, AudioError. on_dropout: stop fails at the first flag. An irregular stream clock is
    logged, not failed.
    """

    def __init__(self, config: SoundDeviceInterfaceConfig) -> None:
        self.config = config
        self.sd = import_sounddevice()
        self.sample_rate: int = int(config.sample_rate)
        self.block_size: int = int(config.block_size)
        self.channels: int = len(config.send_channels)
        self.send_channels = list(config.send_channels)
        self.return_channels = list(config.return_channels)
        self.device_index, self.device_name = find_device(self.sd, config)
        self._out_map = [ch - 1 for ch in self.send_channels]
        self._in_map = [ch - 1 for ch in self.return_channels]
        # open only as many ports as the highest channel used: fewer connections, same numbering
        self._stream_channels = (max(self.return_channels), max(self.send_channels))
        self._check_settings()
        self._closed = False
        self.last_flags: list[str] = []
        self.verified_by_repeat = False

    def _check_settings(self) -> None:
        try:
            self.sd.check_input_settings(device=self.device_index, channels=self._stream_channels[0],
                                         samplerate=self.sample_rate, dtype="float32")
            self.sd.check_output_settings(device=self.device_index, channels=self._stream_channels[1],
                                          samplerate=self.sample_rate, dtype="float32")
        except self.sd.PortAudioError as exc:
            raise AudioError(f"audio device {self.device_name!r} refuses {self.sample_rate} Hz with "
                             f"{self._stream_channels[1]} outputs and {self._stream_channels[0]} inputs: {exc}") from exc

    def playrec(self, send: np.ndarray) -> np.ndarray:
        """Play send through the device and return the capture (frames, channels) float64."""
        if self._closed:
            raise AudioError(f"audio device {self.device_name!r} is closed")
        # no float32 copy of the programme: each block is converted as the callback sends it
        send = check_send(send, self.channels)
        self.last_flags, self.verified_by_repeat = [], False
        attempts = _RETRY_PASSES if self.config.on_dropout == "retry" else 1
        flagged: np.ndarray | None = None
        problem = ""
        for attempt in range(1, attempts + 1):
            result = self._one_pass(send)
            problem = result.problem
            if not problem:
                return result.capture
            log.warning("audio pass %d of %d on %s failed: %s", attempt, attempts, self.device_name, problem)
            if result.stalled:
                continue
            # flags on two passes in a row: on a timer-driven server (JACK's dummy driver on a busy
            # machine) a late wake-up is flagged though no sample was lost. Two passes that agree
            # sample for sample lost nothing (a lost block would shift one of them)
            if flagged is not None and captures_agree(flagged, result.capture):
                self.verified_by_repeat = True
                log.warning("both passes were flagged but their captures agree: kept the second")
                return result.capture
            flagged = result.capture
        retried = f" ({attempts} passes)" if attempts > 1 else ""
        raise AudioError(f"the capture on {self.device_name!r} dropped out{retried}: {problem}; "
                         "nothing from it was kept")

    def _one_pass(self, send: np.ndarray) -> "_Pass":
        sd = self.sd
        frames = send.shape[0]
        capture = np.zeros((frames, self.channels))  # the one whole-programme buffer
        run = _Run(frames)
        done = threading.Event()
        out_map, in_map = self._out_map, self._in_map

        def callback(indata: np.ndarray, outdata: np.ndarray, count: int, time: Any, status: Any) -> None:
            try:
                if status:
                    hit = [name for name in _DROPOUT_FLAGS if getattr(status, name, False)]
                    if hit:
                        run.flags.append(f"{', '.join(hit)} at frame {run.position}")
                run.adc_times.append(float(time.inputBufferAdcTime))
                run.block_frames.append(count)
                start = run.position
                n = max(0, min(count, frames - start))
                outdata.fill(0.0)
                if n:
                    outdata[:n, out_map] = send[start:start + n]
                    capture[start:start + n] = indata[:n, in_map]
                run.position += count
            except BaseException as exc:  # never let an exception vanish inside the audio thread
                run.error = exc
                raise sd.CallbackAbort from exc
            if run.position >= frames:
                raise sd.CallbackStop

        try:
            stream = sd.Stream(samplerate=self.sample_rate, blocksize=self.block_size,
                               device=(self.device_index, self.device_index), channels=self._stream_channels,
                               dtype="float32", callback=callback, finished_callback=done.set)
        except sd.PortAudioError as exc:
            raise AudioError(f"could not open audio device {self.device_name!r}: {exc}") from exc
        with stream:
            finished = done.wait(frames / self.sample_rate + _STALL_MARGIN_S)
            if not finished:
                stream.abort()
        if run.error is not None:
            raise AudioError(f"the audio callback failed: {run.error}") from run.error
        if not finished:
            return _Pass(capture, f"the stream stalled at frame {run.position} of {frames} "
                                  "(is the audio server freewheeling or gone?)", stalled=True)
        self.last_flags = list(run.flags)
        if run.flags:
            return _Pass(capture, "; ".join(run.flags[:3]))
        gap = _clock_gap(run.adc_times, run.block_frames, self.sample_rate)
        if gap:
            # only a warning: on a timer-driven server (JACK's dummy driver) a late wake-up moves
            # the clock without losing a sample; lost blocks show as flags, and in a print as the
            # post-roll pilot arriving late (calibration.pilot.check)
            log.warning("audio clock irregular on %s: %s", self.device_name, gap)
        return _Pass(capture, "")

    def close(self) -> None:
        """Nothing stays open between passes; later playrec calls are refused."""
        self._closed = True

    def __enter__(self) -> "PortAudioInterface":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clock_gap(adc_times: list[float], block_frames: list[int], rate: int) -> str:
    """A jump in the stream's input clock between callbacks: blocks lost, or a late wake-up."""
    times = np.asarray(adc_times)
    if times.size < 2 or not np.any(times):  # this host API gives no clock: nothing to check
        return ""
    expected = np.asarray(block_frames[:-1]) / rate
    step = np.diff(times)
    bad = np.flatnonzero(np.abs(step - expected) > 0.5 * expected)
    if bad.size == 0:
        return ""
    k = int(bad[0])
    return (f"the input clock jumped {step[k] * rate:.0f} frames where {block_frames[k]} were expected "
            f"(after callback {k + 1})")


def find_device(sd: Any, config: SoundDeviceInterfaceConfig) -> tuple[int, str]:
    """The PortAudio device index for the rig's `device` (index or name) and `host_api`."""
    devices = list(sd.query_devices())
    host_apis = [api["name"] for api in sd.query_hostapis()]

    def api_ok(dev: dict[str, Any]) -> bool:
        return config.host_api is None or config.host_api.lower() in host_apis[dev["hostapi"]].lower()

    def describe() -> str:
        listed = "; ".join(f"{i}: {d['name']} ({host_apis[d['hostapi']]}, {d['max_output_channels']} out, "
                           f"{d['max_input_channels']} in)" for i, d in enumerate(devices))
        return listed or "PortAudio lists no devices at all"

    if isinstance(config.device, int):
        if not 0 <= config.device < len(devices) or not api_ok(devices[config.device]):
            raise AudioError(f"audio device {config.device} does not exist; devices: {describe()}")
        index = config.device
    else:
        wanted = config.device.lower()
        exact = [i for i, d in enumerate(devices) if d["name"].lower() == wanted and api_ok(d)]
        partial = [i for i, d in enumerate(devices) if wanted in d["name"].lower() and api_ok(d)]
        found = exact or partial
        if not found:
            api = f" on host API {config.host_api!r}" if config.host_api else ""
            raise AudioError(f"no audio device named {config.device!r}{api}; devices: {describe()}")
        if not exact and len(partial) > 1:
            names = ", ".join(repr(devices[i]["name"]) for i in partial)
            raise AudioError(f"audio device {config.device!r} matches several devices ({names}); give the full name")
        index = found[0]
    device = devices[index]
    if device["max_output_channels"] < max(config.send_channels) or device["max_input_channels"] < max(config.return_channels):
        raise AudioError(
            f"audio device {device['name']!r} has {device['max_output_channels']} outputs and "
            f"{device['max_input_channels']} inputs; the rig sends on {config.send_channels} and "
            f"returns on {config.return_channels}")
    return index, str(device["name"])
