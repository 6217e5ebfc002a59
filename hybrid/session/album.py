"""Album work for the print report: order, gaps in CD frames, per-track and album loudness, consistency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dsp.loudness import measure as measure_loudness
from dsp.spectrum import spectral_balance
from hybrid.session.model import CD_FRAMES_PER_S

# A track more than this far from the album's loudness, or this far off the album's tone in a
# region, is pointed out in the consistency view (a note, not a rule: ballads are quieter).
LOUDNESS_SPREAD_LU = 2.0
TONE_SPREAD_DB = 2.0


@dataclass(frozen=True)
class AlbumTrack:
    """One track as it sits on the album: its position, its gap before, and its finished audio."""

    track_id: str
    title: str
    gap_before_frames: int
    audio: np.ndarray  # (frames, channels) float, one stage (e.g. the streaming master)
    rate: int


def album_view(tracks: list[AlbumTrack], stage: str) -> dict[str, Any]:
    """The album dict of the report: order, gaps, loudness per track and of the whole, consistency.

    Album loudness is BS.1770 integrated loudness over the tracks played in order with their gaps,
    as a listener (or a streaming service's album normalization) hears the record.
    """
    if not tracks:
        return {}
    rate = tracks[0].rate
    channels = max(t.audio.shape[1] for t in tracks)
    pieces = []
    for t in tracks:
        gap = int(round(t.gap_before_frames * rate / CD_FRAMES_PER_S))
        pieces += [np.zeros((gap, channels)), _channels(t.audio, channels)]
    whole = np.concatenate(pieces)
    album_loudness = measure_loudness(whole, rate)
    album_lufs = album_loudness.integrated_lufs
    body = np.concatenate([_channels(t.audio, channels) for t in tracks])
    rows = []
    for n, t in enumerate(tracks, 1):
        loud = measure_loudness(t.audio, t.rate)
        balance = spectral_balance(t.audio, t.rate, body, rate) if len(tracks) > 1 else None
        lufs = loud.integrated_lufs
        offset = None if lufs is None or album_lufs is None else round(lufs - album_lufs, 2)
        regions = {k: round(v, 2) for k, v in balance.regions_db.items()} if balance else {}
        flags = []
        if offset is not None and abs(offset) > LOUDNESS_SPREAD_LU:
            flags.append(f"{offset:+.1f} LU from the album")
        flags += [f"{name.replace('_', '-')} {value:+.1f} dB against the album" for name, value in regions.items()
                  if abs(value) > TONE_SPREAD_DB]
        rows.append({
            "position": n,
            "track_id": t.track_id,
            "title": t.title,
            "gap_before_frames": t.gap_before_frames,
            "gap_before_s": round(t.gap_before_frames / CD_FRAMES_PER_S, 3),
            "duration_s": round(t.audio.shape[0] / t.rate, 3),
            "integrated_lufs": _round(lufs),
            "lra_lu": _round(loud.lra_lu),
            "loudness_vs_album_lu": offset,
            "tone_vs_album_db": regions,
            "tilt_vs_album_db_per_octave": round(balance.tilt_db_per_octave, 3) if balance else None,
            "notes": flags,
        })
    louds = [r["integrated_lufs"] for r in rows if r["integrated_lufs"] is not None]
    return {
        "stage": stage,
        "order": [t.track_id for t in tracks],
        "gaps_frames": [t.gap_before_frames for t in tracks],
        "duration_s": round(whole.shape[0] / rate, 3),
        "integrated_lufs": _round(album_lufs),
        "lra_lu": _round(album_loudness.lra_lu),
        "loudness_spread_lu": round(max(louds) - min(louds), 2) if louds else None,
        "tracks": rows,
    }


def _channels(audio: np.ndarray, channels: int) -> np.ndarray:
    return audio if audio.shape[1] == channels else np.repeat(audio[:, :1], channels, axis=1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)
