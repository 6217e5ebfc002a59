"""Red Book geometry: where each track of an album sits on the disc, in CD frames of 588 samples."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CD_RATE_HZ", "FRAMES_PER_SECOND", "SAMPLES_PER_FRAME", "SECTOR_BYTES", "CdLayout", "CdTrack",
    "RedBookViolation", "frames_to_msf", "layout_album", "msf_to_frames", "red_book_violations",
]

CD_RATE_HZ = 44100
FRAMES_PER_SECOND = 75
SAMPLES_PER_FRAME = CD_RATE_HZ // FRAMES_PER_SECOND  # 588 stereo samples = one 2352-byte sector
SECTOR_BYTES = SAMPLES_PER_FRAME * 2 * 2
PREGAP_FRAMES = 2 * FRAMES_PER_SECOND  # the 2 s of silence before track 1, part of its index 0
RED_BOOK_MIN_TRACK_S = 4.0
RED_BOOK_MAX_TRACKS = 99
RED_BOOK_MAX_TOTAL_FRAMES = (79 * 60 + 57) * FRAMES_PER_SECOND  # 79:57:00, what plants accept


@dataclass(frozen=True)
class CdTrack:
    """One track on the disc: index 0 (its gap) and index 1 (its audio), in frames from 00:00:00."""

    number: int
    track_id: str
    title: str
    isrc: str
    index0_frame: int  # where the gap before the track starts
    index1_frame: int  # where the track's audio starts (what a player jumps to)
    length_frames: int  # the audio, padded with silence to a whole frame
    audio_samples: int  # the audio before padding

    @property
    def end_frame(self) -> int:
        return self.index1_frame + self.length_frames

    @property
    def gap_frames(self) -> int:
        return self.index1_frame - self.index0_frame


@dataclass(frozen=True)
class CdLayout:
    """The whole program area: tracks in order and the lead-out."""

    tracks: list[CdTrack]

    @property
    def leadout_frame(self) -> int:
        return self.tracks[-1].end_frame if self.tracks else PREGAP_FRAMES

    @property
    def total_s(self) -> float:
        return self.leadout_frame / FRAMES_PER_SECOND


def layout_album(entries: list[tuple[str, str, str, int, int]]) -> CdLayout:
    """Place tracks given as (track_id, title, isrc, audio_samples at 44.1 kHz, gap_before_frames).

    Each track starts on a frame boundary: its audio is padded with silence to a whole frame and
    the next track's gap follows. The first track's gap is its index 0 from 00:00:00.
    """
    tracks: list[CdTrack] = []
    cursor = 0
    for number, (track_id, title, isrc, samples, gap_frames) in enumerate(entries, start=1):
        if gap_frames < 0:
            raise ValueError(f"gap_before_frames must be >= 0, got {gap_frames}")
        length = -(-samples // SAMPLES_PER_FRAME)
        index0 = cursor
        index1 = cursor + gap_frames
        tracks.append(CdTrack(number, track_id, title, isrc, index0, index1, length, samples))
        cursor = index1 + length
    return CdLayout(tracks)


@dataclass(frozen=True)
class RedBookViolation:
    """One broken Red Book rule; `value` is what broke it (a count, a start or a length in frames)."""

    rule: str  # "no_tracks", "track_count", "pregap", "min_track_length", "order", "total_length"
    track: int | None  # 1-based, for the rules about one track
    value: float


def red_book_violations(starts: list[int], lengths: list[float], leadout: int) -> list[RedBookViolation]:
    """The Red Book rules on a disc given its tracks' index 1 frames, lengths (frames, may be
    fractional) and lead-out frame: track count, pregap, shortest track, order, total time."""
    found: list[RedBookViolation] = []
    if not starts:
        return [RedBookViolation("no_tracks", None, 0)]
    if len(starts) > RED_BOOK_MAX_TRACKS:
        found.append(RedBookViolation("track_count", None, len(starts)))
    if starts[0] < PREGAP_FRAMES:
        found.append(RedBookViolation("pregap", 1, starts[0]))
    for number, length in enumerate(lengths, start=1):
        if length < RED_BOOK_MIN_TRACK_S * FRAMES_PER_SECOND:
            found.append(RedBookViolation("min_track_length", number, length))
    if any(b <= a for a, b in zip(starts, starts[1:])):
        found.append(RedBookViolation("order", None, 0))
    if leadout > RED_BOOK_MAX_TOTAL_FRAMES:
        found.append(RedBookViolation("total_length", None, leadout))
    return found


def frames_to_msf(frames: int) -> str:
    """CD time as mm:ss:ff (75 frames a second)."""
    minutes, rest = divmod(frames, 60 * FRAMES_PER_SECOND)
    seconds, frame = divmod(rest, FRAMES_PER_SECOND)
    return f"{minutes:02d}:{seconds:02d}:{frame:02d}"


def msf_to_frames(text: str) -> int:
    """Parse mm:ss:ff back to frames; a ValueError names what is wrong."""
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not mm:ss:ff")
    minutes, seconds, frame = (int(p) for p in parts)
    if seconds >= 60 or frame >= FRAMES_PER_SECOND:
        raise ValueError(f"{text!r}: seconds must be < 60 and frames < 75")
    return (minutes * 60 + seconds) * FRAMES_PER_SECOND + frame
