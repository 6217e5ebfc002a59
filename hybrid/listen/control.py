"""Live control: a setting typed or moved goes over the unit's wire at once, checked and read back
as a recall is; a unit set by hand gets a one-row recall sheet and waits for the engineer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.errors import ConfigError
from devices.profile import Value
from devices.station import Station
from hybrid.session.revisions import parse_assignment
from hybrid.session.settings import UnitCatalog

FIELD = "control"


@dataclass(frozen=True)
class ControlMove:
    """One control moved: what was asked, what the unit took, and when the monitors have it.

    read_back_frame: the stream frame due next when the wire's read-back (or the engineer's
    confirmation) came; heard_from_frame: the first monitor frame that has the new setting for sure
    (the block after read_back_frame, plus the monitor delay). None while a manual move waits.
    """

    unit: str
    param: str
    value: Value
    shown: str
    text: str
    manual: bool
    verified: bool
    read_back: Value | None
    notes: tuple[str, ...] = ()
    sheet: str = ""
    started_s: float = 0.0
    elapsed_s: float = 0.0
    read_back_frame: int | None = None
    heard_from_frame: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "param": self.param, "value": self.value, "shown": self.shown, "text": self.text,
                "manual": self.manual, "verified": self.verified, "read_back": self.read_back,
                "notes": list(self.notes), "sheet": self.sheet, "elapsed_ms": round(1000 * self.elapsed_s, 2),
                "read_back_frame": self.read_back_frame, "heard_from_frame": self.heard_from_frame}


@dataclass
class Panels:
    """The settings on the gear now, per unit, and which controls moved since the revision."""

    settings: dict[str, dict[str, Value]]
    moved: dict[str, dict[str, Value]] = field(default_factory=dict)


class LiveControl:
    """Moves controls on the station's units; `frame_now()` gives the stream frame due next and
    `monitor_delay` + one block how far behind it the monitors are (see ControlMove)."""

    def __init__(self, station: Station, catalog: UnitCatalog, settings: dict[str, dict[str, Value]],
                 frame_now: Callable[[], int], monitor_delay: int, block_size: int) -> None:
        self.station = station
        self.catalog = catalog
        self.panels = Panels({u: dict(v) for u, v in settings.items()})
        self.pending: ControlMove | None = None
        self._frame_now = frame_now
        self._monitor_delay = monitor_delay
        self._block = block_size
        self._lock = threading.Lock()
        self.confirming = False  # True while the engineer's confirmation of a manual move is passed on

    def parse(self, text: str) -> tuple[str, str, Value, str]:
        """UNIT.PARAM=VALUE (or += / -=) against the panels now: (unit, param, value, note)."""
        item = parse_assignment(text)
        if item.unit not in self.station.units:
            raise ConfigError(None, FIELD, text, f"the rig's units are {', '.join(self.station.units)}")
        profile = self.station.units[item.unit].profile
        if item.param not in profile.parameters:
            raise ConfigError(None, FIELD, text, f"unit {item.unit!r} has the controls "
                              + ", ".join(profile.parameters))
        value: Any = item.value
        if item.op != "=":
            now = self.panels.settings.get(item.unit, {}).get(item.param, profile.parameters[item.param].default)
            if not isinstance(now, (int, float)) or isinstance(now, bool):
                raise ConfigError(None, FIELD, text, f"{item.op} works on numeric controls; "
                                  f"{item.unit}.{item.param} is {now!r}: set it with =")
            value = float(now) + (value if item.op == "+=" else -value)
        coerced, note = self.catalog.coerce(item.unit, item.param, value)
        return item.unit, item.param, coerced, note

    def move(self, text: str) -> ControlMove:
        """Send one control now (remote units) or put its sheet in front of the engineer (manual)."""
        started = time.monotonic()
        with self._lock:
            unit_name, param, value, note = self.parse(text)
            unit = self.station.units[unit_name]
            shown = self.catalog.show(unit_name, param, value)
            if unit.is_manual:
                from devices.recall_sheet import RecallSheet

                sheet = RecallSheet.build(unit_name, unit.profile, {param: value}, [note] if note else [],
                                          title="turn this control, then confirm").text()
                self.pending = ControlMove(unit_name, param, value, shown, text, True, False, None,
                                           (note,) if note else (), sheet, started)
                return self.pending
            report = unit.move(param, value)
            return self._done(ControlMove(unit_name, param, value, shown, text, False, report.verified,
                                          None if report.read_back is None else report.read_back.get(param),
                                          tuple(report.notes), "", started))

    def confirm(self) -> ControlMove:
        """The engineer turned the control on the sheet: the panel has it now."""
        with self._lock:
            pending = self.pending
            if pending is None:
                raise ConfigError(None, FIELD, "confirm", "no control is waiting for a confirmation")
            self.confirming = True
            try:
                self.station.units[pending.unit].move(pending.param, pending.value)
            finally:
                self.confirming = False
            self.pending = None
            return self._done(pending)

    def cancel(self) -> None:
        with self._lock:
            self.pending = None

    def _done(self, move: ControlMove) -> ControlMove:
        frame = self._frame_now()
        self.panels.settings.setdefault(move.unit, {})[move.param] = move.value
        self.panels.moved.setdefault(move.unit, {})[move.param] = move.value
        heard = frame + self._block + self._monitor_delay
        return ControlMove(move.unit, move.param, move.value, move.shown, move.text, move.manual, move.verified,
                           move.read_back, move.notes, move.sheet, move.started_s,
                           time.monotonic() - move.started_s, frame, heard)
