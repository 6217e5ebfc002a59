"""`session set` as one library call: check the words, write the next revision under the session
lock, and say what changed (the CLI and the desk's commit button both call this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybrid.errors import SessionError
from hybrid.session.create import session_rig
from hybrid.session.diff import Change, diff_revisions
from hybrid.session.locking import session_lock
from hybrid.session.revisions import next_revision, parse_assignment, parse_finish
from hybrid.session.settings import UnitCatalog
from hybrid.session.store import open_session


@dataclass(frozen=True)
class Committed:
    """A revision just written: its number, its parent, the notes (values snapped) and the changes."""

    number: int
    parent: int
    notes: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def set_revision(session_dir: str | Path, settings: list[str], *, note: str, finish: list[str] | None = None,
                 track: str | None = None, reset_track: bool = False, parent: int | None = None,
                 author: str | None = None, purpose: str = "session set") -> Committed:
    """Write the next revision from UNIT.PARAM=VALUE words (and +=/-=) on top of the latest (or parent)."""
    session = open_session(session_dir)
    catalog = UnitCatalog(session_rig(session))
    assignments = [parse_assignment(text) for text in settings]
    finishing = parse_finish(finish or [])
    with session_lock(session.folder, purpose):
        made = next_revision(session, catalog, assignments=assignments, finish=finishing, note=note,
                             author=author, track_id=track, reset_track=reset_track, parent=parent)
        asked = bool(assignments or finishing or reset_track)
        if asked and _same_settings(session.revision(made.data["parent"]), made.data):
            # An empty revision would say "no setting changed" after the user asked for a change:
            # nothing is written. A note-only revision is asked for by giving the note alone.
            said = "; ".join(made.notes) + "; " if made.notes else ""
            raise SessionError(
                f"session {session.folder}: {' '.join(settings + [f'--finish {f}' for f in finish or []])} "
                f"changes nothing: {said}revision {made.data['parent']} already has "
                f"{'that' if len(assignments) + len(finishing) <= 1 else 'those'}; no revision written "
                "(for a note-only revision, give --note alone)")
        number = made.data["number"]
        session.append_revision(made.data)
    base = session.revision(made.data["parent"])
    changes = diff_revisions(base, session.revision(number), catalog.show)
    return Committed(number, base.number, list(made.notes), changes)


def _same_settings(base: Any, data: dict[str, Any]) -> bool:
    """Whether a revision about to be written sets exactly what its parent does."""
    tracks = {tid: t.model_dump(exclude_none=True) for tid, t in base.tracks.items()}
    return (data["units"] == base.units and data["finishing"] == base.finishing.model_dump()
            and data["tracks"] == tracks)
