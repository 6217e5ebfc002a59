"""The one exception tree of hybrid: every error a user can cause or meet is a HybridError."""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

from devices.text import printable


class HybridError(Exception):
    """Base of every error the CLI turns into one clear line and exit status 2.

    The message is made one printable line here, once for every sink (the terminal, the desk, a
    batch's list): a path or a value holding a newline or an escape sequence is shown escaped
    ("\\n", "\\x1b") and can neither forge a second line nor drive the terminal."""

    exit_status = 2

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (printable(args[0]), *args[1:])
        super().__init__(*args)


class ConfigError(HybridError):
    """A file the user gave (rig, profile, session, revision) says something not allowed.

    The message names the file, the field inside it, the value found and what is allowed,
    so that the person at the desk can fix it without reading code.
    """

    def __init__(self, file: str | Path | None, field: str, value: Any, allowed: str) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.value = value
        self.allowed = allowed
        where = f"{self.file}: " if self.file else ""
        field_part = f"{field}: " if field else ""
        shown = _show(value)
        super().__init__(f"{where}{field_part}{shown} is not allowed; {allowed}")


class AudioFileError(HybridError):
    """An audio file the user named is missing, unreadable, empty or not finite."""

    def __init__(self, path: str | Path, problem: str, allowed: str) -> None:
        self.path = str(path)
        super().__init__(f"{path}: {problem}; {allowed}")


class TransportError(HybridError):
    """A wire (MIDI, OSC, serial) failed: no answer, a garbled reply, a port that is missing."""


class RecallError(HybridError):
    """A unit did not take or did not confirm the settings it was sent."""


class AudioError(HybridError):
    """The audio interface failed: missing backend, unknown device, dropouts during a capture."""


class CalibrationError(HybridError):
    """A calibration could not be measured, or the loop no longer matches its record."""


class WriteError(HybridError):
    """A file could not be written: a full disk, a read-only folder, or a folder that is sealed."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: could not be written: {problem}")

    def moved(self, old: str | Path, new: str | Path) -> "WriteError":
        """The same refusal named by where the file was going (a hidden staging folder's final name)."""
        return WriteError(self.path.replace(str(old), str(new)), self.problem)


class MissingDependencyError(HybridError):
    """A real wire or interface was asked for on a machine without the library it needs."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} is not available on this machine; install it with: {install}")


class Described(str):
    """A description standing where a value would be ("a YAML list"): shown as it is, not quoted."""

    def __repr__(self) -> str:
        return str(self)


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 80
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 6
_SHOWN.maxlevel = 3


def _show(value: Any) -> str:
    # reprlib stops at its bounds while it builds the text: a value that stands for a billion nodes,
    # or a 64 MB string, costs as little to show as a short one (repr() then cut would build it all).
    text = str(value)[:80] if isinstance(value, Described) else _SHOWN.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
