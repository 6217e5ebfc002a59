"""The session's append-only log of what changes outside revisions: delivery settings, track metadata.

Revisions are write-once files; session.yaml is rewritten in place (atomically) when a delivery
setting or a track's metadata changes, so without this log nothing says what it was before, when it
changed or who changed it. One JSON line per command, appended with O_APPEND and fsync'd: a line is
never rewritten and a torn last line (a crash mid-write) is skipped when read back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CHANGES_FILE", "FieldChange", "LoggedChange", "field_changes", "read_changes", "record_changes"]

CHANGES_FILE = "changes.jsonl"


@dataclass(frozen=True)
class FieldChange:
    """One field of session.yaml, before and after (None: not set, the default)."""

    where: str  # delivery.cd.ceiling_dbtp, tracks.ballad.isrc
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.where}: {_shown(self.before)} -> {_shown(self.after)}"


@dataclass(frozen=True)
class LoggedChange:
    """One command's changes, when and by whom."""

    at: str
    author: str
    command: str  # "session delivery", "session track"
    changes: tuple[FieldChange, ...]


def _shown(value: Any) -> str:
    if value is None:
        return "(default)"
    if value == "":
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value)


def field_changes(before: Any, after: Any, where: str) -> list[FieldChange]:
    """Every leaf that differs between two JSON-like values, named by its dotted path."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            out += field_changes(before.get(key), after.get(key), f"{where}.{key}")
        return out
    return [] if before == after else [FieldChange(where, before, after)]


def record_changes(folder: Path, command: str, changes: list[FieldChange], at: str, author: str) -> LoggedChange | None:
    """Append one line for a command's changes (nothing when nothing changed)."""
    if not changes:
        return None
    entry = LoggedChange(at, author, command, tuple(changes))
    line = json.dumps({"at": at, "author": author, "command": command,
                       "changes": [{"where": c.where, "before": c.before, "after": c.after} for c in changes]},
                      ensure_ascii=False) + "\n"
    fd = os.open(folder / CHANGES_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))  # one write of one line: appends never interleave
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read_changes(folder: Path) -> list[LoggedChange]:
    """Every logged change, oldest first; a torn or foreign line is skipped, not fatal."""
    path = folder / CHANGES_FILE
    if not path.is_file():
        return []
    out = []
    for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            data = json.loads(text)
            changes = tuple(FieldChange(str(c["where"]), c.get("before"), c.get("after")) for c in data["changes"])
            out.append(LoggedChange(str(data["at"]), str(data["author"]), str(data["command"]), changes))
        except (ValueError, KeyError, TypeError):
            continue
    return out
