"""The one exception tree of hybrid: every error a user can cause or meet is a HybridError."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class HybridError(Exception):
    """Base of every error the CLI turns into one clear line and exit status 2."""

    exit_status = 2


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


class SessionError(HybridError):
    """A session folder is missing, locked by another process, or inconsistent."""


class DeliverableError(HybridError):
    """A deliverable breaks a hard rule of its target and was not written."""


class MissingDependencyError(HybridError):
    """A real wire or interface was asked for on a machine without the library it needs."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} is not available on this machine; install it with: {install}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
