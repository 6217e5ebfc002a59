"""The YAML schema of a device profile: its parameters, per-wire encodings and sim sound, as read."""

from __future__ import annotations

from typing import Literal, Union

from pydantic import Field, model_validator

from devices.config import Strict

PROFILE_SPEC = 1


class ParameterSpec(Strict):
    """One control of the unit as written in the profile."""

    label: str | None = Field(None, description="the marking on the front panel, e.g. 'LOW FREQ'")
    unit: Literal["dB", "Hz", "ms", "s", "ratio", "%", "mark", ""] = ""
    law: Literal["linear", "log", "table"] = "linear"
    range: tuple[float, float] | None = None
    step: float | None = Field(None, gt=0, description="detent spacing for a linear range")
    count: int | None = Field(None, ge=2, le=16384, description="number of detents for a log range")
    steps: list[Union[float, str]] | None = Field(None, min_length=2, description="detent values in order")
    positions: list[str] | None = Field(None, min_length=2, description="named positions in order")
    default: Union[float, str]
    neutral: Union[float, str, None] = Field(None, description="the setting that leaves the sound alone")
    sheet: Literal["value", "step"] = Field("value", description="how a recall sheet names a position")

    @model_validator(mode="after")
    def _one_shape(self) -> ParameterSpec:
        shapes = [s for s in ("range", "steps", "positions") if getattr(self, s) is not None]
        if len(shapes) != 1:
            raise ValueError("give exactly one of range, steps or positions")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"range must go from low to high, got {list(self.range)}")
            if self.law == "log" and low <= 0:
                raise ValueError("a log law needs a range above zero")
            if self.step is not None and self.count is not None:
                raise ValueError("give step (linear) or count (log), not both")
            if self.law == "table":
                raise ValueError("law 'table' goes with steps, not range")
        return self


class OscParam(Strict):
    """How one parameter travels as OSC: its address and the argument type."""

    address: str = Field(..., pattern=r"^/[A-Za-z0-9_/.-]+$")
    arg: Literal["float", "int", "string"] = "float"


class OscEncoding(Strict):
    """OSC: set by sending the value to the address; query by sending the address to query_address."""

    query_address: str | None = Field(None, description="None: the unit cannot be queried")
    parameters: dict[str, OscParam]


class BinaryFraming(Strict):
    """Binary serial frames: START LEN PAYLOAD... CHECKSUM; payload is OP ID VALUE_HI VALUE_LO."""

    start: int = Field(0x02, ge=0, le=255)
    checksum: Literal["sum8", "xor8"] = "sum8"
    op_set: int = Field(0x53, ge=0, le=255)
    op_query: int = Field(0x47, ge=0, le=255)
    op_value: int = Field(0x56, ge=0, le=255)
    ack: int = Field(0x06, ge=0, le=255)
    nak: int = Field(0x15, ge=0, le=255)


class SerialParam(Strict):
    """How one parameter travels over serial: an ASCII code or a binary id, and marking or index."""

    code: str | None = Field(None, pattern=r"^[A-Za-z0-9_]+$")
    id: int | None = Field(None, ge=0, le=255)
    send: Literal["marking", "index"] = "marking"


class SerialEncoding(Strict):
    """Serial: ASCII command templates with reply patterns, or binary frames with length and checksum."""

    framing: Literal["ascii", "binary"] = "ascii"
    terminator: str = "\r"
    reply_terminator: str = "\r\n"
    set: str = "SET {code} {value}"
    query: str | None = "GET {code}"
    ack: str = r"^OK$"
    error: str = r"^ERR\s*(?P<reason>.*)$"
    reply: str = r"^{code}=(?P<value>\S+)$"
    # what the simulated twin answers with (the controller reads answers by the patterns above)
    ack_text: str = "OK"
    error_format: str = "ERR {reason}"
    reply_format: str = "{code}={value}"
    binary: BinaryFraming = BinaryFraming()
    parameters: dict[str, SerialParam]


class SysexSpec(Strict):
    """Roland-style SysEx: F0 MAKER DEVICE MODEL... CMD ADDRESS DATA CHECKSUM F7 (RQ1 0x11, DT1 0x12)."""

    manufacturer: int = Field(0x41, ge=0, le=127)
    device: int = Field(0x10, ge=0, le=127)
    model: list[int] = Field([0x00, 0x6A], min_length=1, max_length=4)
    request: int = Field(0x11, ge=0, le=127)
    data: int = Field(0x12, ge=0, le=127)


class MidiParam(Strict):
    """How one parameter travels as MIDI: exactly one of cc, cc14, nrpn or program; sysex_address to read it."""

    cc: int | None = Field(None, ge=0, le=119)
    cc14: int | None = Field(None, ge=0, le=31, description="MSB controller; LSB is cc14 + 32")
    nrpn: int | None = Field(None, ge=0, le=16383)
    program: bool = False
    sysex_address: list[int] | None = Field(None, min_length=1, max_length=4)

    @model_validator(mode="after")
    def _one_message(self) -> MidiParam:
        kinds = [self.cc is not None, self.cc14 is not None, self.nrpn is not None, self.program]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of cc, cc14, nrpn or program: true")
        if self.sysex_address is not None and any(not 0 <= b <= 127 for b in self.sysex_address):
            raise ValueError("sysex_address bytes must be 0 to 127")
        return self


class MidiEncoding(Strict):
    """MIDI: control changes, NRPN or program change to set; Roland-style SysEx to read back."""

    sysex: SysexSpec | None = None
    parameters: dict[str, MidiParam]


class ManualEncoding(Strict):
    """The manual wire: no cable, an operator sets the panel from a recall sheet; it takes no settings.

    Every profile can be recalled by hand; writing `manual: {}` says so in the file (a unit with no
    remote control at all), and a rig may name `wire: {kind: manual}` for any profile.
    """


class WireEncodings(Strict):
    osc: OscEncoding | None = None
    serial: SerialEncoding | None = None
    midi: MidiEncoding | None = None
    manual: ManualEncoding | None = None


REMOTE_WIRES = ("osc", "serial", "midi")
"""The wires that carry parameters and so give an encoding for each (manual carries a sheet)."""


class SimSpec(Strict):
    """The simulated twin's sound: which model, its own latency, noise floor and how hard it colours."""

    model: Literal["eq4", "bus_comp", "tube_color", "passive_eq"]
    latency_ms: float = Field(0.0, ge=0.0, le=50.0, description="the unit's own latency (a DSP stage, converters)")
    noise_dbfs: float = Field(-120.0, ge=-200.0, le=-60.0)
    drive_db: float = Field(0.0, ge=-40.0, le=40.0, description="how hard the electronics are driven at neutral")


class ProfileFile(Strict):
    spec: int
    model: str
    maker: str = ""
    description: str = ""
    parameters: dict[str, ParameterSpec] = Field(..., min_length=1)
    wires: WireEncodings = WireEncodings()
    sim: SimSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> ProfileFile:
        if self.spec > PROFILE_SPEC:
            raise ValueError(
                f"this profile is spec {self.spec}; this hybrid reads profile spec {PROFILE_SPEC} or older: "
                "update hybrid to use it"
            )
        for kind in REMOTE_WIRES:
            enc = getattr(self.wires, kind)
            if enc is None:
                continue
            for name in enc.parameters:
                if name not in self.parameters:
                    raise ValueError(f"wires.{kind}.parameters.{name}: no such parameter in this profile")
            missing = [n for n in self.parameters if n not in enc.parameters]
            if missing:
                raise ValueError(f"wires.{kind} does not say how to send {', '.join(missing)}")
        return self
