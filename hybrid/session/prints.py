"""Print folders: prints/rNNNN-KK/ built under a hidden name, sealed with a manifest, never overwritten."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from devices.errors import SessionError
from devices.paths import make_staging_dir, write_json_atomic
from hybrid.session.store import sha256_file

_PRINT_NAME = re.compile(r"^r([0-9]{4})-([0-9]{2,})$")
MANIFEST = "manifest.json"
PROVENANCE = "print.json"
FINGERPRINT = "fingerprint.json"


def print_name(revision: int, count: int) -> str:
    return f"r{revision:04d}-{count:02d}"


def prints_of(prints_dir: Path, revision: int | None = None) -> list[Path]:
    """Finished print folders (of one revision, or all), oldest first."""
    if not prints_dir.is_dir():
        return []
    found = []
    for path in prints_dir.iterdir():
        match = _PRINT_NAME.match(path.name)
        if match and path.is_dir() and (revision is None or int(match.group(1)) == revision):
            found.append((int(match.group(1)), int(match.group(2)), path))
    return [p for _, _, p in sorted(found)]


def next_print_dir(prints_dir: Path, revision: int) -> Path:
    """The next unused prints/rNNNN-KK for a revision (KK counts the prints of that revision)."""
    done = prints_of(prints_dir, revision)
    count = 1 + max((int(_PRINT_NAME.match(p.name).group(2)) for p in done), default=0)  # type: ignore[union-attr]
    return prints_dir / print_name(revision, count)


def staging_dir(prints_dir: Path, final: Path) -> Path:
    """A hidden folder beside the final one, where the print is built until it is complete."""
    return make_staging_dir(prints_dir, prefix=f".{final.name}.", suffix=".partial")


def seal(staging: Path, final: Path) -> Path:
    """Write the manifest (SHA-256 of every file) and rename the finished folder into place.

    rename(2) onto an existing non-empty folder fails, so even a print racing another one can
    never replace a folder that is already there.
    """
    write_json_atomic(staging / MANIFEST, manifest(staging))
    if final.exists():
        raise SessionError(f"{final}: already exists; prints are never overwritten")
    try:
        os.rename(staging, final)
    except OSError as exc:
        raise SessionError(f"{final}: already exists; prints are never overwritten ({exc.strerror})") from None
    return final


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def manifest(folder: Path) -> dict[str, Any]:
    """Every file under folder with its size and SHA-256, by path relative to the folder."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        files[path.relative_to(folder).as_posix()] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return {"algorithm": "sha256", "files": files}


def verify_manifest(folder: Path) -> list[str]:
    """Files of a sealed print whose bytes no longer match the manifest (empty = intact)."""
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    now = manifest(folder)["files"]
    problems = [f"{name}: missing" for name in data["files"] if name not in now]
    problems += [f"{name}: changed" for name, entry in data["files"].items()
                 if name in now and now[name]["sha256"] != entry["sha256"]]
    problems += [f"{name}: not in the manifest" for name in now if name not in data["files"]]
    return problems


def fingerprint_name(track_id: str | None = None) -> str:
    """The file of a print that holds the chain's fingerprint: the album settings' (fingerprint.json), or
    the one measured with a track's overrides recalled (fingerprint-<track id>.json)."""
    return FINGERPRINT if track_id is None else f"fingerprint-{track_id}.json"


def latest_fingerprint(prints_dir: Path, revision: int, track_id: str | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The fingerprint stored by the latest print of a revision that measured one: the album's, or with
    track_id the one of that track's own settings (a print of other tracks, or one made before
    per-track fingerprints were kept, has none; an earlier print of the same revision may)."""
    for folder in reversed(prints_of(prints_dir, revision)):
        path = folder / fingerprint_name(track_id)
        if path.exists():
            return path, json.loads(path.read_text(encoding="utf-8"))
    return None
