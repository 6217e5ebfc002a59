"""Device profiles: a model of unit as data (its parameters, their detents, and how each wire encodes them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Union

from devices.config import parse, read_yaml
from devices.errors import ConfigError
from devices.profile_schema import PROFILE_SPEC, REMOTE_WIRES, ParameterSpec, ProfileFile, SimSpec

Value = Union[float, str]
"""A setting in the unit's own markings: a number in the parameter's unit, or a position name."""

# A unit's hard bypass is the control named `bypass`; these positions of it take the circuit out
# ("on" on a remote unit's BYPASS, "out" on a manual unit's IN/OUT toggle).
BYPASS_PARAMETER = "bypass"
BYPASSED_POSITIONS = ("on", "out")

# What a simulated unit whose profile has no `sim:` section does to the audio, in the words we say it
PASS_THROUGH = "pass-through: no sound model"


class SettingError(ConfigError):
    """A setting a unit cannot take: unknown parameter, wrong type, or outside what the unit allows."""

    def __init__(self, unit: str, parameter: str, value: Any, allowed: str, file: str | Path | None = None) -> None:
        self.unit = unit
        self.parameter = parameter
        super().__init__(file, f"unit {unit!r}, parameter {parameter!r}", value, allowed)


# --------------------------------------------------------------------------- runtime objects


@dataclass(frozen=True)
class Parameter:
    """A control with its detents resolved: snaps, validates and names positions in the unit's markings."""

    name: str
    spec: ParameterSpec
    detents: tuple[Value, ...] | None

    @property
    def label(self) -> str:
        return self.spec.label or self.name

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def default(self) -> Value:
        return self.spec.default

    @property
    def neutral(self) -> Value:
        return self.spec.neutral if self.spec.neutral is not None else self.spec.default

    def allowed(self) -> str:
        """What this control accepts, in words."""
        s = self.spec
        if s.positions is not None:
            return "allowed positions: " + ", ".join(s.positions)
        if s.range is not None:
            low, high = s.range
            text = f"allowed: {_num(low)} to {_num(high)} {s.unit}".rstrip()
            if s.step is not None:
                text += f" in {_num(s.step)} {s.unit} steps".replace("  ", " ")
            elif s.count is not None:
                text += f" in {s.count} steps"
            return text
        assert self.detents is not None
        return "allowed steps: " + ", ".join(_num(d) if isinstance(d, float) else d for d in self.detents) + (
            f" ({s.unit})" if s.unit else "")

    def coerce(self, value: Any, unit: str = "?") -> tuple[Value, str | None]:
        """The value this control will sit at, and a note when it had to snap to a detent."""
        names = [d for d in (self.detents or ()) if isinstance(d, str)]
        if isinstance(value, bool) and ("on" if value else "off") in names:
            value = "on" if value else "off"  # YAML 1.1 reads a bare off/on as a boolean
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise SettingError(unit, self.name, value, self.allowed())
        if isinstance(value, str):
            if value in names:
                return value, None
            raise SettingError(unit, self.name, value, self.allowed())
        number = float(value)
        if not math.isfinite(number):
            raise SettingError(unit, self.name, value, self.allowed())
        numbers = [d for d in (self.detents or ()) if isinstance(d, float)]
        if self.detents is not None and not numbers:
            raise SettingError(unit, self.name, value, self.allowed())
        low, high = (min(numbers), max(numbers)) if self.detents is not None else self.spec.range  # type: ignore[misc]
        tol = 1e-9 * max(1.0, abs(low), abs(high))
        if number < low - tol or number > high + tol:
            raise SettingError(unit, self.name, value, self.allowed())
        if self.detents is None:
            return min(max(number, low), high), None
        nearest = min(numbers, key=lambda d: (abs(d - number), d))
        if abs(nearest - number) <= tol:
            return nearest, None
        return nearest, self._snap_note(unit, number, nearest, numbers)

    def _snap_note(self, unit: str, number: float, nearest: float, numbers: list[float]) -> str:
        """What a value between detents became, the detents either side, and (when few) every step."""
        below = max((d for d in numbers if d < number), default=None)
        above = min((d for d in numbers if d > number), default=None)
        sides = " and ".join(self.marking(d) for d in (below, above) if d is not None)
        why = ("the lower of the two, equally near" if below is not None and above is not None
               and math.isclose(number - below, above - number) else "the nearer")
        steps = f"; its steps: {', '.join(self.marking(d) for d in sorted(numbers))}" if len(numbers) <= 12 else ""
        return (f"unit {unit!r}, parameter {self.name!r}: {_num(number)} is between the detents {sides}; "
                f"snapped to {self.marking(nearest)} ({why}{steps})")

    def index(self, value: Value) -> int:
        """The detent number (0-based) of an already coerced value."""
        assert self.detents is not None, f"{self.name} has no detents"
        return self.detents.index(value)

    def to_fraction(self, value: float) -> float:
        """Where a continuous value sits on the knob's travel, 0..1, following the law."""
        low, high = self.spec.range  # type: ignore[misc]
        if self.spec.law == "log":
            return math.log(value / low) / math.log(high / low)
        return (value - low) / (high - low)

    def from_fraction(self, fraction: float) -> float:
        low, high = self.spec.range  # type: ignore[misc]
        fraction = min(max(fraction, 0.0), 1.0)
        if self.spec.law == "log":
            return low * (high / low) ** fraction
        return low + fraction * (high - low)

    def same(self, a: Value, b: Value, tolerance: float = 0.0) -> bool:
        """Whether two settings are the same position (within tolerance for continuous controls)."""
        if isinstance(a, str) or isinstance(b, str):
            return a == b
        if self.detents is not None:
            return a == b
        return abs(float(a) - float(b)) <= tolerance + 1e-9 * max(1.0, abs(float(a)))

    def marking(self, value: Value) -> str:
        """The value as the front panel says it: '2.2 kHz', '+1.5 dB', 'auto', '4:1'."""
        if isinstance(value, str):
            return value
        u = self.spec.unit
        if u == "Hz":
            return f"{_num(value / 1000)} kHz" if value >= 1000 else f"{_num(value)} Hz"
        if u == "dB":
            return f"{'+' if value > 0 else ''}{_num(value)} dB"
        if u == "ratio":
            return f"{_num(value)}:1"
        if u == "ms" and value >= 1000:
            return f"{_num(value / 1000)} s"
        if u in ("", "mark"):
            return _num(value)
        return f"{_num(value)} {u}" if u != "%" else f"{_num(value)}%"

    def sheet_marking(self, value: Value) -> str:
        """The position as an operator would set it by hand, e.g. 'step 7 of 11' or '2.2 kHz'."""
        if self.detents is not None and self.spec.sheet == "step":
            return f"step {self.index(value) + 1} of {len(self.detents)} ({self.marking(value)})"
        return self.marking(value)


class Profile:
    """A model of unit: its parameters in order and its per-wire encodings."""

    def __init__(self, name: str, data: ProfileFile, source: str | Path | None = None, *,
                 check: bool = True) -> None:
        """check=False builds it even when problems() has something to say (`hybrid devices lint` lists them all)."""
        self.name = name
        self.data = data
        self.source = str(source) if source is not None else None
        self.parameters: dict[str, Parameter] = {}
        for pname, spec in data.parameters.items():
            try:
                self.parameters[pname] = Parameter(pname, spec, _detents(spec))
            except ValueError as exc:
                raise ConfigError(source, f"parameters.{pname}.range", list(spec.range or ()), str(exc)) from exc
        first = next(self.problems(), None) if check else None
        if first is not None:
            raise first

    def problems(self) -> Iterator[ConfigError]:
        """What the profile says that cannot work, each naming its field: defaults and neutral values
        that are no position of their control, and positions their wire cannot carry. Found when the
        profile is read, not at recall."""
        source = self.source
        for p in self.parameters.values():
            for field in ("default", "neutral"):
                try:
                    p.coerce(getattr(p, field), self.name)
                except SettingError:
                    yield ConfigError(source, f"parameters.{p.name}.{field}", getattr(p, field), p.allowed())
        wires = self.data.wires
        if wires.midi is not None:
            lengths = {len(e.sysex_address) for e in wires.midi.parameters.values() if e.sysex_address}
            if len(lengths) > 1:
                yield ConfigError(source, "wires.midi.parameters", sorted(lengths),
                                  "every sysex_address must have the same number of bytes")
            for name, enc in wires.midi.parameters.items():
                p = self.parameters[name]
                bits = 14 if (enc.cc14 is not None or enc.nrpn is not None) else 7
                if p.detents is not None and len(p.detents) > 1 << bits:
                    yield ConfigError(source, f"wires.midi.parameters.{name}", len(p.detents),
                                      f"a {bits}-bit MIDI value carries at most {1 << bits} positions; "
                                      "use cc14 or nrpn")
                if p.detents is None and enc.program:
                    yield ConfigError(source, f"wires.midi.parameters.{name}", "program",
                                      "program change carries stepped controls only")
        if wires.osc is not None:
            for name, osc_enc in wires.osc.parameters.items():
                p = self.parameters[name]
                if osc_enc.arg == "float" and any(isinstance(d, str) for d in (p.detents or ())):
                    yield ConfigError(source, f"wires.osc.parameters.{name}.arg", "float",
                                      "named positions travel as arg: string or arg: int")
        if wires.serial is not None:
            enc_s = wires.serial
            for name, serial_enc in enc_s.parameters.items():
                if enc_s.framing == "ascii" and not serial_enc.code:
                    yield ConfigError(source, f"wires.serial.parameters.{name}.code", None,
                                      "ASCII framing needs a code for every parameter")
                if enc_s.framing == "binary" and serial_enc.id is None:
                    yield ConfigError(source, f"wires.serial.parameters.{name}.id", None,
                                      "binary framing needs an id (0-255) for every parameter")

    @property
    def model(self) -> str:
        return self.data.model

    @property
    def sim(self) -> SimSpec | None:
        return self.data.sim

    @property
    def has_sound_model(self) -> bool:
        """Whether this unit's simulated twin sounds like it (its `sim:` section names a model of devices.sound)."""
        return self.data.sim is not None

    def wire_kinds(self) -> list[str]:
        """The wires this model can be recalled over (manual always works: an operator and a sheet)."""
        kinds = [k for k in REMOTE_WIRES if getattr(self.data.wires, k) is not None]
        return kinds + ["manual"]

    def encoding(self, kind: str, field: str | None = None) -> Any:
        """The encoding of one wire; ConfigError when this model does not speak it.

        field names where the wire was asked for (e.g. "units.comp.wire.kind" of a rig) for the message.
        """
        if kind not in self.wire_kinds():
            raise ConfigError(None if field else self.source, field or "wires", kind,
                              f"profile {self.name!r} speaks: {', '.join(self.wire_kinds())}")
        return getattr(self.data.wires, kind) if kind != "manual" else None

    def parameter(self, name: str, unit: str = "?") -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise SettingError(unit, name, name, f"no such parameter; profile {self.name!r} has: "
                               + ", ".join(self.parameters)) from None

    def coerce(self, param: str, value: Any, unit: str = "?") -> tuple[Value, str | None]:
        """Snap a value to the control's detents (with a note) or refuse it naming unit, parameter, value."""
        return self.parameter(param, unit).coerce(value, unit)

    def validate(self, settings: dict[str, Any], unit: str = "?") -> tuple[dict[str, Value], list[str]]:
        """Coerce a whole settings dict; every problem is found before anything is sent."""
        if not isinstance(settings, dict):
            raise SettingError(unit, "*", settings, "settings must be a mapping of parameter: value")
        coerced: dict[str, Value] = {}
        notes: list[str] = []
        for name, value in settings.items():
            coerced[name], note = self.coerce(str(name), value, unit)
            if note:
                notes.append(note)
        return coerced, notes

    def complete(self, settings: dict[str, Value], base: dict[str, Value] | None = None) -> dict[str, Value]:
        """Every parameter in profile order: given settings over base (default: the profile's defaults)."""
        base = base if base is not None else self.defaults()
        return {name: settings.get(name, base.get(name, p.default)) for name, p in self.parameters.items()}

    def defaults(self) -> dict[str, Value]:
        return {name: p.coerce(p.default)[0] for name, p in self.parameters.items()}

    def neutral(self) -> dict[str, Value]:
        """The settings at which the unit leaves the sound alone (its analog equivalent of bypass)."""
        return {name: p.coerce(p.neutral)[0] for name, p in self.parameters.items()}

    def bypass_position(self) -> Value | None:
        """The position of the bypass control that takes the circuit out, or None (no bypass)."""
        param = self.parameters.get(BYPASS_PARAMETER)
        if param is None or param.detents is None:
            return None
        return next((p for p in param.detents if p in BYPASSED_POSITIONS), None)

    def is_bypassed(self, settings: dict[str, Value]) -> bool:
        """Whether these settings have the unit on hard bypass (a missing bypass setting is the default, off)."""
        position = self.bypass_position()
        return position is not None and settings.get(BYPASS_PARAMETER) == position

    def __repr__(self) -> str:
        return f"Profile({self.name!r}, {len(self.parameters)} parameters, wires={self.wire_kinds()})"


def profiles_dir() -> Path:
    """The folder of the profiles shipped with hybrid."""
    return Path(str(resources.files("devices") / "profiles"))


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.yaml"))


_CACHE: dict[tuple[str, float], Profile] = {}


def load_profile(name_or_path: str | Path, *, check: bool = True) -> Profile:
    """A shipped profile by name (e.g. 'vca-bus-comp') or a profile YAML by path.

    check=False returns a profile whose problems() are not empty too (for `hybrid devices lint`)."""
    text = str(name_or_path)
    path = Path(text)
    if not (text.endswith((".yaml", ".yml")) or "/" in text):
        path = profiles_dir() / f"{text}.yaml"
        if not path.exists():
            raise ConfigError(None, "profile", text, "shipped profiles: " + ", ".join(shipped_profiles())
                              + " (or give a path to a profile .yaml)")
    key = (str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0)
    if key in _CACHE and check:
        return _CACHE[key]
    data = read_yaml(path)
    if isinstance(data, dict) and isinstance(data.get("spec"), int) and data["spec"] > PROFILE_SPEC:
        # said before any other check: a newer file may use fields this hybrid does not know
        raise ConfigError(path, "spec", data["spec"],
                          f"this hybrid reads profile spec {PROFILE_SPEC} or older; update hybrid to use it")
    profile = Profile(path.stem, parse(ProfileFile, data, path), path, check=check)
    if check:
        _CACHE[key] = profile
    return profile


def _detents(spec: ParameterSpec) -> tuple[Value, ...] | None:
    if spec.positions is not None:
        return tuple(spec.positions)
    if spec.steps is not None:
        return tuple(float(s) if isinstance(s, (int, float)) else s for s in spec.steps)
    low, high = spec.range  # type: ignore[misc]
    if spec.step is not None:
        n = int(round((high - low) / spec.step))
        if abs(low + n * spec.step - high) > 1e-6 * spec.step:
            raise ValueError(f"range {low}..{high} is not a whole number of {spec.step} steps")
        # rounded so that 0.1-steps read back as 0.3, not 0.30000000000000004
        return tuple(round(low + i * spec.step, 9) for i in range(n + 1))
    if spec.count is not None:
        if spec.law == "log":
            return tuple(float(f"{low * (high / low) ** (i / (spec.count - 1)):.4g}") for i in range(spec.count))
        return tuple(round(low + (high - low) * i / (spec.count - 1), 9) for i in range(spec.count))
    return None


def _num(value: float) -> str:
    """A number as a panel prints it: no trailing zeros, no float noise."""
    text = f"{value:.4g}"
    if "e" in text:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text
