"""The one table of wire kinds: every kind a rig may name has a row, and each row builds its remote and
starts its twin (so Unit.connect and SimRig hold no switch on the kind)."""

from __future__ import annotations

import inspect
import typing

from devices import rig as rig_module
from devices.wires import WIRES, remote_builder, twin_starter


def _rig_kinds() -> set[str]:
    """The kinds the rig schema accepts (the Literal of each wire model)."""
    union = typing.get_args(rig_module.Wire)[0]
    return {typing.get_args(model.model_fields["kind"].annotation)[0] for model in typing.get_args(union)}


def test_every_kind_a_rig_may_name_has_one_row() -> None:
    assert _rig_kinds() == set(WIRES) == {"manual", "osc", "serial", "midi"}


def test_each_row_names_a_remote_builder_and_a_twin_starter_in_their_layers() -> None:
    for kind, row in WIRES.items():
        remote, twin = remote_builder(kind), twin_starter(kind)
        assert remote.__module__ == f"devices.transports.{kind}", kind
        assert twin.__module__.startswith("devices.sim."), kind
        assert list(inspect.signature(remote).parameters) == ["request"], kind
        assert list(inspect.signature(twin).parameters) == ["sim", "unit", "profile", "panel"], kind


def test_unit_connect_and_the_sim_rig_start_switch_on_no_kind() -> None:
    from devices.sim.rig import SimRig
    from devices.unit import Unit

    for function in (Unit.connect, SimRig._start):
        source = inspect.getsource(function)
        assert "remote_builder(" in source or "twin_starter(" in source, function.__qualname__
        assert 'kind == "' not in source, function.__qualname__
