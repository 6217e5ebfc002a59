"""Sessions: a readable folder of tracks, album metadata and append-only, write-once revisions."""

from hybrid.session.create import AlbumFields, new_session, session_rig
from hybrid.session.diff import Change, diff_revisions
from hybrid.session.locking import session_lock
from hybrid.session.model import Finishing, RevisionFile, SessionFile, Track
from hybrid.session.revisions import next_revision, parse_assignment, parse_finish
from hybrid.session.settings import UnitCatalog
from hybrid.session.store import Session, SourceCheck, open_session

__all__ = [
    "AlbumFields",
    "Change",
    "Finishing",
    "RevisionFile",
    "Session",
    "SessionFile",
    "SourceCheck",
    "Track",
    "UnitCatalog",
    "diff_revisions",
    "new_session",
    "next_revision",
    "open_session",
    "parse_assignment",
    "parse_finish",
    "session_lock",
    "session_rig",
]
