"""The exception tree as the studio-facing code meets it: the devices' errors re-exported, and the
two that are studio concepts (a session, a deliverable) defined here, above the gear."""

from devices.errors import (
    AudioError,
    AudioFileError,
    CalibrationError,
    ConfigError,
    HybridError,
    MissingDependencyError,
    RecallError,
    TransportError,
    WriteError,
)


class SessionError(HybridError):
    """A session folder is missing, locked by another process, or inconsistent."""


class DeliverableError(HybridError):
    """A deliverable breaks a hard rule of its target and was not written."""


__all__ = [
    "AudioError",
    "AudioFileError",
    "CalibrationError",
    "ConfigError",
    "DeliverableError",
    "HybridError",
    "MissingDependencyError",
    "RecallError",
    "SessionError",
    "TransportError",
    "WriteError",
]
