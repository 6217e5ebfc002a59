"""Album work for the print report: order, gaps in CD frames, per-track and album loudness, consistency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from dsp.loudness import gated_lufs, measure_with_blocks
from dsp.spectrum import REGIONS_HZ, fractional_octave
from hybrid.session.model import CD_FRAMES_PER_S

# A track more than this far from the album's loudness, or this far off the album's tone in a
# region, is pointed out in the consistency view (a note, not a rule: ballads are quieter).
LOUDNESS_SPREAD_LU = 2.0
TONE_SPREAD_DB = 2.0


@dataclass(frozen=True)
class AlbumTrack:
    """One track as it sits on the album, reduced to what the album view needs (not its audio, so a
    long record is measured one track at a time)."""

    track_id: str
    title: str
    gap_before_frames: int
    duration_s: float
    integrated_lufs: float | None
    lra_lu: float | None
    block_powers: np.ndarray  # BS.1770 gating blocks (400 ms, every 100 ms), mean square K-weighted
    band_centres_hz: np.ndarray  # 1/3-octave bands, 31.5 Hz to 16 kHz
    band_powers: np.ndarray

    @classmethod
    def measure(cls, track_id: str, title: str, gap_before_frames: int, audio: np.ndarray, rate: int) -> AlbumTrack:
        """Measure one track's finished audio (frames, channels) for the album view."""
        loud, blocks = measure_with_blocks(audio, rate)  # one K-weighting pass
        centres, levels = fractional_octave(audio, rate, 3, 31.5, min(16000.0, rate / 2.2))
        return cls(track_id, title, gap_before_frames, audio.shape[0] / rate, loud.integrated_lufs, loud.lra_lu,
                   blocks, centres,
                   10.0 ** (np.maximum(levels, -150.0) / 10.0))


def album_view(tracks: list[AlbumTrack], stage: str) -> dict[str, Any]:
    """The album dict of the report: order, gaps, loudness per track and of the whole, consistency.

    Album loudness is BS.1770 integrated loudness with the gating blocks of every track pooled
    (album gain as libebur128 measures it); the gaps count in the album's duration only.
    """
    if not tracks:
        return {}
    gaps_s = sum(t.gap_before_frames / CD_FRAMES_PER_S for t in tracks)
    duration_s = gaps_s + sum(t.duration_s for t in tracks)
    album_lufs = gated_lufs(np.concatenate([t.block_powers for t in tracks]))
    tones = _tone_vs_album(tracks) if len(tracks) > 1 else [({}, None)] * len(tracks)
    rows = []
    for n, (t, (regions, tilt)) in enumerate(zip(tracks, tones), 1):
        lufs = t.integrated_lufs
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
            "duration_s": round(t.duration_s, 3),
            "integrated_lufs": _round(lufs),
            "lra_lu": _round(t.lra_lu),
            "loudness_vs_album_lu": offset,
            "tone_vs_album_db": regions,
            "tilt_vs_album_db_per_octave": tilt,
            "notes": flags,
        })
    louds = cast(list[float], [r["integrated_lufs"] for r in rows if r["integrated_lufs"] is not None])
    return {
        "stage": stage,
        "order": [t.track_id for t in tracks],
        "gaps_frames": [t.gap_before_frames for t in tracks],
        "duration_s": round(duration_s, 3),
        "integrated_lufs": _round(album_lufs),
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
    count = min(len(t.band_centres_hz) for t in tracks)
    centres = tracks[0].band_centres_hz[:count]
    power = np.array([t.band_powers[:count] for t in tracks])
    weights = np.array([t.duration_s for t in tracks])
    album = (power * weights[:, None]).sum(axis=0) / weights.sum()
    match = (centres >= 100.0) & (centres <= 5000.0)
    out: list[tuple[dict[str, float], float | None]] = []
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


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)
