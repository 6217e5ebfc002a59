"""What a killed hybrid process leaves in a session (a hidden print or render folder, a temporary
file), found and removed by the next command that takes the session's lock, and said."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from devices.paths import disk_bytes, maker_alive, size_text

# Every hidden name a writer of ours builds in before its rename (prints/.rNNNN-KK.*.partial,
# .render-*.partial, .NAME.*.tmp): under the session's lock no live process is writing any of them.
_PATTERNS = (".*.partial", ".*.tmp")


# Where a writer of ours builds inside a session: the folder itself (session.yaml, changes), its
# revisions, and the print and render folders beside their final names (anything deeper is inside
# one of those hidden folders and goes with it; sealed folders are never written into again).
_PLACES = ("", "revisions", "prints", "deliverables")


def find(folder: Path) -> list[Path]:
    """Leftovers in a session folder: a few directory listings, cheap enough for every open."""
    found: list[Path] = []
    for place in _PLACES:
        where = folder / place if place else folder
        if where.is_dir():
            for pattern in _PATTERNS:
                found += [p for p in where.glob(pattern) if p.name.startswith(".")]
    return sorted(set(found))


def sweep(folder: Path) -> list[str]:
    """Remove the leftovers of killed processes; returns (and says on stderr) what was removed.

    Called with the session's lock held, so no other hybrid process writes here; a name that
    carries its maker's pid is still left alone while that process lives."""
    notes = []
    for path in find(folder):
        if maker_alive(path):
            # with the lock held no hybrid process writes here: the pid was taken by another program
            notes.append(f"note: {path.relative_to(folder)}: left by an interrupted command whose pid runs "
                         "another program now; not removed (remove it by hand)")
            continue
        try:
            size = disk_bytes(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            notes.append(f"note: {path}: left by a process that was killed; it could not be removed ({exc.strerror})")
            continue
        kind = ("print" if path.parent.name == "prints" else
                "render" if path.name.startswith(".render-") or "deliverables" in path.relative_to(folder).parts
                else "write")
        notes.append(f"note: removed {path.relative_to(folder)} ({size_text(size)}), left by an interrupted {kind}")
    for note in notes:
        print(note, file=sys.stderr, flush=True)
    return notes
