"""What a session folder holds, as strict models: album and tracks (session.yaml) and revisions."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from devices.config import Strict
from devices.errors import ConfigError
from devices.text import OneLine
from hybrid.metadata import normalize_isrc, normalize_upc_ean

# spec 2 added the `delivery` section (per-target ceilings, vinyl sides, preview format) and moved
# spec 1's top-level `streaming_rate_hz` into it; a session that sets nothing past the streaming
# rate is still written as spec 1, so an older hybrid keeps reading it
SESSION_SPEC = 2
# 2: every revision after the first records `previous_sha256`, the hash of the revision before it
# (the history is a chain); spec 1 revisions (older sessions) are read as they are
REVISION_SPEC = 2

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
    title: OneLine = Field(..., min_length=1, max_length=160)
    source: str = Field(..., min_length=1, description="path to the mix, relative to the session folder or absolute")
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    artist: OneLine = Field("", max_length=160)
    composer: OneLine = Field("", max_length=160)
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


def _ceiling(target: str) -> Any:
    """A target's own ceiling; None means the revision's finishing ceiling applies."""
    return Field(None, ge=-20.0, le=0.0,
                 description=f"dBTP the {target} files promise; None = the revision's finishing ceiling")


class StreamingDelivery(Strict):
    """The streaming WAVs: their rate and the ceiling the platforms' encoders need."""

    rate_hz: Literal[44100, 48000] = 48000
    ceiling_dbtp: float | None = _ceiling("streaming")


class CdDelivery(Strict):
    """The CD: 16-bit 44.1 kHz is fixed by Red Book; only the ceiling is a choice."""

    ceiling_dbtp: float | None = _ceiling("cd")


class HiresDelivery(Strict):
    """The hi-res files: a rate the store asks for (None = the print's own); never above the print's."""

    # 44.1/48 kHz: the print's own rate, delivered unconverted; a rate above the print's is refused
    rate_hz: Literal[44100, 48000, 88200, 96000, 176400, 192000] | None = None
    ceiling_dbtp: float | None = _ceiling("hires")


class VinylDelivery(Strict):
    """The vinyl pre-masters: which tracks go on which side, and a limiter only when asked."""

    sides: list[list[str]] | None = Field(None, min_length=1, max_length=8,
                                          description="track ids per side, A first; None = the album in halves")
    limiter: bool = False
    ceiling_dbtp: float | None = Field(None, ge=-20.0, le=0.0,
                                       description="held by the limiter when on, checked when off; "
                                                   "None = the revision's ceiling with the limiter on")
    lufs_target: float | None = Field(None, ge=-60.0, le=0.0,
                                      description="the vinyl level: one loudness for every track; None = "
                                                  "each track's loudness decision (the revision's lufs_target)")

    @field_validator("sides")
    @classmethod
    def _no_empty_side(cls, sides: list[list[str]] | None) -> list[list[str]] | None:
        """A side with nothing on it is a typo, not a blank side of a record."""
        if sides is not None and any(not side for side in sides):
            raise ValueError("every side needs at least one track")
        return sides


class PreviewDelivery(Strict):
    """The client's listening copies: MP3 (320 kb/s) or Ogg Vorbis, at the streaming rate."""

    format: Literal["mp3", "ogg"] = "mp3"
    ceiling_dbtp: float | None = _ceiling("preview")


class Delivery(Strict):
    """Per-target choices; a target's ceiling_dbtp, when set, wins over the revision's for that target."""

    streaming: StreamingDelivery = StreamingDelivery()
    cd: CdDelivery = CdDelivery()
    hires: HiresDelivery = HiresDelivery()
    vinyl: VinylDelivery = VinylDelivery()
    preview: PreviewDelivery = PreviewDelivery()

    def ceilings_dbtp(self) -> dict[str, float]:
        """The targets that name their own ceiling, and that ceiling in dBTP."""
        return {name: ceiling for name in TARGETS
                if (ceiling := getattr(self, name).ceiling_dbtp) is not None}

    def limited(self, target: str, finishing: Finishing) -> bool:
        """Whether a target's files go through the limiter: vinyl only when asked for here, any
        other target unless the revision turns the limiter off."""
        return self.vinyl.limiter if target == "vinyl" else finishing.limiter

    def ceiling_for(self, target: str, finishing: Finishing) -> float | None:
        """The album's ceiling for one target under a revision's finishing, in dBTP: the target's own,
        else the revision's when the limiter runs; None = neither (nothing to hold or check)."""
        own = getattr(self, target).ceiling_dbtp
        if own is not None:
            return own  # without the limiter it is checked, not enforced
        return finishing.ceiling_dbtp if self.limited(target, finishing) else None

    def beyond_streaming_rate(self) -> bool:
        """True when anything is set that spec 1's top-level streaming_rate_hz cannot say."""
        rate_only = Delivery(streaming=StreamingDelivery(rate_hz=self.streaming.rate_hz))
        return self != rate_only


def check_vinyl_sides(sides: list[list[str]], track_ids: list[str]) -> None:
    """Every track of the album on exactly one side, named by its id; ValueError says which is not."""
    placed = [track_id for side in sides for track_id in side]
    for track_id in placed:
        if track_id not in track_ids:
            raise ValueError(f"{track_id!r} is not a track of this session; its tracks are {', '.join(track_ids)}")
        if placed.count(track_id) > 1:
            raise ValueError(f"track {track_id!r} is on more than one side; every track must be on exactly one side")
    missing = [t for t in track_ids if t not in placed]
    if missing:
        raise ValueError(f"{', '.join(missing)} on no side; every track must be on exactly one side")


class SessionFile(Strict):
    """session.yaml: the album, its tracks in album order, the rig and the deliverables wanted."""

    spec: int = SESSION_SPEC
    title: OneLine = Field(..., min_length=1, max_length=160)
    artist: OneLine = Field("", max_length=160)
    year: str = Field("", pattern=r"^([0-9]{4})?$")
    label: OneLine = Field("", max_length=160)
    catalog: OneLine = Field("", max_length=160)
    upc_ean: str = ""
    created_at: str
    rig: RigRef
    targets: list[Target] = ["streaming", "cd"]
    tracks: list[Track] = Field(..., min_length=1, max_length=99)
    # after tracks, so the vinyl sides can be checked against the track ids
    delivery: Delivery = Delivery()

    @model_validator(mode="before")
    @classmethod
    def _from_spec1(cls, data: Any) -> Any:
        """Read a spec 1 file in spec 2's form: its top-level streaming_rate_hz goes to
        delivery.streaming.rate_hz. (A spec 1 file that has a delivery section is refused below;
        a spec 2 file with the old key is refused by the strict fields.)"""
        if not isinstance(data, dict) or "delivery" in data:
            return data
        spec = data.get("spec", 1 if "streaming_rate_hz" in data else SESSION_SPEC)
        if not isinstance(spec, int) or spec > 1:
            return data
        moved = {k: v for k, v in data.items() if k != "streaming_rate_hz"}
        moved["spec"] = SESSION_SPEC  # what the model holds is spec 2; file_data() picks the form to write
        moved["delivery"] = {"streaming": {"rate_hz": data["streaming_rate_hz"]}} if "streaming_rate_hz" in data else {}
        return moved

    @property
    def streaming_rate_hz(self) -> int:
        """The rate of the streaming (and preview) files: 44100 or 48000."""
        return self.delivery.streaming.rate_hz

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
        # checked whenever session.yaml is read or written (`session set --isrc` included), not
        # first at render time after the capture
        owner: dict[str, str] = {}
        for track in tracks:
            if track.isrc and track.isrc in owner:
                raise ValueError(f"ISRC {track.isrc} is set on both {owner[track.isrc]!r} and {track.id!r}; "
                                 "each track needs its own ISRC")
            owner.setdefault(track.isrc, track.id)
        return tracks

    @field_validator("delivery")
    @classmethod
    def _delivery(cls, delivery: Delivery, info: ValidationInfo) -> Delivery:
        """Only spec 2 has the section, and its vinyl sides name this session's tracks."""
        if info.data.get("spec", SESSION_SPEC) < 2:
            raise ValueError("a spec 1 session.yaml has no delivery section; write spec: 2 and move "
                             "streaming_rate_hz to delivery.streaming.rate_hz (`hybrid session delivery` does both)")
        tracks = info.data.get("tracks")
        if delivery.vinyl.sides is not None and tracks is not None:
            try:
                check_vinyl_sides(delivery.vinyl.sides, [t.id for t in tracks])
            except ValueError as exc:
                raise ValueError(f"vinyl.sides: {exc}") from None
        return delivery

    def track(self, track_id: str) -> Track:
        """The track with this id; KeyError if the session has none."""
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise KeyError(track_id)

    def file_data(self) -> dict[str, Any]:
        """session.yaml as written: spec 1's form while delivery says nothing past the streaming rate
        (an older hybrid still reads it), else spec 2 with only the delivery fields that were set."""
        data = self.model_dump(mode="json", exclude={"delivery"})
        ordered: dict[str, Any] = {}
        for key, value in data.items():
            ordered[key] = value
            if key == "targets" and not self.delivery.beyond_streaming_rate():
                ordered["streaming_rate_hz"] = self.streaming_rate_hz
            elif key == "targets":
                set_fields = self.delivery.model_dump(mode="json", exclude_defaults=True)
                ordered["delivery"] = {t: fields for t, fields in set_fields.items() if fields}
        ordered["spec"] = SESSION_SPEC if "delivery" in ordered else 1
        return ordered


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
    author: OneLine = Field(..., min_length=1, max_length=160)
    note: OneLine = Field("", max_length=2000)
    parent: int | None = Field(None, ge=1)
    parent_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                      description="hash of the parent revision's file, so an edit is detected")
    previous_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                        description="hash of revision number - 1's file: the history's chain")
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
