"""A session's renders: each in its own sealed folder deliverables/rNNNN-KK/ (SHA-256 manifest, never
overwritten), with the release metadata it was made from, so a later change shows it as stale."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybrid.printing.folders import MANIFEST, PROVENANCE, prints_of, verify_manifest
from hybrid.session.changelog import read_changes
from hybrid.session.store import Session

__all__ = ["RENDERS_DIR", "RENDER_FILE", "RenderFolder", "next_render_dir", "release_metadata", "render_folders",
           "print_deliverables", "renders_dir", "renders_of", "stale_reasons"]

RENDERS_DIR = "deliverables"
RENDER_FILE = "render.json"
_RENDER_NAME = re.compile(r"^r([0-9]{4})-([0-9]{2})$")
_TRACK_FIELDS = ("title", "artist", "composer", "isrc", "gap_before_frames")
_ALBUM_FIELDS = ("title", "artist", "year", "label", "catalog", "upc_ean")


def renders_dir(session: Session) -> Path:
    return session.folder / RENDERS_DIR


def renders_of(folder: Path, revision: int | None = None) -> list[Path]:
    """Sealed render folders (rNNNN-KK holding a manifest), of one revision or all, oldest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and (m := _RENDER_NAME.match(p.name))
             and (p / MANIFEST).is_file() and (revision is None or int(m.group(1)) == revision)]
    return sorted(found, key=lambda p: p.name)


def next_render_dir(folder: Path, revision: int) -> Path:
    """The next unused deliverables/rNNNN-KK for a revision (KK counts that revision's renders)."""
    taken = [int(m.group(2)) for p in (folder.iterdir() if folder.is_dir() else [])
             if (m := _RENDER_NAME.match(p.name)) and int(m.group(1)) == revision]
    return folder / f"r{revision:04d}-{1 + max(taken, default=0):02d}"


def release_metadata(session: Session) -> dict[str, Any]:
    """What of the session a render's files carry besides the audio: the album's and each track's
    words and codes, the album order and gaps, and the delivery choices."""
    info = session.info
    return {
        "album": {name: getattr(info, name) for name in _ALBUM_FIELDS},
        "tracks": [{"id": t.id, **{name: getattr(t, name) for name in _TRACK_FIELDS}} for t in info.tracks],
        "delivery": info.delivery.model_dump(mode="json"),
    }


def _shown(value: Any) -> str:
    return "(none)" if value in ("", None) else json.dumps(value) if not isinstance(value, str) else value


def stale_reasons(made_from: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
    """What changed in the session since a render was made ("track 2 'Closer' isrc: (none) ->
    GBAYE2600002"); empty = the render is current. A render with no record is stale as it cannot say."""
    if not made_from:
        return ["made before renders recorded their metadata"]
    reasons = [f"album {name}: {_shown(made_from['album'].get(name))} -> {_shown(value)}"
               for name, value in now["album"].items() if made_from["album"].get(name) != value]
    before = {t["id"]: t for t in made_from["tracks"]}
    if [t["id"] for t in made_from["tracks"]] != [t["id"] for t in now["tracks"]]:
        reasons.append("the album order: " + ", ".join(before) + " -> " + ", ".join(t["id"] for t in now["tracks"]))
    for number, track in enumerate(now["tracks"], start=1):
        old = before.get(track["id"])
        if old is None:
            continue
        reasons += [f"track {number} '{track['title']}' {name}: {_shown(old.get(name))} -> {_shown(track[name])}"
                    for name in _TRACK_FIELDS if old.get(name) != track[name]]
    for target, fields in now["delivery"].items():
        was = made_from["delivery"].get(target, {})
        reasons += [f"delivery {target}.{name}: {_shown(was.get(name))} -> {_shown(value)}"
                    for name, value in fields.items() if was.get(name) != value]
    return reasons


@dataclass(frozen=True)
class RenderFolder:
    """One sealed render and how it stands against the session now."""

    name: str
    revision: int
    targets: list[str]
    stale: list[str]  # what changed since it was made; empty = current
    damaged: list[str]  # files whose bytes no longer match its manifest

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "revision": self.revision, "targets": self.targets,
                "current": not self.stale, "stale": self.stale, "manifest_problems": self.damaged}

    def line(self) -> str:
        state = "current" if not self.stale else "STALE (" + "; ".join(self.stale) + "): render again"
        damage = f"; manifest: {', '.join(self.damaged)}" if self.damaged else ""
        return f"{self.name} ({', '.join(self.targets) or 'no targets'}): {state}{damage}"


def render_folders(session: Session) -> list[RenderFolder]:
    """Every sealed render of the session, oldest first, each checked against today's metadata."""
    now = release_metadata(session)
    out = []
    for folder in renders_of(renders_dir(session)):
        try:
            document = json.loads((folder / RENDER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = {}
        out.append(RenderFolder(name=folder.name, revision=int(folder.name[1:5]),
                                targets=list(document.get("targets", {})),
                                stale=stale_reasons(document.get("made_from"), now),
                                damaged=verify_manifest(folder)))
    return out


def print_deliverables(session: Session) -> list[RenderFolder]:
    """The deliverables inside each sealed print, stale when the session's metadata or delivery
    changed after the print finished (by the session's append-only changes.jsonl)."""
    logged = read_changes(session.folder)
    out = []
    for folder in prints_of(session.prints_dir):
        deliverables = folder / RENDERS_DIR
        try:
            finished = str(json.loads((folder / PROVENANCE).read_text(encoding="utf-8"))["finished_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a print this version made: nothing to compare with
        if not deliverables.is_dir():
            continue
        # the same second counts as after: a change cannot be shown to predate the print
        stale = [str(change) for entry in logged if entry.at >= finished for change in entry.changes]
        out.append(RenderFolder(name=f"prints/{folder.name}", revision=int(folder.name[1:5]),
                                targets=sorted(p.name for p in deliverables.iterdir() if p.is_dir()),
                                stale=stale, damaged=[]))
    return out
