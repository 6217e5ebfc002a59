"""What every simulated twin shares: a panel, a wire address, and faults a test can switch on."""

from __future__ import annotations

import logging
from typing import Literal

from devices.profile import Parameter, Profile, SettingError, Value
from devices.sim.panel import Panel

log = logging.getLogger("hybrid.sim")

Fault = Literal["silent", "garbled", "wrong_value"] | None


class Twin:
    """A simulated unit on its wire. Subclasses start a server and call take() for every setting that arrives.

    fault makes the twin misbehave the way broken gear does, so tests meet the real failure on the
    real wire: "silent" answers nothing, "garbled" answers noise, "wrong_value" reports a neighbouring
    position instead of the one it holds.
    """

    kind = "?"

    def __init__(self, name: str, profile: Profile, panel: Panel) -> None:
        self.name = name
        self.profile = profile
        self.panel = panel
        self.fault: Fault = None
        self.received = 0  # messages taken off the wire (a test's way to see that nothing arrived)

    @property
    def address(self) -> str:
        raise NotImplementedError

    def start(self) -> Twin:
        return self

    def close(self) -> None:
        self.panel.close()

    def take(self, param: Parameter, value: Value) -> bool:
        """A setting arrived: snap it like the detented control would, or refuse it (False)."""
        try:
            snapped, _note = param.coerce(value, self.name)
        except SettingError as exc:
            log.info("simulated %s refused %s", self.name, exc)
            return False
        self.panel.set(param.name, snapped)
        return True

    def reported(self, param: Parameter) -> Value:
        """What the twin says a control is at (a neighbouring position under the wrong_value fault)."""
        value = self.panel.get(param.name)
        if self.fault == "wrong_value" and param.detents is not None:
            i = param.index(value)
            return param.detents[i + 1 if i + 1 < len(param.detents) else i - 1]
        if self.fault == "wrong_value":
            low, high = param.spec.range  # type: ignore[misc]
            return float(value) + (high - low) / 4 * (1 if float(value) < (low + high) / 2 else -1)
        return value
