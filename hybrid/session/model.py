"""What a session folder holds, as strict models: album and tracks (session.yaml) and revisions."""

from __future__ import annotations

from typing import Literal, Union

from pydantic import Field, field_validator

from devices.config import Strict
from devices.errors import ConfigError
from hybrid.metadata import normalize_isrc, normalize_upc_ean

SESSION_SPEC = 1
REVISION_SPEC = 1

TARGETS = ("streaming", "cd", "hires", "vinyl", "preview")
Target = Literal["streaming", "cd", "hires", "vinyl", "preview"]

_TRACK_ID = r"^[a-z0-9][a-z0-9-]*$"

# A unit setting is a number in the unit's own markings or a position name (a stepped switch).
SettingValue = Union[float, int, str, bool]
UnitSettings = dict[str, dict[str, SettingValue]]

CD_FRAMES_PER_S = 75


class RigRef(Strict):
    """The rig a session was made on: a file (or the embedded sim studio) and its hash then."""

    name: str
    path: str | None = Field(None, description="the rig file; None = the embedded sim-studio")
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")


class Track(Strict):
    """One song of the record: where its mix lives, its hash at session creation, its metadata."""

    id: str = Field(..., pattern=_TRACK_ID, max_length=40)
    title: str = Field(..., min_length=1, max_length=160)
    source: str = Field(..., min_length=1, description="path to the mix, relative to the session folder or absolute")
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    artist: str = ""
    composer: str = ""
    isrc: str = ""
    gap_before_frames: int = Field(150, ge=0, le=60 * CD_FRAMES_PER_S,
                                    description="silence before the track, in CD frames (75 per second)")

    @field_validator("isrc")
    @classmethod
    def _isrc(cls, value: str) -> str:
        try:
            return normalize_isrc(value)
        except ConfigError as exc:
            raise ValueError(exc.allowed) from None


class SessionFile(Strict):
    """session.yaml: the album, its tracks in album order, the rig and the deliverables wanted."""

    spec: int = SESSION_SPEC
    title: str = Field(..., min_length=1, max_length=160)
    artist: str = ""
    year: str = Field("", pattern=r"^([0-9]{4})?$")
    label: str = ""
    catalog: str = ""
    upc_ean: str = ""
    created_at: str
    rig: RigRef
    targets: list[Target] = ["streaming", "cd"]
    streaming_rate_hz: Literal[44100, 48000] = 48000
    tracks: list[Track] = Field(..., min_length=1, max_length=99)

    @field_validator("spec")
    @classmethod
    def _spec(cls, value: int) -> int:
        if value > SESSION_SPEC:
            raise ValueError(f"this session is spec {value}; this hybrid reads spec {SESSION_SPEC} or older")
        return value

    @field_validator("upc_ean")
    @classmethod
    def _upc(cls, value: str) -> str:
        try:
            return normalize_upc_ean(value)
        except ConfigError as exc:
            raise ValueError(exc.allowed) from None

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"name at least one target of {', '.join(TARGETS)}")
        if len(set(value)) != len(value):
            raise ValueError("a target is named twice")
        return value

    @field_validator("tracks")
    @classmethod
    def _unique_ids(cls, tracks: list[Track]) -> list[Track]:
        ids = [t.id for t in tracks]
        for tid in ids:
            if ids.count(tid) > 1:
                raise ValueError(f"track id {tid!r} is used twice; track ids must be unique")
        return tracks

    def track(self, track_id: str) -> Track:
        """The track with this id; KeyError if the session has none."""
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise KeyError(track_id)


class Finishing(Strict):
    """The digital stage after the capture: limiter ceiling, loudness target, dither."""

    ceiling_dbtp: float = Field(-1.0, ge=-20.0, le=0.0)
    lufs_target: float | None = Field(None, ge=-40.0, le=-5.0)
    limiter: bool = True
    dither: Literal["tpdf", "shaped", "none"] = "tpdf"


class FinishingOverride(Strict):
    """Per-track finishing: only the fields a track changes from the album's."""

    ceiling_dbtp: float | None = Field(None, ge=-20.0, le=0.0)
    lufs_target: float | None = Field(None, ge=-40.0, le=-5.0)
    limiter: bool | None = None
    dither: Literal["tpdf", "shaped", "none"] | None = None


class TrackOverride(Strict):
    """One track's differences from the album settings (a touch more air on track 2)."""

    units: UnitSettings = {}
    finishing: FinishingOverride = FinishingOverride()


class RevisionFile(Strict):
    """revisions/NNNN.yaml: one approved state of the whole chain; written once, never edited."""

    spec: int = REVISION_SPEC
    number: int = Field(..., ge=1, le=9999)
    created_at: str
    author: str = Field(..., min_length=1)
    note: str = ""
    parent: int | None = Field(None, ge=1)
    parent_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                      description="hash of the parent revision's file, so an edit is detected")
    units: UnitSettings
    finishing: Finishing = Finishing()
    tracks: dict[str, TrackOverride] = {}

    @field_validator("spec")
    @classmethod
    def _spec(cls, value: int) -> int:
        if value > REVISION_SPEC:
            raise ValueError(f"this revision is spec {value}; this hybrid reads spec {REVISION_SPEC} or older")
        return value

    def settings_for(self, track_id: str) -> UnitSettings:
        """Every unit's settings for one track: the album's, with the track's overrides on top."""
        merged = {unit: dict(params) for unit, params in self.units.items()}
        override = self.tracks.get(track_id)
        if override is not None:
            for unit, params in override.units.items():
                merged.setdefault(unit, {}).update(params)
        return merged

    def finishing_for(self, track_id: str) -> Finishing:
        """The finishing for one track: the album's, with the track's overrides on top."""
        override = self.tracks.get(track_id)
        if override is None:
            return self.finishing
        changed = override.finishing.model_dump(exclude_none=True)
        # lufs_target None in an override means "not overridden"; the album's value stays
        return self.finishing.model_copy(update=changed)
