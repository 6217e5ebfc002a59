"""The one table of wire kinds: for each, what builds the controller's Remote and what starts its twin.

A rig's `wire.kind` is looked up here by `Unit.connect` (the remote) and by `SimRig` (the simulated
twin), so a new kind of wire is one row and two functions, not a branch in several places. The
entries name their builders as "module:function" and are imported only when a unit on that wire is
connected or simulated: python-osc, pyserial and mido load only for the wires a rig uses, and the
simulated units (devices.sim) only when something is simulated.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devices.profile import Profile, Value
from devices.rig import UnitConfig

if TYPE_CHECKING:
    from devices.recall_sheet import RecallSheet
    from devices.transports.base import Remote


@dataclass(frozen=True)
class RemoteRequest:
    """What a remote builder needs: the rig's unit, its profile and its wire encoding, and how to reach it."""

    config: UnitConfig
    profile: Profile
    encoding: Any  # the profile's encoding for this wire (OscEncoding, SerialEncoding, MidiEncoding; None for manual)
    address: str | None = None  # replaces an 'auto' port (a simulated twin's address)
    confirm: Callable[[RecallSheet], bool] | None = None
    on_manual_confirmed: Callable[[dict[str, Value]], None] | None = None


@dataclass(frozen=True)
class WireKind:
    """One row: the builder of the controller's side and the starter of the simulated twin."""

    remote: str  # "module:function" taking a RemoteRequest, returning a Remote (not yet opened)
    twin: str  # "module:function" taking (sim_rig, unit, profile, panel), returning a Twin (not yet started)


WIRES: dict[str, WireKind] = {
    "manual": WireKind("devices.transports.manual:connect_remote", "devices.sim.rig:manual_twin"),
    "osc": WireKind("devices.transports.osc:connect_remote", "devices.sim.osc_twin:osc_twin"),
    "serial": WireKind("devices.transports.serial:connect_remote", "devices.sim.serial_twin:serial_twin"),
    "midi": WireKind("devices.transports.midi:connect_remote", "devices.sim.midi_twin:midi_twin"),
}


def _resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def remote_builder(kind: str) -> Callable[[RemoteRequest], Remote]:
    """The function that builds a Remote for this wire kind (KeyError for a kind with no row)."""
    return _resolve(WIRES[kind].remote)


def twin_starter(kind: str) -> Callable[..., Any]:
    """The function that makes the simulated twin for this wire kind (KeyError for a kind with no row)."""
    return _resolve(WIRES[kind].twin)
