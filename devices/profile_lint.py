"""`hybrid devices lint`: a profile checked against itself, every mistake found in one line each.

Loading a profile refuses what cannot work at all (a parameter with no encoding on a declared wire, a
default outside its range, more detents than a 7-bit MIDI value holds) and stops at the first. Lint
lists every one of those the profile's own checks find (Profile.problems; a file that does not parse
at all is its one refusal), then looks for what loads but goes wrong later: two parameters on one
CC, NRPN, OSC address or serial code; a default that is silently snapped to another detent; an OSC int
carrying a continuous value; a control with no panel marking for the recall sheet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from devices.errors import ConfigError
from devices.profile import Parameter, Profile, SettingError, load_profile
from devices.profile_schema import MidiEncoding, MidiParam, OscEncoding, SerialEncoding

# the controllers an NRPN message is made of (99/98 select the parameter, 6/38 carry its value)
NRPN_CONTROLLERS = (6, 38, 98, 99)


@dataclass(frozen=True)
class Finding:
    """One thing wrong in a profile: the file, the field (naming the parameter) and what is wrong."""

    file: str
    field: str
    problem: str

    def line(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"


def lint(name_or_path: str | Path) -> list[Finding]:
    """Everything wrong with one profile (a shipped name or a path); empty when it is clean."""
    try:
        profile = load_profile(name_or_path, check=False)
    except ConfigError as exc:
        # a profile that does not load at all: its one refusal, as the loader words it
        file = exc.file or str(name_or_path)
        if not exc.field:  # a check across the whole file: its value is the whole file, not worth showing
            return [Finding(file, "profile", exc.allowed)]
        return [Finding(file, exc.field, _without_place(exc))]
    file = profile.source or str(name_or_path)
    # every refusal the loader would stop at the first of, then what loads but goes wrong later
    problems = [(exc.field, _without_place(exc)) for exc in profile.problems()]
    for param in profile.parameters.values():
        problems += _parameter_problems(param)
    wires = profile.data.wires
    if wires.midi is not None:
        problems += _midi_problems(wires.midi)
    if wires.osc is not None:
        problems += _osc_problems(profile, wires.osc)
    if wires.serial is not None:
        problems += _serial_problems(profile, wires.serial)
    return [Finding(file, field, problem) for field, problem in problems]


def _without_place(exc: ConfigError) -> str:
    """A refusal's words without its 'file: field: ' (the finding says those)."""
    return str(exc).removeprefix(f"{exc.file}: ").removeprefix(f"{exc.field}: ")


def _parameter_problems(param: Parameter) -> list[tuple[str, str]]:
    where = f"parameters.{param.name}"
    out: list[tuple[str, str]] = []
    for field in ("default", "neutral"):
        raw = getattr(param.spec, field)
        if raw is None:
            continue
        try:
            value, note = param.coerce(raw, "lint")
        except SettingError:
            continue  # outside the control: one of the profile's problems() above
        if note is not None:
            out.append((f"{where}.{field}", f"{raw} is not on a detent; it would be set to {param.marking(value)}"))
    if not param.spec.label:
        out.append((f"{where}.label", "missing: a recall sheet shows the panel's marking; give it as on the unit"))
    if param.spec.sheet == "step" and param.detents is None:
        out.append((f"{where}.sheet", "'step' needs detents (step, count, steps or positions); "
                                      "a continuous knob is set by its value"))
    return out


def _claims(owner: dict[str, list[str]], key: str, name: str) -> None:
    owner[key].append(name)


def _duplicates(owner: dict[str, list[str]], field_of: str, what: str) -> list[tuple[str, str]]:
    """One finding per parameter that shares a message with another, naming the others."""
    out = []
    for key, names in owner.items():
        for name in dict.fromkeys(names):
            others = [n for n in dict.fromkeys(names) if n != name]
            if others:
                message = f"{what} {key}" if what else key
                out.append((field_of.format(name=name), f"{message} is also used by {', '.join(others)}"))
    return out


def _midi_messages(enc: MidiParam) -> list[str]:
    """The controller numbers (or program change) a parameter's message occupies on the channel."""
    if enc.cc is not None:
        return [f"CC {enc.cc}"]
    if enc.cc14 is not None:
        return [f"CC {enc.cc14}", f"CC {enc.cc14 + 32}"]
    if enc.nrpn is not None:
        return [f"NRPN {enc.nrpn}"]
    return ["program change"]


def _midi_problems(midi: MidiEncoding) -> list[tuple[str, str]]:
    used: dict[str, list[str]] = defaultdict(list)
    sysex: dict[str, list[str]] = defaultdict(list)
    uses_nrpn = any(e.nrpn is not None for e in midi.parameters.values())
    out: list[tuple[str, str]] = []
    for name, enc in midi.parameters.items():
        for message in _midi_messages(enc):
            _claims(used, message, name)
        if uses_nrpn and enc.cc is not None and enc.cc in NRPN_CONTROLLERS:
            out.append((f"wires.midi.parameters.{name}.cc",
                        f"CC {enc.cc} is part of every NRPN message this profile sends (CC 99, 98, 6, 38)"))
        if enc.sysex_address is not None:
            _claims(sysex, " ".join(f"{b:02X}" for b in enc.sysex_address), name)
            if midi.sysex is None:
                out.append((f"wires.midi.parameters.{name}.sysex_address",
                            "read back by SysEx, but wires.midi.sysex (maker, device, model) is not given"))
    unread = [name for name, enc in midi.parameters.items() if enc.sysex_address is None]
    if sysex and unread:  # the controller reads a unit back only when it can read every control
        out += [(f"wires.midi.parameters.{name}.sysex_address",
                 "missing, while other parameters have one: the unit cannot be read back at all") for name in unread]
    return (_duplicates(used, "wires.midi.parameters.{name}", "")
            + _duplicates(sysex, "wires.midi.parameters.{name}.sysex_address", "SysEx address") + out)


def _osc_problems(profile: Profile, osc: OscEncoding) -> list[tuple[str, str]]:
    used: dict[str, list[str]] = defaultdict(list)
    out: list[tuple[str, str]] = []
    for name, enc in osc.parameters.items():
        _claims(used, enc.address, name)
        if enc.address == osc.query_address:
            out.append((f"wires.osc.parameters.{name}.address", f"{enc.address} is the query_address"))
        param = profile.parameters[name]
        if enc.arg == "int" and param.detents is None:
            out.append((f"wires.osc.parameters.{name}.arg",
                        f"an OSC int carries whole numbers: {param.allowed()} would be rounded; "
                        "use arg: float, or give the detents (an int then carries the detent number)"))
    return _duplicates(used, "wires.osc.parameters.{name}.address", "address") + out


def _serial_problems(profile: Profile, serial: SerialEncoding) -> list[tuple[str, str]]:
    used: dict[str, list[str]] = defaultdict(list)
    out: list[tuple[str, str]] = []
    binary = serial.framing == "binary"
    for name, enc in serial.parameters.items():
        _claims(used, str(enc.id) if binary else str(enc.code), name)
        if enc.send == "index" and profile.parameters[name].detents is None:
            out.append((f"wires.serial.parameters.{name}.send",
                        "'index' sends the detent number, and this control has no detents; use send: marking"))
    field = "wires.serial.parameters.{name}." + ("id" if binary else "code")
    return _duplicates(used, field, "id" if binary else "code") + out
