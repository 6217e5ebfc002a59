"""Print folders: prints/rNNNN-KK/ built under a hidden name, sealed with a manifest, never overwritten."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from devices.errors import HybridError
from devices.paths import SEAL_FILE, make_staging_dir, state_dir, write_json_atomic
from hybrid.errors import SessionError
from hybrid.session.store import sha256_file

_PRINT_NAME = re.compile(r"^r([0-9]{4})-([0-9]{2,})$")
MANIFEST = SEAL_FILE  # its presence seals the folder: devices.paths refuses every write inside
PROVENANCE = "print.json"
FINGERPRINT = "fingerprint.json"
CAPTURES = "capture"  # the print's float captures: capture/TT-<track id>.wav


def capture_name(position: int, track_id: str) -> str:
    """The capture's file name inside capture/: the album position (two digits), then the track id."""
    return f"{position:02d}-{track_id}.wav"


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


def check_sealed(folder: Path, names: Iterable[str] | None = None) -> None:
    """Refuse to read a print whose manifest is gone or unreadable, or whose files `names` (paths
    relative to the print; every file of the manifest when None) differ from what it records.

    Cheap on every read: a file whose hash matched is remembered in STATE/seals with its size,
    mtime, ctime and inode, and hashed again only when one of them differs (an edit, a copy, a
    `touch`: ctime cannot be set back by hand)."""
    folder = Path(folder)
    files = _manifest_files(folder)
    wanted = sorted(files) if names is None else [str(n) for n in names]
    cache_path = state_dir() / "seals" / (hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:32] + ".json")
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    fresh = False
    for name in wanted:
        entry = files.get(name)
        path = folder / name
        if entry is None:
            raise SessionError(f"{path}: not in the print's {MANIFEST}; the print was changed after it was sealed "
                               "and is not read (print the revision again)")
        try:
            stat = path.stat()
        except OSError:
            raise SessionError(f"{path}: missing from the sealed print (its {MANIFEST} lists it); "
                               "the print is not read (print the revision again)") from None
        key = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        if cache.get(name) == [*key, entry["sha256"]]:
            continue
        found = sha256_file(path) if stat.st_size == entry["bytes"] else None
        if found != entry["sha256"]:
            what = (f"{stat.st_size} bytes where the manifest has {entry['bytes']}" if found is None
                    else f"SHA-256 {found[:12]}... where the manifest has {entry['sha256'][:12]}...")
            raise SessionError(f"{path}: changed since the print was sealed ({what}); a sealed print is never "
                               "changed, so it is not read (print the revision again)")
        cache[name] = [*key, entry["sha256"]]
        fresh = True
    if fresh:
        try:
            write_json_atomic(cache_path, cache)
        except (OSError, HybridError):
            pass  # the cache only saves hashing next time


def _manifest_files(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessionError(f"{path}: missing; a print without its manifest cannot be checked, so it is not read "
                           "(print the revision again)") from None
    except (OSError, ValueError) as exc:
        raise SessionError(f"{path}: unreadable ({exc}); the print cannot be checked, so it is not read") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("sha256"), str) and isinstance(e.get("bytes"), int)
            for e in files.values()):
        raise SessionError(f"{path}: not a manifest of this print (no files with sha256 and bytes); "
                           "the print cannot be checked, so it is not read")
    return files


def checked_json(folder: Path, name: str) -> Any:
    """A JSON file of a sealed print, read after check_sealed() says it is as sealed."""
    check_sealed(folder, [name])
    return json.loads((folder / name).read_text(encoding="utf-8"))


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
            return path, checked_json(folder, path.name)
    return None
