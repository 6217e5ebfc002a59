"""Number formatting shared by the text and HTML reports: units, missing values, times."""

from __future__ import annotations

import math
from typing import Any


def num(value: Any, unit: str = "", digits: int = 1) -> str:
    """A measurement as the studio reads it: '-14.0 LUFS', '-inf dBTP', 'n/a' when unknown."""
    if value is None or value == "":
        return "n/a"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        text = "-inf" if x < 0 else "+inf"
    else:
        text = f"{x:.{digits}f}"
    return f"{text} {unit}".rstrip() if unit else text


def clock(seconds: Any) -> str:
    """A position in a track as m:ss.mmm (how editors and DAWs show it)."""
    if seconds is None:
        return "n/a"
    s = max(0.0, float(seconds))
    minutes = int(s // 60)
    return f"{minutes}:{s - 60 * minutes:06.3f}"


def settings_line(settings: Any) -> str:
    """Settings on one line as the studio reads them: 'gain_db=1.5, freq_hz=100'; nested ones by
    their dotted name ('color.air_db=1.5'), empty groups left out; a unit's bypass switch in words
    ('in circuit', 'bypassed'), since its panel word means opposite things on different units (a
    passive EQ's IN is engaged; a compressor's bypass ON is out of circuit)."""
    flat = _flatten(settings)
    if not flat:
        return "(none)"
    return ", ".join(_bypass_words(val) if key.rsplit(".", 1)[-1] == "bypass" else f"{key}={_value(val)}"
                     for key, val in flat.items())


def _flatten(settings: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(settings, dict):
        return {}
    out: dict[str, Any] = {}
    for key, val in settings.items():
        name = f"{prefix}{key}"
        if isinstance(val, dict):
            out.update(_flatten(val, name + "."))
        else:
            out[name] = val
    return out


def _bypass_words(val: Any) -> str:
    from devices.profile import BYPASSED_POSITIONS  # the one rule of which panel words bypass a unit

    word = _value(val)
    state = "bypassed" if word in BYPASSED_POSITIONS else "in circuit"
    return state if word in ("on", "off") else f"{state} (switch at {word.upper()})"


def _value(val: Any) -> str:
    if val is None:
        return "(default)"
    if isinstance(val, bool):
        return "on" if val else "off"
    if isinstance(val, float):
        return f"{val:g}"
    return str(val)


def shown(value: Any, digits: int = 2) -> str:
    """Any value of the report's data in words: no Python spelling (True, None, {'a': 1}) shows through."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return num(value, digits=digits)
    if isinstance(value, dict):
        return settings_line(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(v, digits) for v in value) or "-"
    return str(value)


def section(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    """mapping[key] when it is a dict, else an empty one (reports take partial data)."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def get(mapping: Any, *keys: str, default: Any = None) -> Any:
    """Walk nested dicts, tolerating missing or non-dict levels (reports take partial data)."""
    cur = mapping
    for key in keys:
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur
