"""A unit in the rack: validated settings, recall over its wire, read-back proof, safe state on the way out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.errors import ConfigError, RecallError, TransportError
from devices.profile import Profile, Value, load_profile
from devices.recall_sheet import RecallSheet
from devices.rig import UnitConfig
from devices.transports.base import Remote
from devices.transports.manual import Confirm, ManualRemote
from devices.wires import RemoteRequest, remote_builder


@dataclass
class RecallReport:
    """What a recall sent, what the unit said back, and what had to be snapped or noted on the way."""

    unit: str
    sent: dict[str, Value]
    read_back: dict[str, Value] | None
    notes: list[str] = field(default_factory=list)
    verified: bool = False
    elapsed_s: float = 0.0
    sheet: RecallSheet | None = None

    def to_dict(self) -> dict[str, Any]:
        """The shape the print report stores: {sent, read_back, notes, verified, elapsed_s}."""
        out: dict[str, Any] = {"sent": dict(self.sent), "read_back": dict(self.read_back) if self.read_back
                               is not None else None, "notes": list(self.notes), "verified": self.verified,
                               "elapsed_s": round(self.elapsed_s, 6)}
        if self.sheet is not None:
            out["sheet"] = self.sheet.text()
        return out


class Unit:
    """One unit of a rig, spoken to through a Remote; every exchange goes through the unit's lock."""

    def __init__(self, name: str, profile: Profile, remote: Remote) -> None:
        self.name = name
        self.profile = profile
        self.remote = remote
        self._lock = threading.RLock()
        self._last_recalled: dict[str, Value] | None = None
        self._dirty = False  # a recall started and did not finish: the panel is somewhere in between

    # ------------------------------------------------------------------ building

    @classmethod
    def connect(cls, config: UnitConfig, *, address: str | None = None, confirm: Confirm | None = None,
                on_manual_confirmed: Callable[[dict[str, Value]], None] | None = None,
                profile: Profile | None = None) -> Unit:
        """A Unit on the wire the rig names; address replaces an 'auto' port (a simulated twin's address)."""
        profile = profile or load_profile(config.profile)
        wire = config.wire
        encoding = profile.encoding(wire.kind, f"units.{config.name}.wire.kind")
        # the wire's builder from the one table of wire kinds (devices/wires.py)
        remote = remote_builder(wire.kind)(RemoteRequest(config, profile, encoding, address, confirm,
                                                         on_manual_confirmed))
        remote.open()
        return cls(config.name, profile, remote)

    # ------------------------------------------------------------------ what others call

    @property
    def can_read(self) -> bool:
        return self.remote.can_read

    @property
    def is_manual(self) -> bool:
        return isinstance(self.remote, ManualRemote)

    def validate(self, settings: dict[str, Any]) -> tuple[dict[str, Value], list[str]]:
        """Every parameter coerced and complete (missing ones at the profile's default); nothing is sent."""
        coerced, notes = self.profile.validate(settings, self.name)
        missing = [name for name in self.profile.parameters if name not in coerced]
        if missing:
            notes.append(f"unit {self.name!r}: not in the settings, set to the profile's default: "
                         + ", ".join(missing))
        return self.profile.complete(coerced), notes

    def recall(self, settings: dict[str, Any], *, verify: bool = True) -> RecallReport:
        """Send every parameter; where the wire can be read, read each back and fail on any mismatch."""
        full, notes = self.validate(settings)
        started = time.monotonic()
        with self._lock:
            if isinstance(self.remote, ManualRemote):
                sheet = self.remote.recall(full, notes)
                self._last_recalled = full
                return RecallReport(self.name, full, None, notes, False, time.monotonic() - started, sheet)
            self._dirty = True
            try:
                self._send_all(full)
                read_back = self._verify(full) if verify and self.can_read else None
            except KeyboardInterrupt:
                self.safe_state()
                raise
            self._last_recalled = full
            self._dirty = False
        return RecallReport(self.name, full, read_back, notes, read_back is not None,
                            time.monotonic() - started)

    def move(self, name: str, value: Any, *, verify: bool = True) -> RecallReport:
        """One control moved while the audio plays: checked as a recall checks it, sent alone, and read
        back where the wire can (RecallError on a mismatch). A manual unit gets a one-row recall sheet
        for the operator to turn and confirm. The other controls are not touched."""
        if name not in self.profile.parameters:
            raise ConfigError(None, f"{self.name}.{name}", name, f"unit {self.name!r} has the controls: "
                              + ", ".join(self.profile.parameters))
        coerced, notes = self.profile.validate({name: value}, self.name)
        started = time.monotonic()
        with self._lock:
            if isinstance(self.remote, ManualRemote):
                sheet = self.remote.recall(coerced, notes)
                self._last_recalled = {**(self._last_recalled or {}), **coerced}
                return RecallReport(self.name, coerced, None, notes, False, time.monotonic() - started, sheet)
            self._dirty = True
            try:
                self._send_all(coerced)
                read_back = self._verify(coerced) if verify and self.can_read else None
            except KeyboardInterrupt:
                self.safe_state()
                raise
            self._last_recalled = {**(self._last_recalled or self.profile.neutral()), **coerced}
            self._dirty = False
        return RecallReport(self.name, coerced, read_back, notes, read_back is not None, time.monotonic() - started)

    def read(self) -> dict[str, Value]:
        """The unit's settings as it reports them; RecallError when the wire cannot be read."""
        if not self.can_read:
            raise RecallError(f"unit {self.name!r} ({self.remote.transport.address}) cannot be read back")
        with self._lock:
            return {p.name: self.remote.get(p) for p in self.profile.parameters.values()}

    def safe_state(self) -> None:
        """Put the panel back where it was last recalled (or at neutral): after an interrupted recall."""
        if isinstance(self.remote, ManualRemote) or not self.remote.transport.is_open:
            return
        target = self._last_recalled or self.profile.neutral()
        timeout, retries = self.remote.transport.timeout_s, self.remote.transport.retries
        self.remote.transport.timeout_s, self.remote.transport.retries = min(timeout, 0.2), 0
        try:
            self._send_all(target)
            self._dirty = False
        except (TransportError, RecallError):
            pass  # on the way out, a unit that does not answer must not hide the first error
        finally:
            self.remote.transport.timeout_s, self.remote.transport.retries = timeout, retries

    def close(self) -> None:
        """Leave the unit in a safe state and close its wire."""
        with self._lock:
            if self._dirty:
                self.safe_state()
            self.remote.close()

    def traffic(self) -> list[str]:
        """The traffic log of this unit's wire, one line per exchange."""
        return self.remote.transport.log.lines()

    def __enter__(self) -> Unit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Unit({self.name!r}, {self.profile.name}, {self.remote.transport.address})"

    # ------------------------------------------------------------------ inside

    def _send_all(self, settings: dict[str, Value]) -> None:
        for name, value in settings.items():
            self.remote.set(self.profile.parameters[name], value)

    def _verify(self, sent: dict[str, Value]) -> dict[str, Value]:
        read_back: dict[str, Value] = {}
        wrong: list[str] = []
        for name, value in sent.items():
            param = self.profile.parameters[name]
            got = self.remote.get(param)
            read_back[name] = got
            tolerance = self.remote.tolerance(param)
            if not param.same(value, got, tolerance):
                wrong.append(f"parameter {name!r}: sent {param.marking(value)}, read {param.marking(got)}")
        if wrong:
            more = f" (and {len(wrong) - 1} more: " + "; ".join(wrong[1:]) + ")" if len(wrong) > 1 else ""
            raise RecallError(f"unit {self.name!r} on {self.remote.transport.address} did not take the recall: "
                              f"{wrong[0]}{more}")
        return read_back
