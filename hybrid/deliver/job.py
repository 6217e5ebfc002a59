"""What the print pipeline hands to the deliverables renderer: tracks in album order, their
stored captures, the album's metadata and the revision's finishing settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AlbumInfo:
    """Release-level metadata; empty strings where the session does not say."""

    title: str = ""
    artist: str = ""
    year: str = ""
    label: str = ""
    upc_ean: str = ""
    catalog: str = ""


@dataclass(frozen=True)
class TrackMaster:
    """One track as printed: its capture (float, aligned, level-compensated) and its metadata."""

    number: int  # 1-based position in the album order
    track_id: str  # the session's id for the track (stable across revisions)
    title: str
    capture_path: Path  # float WAV at the interface rate, from the print
    artist: str = ""
    composer: str = ""
    isrc: str = ""
    gap_before_frames: int = 150  # CD frames of silence before this track (150 = the 2 s pregap)
    mix_rate_hz: int | None = None  # the mix's own rate, before the rig played it (None: not known)
    finishing: dict[str, Any] = field(default_factory=dict)  # revision + per-track overrides
    # the revision's own ceiling for this track, when it sets one: a target's delivery ceiling
    # never lifts a track the engineer held lower
    ceiling_override_dbtp: float | None = None


@dataclass(frozen=True)
class RenderJob:
    """Everything a render needs; the renderer never touches the gear or the session's store."""

    tracks: list[TrackMaster]
    album: AlbumInfo
    revision: int
    streaming_rate_hz: int = 48000  # the session's choice for `streaming`: 44100 or 48000
    vinyl_sides: list[list[str]] | None = None  # track ids per side, None = one side per half
    preview_format: str = "mp3"  # `preview` target: "mp3" (320 kb/s) or "ogg" (Vorbis)
    # target -> the ceiling its files promise, from the session's delivery section; a target not
    # named here takes the revision's finishing ceiling (or its own default)
    ceilings_dbtp: dict[str, float] = field(default_factory=dict)
    hires_rate_hz: int | None = None  # None: the print's own rate; a rate above it is refused (upsampled)
    vinyl_limiter: bool = False  # the vinyl pre-masters are unlimited unless the session asks
    # the vinyl level: None = each track's loudness decision (finishing lufs_target), as streaming gets
    vinyl_lufs_target: float | None = None


@dataclass
class RenderResult:
    """What a render wrote, and what it measured and checked."""

    paths: list[Path] = field(default_factory=list)  # every file written, for --json and the manifest
    per_target: dict[str, dict[str, Any]] = field(default_factory=dict)  # target -> details, compliance
