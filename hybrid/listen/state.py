"""The listening engine's state as one frozen snapshot, and its JSON form (what the desk shows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SourceState:
    """One of the four sources: whether it is loaded, what it is, its loudness over the loop and the gain it gets."""

    loaded: bool
    label: str
    lufs: float | None  # integrated loudness over the loop region (None: not measured yet, or silence)
    gain_db: float | None  # the matching gain it plays with (0 when matching is off)
    measuring: bool = False  # the chain: no full loop pass measured since the last change


@dataclass(frozen=True)
class ListenState:
    """What plays and how: a snapshot taken by ListenEngine.state()."""

    session: str
    track: str
    title: str
    revision: int
    playing: bool
    looping: bool
    selected: str
    check: str
    match: bool
    position_s: float | None
    loop: dict[str, float]
    duration_s: float
    sources: dict[str, SourceState]
    meter: dict[str, float | None]
    gain_reduction_db: dict[str, float]
    panels: dict[str, dict[str, Any]]
    moved: dict[str, dict[str, Any]]
    pending_sheet: str
    latency_samples: list[float]
    monitor_delay_frames: int
    rate_hz: int
    block_size: int
    frames: int
    glitches: int
    calibration_measured_at: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (json.dumps works on it as it is)."""
        data = asdict(self)
        for source in data["sources"].values():
            for key in ("lufs", "gain_db"):
                if source[key] is not None:
                    source[key] = round(source[key], 2)
        return data
