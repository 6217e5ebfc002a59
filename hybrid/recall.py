"""`hybrid recall`: put a revision's settings on the gear (recall sheets for the units set by hand)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devices.recall_sheet import RecallSheet
from devices.unit import RecallReport
from hybrid.session import open_session, session_lock, session_rig
from hybrid.session.settings import UnitCatalog


@dataclass
class RecallOutcome:
    """What a recall put on the gear: the revision, the track whose overrides were used, each unit's report."""

    revision: int
    track_id: str | None
    reports: dict[str, RecallReport]


def recall_revision(session_dir: str | Path, revision: int | None = None, *, track: str | None = None,
                    confirm_manual: Callable[[RecallSheet], bool] | None = None) -> RecallOutcome:
    """Recall revision N (the latest when None) on every unit; with track, that track's overrides too.

    Every setting is checked against the units' profiles before anything is sent; a unit that does
    not confirm what it was sent raises RecallError naming it.
    """
    session = open_session(session_dir)
    with session_lock(session.folder, "recall"):
        chosen = session.revision(revision)
        rig = session_rig(session)
        catalog = UnitCatalog(rig, source=session.revision_path(chosen.number))
        track_id = session.resolve_tracks([track])[0].id if track else None
        settings = chosen.settings_for(track_id) if track_id else chosen.units
        catalog.check(settings, f"tracks.{track_id}.units" if track_id else "units")
        catalog.require_every_unit(chosen.units)
        from devices.station import open_station

        with open_station(rig, confirm_manual=confirm_manual, audio=False) as station:
            reports = station.recall(settings)
    return RecallOutcome(chosen.number, track_id, reports)
