"""A rig file: the studio's interface, its channel routing and its units in chain order."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationInfo, field_validator

from devices.config import Strict, load
from devices.text import check_line
from devices.wireaddr import check_host, check_serial_port, parse_midi_port

RIG_SPEC = 1


class _InterfaceRouting(Strict):
    """What every interface has: a rate, a block size, and which channels go out to the chain and back."""

    backend: str  # narrowed to one Literal by each kind; declared here so it is listed first
    sample_rate: Literal[44100, 48000, 88200, 96000, 176400, 192000] = 48000
    # the other rates the interface runs (issue 18, its first part): a print of mixes that all share one
    # of them runs at it, so nothing is converted on the way in; None = sample_rate only
    other_rates_hz: list[Literal[44100, 48000, 88200, 96000, 176400, 192000]] | None = None
    block_size: int = Field(256, ge=16, le=8192)
    channels_out: int = Field(..., ge=1, le=64)
    channels_in: int = Field(..., ge=1, le=64)
    send_channels: list[int]
    return_channels: list[int]
    monitor_channels: list[int] = Field(
        default_factory=list, description="outputs that feed the monitor controller (what `hybrid listen` plays)")

    def rates_hz(self) -> list[int]:
        """Every rate this interface runs, sample_rate (its default) first."""
        others = {int(rate) for rate in self.other_rates_hz or []} - {int(self.sample_rate)}
        return [int(self.sample_rate), *sorted(others)]

    @field_validator("send_channels")
    @classmethod
    def _sends(cls, value: list[int], info: ValidationInfo) -> list[int]:
        return _check_routing(value, info.data.get("channels_out"))

    @field_validator("return_channels")
    @classmethod
    def _returns(cls, value: list[int], info: ValidationInfo) -> list[int]:
        value = _check_routing(value, info.data.get("channels_in"))
        sends = info.data.get("send_channels")
        if sends is not None and len(sends) != len(value):
            raise ValueError(f"give one return per send ({len(sends)} send channels)")
        return value

    @field_validator("monitor_channels")
    @classmethod
    def _monitors(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if not value:
            return value
        value = _check_routing(value, info.data.get("channels_out"))
        clash = sorted(set(value) & set(info.data.get("send_channels") or []))
        if clash:
            raise ValueError(f"channel(s) {clash} are send channels; the monitors need outputs of their own")
        return value


class SimInterfaceConfig(_InterfaceRouting):
    """A simulated interface: converters with a fractional latency, gain errors and noise."""

    backend: Literal["sim"]
    channels_out: int = Field(8, ge=1, le=64)
    channels_in: int = Field(8, ge=1, le=64)
    send_channels: list[int] = [1, 2]
    return_channels: list[int] = [1, 2]
    latency_samples: float = Field(..., ge=0.0, le=20000.0)
    gain_error_db: list[float]
    noise_dbfs: float = Field(-110.0, ge=-200.0, le=-40.0)
    lowpass_hz: float = Field(22000.0, gt=1000.0, description="gentle converter low-pass corner")

    @field_validator("gain_error_db")
    @classmethod
    def _one_gain_per_return(cls, value: list[float], info: ValidationInfo) -> list[float]:
        returns = info.data.get("return_channels")
        if returns is not None and len(value) != len(returns):
            raise ValueError(f"give one value per return channel ({len(returns)} values)")
        for gain in value:
            if not -24.0 <= gain <= 24.0:
                raise ValueError("each gain error must be between -24 and +24 dB")
        return value


class SoundDeviceInterfaceConfig(_InterfaceRouting):
    """A real interface through PortAudio (sounddevice), picked by name or index."""

    backend: Literal["sounddevice"]
    device: str | int
    host_api: str | None = None
    on_dropout: Literal["retry", "stop"] = "retry"


Port = Annotated[int, Field(ge=1, le=65535)]

InterfaceConfig = Annotated[
    Union[SimInterfaceConfig, SoundDeviceInterfaceConfig], Field(discriminator="backend")
]


class OscWire(Strict):
    """OSC over UDP. port 'auto' lets a simulated twin pick a free port on 127.0.0.1."""

    kind: Literal["osc"]
    host: str = "127.0.0.1"
    port: Port | Literal["auto"] = "auto"
    reply_port: Port | Literal["auto"] = "auto"
    timeout_s: float = Field(0.5, gt=0, le=30)
    retries: int = Field(2, ge=0, le=10)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return check_host(value)


class SerialWire(Strict):
    """RS-232 through pyserial. port 'auto' means a pty pair opened by the simulated twin."""

    kind: Literal["serial"]
    port: str = "auto"
    baud: int = Field(38400, ge=300, le=4_000_000)

    @field_validator("port")
    @classmethod
    def _port(cls, value: str) -> str:
        return check_serial_port(value)

    bytesize: Literal[7, 8] = 8
    parity: Literal["none", "even", "odd"] = "none"
    stopbits: Literal[1, 2] = 1
    timeout_s: float = Field(0.5, gt=0, le=30)
    retries: int = Field(2, ge=0, le=10)


class MidiWire(Strict):
    """MIDI through mido. port 'auto' uses the simulated twin's port (JACK MIDI or a mido socket)."""

    kind: Literal["midi"]
    port: str = "auto"
    channel: int = Field(1, ge=1, le=16)
    timeout_s: float = Field(0.5, gt=0, le=30)
    retries: int = Field(2, ge=0, le=10)

    @field_validator("port")
    @classmethod
    def _port(cls, value: str) -> str:
        parse_midi_port(value)
        return value


class ManualWire(Strict):
    """No remote control: recall produces a recall sheet for the operator."""

    kind: Literal["manual"]


Wire = Annotated[Union[OscWire, SerialWire, MidiWire, ManualWire], Field(discriminator="kind")]


class UnitConfig(Strict):
    """One unit in the chain: its name in this rig, its profile and the wire it listens on."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    profile: str = Field(..., description="a shipped profile name or a path to a profile YAML", max_length=4096)

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        return check_line(value)
    wire: Wire
    simulated: bool = Field(True, description="run the simulated twin of this unit on its wire")


class CalibrationPolicy(Strict):
    """When a stored calibration is still good enough to print with."""

    max_latency_drift_samples: float = Field(0.05, gt=0)
    max_level_drift_db: float = Field(0.1, gt=0)
    on_drift: Literal["recalibrate", "refuse"] = "recalibrate"


class Rig(Strict):
    """A whole studio: interface, routing, units in chain order, calibration policy."""

    spec: int = RIG_SPEC
    # the name keys the calibration record and names folders: short enough for any file system
    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    description: str = Field("", max_length=1000)
    interface: InterfaceConfig
    units: list[UnitConfig] = []
    calibration: CalibrationPolicy = CalibrationPolicy()

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_line(value)

    @field_validator("spec")
    @classmethod
    def _spec(cls, value: int) -> int:
        if value > RIG_SPEC:
            raise ValueError(f"this rig file is spec {value}; this hybrid reads spec {RIG_SPEC} or older")
        return value

    @field_validator("units")
    @classmethod
    def _unique_units(cls, units: list[UnitConfig]) -> list[UnitConfig]:
        names = [unit.name for unit in units]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"unit name {name!r} is used twice; unit names must be unique")
        return units

    def at_rate(self, rate_hz: int) -> Rig:
        """This rig with its interface run at rate_hz (one of interface.rates_hz()); ValueError otherwise."""
        if rate_hz == self.interface.sample_rate:
            return self
        if rate_hz not in self.interface.rates_hz():
            raise ValueError(f"the interface of rig {self.name} runs {', '.join(map(str, self.interface.rates_hz()))} Hz, "
                             f"not {rate_hz} Hz")
        return self.model_copy(update={"interface": self.interface.model_copy(update={"sample_rate": rate_hz})})

    def unit(self, name: str) -> UnitConfig:
        """The unit called name; KeyError if the rig has none."""
        for unit in self.units:
            if unit.name == name:
                return unit
        raise KeyError(name)


def default_rig_path() -> Path:
    """The embedded simulated studio that runs anywhere."""
    return Path(str(resources.files("devices") / "rigs" / "sim-studio.yaml"))


def load_rig(path: str | Path | None = None) -> Rig:
    """Read and validate a rig file: a path, or the name of a rig shipped with hybrid (None or
    'sim-studio' is the embedded simulated studio). A unit's profile given as a relative path is
    found beside the rig file, wherever the command is run from."""
    if path is None or (isinstance(path, str) and (default_rig_path().parent / f"{path}.yaml").is_file()
                        and "/" not in path and not path.endswith((".yaml", ".yml"))):
        path = default_rig_path() if path is None else default_rig_path().parent / f"{path}.yaml"
    path = Path(path)
    rig = load(Rig, path)
    units = [
        unit.model_copy(update={"profile": str((path.parent / unit.profile).resolve())})
        if _is_relative_profile_path(unit.profile) else unit
        for unit in rig.units
    ]
    return rig.model_copy(update={"units": units})


def _is_relative_profile_path(profile: str) -> bool:
    # a bare name ('vca-bus-comp') is a shipped profile; anything path-like is a file
    looks_like_path = "/" in profile or profile.endswith((".yaml", ".yml"))
    return looks_like_path and not Path(profile).is_absolute()


def _check_routing(channels: list[int], available: int | None) -> list[int]:
    if not channels:
        raise ValueError("name at least one channel")
    top = available if available is not None else 64
    for ch in channels:
        if not 1 <= ch <= top:
            raise ValueError(f"channels are numbered 1 to {top}")
    if len(set(channels)) != len(channels):
        raise ValueError("a channel is named twice")
    return channels
