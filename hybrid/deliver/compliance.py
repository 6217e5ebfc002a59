"""The rules a deliverable must meet, each a small function returning errors (hard) or warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from dsp.qc import runs
from hybrid.ddp.layout import (
    FRAMES_PER_SECOND,
    RED_BOOK_MAX_TOTAL_FRAMES,
    RED_BOOK_MAX_TRACKS,
    RED_BOOK_MIN_TRACK_S,
    SAMPLES_PER_FRAME,
    CdLayout,
    RedBookViolation,
    frames_to_msf,
    red_book_violations,
)

__all__ = [
    "Issue", "check_clipping", "check_file_format", "check_red_book", "check_true_peak",
    "clipped_samples", "split",
]

SUBTYPE_BITS = {"PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32}
CLIP_RUN_SAMPLES = 3  # full scale on this many samples in a row is a clip, not a peak that touched 0 dBFS
TRUE_PEAK_TOLERANCE_DB = 0.1  # what a 4x meter can misread; beyond this the ceiling was not held


@dataclass(frozen=True)
class Issue:
    """One finding: `rule` is stable (for scripts), `message` is for the person at the desk."""

    level: str  # "error" breaks the target's hard rules; "warning" is for the engineer to judge
    rule: str
    message: str
    track: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def split(issues: list[Issue]) -> dict[str, list[dict[str, object]]]:
    """Errors and warnings apart, as the report and --json show them."""
    return {
        "errors": [i.to_dict() for i in issues if i.level == "error"],
        "warnings": [i.to_dict() for i in issues if i.level == "warning"],
    }


def check_file_format(path: Path, *, rate_hz: int, bits: int | None, channels: int | None,
                      label: str, track: int | None = None) -> list[Issue]:
    """Read the written file's header back: sample rate, word length and channel count."""
    info = sf.info(str(path))
    issues: list[Issue] = []
    if info.samplerate != rate_hz:
        issues.append(Issue("error", "format.sample_rate",
                            f"{label}: {path.name} is at {info.samplerate} Hz; this target needs {rate_hz} Hz",
                            track))
    found_bits = SUBTYPE_BITS.get(info.subtype)
    if bits is not None and found_bits != bits:
        issues.append(Issue("error", "format.word_length",
                            f"{label}: {path.name} is {info.subtype}; this target needs {bits}-bit PCM",
                            track))
    if channels is not None and info.channels != channels:
        issues.append(Issue("error", "format.channels",
                            f"{label}: {path.name} has {info.channels} channels; this target needs {channels}",
                            track))
    return issues


def clipped_samples(pcm: np.ndarray, bits: int) -> int:
    """Samples at digital full scale in runs of CLIP_RUN_SAMPLES or more, counted over all channels.

    `pcm` holds integers as dsp.dither.to_pcm returns them (int16, or int32 with 24 bits on top),
    or floats where 1.0 is full scale.
    """
    if np.issubdtype(pcm.dtype, np.floating):
        at_full = np.abs(pcm) >= 1.0
    else:
        # within 2 LSB of full scale, so a clip that dither has roughened still counts;
        # a 24-bit value lives in the top 24 bits of an int32 (one LSB = 256)
        lsb = 256 if bits == 24 and pcm.dtype == np.int32 else 1
        limit = np.iinfo(pcm.dtype).max - 2 * lsb
        at_full = (pcm >= limit) | (pcm <= -limit)
    at_full = at_full.reshape(at_full.shape[0], -1)
    count = 0
    for column in at_full.T:
        if not column.any():
            continue
        _, lengths = runs(column)
        count += int(lengths[lengths >= CLIP_RUN_SAMPLES].sum())
    return count


def check_clipping(pcm: np.ndarray, bits: int, *, label: str, track: int | None = None) -> list[Issue]:
    """Any clipped run is an error: a plant, a distributor or a cutting engineer will reject it."""
    count = clipped_samples(pcm, bits)
    if count:
        return [Issue("error", "level.clipping",
                      f"{label}: {count} clipped samples (full scale {CLIP_RUN_SAMPLES} or more in a row)",
                      track)]
    return []


def check_true_peak(true_peak_dbtp: float, ceiling_dbtp: float | None, *, label: str,
                    track: int | None = None) -> list[Issue]:
    """The finished file's true peak against the ceiling the target promised."""
    if ceiling_dbtp is None or not np.isfinite(true_peak_dbtp):
        return []
    over_db = true_peak_dbtp - ceiling_dbtp
    if over_db > TRUE_PEAK_TOLERANCE_DB:
        return [Issue("error", "level.true_peak",
                      f"{label}: true peak {true_peak_dbtp:+.2f} dBTP is {over_db:.2f} dB over the "
                      f"{ceiling_dbtp:+.1f} dBTP ceiling", track)]
    return []


def check_red_book(layout: CdLayout) -> list[Issue]:
    """Red Book rules on the album's layout: count, length, total time, frame alignment, pregap."""
    issues: list[Issue] = []
    tracks = layout.tracks
    found = red_book_violations([t.index1_frame for t in tracks],
                                [t.audio_samples / SAMPLES_PER_FRAME for t in tracks],
                                layout.leadout_frame)
    if tracks and tracks[0].index0_frame != 0 and not any(v.rule == "pregap" for v in found):
        found.insert(0, RedBookViolation("pregap", 1, tracks[0].index1_frame))
    for v in found:
        if v.rule == "no_tracks":
            issues.append(Issue("error", "red_book.no_tracks", "cd: the album has no tracks"))
        elif v.rule == "track_count":
            issues.append(Issue("error", "red_book.track_count",
                                f"cd: {len(tracks)} tracks; a CD holds at most {RED_BOOK_MAX_TRACKS}"))
        elif v.rule == "pregap":
            issues.append(Issue("error", "red_book.pregap",
                                f"cd: track 1 starts at {frames_to_msf(tracks[0].index1_frame)}; Red Book "
                                "needs a pregap of at least 00:02:00 from 00:00:00", 1))
        elif v.rule == "min_track_length" and v.track is not None:
            track = tracks[v.track - 1]
            seconds = v.value / FRAMES_PER_SECOND
            issues.append(Issue("error", "red_book.min_track_length",
                                f"cd: track {track.number} '{track.title}' is {seconds:.2f} s; "
                                f"a CD track must be at least {RED_BOOK_MIN_TRACK_S:.0f} s", track.number))
        elif v.rule == "order":
            issues.append(Issue("error", "red_book.frame_alignment", "cd: track starts are not in order"))
        elif v.rule == "total_length":
            issues.append(Issue("error", "red_book.total_length",
                                f"cd: the album runs {frames_to_msf(layout.leadout_frame)}; a CD holds at "
                                f"most {frames_to_msf(RED_BOOK_MAX_TOTAL_FRAMES)}"))
    for track in tracks:
        if track.length_frames * SAMPLES_PER_FRAME < track.audio_samples:
            issues.append(Issue("error", "red_book.frame_alignment",
                                f"cd: track {track.number} does not end on a 588-sample frame boundary",
                                track.number))
    return issues
