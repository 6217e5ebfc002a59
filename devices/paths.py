"""Where state lives between commands, and atomic writes so nothing is ever half-written."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Any


def state_dir() -> Path:
    """Per-user state (calibration records, simulated units' panels): XDG_STATE_HOME/hybrid."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(base) / "hybrid"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write bytes to path through a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = _written_temporary(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_atomic_with(path: str | Path, write: Callable[[Path], None]) -> Path:
    """write_atomic for a writer that wants a file name: write(tmp) makes the temporary file
    (in the same folder), then it is synced and renamed over `path`. soundfile writes a 5-minute
    WAV straight to a name in a fifth of the CPU time it takes to build it in memory first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would follow the file to its name
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_new(path: str | Path, data: bytes, *, read_only: bool = True) -> Path:
    """Write a file that must not exist yet, atomically; FileExistsError if it does.

    link(2), unlike rename(2), refuses to replace an existing name: two writers racing for the
    same name cannot both win, and what was there is never overwritten."""
    path = Path(path)
    tmp = _written_temporary(path, data)
    try:
        if read_only:
            os.chmod(tmp, 0o444)
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def make_staging_dir(parent: str | Path, prefix: str, suffix: str = ".partial") -> Path:
    """A new hidden folder to build in before it is renamed into place, with an ordinary mode
    (mkdtemp's 0700 would follow the folder to its final name)."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
    os.chmod(folder, 0o777 & ~_umask())
    return folder


def _written_temporary(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        # mkstemp makes the file private (0600); a written file gets the mode a plain open() would
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write pretty JSON atomically (sorted keys keep diffs and hashes stable)."""
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
