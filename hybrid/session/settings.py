"""The rig's units as the session sees them: their profiles, defaults, checks and panel markings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devices.errors import ConfigError, Described
from devices.profile import Profile, SettingError, load_profile
from devices.rig import Rig


class UnitCatalog:
    """Every unit of a rig with its profile, in chain order: checks settings before they are written."""

    def __init__(self, rig: Rig, source: str | Path | None = "command line") -> None:
        self.rig = rig
        self.source = source
        self.profiles: dict[str, Profile] = {u.name: load_profile(u.profile) for u in rig.units}

    def profile(self, unit: str, field: str | None = None) -> Profile:
        try:
            return self.profiles[unit]
        except KeyError:
            raise ConfigError(self.source, field or unit, unit,
                              f"no such unit in rig {self.rig.name!r}; units: {', '.join(self.profiles)}") from None

    def defaults(self) -> dict[str, dict[str, Any]]:
        """Every unit at its profile default, in chain order (revision 1)."""
        return {name: dict(p.defaults()) for name, p in self.profiles.items()}

    def default(self, unit: str, param: str) -> Any:
        return self._parameter(unit, param).default

    def coerce(self, unit: str, param: str, value: Any) -> tuple[Any, str]:
        """The value the unit will take (snapped to a detent, said aloud) or a ConfigError."""
        parameter = self._parameter(unit, param)
        try:
            snapped, note = parameter.coerce(value, unit)
        except SettingError as exc:
            raise ConfigError(self.source, f"{unit}.{param}", value, exc.allowed) from None
        return snapped, note or ""

    def check(self, units: dict[str, dict[str, Any]], where: str = "units") -> dict[str, dict[str, Any]]:
        """Check a whole {unit: {param: value}} from a file: every unit in the rig, every parameter in its
        profile, every value one the unit takes exactly; a ConfigError names the first that is not.

        Returns `units` itself, unchanged (a partial setting stays partial)."""
        for unit, params in units.items():
            self.profile(unit, f"{where}.{unit}")  # a unit with no parameters given must exist too
            for param, value in params.items():
                parameter = self._parameter(unit, param, where)
                try:
                    _, note = parameter.coerce(value, unit)
                except SettingError:
                    note = "refused"
                if note:  # a stored revision holds exactly what was recalled: no snapping on reading
                    raise ConfigError(self.source, f"{where}.{unit}.{param}", value, parameter.allowed())
        return units

    def require_every_unit(self, units: dict[str, dict[str, Any]], where: str = "units") -> None:
        """A revision sets every unit of the rig: one it leaves out would be printed as it happens to
        be (a recall sends only what the revision holds), which is not an exact recall."""
        missing = [name for name in self.profiles if name not in units]
        if missing:
            raise ConfigError(self.source, f"{where}.{missing[0]}", Described("missing"),
                              f"a revision sets every unit of rig {self.rig.name!r} ({', '.join(self.profiles)}); "
                              f"make a new revision that sets it (`hybrid session set DIR {missing[0]}.PARAM=VALUE`)")

    def show(self, unit: str, param: str, value: Any) -> str:
        """A value as the unit's front panel marks it: '+1.0 dB', '2.2 kHz', '4:1', 'auto'."""
        profile = self.profiles.get(unit)
        parameter = profile.parameters.get(param) if profile else None
        if parameter is None:
            return str(value)
        if parameter.unit == "dB" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return "0.0 dB" if value == 0 else f"{value:+.1f} dB"
        return parameter.marking(value) if isinstance(value, (int, float, str)) else str(value)

    def _parameter(self, unit: str, param: str, where: str | None = None):  # type: ignore[no-untyped-def]
        """The profile's parameter, or a ConfigError naming `where.unit[.param]` (`unit.param` without `where`)."""
        field = f"{where}.{unit}.{param}" if where else f"{unit}.{param}"
        profile = self.profile(unit, f"{where}.{unit}" if where else field)
        parameter = profile.parameters.get(param)
        if parameter is None:
            raise ConfigError(self.source, field, param,
                              f"no such parameter of {unit} ({profile.name}); it has: {', '.join(profile.parameters)}")
        return parameter

