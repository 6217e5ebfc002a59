"""One hybrid process at a time per session: an OS lock on session/.lock that names its holder."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devices.errors import WriteError
from devices.paths import writing
from hybrid.errors import SessionError

LOCK_FILE = ".lock"


@contextmanager
def session_lock(folder: str | Path, purpose: str) -> Iterator[None]:
    """Hold the session's lock for the body; a second process is refused, naming the holder's pid.

    flock is released by the kernel when the holder dies, so a crash or kill -9 never leaves a
    stale lock behind; the pid written in the file is only there to tell the person who holds it.
    """
    path = Path(folder) / LOCK_FILE
    holder = f"pid {os.getpid()} {purpose}\n".encode()
    fd, writable = _open(path, len(holder))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SessionError(
                f"{folder}: the session is in use by another hybrid process ({_read_holder(fd)}); "
                "wait for it to finish or stop it, then try again"
            ) from None
        try:
            if writable:
                with writing(path, len(holder)):
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, holder, 0)
            from hybrid.session.leftovers import sweep

            sweep(Path(folder))  # what a killed process left: nobody else can be writing it now
            yield
        finally:
            if writable:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def sweep_if_free(folder: str | Path) -> None:
    """Remove a killed process's leftovers now if no process holds the session (any command that
    opens a session notices them); left for later while one does."""
    from hybrid.session.leftovers import find, sweep

    path = Path(folder) / LOCK_FILE
    # the lock only when there is something to remove: a command that opens the session (the desk's
    # pages do, often) must not hold it at the moment a print starts
    if not path.is_file() or not find(Path(folder)):
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        try:
            sweep(Path(folder))
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open(path: Path, holder_bytes: int) -> tuple[int, bool]:
    """The lock file, for writing its holder; read-only where the session is on read-only media
    (flock works on either), so a session archived there can still be read and rendered elsewhere."""
    try:
        with writing(path, holder_bytes):
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644), True
    except WriteError:
        if not path.is_file():
            raise
        return os.open(path, os.O_RDONLY), False


def _read_holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    return text or "pid unknown"
