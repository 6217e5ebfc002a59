"""A calibration record: what the loop did when it was last measured, as JSON-able data."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RECORD_FORMAT = 1


class ChannelCalibration(BaseModel):
    """One send -> return pair: its level at 1 kHz, its own latency and its polarity."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    send: int
    return_: int = Field(alias="return")
    gain_db: float
    latency_samples: float
    skew_samples: float = 0.0
    polarity_inverted: bool = False
    confidence: float = 1.0
    noise_floor_dbfs: float | None = None
    crosstalk_db: float | None = Field(None, description="the loudest other send heard on this return, dB re its own")


class LoopResponse(BaseModel):
    """The loop's magnitude response in fractional-octave bands, one list of dB per channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    freqs_hz: list[float]
    channels: list[list[float]]
    resolution_octaves: float = 1.0 / 12.0


class CalibrationRecord(BaseModel):
    """The loop of one rig at one sample rate and block size, measured at measured_at (UTC)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    format: int = RECORD_FORMAT
    rig: str
    sample_rate: int
    block_size: int
    measured_at: str
    latency_samples: float
    confidence: float
    polarity_inverted: bool
    channels: list[ChannelCalibration]
    response: LoopResponse
    method: str = "log sweep, phase-slope delay"

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON data (channel keys 'send', 'return', ...)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_dict(cls, data: Any) -> "CalibrationRecord":
        """Read back what to_dict wrote (pydantic ValidationError on anything else)."""
        return cls.model_validate(data)

    def channel_latencies(self) -> list[float]:
        """Each return's own latency in samples, in channel order."""
        return [ch.latency_samples for ch in self.channels]


def now_utc() -> str:
    """An ISO 8601 timestamp in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
