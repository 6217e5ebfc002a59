"""What changed between two revisions, in the studio's words ("eq.high_gain_db: +0.5 dB -> +1 dB")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hybrid.session.model import Finishing, RevisionFile

# (unit, param, value) -> "+0.5 dB"; the session's rig profiles know each parameter's unit
ShowValue = Callable[[str, str, Any], str]

_FINISH_UNITS = {"ceiling_dbtp": "dBTP", "lufs_target": "LUFS"}


@dataclass(frozen=True)
class Change:
    """One difference: where (eq.high_gain_db, finishing.lufs_target, track 02 eq.high_gain_db), before and after."""

    where: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.where}: {self.before} -> {self.after}"


def plain_value(unit: str, param: str, value: Any) -> str:
    """Show a value with no profile to hand."""
    return "-" if value is None else str(value)


def show_finishing(field: str, value: Any) -> str:
    if value is None:
        return "off" if field == "lufs_target" else "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    unit = _FINISH_UNITS.get(field)
    return f"{value:+.1f} {unit}" if unit and isinstance(value, (int, float)) else str(value)


def diff_revisions(a: RevisionFile, b: RevisionFile, show: ShowValue = plain_value) -> list[Change]:
    """Every change from revision a to revision b: units, finishing, then each track's overrides."""
    changes = _units(a.units, b.units, "", show)
    changes += _finishing(a.finishing.model_dump(), b.finishing.model_dump(), "finishing")
    for track_id in sorted(set(a.tracks) | set(b.tracks)):
        before = a.tracks.get(track_id)
        after = b.tracks.get(track_id)
        prefix = f"track {track_id} "
        changes += _units(before.units if before else {}, after.units if after else {}, prefix, show,
                          absent="(album)")
        changes += _finishing(
            before.finishing.model_dump(exclude_none=True) if before else {},
            after.finishing.model_dump(exclude_none=True) if after else {},
            f"{prefix}finishing", absent="(album)",
        )
    return changes


def _units(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], prefix: str, show: ShowValue,
           absent: str = "-") -> list[Change]:
    changes = []
    for unit in _ordered(a, b):
        params_a, params_b = a.get(unit, {}), b.get(unit, {})
        for param in _ordered(params_a, params_b):
            if param in params_a and param in params_b and _same(params_a[param], params_b[param]):
                continue
            before = show(unit, param, params_a[param]) if param in params_a else absent
            after = show(unit, param, params_b[param]) if param in params_b else absent
            changes.append(Change(f"{prefix}{unit}.{param}", before, after))
    return changes


def _finishing(a: dict[str, Any], b: dict[str, Any], where: str, absent: str = "-") -> list[Change]:
    changes = []
    for field in Finishing.model_fields:
        if field not in a and field not in b:
            continue
        if field in a and field in b and _same(a[field], b[field]):
            continue
        before = show_finishing(field, a[field]) if field in a else absent
        after = show_finishing(field, b[field]) if field in b else absent
        changes.append(Change(f"{where}.{field}", before, after))
    return changes


def _ordered(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Keys of a in their order, then keys only b has (chain order survives)."""
    return list(a) + [k for k in b if k not in a]


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
        return abs(float(x) - float(y)) < 1e-9
    return x == y
