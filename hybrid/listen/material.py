"""What can be listened to besides the live chain: the mix, a print of a revision, a reference track."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from devices.errors import ConfigError
from dsp.loudness import measure
from dsp.resample import resample
from hybrid.audiofile import read_audio
from hybrid.printing.folders import CAPTURES, capture_name, check_sealed, prints_of
from hybrid.session.store import Session

SOURCES = ("source", "chain", "print", "reference")
# the shortest loop: integrated loudness needs at least one 400 ms gating block, and a loop
# shorter than a second is a stutter, not a passage to judge
MIN_LOOP_S = 1.0
# A loop's edges inside the track fade (raised cosine) over this long: a loop seam is a jump in
# the programme, a click on the monitors and a step the chain's filters smear differently from the
# mix; faded, the chain passes it as it passes the music
EDGE_FADE_MS = 5.0


def edge_gains(positions: np.ndarray, region: "LoopRegion", track_frames: int, rate: int) -> np.ndarray:
    """Per position: 1.0, falling to 0 (raised cosine) towards a region edge that is not the
    track's own start or end (-1 positions, silence, get 1.0: nothing to fade)."""
    fade = max(1, int(round(EDGE_FADE_MS * rate / 1000.0)))
    gains = np.ones(positions.shape[0])
    if region.start > 0:
        d = positions - region.start
        near = (d >= 0) & (d < fade)
        gains[near] = 0.5 - 0.5 * np.cos(np.pi * (d[near] + 0.5) / fade)
    if region.end < track_frames:
        d = region.end - 1 - positions
        near = (d >= 0) & (d < fade)
        gains[near] = np.minimum(gains[near], 0.5 - 0.5 * np.cos(np.pi * (d[near] + 0.5) / fade))
    return gains


@dataclass(frozen=True)
class LoopRegion:
    """The part of the track that plays (and loops): frames [start, end) of the track."""

    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start

    @classmethod
    def from_seconds(cls, start_s: float | None, end_s: float | None, track_frames: int, rate: int,
                     field: str = "loop") -> "LoopRegion":
        """A region in seconds, checked against the track: ConfigError naming the value and the range."""
        length_s = track_frames / rate
        start = 0.0 if start_s is None else float(start_s)
        end = length_s if end_s is None else float(end_s)
        allowed = (f"the track is {length_s:.2f} s long: give 0 <= from < to <= {length_s:.2f} "
                   f"with at least {MIN_LOOP_S:.0f} s between them")
        if not (np.isfinite(start) and np.isfinite(end)) or start < 0 or end > length_s + 1e-9 \
                or end - start < MIN_LOOP_S - 1e-9:
            raise ConfigError(None, field, f"{start:g}-{end:g} s", allowed)
        return cls(int(round(start * rate)), min(track_frames, int(round(end * rate))))

    def to_dict(self, rate: int) -> dict[str, float]:
        return {"start_s": round(self.start / rate, 3), "end_s": round(self.end / rate, 3)}


@dataclass(frozen=True)
class Material:
    """Audio to play on the monitors in step with the mix: (frames, channels) float32 at the stream's rate."""

    name: str  # one of SOURCES
    label: str  # what the engineer is told: the file, the print folder
    path: Path
    audio: np.ndarray

    def region_lufs(self, region: LoopRegion, rate: int, track_frames: int) -> float | None:
        """Integrated loudness over the loop region as it plays (edges faded; the whole file if the
        region lies past its end). track_frames: the mix's length (where the track's own ends are)."""
        part = self.audio[region.start:region.end]
        if part.shape[0] < int(0.4 * rate):
            return measure(self.audio, rate).integrated_lufs
        positions = np.arange(region.start, region.start + part.shape[0])
        return measure(part * edge_gains(positions, region, track_frames, rate)[:, None], rate).integrated_lufs


def load_material(name: str, label: str, path: Path, rate: int, channels: int, what: str) -> Material:
    """Read a file for the monitors: resampled to the stream's rate, mono spread to every channel."""
    audio, file_rate = read_audio(path, what, dtype="float32")
    if file_rate != rate:
        audio = resample(audio.astype(np.float64), file_rate, rate).astype(np.float32)
    if audio.shape[1] == 1 and channels > 1:
        audio = np.repeat(audio, channels, axis=1)
    if audio.shape[1] != channels:
        raise ConfigError(path, f"{what}.channels", audio.shape[1], f"give a mono or {channels}-channel file")
    return Material(name, label, Path(path), np.ascontiguousarray(audio))


def find_print(session: Session, track_id: str, position: int, revision: int | None) -> tuple[Path, int]:
    """The newest print capture of the track (of one revision, or of any): its path and revision."""
    name = capture_name(position, track_id)
    for folder in reversed(prints_of(session.prints_dir, revision)):
        capture = folder / CAPTURES / name
        if capture.is_file():
            check_sealed(folder, [f"{CAPTURES}/{name}"])  # heard as it was sealed, or refused
            return capture, int(folder.name[1:5])
    which = f"revision {revision}" if revision is not None else "any revision"
    raise ConfigError(session.prints_dir, "print", which,
                      f"no print of {which} holds track {track_id}; print it first (hybrid print DIR --revision N)")
