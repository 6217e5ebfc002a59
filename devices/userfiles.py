"""Opening the files a user names: only regular files are read, and never more than a bound."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

# What a named path can be instead of a file, in the words the one-line error uses.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotARegularFile(OSError):
    """The path is missing, or names something other than a regular file (a FIFO, a device...).

    `found` says what is there ("a FIFO (named pipe)"), `allowed` what would be read. An OSError,
    so code that already handles a file it cannot read handles this one too (strerror = found)."""

    def __init__(self, found: str, allowed: str = "only a regular file is read") -> None:
        super().__init__(f"{found}: {allowed}")
        self.found, self.allowed = found, allowed
        self.strerror = found


def not_regular(mode: int) -> str | None:
    """What a stat mode is when it is not a regular file ("a FIFO (named pipe)"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((label for test, label in _KINDS if test(mode)), "not a regular file")


def check_regular(path: str | Path) -> os.stat_result:
    """stat() a path (following links) and refuse anything but a regular file, without opening it:
    opening a FIFO blocks until a writer comes, and a device such as /dev/zero never ends."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise NotARegularFile("a missing file", "the file must exist") from None
    except OSError as exc:
        raise NotARegularFile(f"a file that cannot be opened ({exc.strerror or exc})", "a readable file is allowed") from None
    kind = not_regular(info.st_mode)
    if kind is not None:
        raise NotARegularFile(kind)
    return info


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most max_bytes. The check is made on the open descriptor
    (O_NONBLOCK, so a FIFO swapped in after a stat cannot block the open) and the read stops one
    byte past the bound, so nothing is read without limit."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotARegularFile("a missing file", "the file must exist") from None
    except OSError as exc:
        raise NotARegularFile(f"a file that cannot be opened ({exc.strerror or exc})", "a readable file is allowed") from None
    try:
        kind = not_regular(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotARegularFile(kind)
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except NotARegularFile:
        raise
    except OSError as exc:
        raise NotARegularFile(f"a file that cannot be read ({exc.strerror or exc})", "a readable file is allowed") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise NotARegularFile(f"a file of more than {max_bytes // 1024} KiB",
                              f"this kind of file may hold at most {max_bytes // 1024} KiB")
    return data


def open_regular(path: str | Path) -> BinaryIO:
    """A regular file opened for reading in binary, checked on the open descriptor (O_NONBLOCK:
    opening a FIFO does not wait for a writer); NotARegularFile for anything else."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    kind = not_regular(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise NotARegularFile(kind)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")
