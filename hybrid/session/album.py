"""Album work for the print report: order, gaps in CD frames, per-track and album loudness, consistency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dsp.loudness import measure as measure_loudness
from dsp.spectrum import REGIONS_HZ, fractional_octave
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
    tones = _tone_vs_album(tracks) if len(tracks) > 1 else [({}, None)] * len(tracks)
    rows = []
    for n, (t, (regions, tilt)) in enumerate(zip(tracks, tones), 1):
        loud = measure_loudness(t.audio, t.rate)
        lufs = loud.integrated_lufs
        offset = None if lufs is None or album_lufs is None else round(lufs - album_lufs, 2)
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
            "tilt_vs_album_db_per_octave": tilt,
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


def _tone_vs_album(tracks: list[AlbumTrack]) -> list[tuple[dict[str, float], float | None]]:
    """Each track's tonal balance against the album's average spectrum, levels matched.

    The album spectrum is the time-weighted mean of the tracks' band powers (what the whole record
    sounds like); each track is level-matched to it over 100 Hz - 5 kHz, so a brighter or heavier
    track shows at the ends rather than as a level offset (the method of dsp.spectrum.spectral_balance,
    with the album's bands computed once instead of once per track).
    """
    fmax = min(16000.0, min(t.rate for t in tracks) / 2.2)
    bands = [fractional_octave(t.audio, t.rate, 3, 31.5, fmax) for t in tracks]
    count = min(len(c) for c, _ in bands)
    centres = bands[0][0][:count]
    power = np.array([10.0 ** (np.maximum(level[:count], -150.0) / 10.0) for _, level in bands])
    weights = np.array([t.audio.shape[0] / t.rate for t in tracks])
    album = (power * weights[:, None]).sum(axis=0) / weights.sum()
    match = (centres >= 100.0) & (centres <= 5000.0)
    out = []
    for track_power in power:
        offset = np.mean(track_power[match]) / np.mean(album[match])
        regions = {}
        for name, (lo, hi) in REGIONS_HZ.items():
            sel = (centres >= lo) & (centres < hi)
            if sel.any():
                regions[name] = round(float(10 * np.log10(np.mean(track_power[sel] / offset) / np.mean(album[sel]))), 2)
        diff = 10 * np.log10(track_power / offset / album)
        tilt = round(float(np.polyfit(np.log2(centres / 1000.0), diff, 1)[0]), 3)
        out.append((regions, tilt))
    return out


def _channels(audio: np.ndarray, channels: int) -> np.ndarray:
    return audio if audio.shape[1] == channels else np.repeat(audio[:, :1], channels, axis=1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)
