"""How a setting becomes a number or a word on a wire and back, shared by the controller and the twins."""

from __future__ import annotations

import math

from devices.profile import Parameter, Value
from devices.profile_schema import SerialParam

# OSC floats are 32-bit: 0.7 comes back as 0.699999988; a reply within this of a detent is that detent
_SAME_RELATIVE = 1e-5


def read_value(param: Parameter, raw: float | int | str) -> Value:
    """A value as a unit reported it, mapped onto the detent it names (or left as-is to show a mismatch).

    Raises ValueError when the reply is not a value of this parameter at all (a garbled answer).
    """
    if isinstance(raw, str):
        names = [d for d in (param.detents or ()) if isinstance(d, str)]
        if raw in names:
            return raw
        if raw.lower() in names:
            return raw.lower()
        try:
            raw = float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a value of {param.name}") from None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(float(raw)):
        raise ValueError(f"{raw!r} is not a value of {param.name}")
    number = float(raw)
    numbers = [d for d in (param.detents or ()) if isinstance(d, float)]
    for detent in numbers:
        if abs(detent - number) <= _SAME_RELATIVE * max(1.0, abs(detent)):
            return detent
    return number


def to_token(param: Parameter, value: Value) -> str:
    """The value as an ASCII word: position names as they are, numbers without float noise."""
    if isinstance(value, str):
        return value.upper()
    text = f"{value:.6g}"
    return text


def token_for(param: Parameter, enc: SerialParam, value: Value) -> str:
    """The {value} word of a serial command or reply: the detent number when the unit wants indices."""
    return str(param.index(value)) if enc.send == "index" else to_token(param, value)


def parse_token(param: Parameter, enc: SerialParam, groups: dict[str, str | None]) -> Value:
    """The value a matched serial command or reply names (its {index} or {value} group); ValueError if none."""
    index = groups.get("index")
    if index is not None:
        return from_wire_int(param, int(index), 16)
    token = groups.get("value") or ""
    if enc.send == "index":
        return from_wire_int(param, int(token), 16)
    return read_value(param, token)


def wire_bits_max(bits: int) -> int:
    return (1 << bits) - 1


def to_wire_int(param: Parameter, value: Value, bits: int) -> int:
    """The integer a MIDI or binary wire carries: the detent number, or the knob travel scaled to bits."""
    top = wire_bits_max(bits)
    if param.detents is not None:
        index = param.index(value)
        if index > top:
            raise ValueError(f"{param.name} has {len(param.detents)} detents; a {bits}-bit value holds {top + 1}")
        return index
    return int(round(param.to_fraction(float(value)) * top))


def from_wire_int(param: Parameter, number: int, bits: int) -> Value:
    """The value an integer on the wire stands for; ValueError when it is no position of the control."""
    top = wire_bits_max(bits)
    if not 0 <= number <= top:
        raise ValueError(f"{number} does not fit in {bits} bits")
    if param.detents is not None:
        if number >= len(param.detents):
            raise ValueError(f"{param.name} has no detent {number} (it has {len(param.detents)})")
        return param.detents[number]
    return param.from_fraction(number / top)


def wire_tolerance(param: Parameter, bits: int | None) -> float:
    """How far a continuous value may move on a wire of this resolution and still be the same setting."""
    if param.detents is not None or param.spec.range is None:
        return 0.0
    low, high = param.spec.range
    if bits is None:  # a float on the wire: 32-bit precision
        return 1e-6 * max(abs(low), abs(high), 1.0)
    return (high - low) / wire_bits_max(bits)
