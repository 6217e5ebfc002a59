"""Where state lives between commands, and atomic writes so nothing is ever half-written."""

from __future__ import annotations

import errno
import json
import os
import re
import resource
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devices.errors import WriteError

# A folder holding this file is sealed (a print with its manifest of hashes): nothing is ever
# written inside it again. Every writer below checks, so no command can, whatever path it is given.
SEAL_FILE = "manifest.json"

# The kernel's refusals to write, in the words the person at the desk needs
_REFUSALS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than this system allows (file size limit)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (a read-only folder?)",
    errno.EPERM: "not permitted",
}


def state_dir() -> Path:
    """Per-user state (calibration records, simulated units' panels): XDG_STATE_HOME/hybrid."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(base) / "hybrid"
    with writing(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


def free_bytes(path: str | Path) -> int | None:
    """Bytes a writer may still use on the file system that holds path (or would hold it)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        stats = os.statvfs(probe)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def size_text(count: int) -> str:
    """A byte count as a person reads it: 512 bytes, 3.2 MB."""
    if count < 1000:
        return f"{count} bytes"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"  # pragma: no cover


def write_refusal(exc: BaseException, path: str | Path, need_bytes: int | None = None) -> WriteError | None:
    """The one line for the system refusing to write path (a full disk, a read-only folder, a file
    size limit), naming what could not be written and the space it needed; None for any other error.
    libsndfile reports a full disk as "System error" with no errno: judged by the space left."""
    code = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    if code is None and type(exc).__name__ == "LibsndfileError":
        free = free_bytes(path)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if free is not None and free < max(need_bytes or 0, 1 << 20):
            code = errno.ENOSPC
        elif limit != resource.RLIM_INFINITY and (need_bytes is None or need_bytes > limit) \
                and "System error" in str(exc):
            code = errno.EFBIG  # libsndfile's word for the kernel's EFBIG under a file size limit
        elif not os.access(Path(path).parent if not Path(path).is_dir() else path, os.W_OK):
            code = errno.EACCES
    if code not in _REFUSALS:
        return None
    problem = _REFUSALS[code]
    if code == errno.EFBIG:
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        shown = "no limit" if limit == resource.RLIM_INFINITY else f"the limit is {size_text(limit)}"
        needs = f"it needs {size_text(need_bytes)}" if need_bytes else "it needs more"
        return WriteError(path, f"{problem} ({needs}; {shown})")
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = free_bytes(path)
        needs = f"it needs {size_text(need_bytes)}" if need_bytes else "it needs more space"
        where = f"{size_text(free)} free there" if free is not None else "the free space is unknown"
        problem += f" ({needs}; {where})"
    return WriteError(path, problem)


@contextmanager
def writing(path: str | Path, need_bytes: int | None = None) -> Iterator[None]:
    """Turn the system's refusal to write path (or into the folder path) into one WriteError line."""
    try:
        yield
    except WriteError:
        raise
    except Exception as exc:
        refusal = write_refusal(exc, path, need_bytes)
        if refusal is None:
            raise
        raise refusal from None


def sealed_folder(path: str | Path) -> Path | None:
    """The sealed folder (one holding SEAL_FILE) that path is inside of, or is; None if it is in none."""
    probe = Path(os.path.abspath(path))
    for folder in (probe, *probe.parents):
        if _is_seal(folder / SEAL_FILE):
            return folder
    return None


def _is_seal(file: Path) -> bool:
    """A manifest of hashes as a print's seal writes it (sorted keys: "algorithm" first), not any
    file that happens to be called manifest.json in a folder above."""
    try:
        with open(file, "rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.replace(b" ", b"").replace(b"\n", b"").startswith(b'{"algorithm":"sha256"')


def refuse_sealed(path: str | Path) -> None:
    """Refuse to write anything at path if it lies inside a sealed print."""
    folder = sealed_folder(path)
    if folder is not None:
        raise WriteError(path, f"it is inside the sealed print {folder}, which is never changed; "
                               "write somewhere outside it")


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write bytes to path through a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = _written_temporary(path, data)
    try:
        with writing(path, len(data)):
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_files_atomic(files: dict[Path, bytes]) -> list[Path]:
    """Write several files as one: every temporary file is written (and synced) before the first
    rename, so a full disk leaves all of the earlier versions, or none, never a mix of the two."""
    temporaries: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            temporaries.append((_written_temporary(Path(path), data), Path(path)))
        for tmp, path in temporaries:
            with writing(path):
                os.replace(tmp, path)
    finally:
        for tmp, _ in temporaries:
            tmp.unlink(missing_ok=True)
    return [Path(p) for p in files]


def write_atomic_with(path: str | Path, write: Callable[[Path], None], need_bytes: int | None = None) -> Path:
    """write_atomic for a writer that wants a file name: write(tmp) makes the temporary file
    (in the same folder), then it is synced and renamed over `path`. soundfile writes a 5-minute
    WAV straight to a name in a fifth of the CPU time it takes to build it in memory first.
    need_bytes (about what the file takes) is said if the disk is full."""
    path = Path(path)
    refuse_sealed(path)
    with writing(path, need_bytes):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with writing(path, need_bytes):
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
        with writing(path, len(data)):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def make_staging_dir(parent: str | Path, prefix: str, suffix: str = ".partial") -> Path:
    """A new hidden folder to build in before it is renamed into place, with an ordinary mode
    (mkdtemp's 0700 would follow the folder to its final name)."""
    parent = Path(parent)
    refuse_sealed(parent)
    with writing(parent):
        parent.mkdir(parents=True, exist_ok=True)
        # the maker's pid in the name: a leftover of a killed process is told from a live one's
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", suffix=suffix, dir=parent))
    try:
        os.chmod(folder, 0o777 & ~_umask())
    except BaseException:
        folder.rmdir()
        raise
    return folder


_MAKER = re.compile(r"\.([0-9]+)-[A-Za-z0-9_]+\.(?:partial|tmp)$")


def maker_alive(path: Path) -> bool | None:
    """Whether the process that made a staging folder (its pid is in the name) still runs; None
    for a name without one (made before names carried it)."""
    match = _MAKER.search(path.name)
    if match is None:
        return None
    pid = int(match.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def disk_bytes(path: Path) -> int:
    """Bytes under path (a file or a folder), for saying what a leftover took."""
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _written_temporary(path: Path, data: bytes) -> Path:
    refuse_sealed(path)
    with writing(path, len(data)):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with writing(path, len(data)):
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


def json_text(data: Any) -> str:
    """Pretty JSON as every file of ours holds it (sorted keys keep diffs and hashes stable)."""
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write pretty JSON atomically (sorted keys keep diffs and hashes stable)."""
    return write_text_atomic(path, json_text(data))
