"""`session new`: a session folder with its tracks (hashed, optionally copied in) and revision 1."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.config import parse
from devices.errors import ConfigError
from devices.paths import writing
from devices.text import without_controls
from devices.rig import Rig, default_rig_path, load_rig
from hybrid.session.locking import LOCK_FILE
from hybrid.session.model import RevisionFile, SessionFile
from hybrid.session.revisions import first_revision
from hybrid.session.settings import UnitCatalog
from hybrid.session.store import (
    SESSION_FILE,
    SOURCES,
    Session,
    create_folder_atomically,
    now_utc,
    open_session,
    sha256_file,
    to_yaml,
    write_exclusive,
)

MAX_SOURCE_CHANNELS = 2


@dataclass
class AlbumFields:
    """What `session new` was told about the release (empty = not said)."""

    title: str = ""
    artist: str = ""
    year: str = ""
    label: str = ""
    catalog: str = ""
    upc_ean: str = ""
    targets: list[str] = field(default_factory=lambda: ["streaming", "cd"])
    streaming_rate_hz: int = 48000


def new_session(folder: str | Path, track_files: Sequence[str | Path], *, rig_path: str | Path | None = None,
                album: AlbumFields | None = None, copy: bool = False, author: str | None = None,
                note: str = "every unit at its profile default") -> Session:
    """Make a session folder: check every mix, hash it, write session.yaml and revision 1.

    Everything is checked before anything is written, and the folder is built under a temporary
    name and renamed into place, so a refused `session new` leaves nothing behind.
    """
    folder = Path(folder)
    album = album or AlbumFields()
    rig, rig_file = _rig(rig_path)
    catalog = UnitCatalog(rig)
    if not track_files:
        raise ConfigError("command line", "track", [], "give at least one --track FILE (a WAV, AIFF or FLAC mix)")
    _no_file_twice([Path(f) for f in track_files])
    tracks = [_track_entry(Path(f)) for f in track_files]
    _unique_ids(tracks)

    def build(tmp: Path) -> None:
        entries = []
        for entry in tracks:
            source_path: Path = entry.pop("_path")
            if copy:
                (tmp / SOURCES).mkdir(exist_ok=True)
                target = tmp / SOURCES / f"{entry['id']}{source_path.suffix.lower()}"
                with writing(folder / SOURCES / target.name, source_path.stat().st_size):
                    shutil.copy2(source_path, target)
                if sha256_file(target) != entry["sha256"]:
                    raise ConfigError(source_path, "track", str(source_path), "the file changed while it was copied")
                entry["source"] = f"{SOURCES}/{target.name}"
            entries.append(entry)
        data: dict[str, Any] = {
            "spec": 1,
            "title": album.title or folder.name,
            "artist": album.artist,
            "year": album.year,
            "label": album.label,
            "catalog": album.catalog,
            "upc_ean": album.upc_ean,
            "created_at": now_utc(),
            "rig": {"name": rig.name, "path": None if rig_path is None else str(rig_file.resolve()),
                    "sha256": sha256_file(rig_file)},
            "targets": list(album.targets),
            "streaming_rate_hz": album.streaming_rate_hz,
            "tracks": entries,
        }
        info = parse(SessionFile, data, folder / SESSION_FILE)
        text = to_yaml(info.file_data())
        with writing(folder / SESSION_FILE, len(text.encode())):
            (tmp / SESSION_FILE).write_text(text, encoding="utf-8")
        with writing(folder):
            (tmp / "revisions").mkdir()
        first = first_revision(catalog, note=note, author=author)
        parse(RevisionFile, first, folder / "revisions" / "0001.yaml")  # its author and note checked as any revision's
        write_exclusive(tmp / "revisions" / "0001.yaml", to_yaml(first))
        with writing(folder):
            (tmp / "prints").mkdir()
            (tmp / LOCK_FILE).touch()  # the lock's file is part of the folder; only its flock comes and goes

    create_folder_atomically(folder, build)
    return open_session(folder)


def session_rig(session: Session) -> Rig:
    """The rig a session was made on (the embedded sim studio when it names no file)."""
    return load_rig(session.info.rig.path)


def rig_ref(session: Session) -> str:
    """How to name the session's rig to `hybrid calibrate --rig`: its file, or the embedded rig's
    name (a rig's name alone is not its identity: two files may share one)."""
    return session.info.rig.path or session.info.rig.name


def slug(text: str) -> str:
    """A track id from a file name: lower case, words joined by '-', leading track numbers kept out."""
    words = re.sub(r"^[0-9]+[ ._-]+", "", text).lower()
    words = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    return (words or "track")[:40].strip("-")


def title_from(stem: str) -> str:
    """A readable title from a file name: '02_night-drive' -> 'Night Drive'."""
    words = re.sub(r"^[0-9]+[ ._-]+", "", without_controls(stem))
    words = re.sub(r"[_-]+", " ", words).strip()
    return words.title() if words.islower() else (words or "Track")


def _rig(rig_path: str | Path | None) -> tuple[Rig, Path]:
    if rig_path is None:
        return load_rig(None), default_rig_path()
    return load_rig(rig_path), Path(rig_path)


def _track_entry(path: Path) -> dict[str, Any]:
    """Check that a mix is audio the rig can play, read whole through the door (so a NaN, a cut
    file or an absurd rate is refused now, not mid-print), and describe it for session.yaml."""
    from hybrid.audiofile import scan_audio  # keeps `hybrid --help` from loading libsndfile

    if not path.exists():
        raise ConfigError(path, "track", str(path), "the file does not exist; give the path of a WAV, AIFF or FLAC mix")
    info = scan_audio(path, "track")
    if info.channels > MAX_SOURCE_CHANNELS:
        raise ConfigError(path, "track.channels", info.channels, "a mix must be mono or stereo")
    return {
        "id": slug(path.stem),
        "title": title_from(path.stem),
        "source": str(path.resolve()),
        "sha256": sha256_file(path),
        "artist": "",
        "composer": "",
        "isrc": "",
        "gap_before_frames": 150,
        "_path": path,
    }


def _no_file_twice(paths: list[Path]) -> None:
    """The same mix twice on one album is a slip of the shell (a glob and a name), not two tracks."""
    for i, path in enumerate(paths):
        for n, earlier in enumerate(paths[:i], 1):
            if path.exists() and earlier.exists() and os.path.samefile(path, earlier):
                raise ConfigError(path, "track", str(path),
                                  f"this file is already track {n} ({earlier}); give each mix once")


def _unique_ids(tracks: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for entry in tracks:
        base = entry["id"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            entry["id"] = f"{base[:36]}-{seen[base]}"
