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
    """A unit's settings on one line: 'gain_db=+1.5, freq_hz=100'."""
    if not isinstance(settings, dict) or not settings:
        return "(none)"
    return ", ".join(f"{key}={_value(val)}" for key, val in settings.items())


def _value(val: Any) -> str:
    if isinstance(val, bool):
        return "on" if val else "off"
    if isinstance(val, float):
        return f"{val:g}"
    return str(val)


def get(mapping: Any, *keys: str, default: Any = None) -> Any:
    """Walk nested dicts, tolerating missing or non-dict levels (reports take partial data)."""
    cur = mapping
    for key in keys:
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur
