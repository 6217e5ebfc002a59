"""One hybrid process at a time per session: an OS lock on session/.lock that names its holder."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devices.errors import SessionError

LOCK_FILE = ".lock"


@contextmanager
def session_lock(folder: str | Path, purpose: str) -> Iterator[None]:
    """Hold the session's lock for the body; a second process is refused, naming the holder's pid.

    flock is released by the kernel when the holder dies, so a crash or kill -9 never leaves a
    stale lock behind; the pid written in the file is only there to tell the person who holds it.
    """
    path = Path(folder) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise SessionError(
                f"{folder}: the session is in use by another hybrid process ({holder}); "
                "wait for it to finish or stop it, then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} {purpose}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    return text or "pid unknown"
