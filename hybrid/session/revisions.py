"""Making revisions: revision 1 from the profiles' defaults, then each `session set` from a parent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from devices.config import parse
from devices.errors import ConfigError
from hybrid.session.model import REVISION_SPEC, Finishing, FinishingOverride, RevisionFile, UnitSettings
from hybrid.session.settings import UnitCatalog
from hybrid.session.store import Session, default_author, now_utc, sha256_file

_ASSIGNMENT = re.compile(r"^(?P<unit>[A-Za-z][A-Za-z0-9_]*)\.(?P<param>[A-Za-z][A-Za-z0-9_]*)\s*(?P<op>\+=|-=|=)\s*(?P<value>.+)$")
_FINISH = re.compile(r"^(?P<field>[a-z_]+)=(?P<value>.+)$")
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Assignment:
    """UNIT.PARAM=VALUE, or UNIT.PARAM+=DELTA / -=DELTA for a move relative to the parent."""

    unit: str
    param: str
    op: str
    value: Any
    text: str


@dataclass
class NewRevision:
    """A revision ready to write, and what was said about it (values snapped to a step)."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def parse_assignment(text: str) -> Assignment:
    """Read one UNIT.PARAM=VALUE from the command line."""
    match = _ASSIGNMENT.match(text.strip())
    if not match:
        raise ConfigError(COMMAND_LINE, "setting", text, "write UNIT.PARAM=VALUE (or += / -= a number), e.g. eq.high_gain_db=+1.0")
    op, raw = match["op"], match["value"].strip()
    value = _number_or_text(raw)
    if op != "=" and not isinstance(value, float):
        raise ConfigError(COMMAND_LINE, f"{match['unit']}.{match['param']}", raw, f"{op} needs a number")
    return Assignment(match["unit"], match["param"], op, value, text)


def parse_finish(items: list[str]) -> dict[str, Any]:
    """Read --finish ceiling_dbtp=-1 lufs_target=-14 (lufs_target=off for no loudness target)."""
    out: dict[str, Any] = {}
    for text in items:
        match = _FINISH.match(text.strip())
        if not match:
            raise ConfigError(COMMAND_LINE, "finish", text,
                              f"write FIELD=VALUE with FIELD one of {', '.join(Finishing.model_fields)}")
        name, raw = match["field"], match["value"].strip()
        if name not in Finishing.model_fields:
            raise ConfigError(COMMAND_LINE, f"finishing.{name}", raw,
                              f"unknown field; allowed fields: {', '.join(Finishing.model_fields)}")
        lowered = raw.lower()
        if lowered in ("off", "none") and name == "lufs_target":
            out[name] = None
        elif lowered in ("on", "true", "yes", "off", "false", "no") and name == "limiter":
            out[name] = lowered in ("on", "true", "yes")
        else:
            out[name] = _number_or_text(raw)
    return out


def first_revision(catalog: UnitCatalog, *, note: str = "every unit at its profile default",
                   author: str | None = None) -> dict[str, Any]:
    """Revision 1: every unit of the rig at its profile's default, finishing at its defaults."""
    return {
        "spec": REVISION_SPEC,
        "number": 1,
        "created_at": now_utc(),
        "author": author or default_author(),
        "note": note,
        "parent": None,
        "units": catalog.defaults(),
        "finishing": Finishing().model_dump(),
        "tracks": {},
    }


def next_revision(session: Session, catalog: UnitCatalog, *, assignments: list[Assignment],
                  finish: dict[str, Any], note: str, author: str | None = None,
                  track_id: str | None = None, reset_track: bool = False,
                  parent: int | None = None) -> NewRevision:
    """Build the next revision from a parent (the latest unless named): every value is checked
    against the unit's profile before anything is written."""
    base = session.revision(parent)
    number = session.latest() + 1
    units: UnitSettings = {u: dict(p) for u, p in base.units.items()}
    finishing = base.finishing.model_dump()
    tracks = {tid: t.model_dump(exclude_none=True) for tid, t in base.tracks.items()}
    notes: list[str] = []

    if track_id is not None:
        track_id = session.resolve_tracks([track_id])[0].id
        if reset_track:
            tracks.pop(track_id, None)
        override = tracks.setdefault(track_id, {"units": {}, "finishing": {}})
        override.setdefault("units", {})
        override.setdefault("finishing", {})
        effective = base.settings_for(track_id) if not reset_track else base.units
        for item in assignments:
            value, note_text = _resolve(catalog, item, effective)
            override["units"].setdefault(item.unit, {})[item.param] = value
            notes += [note_text] if note_text else []
        if finish:
            _check_finish(finish, FinishingOverride, f"track {track_id} finishing")
            override["finishing"].update(finish)
        if not override["units"] and not {k: v for k, v in override["finishing"].items() if v is not None}:
            tracks.pop(track_id)
    else:
        if reset_track:
            raise ConfigError(COMMAND_LINE, "reset-track", True, "--reset-track needs --track ID")
        for item in assignments:
            value, note_text = _resolve(catalog, item, units)
            units.setdefault(item.unit, {})[item.param] = value
            notes += [note_text] if note_text else []
        if finish:
            finishing.update(finish)
            _check_finish(finishing, Finishing, "finishing")

    data = {
        "spec": REVISION_SPEC,
        "number": number,
        "created_at": now_utc(),
        "author": author or default_author(),
        "note": note,
        "parent": base.number,
        "parent_sha256": sha256_file(session.revision_path(base.number)),
        # the link of the chain: the revision just before this one, whichever it was made from
        "previous_sha256": sha256_file(session.revision_path(number - 1)),
        "units": units,
        "finishing": finishing,
        "tracks": tracks,
    }
    parse(RevisionFile, data, session.revision_path(number))
    return NewRevision(data, notes)


def _resolve(catalog: UnitCatalog, item: Assignment, current: UnitSettings) -> tuple[Any, str]:
    """The value an assignment asks for, checked and snapped by the unit's profile."""
    value = item.value
    if item.op != "=":
        now = current.get(item.unit, {}).get(item.param, catalog.default(item.unit, item.param))
        if not isinstance(now, (int, float)) or isinstance(now, bool):
            raise ConfigError(COMMAND_LINE, f"{item.unit}.{item.param}", item.text,
                              f"{item.op} works on numeric parameters; this one is {now!r}: set it with =")
        value = float(now) + (value if item.op == "+=" else -value)
    return catalog.coerce(item.unit, item.param, value)


def _check_finish(data: dict[str, Any], model: type, where: str) -> None:
    try:
        parse(model, data, COMMAND_LINE)
    except ConfigError as exc:
        raise ConfigError(COMMAND_LINE, f"{where}.{exc.field}", exc.value, exc.allowed) from None


def _number_or_text(raw: str) -> Any:
    try:
        return float(raw)
    except ValueError:
        return raw
