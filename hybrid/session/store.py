"""A session folder on disk: create it, read it, append revisions (write-once), hash the sources."""

from __future__ import annotations

import errno
import getpass
import hashlib
import os
import re
import shutil
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from devices.config import parse, read_yaml
from devices.errors import ConfigError
from devices.paths import make_staging_dir, write_new, write_text_atomic
from devices.userfiles import open_regular
from hybrid.errors import SessionError
from hybrid.session.model import Delivery, RevisionFile, SessionFile, Track

SESSION_FILE = "session.yaml"
REVISIONS = "revisions"
PRINTS = "prints"
SOURCES = "sources"
_REVISION_NAME = re.compile(r"^([0-9]{4})\.yaml$")


def now_utc() -> str:
    """An ISO-8601 UTC timestamp to the second, as written in session files."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def default_author() -> str:
    """user@host, who made a revision when --author is not given."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so long mixes do not fill memory. Only a regular
    file is read (NotARegularFile, an OSError, otherwise): a mix swapped for a FIFO after the session
    was made would block `print` here while it holds the session lock."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def to_yaml(data: dict[str, Any]) -> str:
    """YAML a person can read: keys in the order given, block style, unicode kept."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


@dataclass(frozen=True)
class SourceCheck:
    """A track's source as it is now against the hash stored when the session was made."""

    track_id: str
    path: Path
    expected_sha256: str
    found_sha256: str | None  # None: the file is missing or unreadable
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.found_sha256 == self.expected_sha256


class Session:
    """An open session folder: its session.yaml and its append-only revisions."""

    def __init__(self, folder: Path, info: SessionFile) -> None:
        self.folder = folder
        self.info = info
        self._history_checked = False  # once per open session: a command sees one state of it

    @property
    def file(self) -> Path:
        return self.folder / SESSION_FILE

    @property
    def revisions_dir(self) -> Path:
        return self.folder / REVISIONS

    @property
    def prints_dir(self) -> Path:
        return self.folder / PRINTS

    def source_path(self, track: Track) -> Path:
        """Where a track's mix is: relative paths are relative to the session folder."""
        path = Path(track.source)
        return path if path.is_absolute() else self.folder / path

    def revision_path(self, number: int) -> Path:
        return self.revisions_dir / f"{number:04d}.yaml"

    def revision_numbers(self) -> list[int]:
        """Numbers of every revision on disk, in order."""
        if not self.revisions_dir.is_dir():
            return []
        found = [int(m.group(1)) for p in self.revisions_dir.iterdir() if (m := _REVISION_NAME.match(p.name))]
        return sorted(found)

    def latest(self) -> int:
        numbers = self.revision_numbers()
        if not numbers:
            raise SessionError(f"{self.revisions_dir}: the session has no revisions; make one with `hybrid session new`")
        return numbers[-1]

    def revision(self, number: int | None = None) -> RevisionFile:
        """Read one revision (the latest when number is None), checking the history is unbroken."""
        self.check_history()
        number = self.latest() if number is None else number
        path = self.revision_path(number)
        if not path.exists():
            have = self.revision_numbers()
            span = f"1 to {have[-1]}" if have else "none yet"
            raise ConfigError(self.folder, "revision", number, f"this session has revisions {span}")
        return self._read_revision(number)

    def _read_revision(self, number: int) -> RevisionFile:
        path = self.revision_path(number)
        revision = parse(RevisionFile, read_yaml(path), path)
        if revision.number != number:
            raise ConfigError(path, "number", revision.number, f"the file revisions/{number:04d}.yaml must say number {number}")
        return revision

    def revisions(self) -> list[RevisionFile]:
        return [self.revision(n) for n in self.revision_numbers()]

    def revision_sha256(self, number: int) -> str:
        return sha256_file(self.revision_path(number))

    def check_history(self) -> None:
        """The history is a chain; any break in it is refused in one line (history.check_chain)."""
        if self._history_checked:
            return
        from hybrid.session.history import check_chain

        check_chain(self)
        self._history_checked = True

    def append_revision(self, data: dict[str, Any]) -> Path:
        """Write the next revision file exclusively: it never replaces one that exists."""
        revision = parse(RevisionFile, data, self.revision_path(int(data.get("number", 0) or 0)))
        path = self.revision_path(revision.number)
        self.revisions_dir.mkdir(parents=True, exist_ok=True)
        write_exclusive(path, to_yaml(data))
        self._history_checked = False
        return path

    def check_sources(self, track_ids: list[str] | None = None) -> list[SourceCheck]:
        """Hash each track's source now and compare with the hash stored at session creation."""
        checks = []
        for track in self.info.tracks:
            if track_ids is not None and track.id not in track_ids:
                continue
            path = self.source_path(track)
            try:
                found, problem = sha256_file(path), ""
            except FileNotFoundError:
                found, problem = None, "the file is missing"
            except OSError as exc:
                found, problem = None, f"the file cannot be read ({exc.strerror})"
            if found is not None and found != track.sha256:
                problem = "the file changed since the session was made"
            checks.append(SourceCheck(track.id, path, track.sha256, found, problem))
        return checks

    def resolve_tracks(self, wanted: list[str] | None) -> list[Track]:
        """Tracks in album order; wanted names ids or 1-based album positions (`--track 2`)."""
        if not wanted:
            return list(self.info.tracks)
        ids = [t.id for t in self.info.tracks]
        by_case = {i.casefold(): i for i in ids}  # `--track Ballad` is the track the title calls Ballad
        chosen: set[str] = set()
        for item in wanted:
            if item.casefold() in by_case:
                chosen.add(by_case[item.casefold()])
            elif item.isdigit() and 1 <= int(item) <= len(ids):
                chosen.add(ids[int(item) - 1])
            else:
                raise ConfigError(self.file, "track", item,
                                  f"name a track id ({', '.join(ids)}) or a position 1 to {len(ids)}")
        return [t for t in self.info.tracks if t.id in chosen]


def update_track(session: Session, wanted: str, changes: dict[str, Any]) -> Track:
    """Change a track's metadata in session.yaml (checked, then written atomically); the audio stays."""
    track = session.resolve_tracks([wanted])[0]
    data = session.info.model_dump(mode="json")
    for entry in data["tracks"]:
        if entry["id"] == track.id:
            entry.update(changes)
    checked = parse(SessionFile, data, session.file)  # a bad value is refused before anything is written
    write_session_file(session.folder, checked.file_data())
    _log_changes(session, "session track", session.info.track(track.id).model_dump(mode="json"),
                 checked.track(track.id).model_dump(mode="json"), f"tracks.{track.id}")
    session.info = checked
    return session.info.track(track.id)


def update_delivery(session: Session, changes: dict[str, dict[str, Any]]) -> Delivery:
    """Change per-target delivery fields in session.yaml ({"cd": {"ceiling_dbtp": -0.3}}); a field
    set to None goes back to its default. Checked whole, then written atomically."""
    data = session.info.model_dump(mode="json")
    delivery = data["delivery"]
    for target, fields in changes.items():
        delivery.setdefault(target, {}).update(fields)  # an unknown target is named by the strict model
        for name in [n for n, v in delivery[target].items() if v is None]:
            del delivery[target][name]  # None = back to the default, whatever that default is
    checked = parse(SessionFile, data, session.file)
    write_session_file(session.folder, checked.file_data())
    _log_changes(session, "session delivery", session.info.delivery.model_dump(mode="json"),
                 checked.delivery.model_dump(mode="json"), "delivery")
    session.info = checked
    return checked.delivery


def _log_changes(session: Session, command: str, before: dict[str, Any], after: dict[str, Any], where: str) -> None:
    """session.yaml is rewritten in place: what it was is kept in the append-only changes log."""
    from hybrid.session.changelog import field_changes, record_changes

    record_changes(session.folder, command, field_changes(before, after, where), now_utc(), default_author())


def open_session(folder: str | Path) -> Session:
    """Open an existing session folder and validate its session.yaml."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SessionError(f"{folder}: no such session folder; make one with `hybrid session new {folder} ...`")
    file = folder / SESSION_FILE
    if not file.exists():
        raise SessionError(f"{folder}: not a session folder (no {SESSION_FILE})")
    info = parse(SessionFile, read_yaml(file), file)
    from hybrid.session.locking import sweep_if_free

    sweep_if_free(folder)  # a killed print's or render's hidden folder is said and removed here
    return Session(folder.resolve(), info)


def write_exclusive(path: Path, text: str) -> None:
    """Write a file once: atomic (temp + link) and exclusive (fails if the name exists)."""
    try:
        write_new(path, text.encode("utf-8"))
    except FileExistsError:
        raise SessionError(f"{path}: already exists; revisions are never overwritten") from None


def create_folder_atomically(folder: Path, build: Any) -> Path:
    """Build a new folder under a temporary name beside it, then rename it into place."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SessionError(f"{folder}: already exists and is not empty; choose a new session folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_staging_dir(folder.parent, prefix=f".{folder.name}.", suffix=".tmp")
    try:
        build(tmp)
        try:
            if folder.exists():
                folder.rmdir()  # an empty folder the user made for it
            os.rename(tmp, folder)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                raise
            # another `session new` made the folder between our check and our rename: it won
            raise SessionError(f"{folder}: another process made this session folder at the same time; "
                               "choose a new session folder") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def write_session_file(folder: Path, data: dict[str, Any]) -> None:
    """Validate and write session.yaml."""
    parse(SessionFile, data, folder / SESSION_FILE)
    write_text_atomic(folder / SESSION_FILE, to_yaml(data))
