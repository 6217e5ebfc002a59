"""The `vinyl` target: 24-bit pre-masters at the print's rate at the album's loudness decisions,
unlimited unless asked, with a cutting engineer's checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from devices.errors import ConfigError
from dsp.finishing import FinishSettings
from dsp.loudness import measure
from dsp.truepeak import true_peak_dbtp
from dsp.qc import power_db
from hybrid.ddp.layout import FRAMES_PER_SECOND
from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.compliance import Issue
from hybrid.deliver.job import RenderJob, TrackMaster

__all__ = ["VinylBuilder", "side_lengths", "vinyl_measurements"]

BASS_SPLIT_HZ = 150.0  # below this a cutter wants the bass in the middle: side energy cuts vertical
SIBILANCE_BAND_HZ = (4000.0, 10000.0)
TOP_END_HZ = 10000.0
SIDE_BASS_WARN_DB = -12.0  # side/mid below 150 Hz; louder side bass makes the groove jump
SIDE_BASS_AUDIBLE_DBFS = -40.0  # below this the side bass is too small to move a cutter, whatever the ratio
TOP_END_WARN_DB = -15.0  # energy above 10 kHz relative to the whole; hot top end distorts on playback
SIBILANCE_WARN_DB = -3.0  # 4-10 kHz holding over half of a loud 50 ms block: esses that splatter
SIBILANCE_BLOCK_S = 0.05
LOUD_BLOCK_DB = -20.0  # only blocks within 20 dB of the track's mean level count (not hiss in a fade)
PEAK_WARN_DBFS = -0.5  # a cutting engineer wants a little headroom
UNLIMITED_PEAK_DBTP = -1.0  # where an unlimited album's hottest true peak is put when no vinyl ceiling is set
SIDE_WARN_MIN = 18.0  # a 12-inch side at 33 1/3 past this has to be cut quieter
SIDE_MAX_MIN = 28.0  # past this it does not fit at all


_FLOOR_DB = -120.0  # "none at all", kept finite for JSON


def _db(ratio: float) -> float:
    return round(float(power_db(ratio, _FLOOR_DB)), 2)


def _block_power(x: np.ndarray, window: int) -> np.ndarray:
    """Per 50 ms block, per frequency bin: the block's energy there (Parseval-weighted, one-sided)."""
    count = x.shape[0] // window
    power = np.abs(np.fft.rfft(x[: count * window].reshape(count, window), axis=1)) ** 2
    power[:, 1:] *= 2.0  # the negative frequencies, folded in
    if window % 2 == 0:
        power[:, -1] /= 2.0  # Nyquist has no twin
    return power / window**2  # sum over bins = the block's mean square


def vinyl_measurements(audio: np.ndarray, rate_hz: int) -> dict[str, float | None]:
    """Side-vs-mid energy below 150 Hz, the share of energy above 10 kHz, and the largest share of
    4-10 kHz in a loud 50 ms stretch (sibilance), all in dB.

    One FFT per 50 ms block of mid and side gives every band at once (band edges are exact to the
    20 Hz bin spacing, which is all a cutting engineer's rule of thumb needs).
    """
    window = max(2, int(SIBILANCE_BLOCK_S * rate_hz))
    if audio.shape[0] < window:
        return {"side_to_mid_below_150hz_db": None, "side_below_150hz_dbfs": None,
                "top_end_above_10khz_db": None, "sibilance_share_db": None}
    left = audio[:, 0]
    right = audio[:, 1] if audio.shape[1] >= 2 else audio[:, 0]
    mid = _block_power(0.5 * (left + right), window)
    side = _block_power(0.5 * (left - right), window)
    freqs = np.fft.rfftfreq(window, 1.0 / rate_hz)
    low = freqs < BASS_SPLIT_HZ
    mid_low, side_low = float(mid[:, low].sum()), float(side[:, low].sum())
    total = float(mid.sum() + side.sum())
    blocks = mid.shape[0]
    return {
        "side_to_mid_below_150hz_db": _db(side_low / mid_low) if mid_low > 0 else None,
        "side_below_150hz_dbfs": _db(2.0 * side_low / blocks),  # a full-scale sine reads 0 dBFS
        "top_end_above_10khz_db": _db(float(mid[:, freqs >= TOP_END_HZ].sum()) / total) if total > 0 else None,
        "sibilance_share_db": _sibilance_share_db(mid, freqs),
    }


def _sibilance_share_db(mid: np.ndarray, freqs: np.ndarray) -> float | None:
    """The largest share of 4-10 kHz in any loud 50 ms block of the mid signal, in dB (0 = all of it)."""
    block_total = mid.sum(axis=1)
    band = (freqs >= SIBILANCE_BAND_HZ[0]) & (freqs < SIBILANCE_BAND_HZ[1])
    block_band = mid[:, band].sum(axis=1)
    mean_total = float(block_total.mean())
    loud = block_total > mean_total * 10 ** (LOUD_BLOCK_DB / 10)
    if mean_total <= 0 or not loud.any():
        return None
    return _db(float(np.max(block_band[loud] / block_total[loud])))


def side_lengths(durations_s: dict[str, float], gaps_s: dict[str, float], order: list[str],
                 sides: list[list[str]] | None) -> list[dict[str, Any]]:
    """Minutes per side from the track order: the job's sides, or the album split in halves."""
    if sides is None:
        half = -(-len(order) // 2)
        sides = [order[:half], order[half:]] if len(order) > 1 else [order]
    known = set(order)
    placed = [t for side in sides for t in side]
    for track_id in placed:
        if track_id not in known:
            raise ConfigError(None, "vinyl_sides", track_id, f"allowed: track ids of this album ({', '.join(order)})")
    if sorted(placed) != sorted(order):
        missing = sorted(set(order) - set(placed)) or sorted({t for t in placed if placed.count(t) > 1})
        raise ConfigError(None, "vinyl_sides", missing, "every track must be on exactly one side")
    out = []
    for number, side in enumerate(sides):
        seconds = sum(durations_s[t] for t in side) + sum(gaps_s[t] for t in side[1:])
        out.append({"side": chr(ord("A") + number), "tracks": list(side), "minutes": round(seconds / 60.0, 2)})
    return out


class VinylBuilder(TargetBuilder):
    """Vinyl follows the loudness decisions: each track's lufs_target (or the session's vinyl level,
    `delivery.vinyl.lufs_target`), so the sides sit as the streaming files do. With the limiter on
    (`delivery.vinyl.limiter`) the level is reached under the vinyl ceiling as streaming's is; with
    it off (the default: a cutting engineer wants the transients) every track gets its gain to the
    level less one album-wide amount that keeps the hottest true peak at the ceiling, so nothing is
    limited and the tracks keep the levels' relations (no spread of their own)."""

    name = "vinyl"
    bits = 24
    default_ceiling_dbtp = None  # no final limiting unless asked (job.vinyl_limiter, finishing.vinyl_limiter)
    needs_survey = True

    def __init__(self, job: RenderJob, folder: Path) -> None:
        super().__init__(job, folder)
        self.headroom_db: dict[str, float] = {}  # track -> ceiling minus its true peak after its gain
        self.gain_db: dict[str, float] = {}  # track -> gain to its level (unlimited vinyl only)

    def limited(self, track: TrackMaster) -> bool:
        return self.job.vinyl_limiter or bool(track.finishing.get("vinyl_limiter", False))

    def level_lufs(self, track: TrackMaster) -> float | None:
        """The loudness this track's vinyl file is set to: the session's vinyl level, else the
        revision's decision for the track; None = as printed."""
        if self.job.vinyl_lufs_target is not None:
            return self.job.vinyl_lufs_target
        return track.finishing.get("lufs_target")

    def unlimited_ceiling(self, track: TrackMaster) -> float:
        ceiling = self.ceiling_for(track)
        return UNLIMITED_PEAK_DBTP if ceiling is None else float(ceiling)

    def survey(self, track: TrackMaster, audio: np.ndarray, rate_hz: int) -> None:
        level = self.level_lufs(track)
        if self.limited(track) or level is None:
            return
        integrated = measure(audio, rate_hz).integrated_lufs
        if integrated is None:
            return  # silence: finish() says so for a target that asks a level of it
        self.gain_db[track.track_id] = level - integrated
        peak = true_peak_dbtp(audio, rate_hz)
        if np.isfinite(peak):
            self.headroom_db[track.track_id] = self.unlimited_ceiling(track) - (peak + self.gain_db[track.track_id])

    @property
    def album_offset_db(self) -> float:
        """How far under the loudness decisions the unlimited album sits so its peaks fit (<= 0)."""
        return min([0.0, *self.headroom_db.values()])

    def settings_for(self, track: TrackMaster, source_rate_hz: int) -> FinishSettings:
        limiter = self.limited(track)
        ceiling = self.ceiling_for(track)
        return FinishSettings(
            ceiling_dbtp=float(-1.0 if ceiling is None else ceiling),
            lufs_target=self.level_lufs(track) if limiter else None,  # unlimited: the gain is set in prepare()
            rate_hz=source_rate_hz,
            bits=24,
            dither=str(track.finishing.get("dither", "tpdf")),
            limiter=limiter,
        )

    def prepare(self, track: TrackMaster, audio: np.ndarray) -> np.ndarray:
        gain = self.gain_db.get(track.track_id)
        if gain is None:
            return audio
        return audio * 10.0 ** ((gain + self.album_offset_db) / 20.0)

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        label = self.label(track)
        level = self.level_lufs(track)
        entry["level_lufs"] = level
        if track.track_id in self.gain_db:
            entry["gain_db"] = round(self.gain_db[track.track_id] + self.album_offset_db, 2)
            entry["level_offset_db"] = round(self.album_offset_db, 2)
        if rate_hz < 44100:
            self.issues.append(Issue("error", "vinyl.sample_rate",
                                     f"{label}: {rate_hz} Hz; a vinyl pre-master needs at least 44100 Hz",
                                     track.number))
        checks = vinyl_measurements(audio, rate_hz)
        entry["vinyl"] = checks
        side_bass = checks["side_to_mid_below_150hz_db"]
        side_level = checks["side_below_150hz_dbfs"] or _FLOOR_DB
        if side_bass is not None and side_bass > SIDE_BASS_WARN_DB and side_level > SIDE_BASS_AUDIBLE_DBFS:
            self.issues.append(Issue("warning", "vinyl.side_bass",
                                     f"{label}: side energy below 150 Hz is {side_bass:+.1f} dB against the mid "
                                     f"(keep it under {SIDE_BASS_WARN_DB:.0f} dB: bass belongs in the middle)",
                                     track.number))
        top = checks["top_end_above_10khz_db"]
        if top is not None and top > TOP_END_WARN_DB:
            self.issues.append(Issue("warning", "vinyl.top_end",
                                     f"{label}: energy above 10 kHz is {top:+.1f} dB of the whole "
                                     f"(over {TOP_END_WARN_DB:.0f} dB distorts on playback)", track.number))
        sib = checks["sibilance_share_db"]
        if sib is not None and sib > SIBILANCE_WARN_DB:
            self.issues.append(Issue("warning", "vinyl.sibilance",
                                     f"{label}: 4-10 kHz carries {sib:+.1f} dB of a loud 50 ms stretch "
                                     f"(over {SIBILANCE_WARN_DB:.0f} dB): de-ess before the cut", track.number))
        peak = entry["sample_peak_dbfs"]
        if peak is not None and peak > PEAK_WARN_DBFS:
            self.issues.append(Issue("warning", "vinyl.peak_level",
                                     f"{label}: sample peak {peak:+.2f} dBFS; leave the cutting engineer "
                                     f"{-PEAK_WARN_DBFS:.1f} dB", track.number))

    def complete(self) -> dict[str, Any]:
        if self.album_offset_db < -0.005:
            hottest = min(self.headroom_db, key=self.headroom_db.__getitem__)
            self.issues.append(Issue("warning", "vinyl.level",
                                     f"vinyl: every track {-self.album_offset_db:.1f} dB under its loudness decision, "
                                     f"so the unlimited pre-masters keep their true peaks under the ceiling "
                                     f"({hottest} the hottest); vinyl.limiter=on reaches the levels instead"))
        order = [e["track_id"] for e in self.entries]
        durations = {e["track_id"]: e["duration_s"] for e in self.entries}
        gaps = {t.track_id: t.gap_before_frames / FRAMES_PER_SECOND for t in self.job.tracks}
        sides = side_lengths(durations, gaps, order, self.job.vinyl_sides)
        for side in sides:
            if side["minutes"] > SIDE_MAX_MIN:
                self.issues.append(Issue("error", "vinyl.side_length",
                                         f"vinyl: side {side['side']} runs {side['minutes']:.1f} min; a 12-inch "
                                         f"side at 33 1/3 holds at most {SIDE_MAX_MIN:.0f}"))
            elif side["minutes"] > SIDE_WARN_MIN:
                self.issues.append(Issue("warning", "vinyl.side_length",
                                         f"vinyl: side {side['side']} runs {side['minutes']:.1f} min; past "
                                         f"{SIDE_WARN_MIN:.0f} min it has to be cut quieter"))
        return self.details(sides=sides)
