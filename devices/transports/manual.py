"""The manual 'wire': an operator with a recall sheet, who confirms (or a script passes --yes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devices.errors import RecallError
from devices.profile import Parameter, Profile, Value
from devices.recall_sheet import RecallSheet
from devices.transports.base import Remote, Transport
from devices.wires import RemoteRequest

Confirm = Callable[[RecallSheet], bool]


class ManualTransport(Transport[RecallSheet, bool]):
    """No cable: a sheet goes to the operator, the operator's confirmation comes back."""

    kind = "manual"

    def __init__(self, *, label: str, confirm: Confirm | None) -> None:
        super().__init__(label=label, timeout_s=0.0, retries=0)
        self.confirm = confirm

    @property
    def address(self) -> str:
        return "manual (recall sheet)"

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def _send(self, msg: RecallSheet) -> None:
        pass

    def _receive(self, deadline: float) -> Any | None:
        return None

    def _describe(self, thing: Any) -> str:
        if isinstance(thing, RecallSheet):
            return f"recall sheet for {thing.unit}: " + ", ".join(f"{r.label} {r.position}" for r in thing.rows)
        return str(thing)

    def ask(self, sheet: RecallSheet) -> bool:
        """Show the sheet to the operator and return their answer."""
        with self.lock:
            self.log.sent(self._describe(sheet))
            if self.confirm is None:
                raise RecallError(
                    f"unit {self.label!r} is recalled by hand: confirm the recall sheet at the prompt, "
                    "or pass --yes in scripts")
            answer = bool(self.confirm(sheet))
            self.log.received("operator confirmed" if answer else "operator did not confirm")
            return answer


class ManualRemote(Remote):
    transport: ManualTransport
    """Collects a whole recall into one sheet; on_confirmed tells a simulated panel the knobs were turned."""

    can_read = False

    def __init__(self, transport: ManualTransport, profile: Profile,
                 on_confirmed: Callable[[dict[str, Value]], None] | None = None) -> None:
        self.transport = transport
        self.profile = profile
        self.on_confirmed = on_confirmed

    def set(self, param: Parameter, value: Value) -> None:
        raise RecallError(f"unit {self.transport.label!r} has no remote control; it is recalled with a sheet")

    def recall(self, settings: dict[str, Value], notes: list[str]) -> RecallSheet:
        """Ask the operator to set every control; RecallError when they do not confirm."""
        sheet = RecallSheet.build(self.transport.label, self.profile, settings, notes)
        if not self.transport.ask(sheet):
            raise RecallError(f"unit {self.transport.label!r}: the operator did not confirm the recall sheet; "
                              "nothing will be printed")
        if self.on_confirmed is not None:
            self.on_confirmed(dict(settings))
        return sheet


def connect_remote(request: RemoteRequest) -> ManualRemote:
    """The manual wire's row of devices.wires: a recall sheet shown to `confirm`."""
    return ManualRemote(ManualTransport(label=request.config.name, confirm=request.confirm), request.profile,
                        request.on_manual_confirmed)
