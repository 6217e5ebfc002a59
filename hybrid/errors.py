"""The exception tree, re-exported where the studio-facing code expects it."""

from devices.errors import (
    AudioError,
    AudioFileError,
    CalibrationError,
    ConfigError,
    DeliverableError,
    HybridError,
    MissingDependencyError,
    RecallError,
    SessionError,
    TransportError,
    WriteError,
)

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
