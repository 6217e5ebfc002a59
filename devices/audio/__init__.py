"""Audio interfaces: one AudioInterface with a PortAudio implementation and a simulated one."""

from __future__ import annotations

from devices.audio.base import AnalogChain, AudioInterface
from devices.audio.stream import DuplexStream
from devices.rig import SimInterfaceConfig, SoundDeviceInterfaceConfig

__all__ = ["AudioInterface", "AnalogChain", "DuplexStream", "open_interface", "open_stream"]


def open_interface(config: SimInterfaceConfig | SoundDeviceInterfaceConfig,
                   analog: AnalogChain | None = None, *, seed: int = 0) -> AudioInterface:
    """Open the rig's interface: the simulation (with `analog` in its loop) or PortAudio.

    analog is only used by the simulated interface (None = a plain cable); a real interface's loop
    is whatever is patched between its outputs and inputs. seed fixes the simulated noise.
    """
    if isinstance(config, SimInterfaceConfig):
        from devices.audio.sim import SimInterface

        return SimInterface(config, analog, seed=seed)
    if isinstance(config, SoundDeviceInterfaceConfig):
        from devices.audio.portaudio import PortAudioInterface

        return PortAudioInterface(config)
    raise TypeError(f"unknown interface configuration {type(config).__name__}")


def open_stream(config: SimInterfaceConfig | SoundDeviceInterfaceConfig, analog: AnalogChain | None = None, *,
                extra_outputs: list[int] | None = None, seed: int = 0, realtime: bool = True) -> DuplexStream:
    """The rig's interface as a full-duplex block stream (see devices.audio.stream), not yet started.

    extra_outputs are output channel numbers (from 1) beside the sends, such as the rig's
    monitor_channels; analog and seed as for open_interface; realtime=False lets the simulated
    interface run as fast as it can (a real interface always keeps its own clock).
    """
    outputs = list(extra_outputs or [])
    clash = sorted(set(outputs) & set(config.send_channels))
    if clash:
        raise ValueError(f"output channel(s) {clash} are send channels already")
    if isinstance(config, SimInterfaceConfig):
        from devices.audio.sim_stream import SimStream

        return SimStream(config, analog, seed=seed, extra_outputs=outputs, realtime=realtime)
    if isinstance(config, SoundDeviceInterfaceConfig):
        from devices.audio.portaudio_stream import PortAudioStream

        return PortAudioStream(config, extra_outputs=outputs)
    raise TypeError(f"unknown interface configuration {type(config).__name__}")
