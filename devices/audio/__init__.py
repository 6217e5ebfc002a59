"""Audio interfaces: one AudioInterface with a PortAudio implementation and a simulated one."""

from __future__ import annotations

from devices.audio.base import AnalogChain, AudioInterface
from devices.rig import SimInterfaceConfig, SoundDeviceInterfaceConfig

__all__ = ["AudioInterface", "AnalogChain", "open_interface"]


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
