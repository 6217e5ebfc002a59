"""The studio at the desk: every unit of a rig connected on its wire, the interface open, recall for all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devices.errors import ConfigError
from devices.profile import BYPASS_PARAMETER, Value
from devices.recall_sheet import RecallSheet
from devices.rig import Rig, SimInterfaceConfig, load_rig
from devices.unit import RecallReport, Unit


class Station:
    """Units by name (rig order), the audio interface, and the simulated twins (or None)."""

    def __init__(self, rig: Rig, units: dict[str, Unit], interface: Any, sim: Any) -> None:
        self.rig = rig
        self.units = units
        self.interface = interface
        self.sim = sim

    def pass_through(self) -> list[str]:
        """The units whose audio the simulated interface passes unchanged: simulated, with no sound model."""
        if self.sim is None or not isinstance(self.rig.interface, SimInterfaceConfig):
            return []  # a real interface: the units' audio is the units' own
        return list(self.sim.pass_through())

    def neutral_settings(self) -> dict[str, dict[str, Value]]:
        """Every unit at the settings that leave the sound alone (the analog equivalent of bypass).

        Calibration measures the loop with these recalled: each unit's own latency stays in the loop.
        """
        return {name: unit.profile.neutral() for name, unit in self.units.items()}

    def bypass_settings(self) -> dict[str, dict[str, Value]]:
        """Every unit with a bypass control on hard bypass, the rest at neutral (how a studio calibrates).

        The other controls of a bypassed unit are at neutral too, so that taking it out of bypass later
        changes nothing but the relay. A unit's own converter latency stays in the loop (see its profile).
        """
        settings = self.neutral_settings()
        for name, unit in self.units.items():
            position = unit.profile.bypass_position()
            if position is not None:
                settings[name][BYPASS_PARAMETER] = position
        return settings

    def validate(self, settings_by_unit: dict[str, dict[str, Any]]) -> dict[str, tuple[dict[str, Value], list[str]]]:
        """Every unit's settings checked against its profile; the first problem is raised, nothing is sent."""
        if not isinstance(settings_by_unit, dict):
            raise ConfigError(None, "units", settings_by_unit, "give settings as {unit: {parameter: value}}")
        for name in settings_by_unit:
            if name not in self.units:
                raise ConfigError(None, "units", name, f"rig {self.rig.name!r} has units: " + ", ".join(self.units))
        return {name: self.units[name].validate(settings) for name, settings in settings_by_unit.items()}

    def recall(self, settings_by_unit: dict[str, dict[str, Any]], *, verify: bool = True) -> dict[str, RecallReport]:
        """Recall every named unit (remote ones first, then the sheets); RecallError/TransportError on the first failure.

        All settings of all units are validated before anything is sent. Units not named are left alone.
        """
        self.validate(settings_by_unit)
        order = [n for n in self.units if n in settings_by_unit]
        # the operator is only asked to turn knobs once every remote unit has taken its settings
        order.sort(key=lambda n: self.units[n].is_manual)
        return {name: self.units[name].recall(settings_by_unit[name], verify=verify) for name in order}

    def recall_neutral(self) -> dict[str, RecallReport]:
        """Recall every unit at neutral, engaged (calibration uses recall_bypass: the relays out of circuit)."""
        return self.recall(self.neutral_settings())

    def recall_bypass(self) -> dict[str, RecallReport]:
        """Recall every unit on hard bypass where it has one, else at neutral (for calibration)."""
        return self.recall(self.bypass_settings())

    def traffic(self) -> list[str]:
        """Every wire's traffic log, unit by unit (what --debug prints)."""
        return [line for unit in self.units.values() for line in unit.traffic()]

    def close(self) -> None:
        """Units to a safe state and their wires closed, the interface released, the twins stopped."""
        errors: list[BaseException] = []
        for unit in self.units.values():
            try:
                unit.close()
            except Exception as exc:  # close every unit even if one fails
                errors.append(exc)
        if self.interface is not None:
            self.interface.close()
        if self.sim is not None:
            self.sim.close()
        if errors:
            raise errors[0]

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_station(rig: Rig | None = None, *, confirm_manual: Callable[[RecallSheet], bool] | None = None,
                 audio: bool = True, persist: bool = True, seed: int = 0) -> Station:
    """Start the rig's simulated twins, connect a Unit to every unit on its wire, open the interface.

    confirm_manual(sheet) -> bool is asked for units recalled by hand (None: such a recall fails with a
    message asking for --yes). audio=False skips the interface (recall-only commands). persist=False
    keeps the simulated panels in memory only. seed fixes the simulated noise.
    """
    rig = rig if rig is not None else load_rig()
    sim = None
    units: dict[str, Unit] = {}
    interface = None
    if any(u.simulated for u in rig.units):
        from devices.sim.rig import SimRig

        sim = SimRig(rig, persist=persist, seed=seed)
    try:
        for config in rig.units:
            twin = sim.twins.get(config.name) if sim is not None else None
            address = None
            if twin is not None and config.wire.kind != "manual":
                address = twin.address
            units[config.name] = Unit.connect(
                config, address=address, confirm=confirm_manual,
                on_manual_confirmed=twin.panel.set_many if twin is not None else None)
        if audio:
            from devices.audio import open_interface

            analog = sim.process if (sim is not None and isinstance(rig.interface, SimInterfaceConfig)) else None
            interface = open_interface(rig.interface, analog=analog, seed=seed)
    except BaseException:
        for unit in units.values():
            unit.close()
        if sim is not None:
            sim.close()
        raise
    return Station(rig, units, interface, sim)

