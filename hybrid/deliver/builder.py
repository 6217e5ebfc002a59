"""What every target does with each track: finish, quantize reproducibly, write, read back, check."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from dsp.finishing import FinishResult, FinishSettings, finish
from dsp.loudness import measure
from dsp.truepeak import sample_peak_dbfs, true_peak_dbtp
from hybrid.deliver.charset import latin1_changes, to_ascii
from hybrid.deliver.compliance import Issue, check_clipping, check_file_format, check_true_peak, split
from hybrid.deliver.encode import write_audio
from hybrid.deliver.job import RenderJob, TrackMaster
from hybrid.deliver.rates import RatePath, file_rate_hz
from hybrid.deliver.tags import tag_file
from hybrid.errors import DeliverableError
from hybrid.report.series import reduction_curve

__all__ = ["TargetBuilder", "slug"]

_SUBTYPES = {16: "PCM_16", 24: "PCM_24"}


def slug(text: str) -> str:
    """A file-name-safe form of a title: lower case, letters, digits and hyphens (Über -> uber)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", to_ascii(text).text.lower()).strip("-")
    return cleaned[:48] or "track"


def _round(value: float | None, places: int = 2) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), places)


class TargetBuilder:
    """One target's folder being filled track by track; `complete()` adds album files and checks."""

    name = ""
    bits: int | None = 24  # None: a lossy format with no word length
    default_ceiling_dbtp: float | None = -1.0  # None: no limiting unless the revision asks
    channels: int | None = None  # a channel count the target requires (the CD's 2), None: any
    extension = "wav"

    def __init__(self, job: RenderJob, folder: Path) -> None:
        self.job = job
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=False)
        self.entries: list[dict[str, Any]] = []
        self.issues: list[Issue] = []
        self.files: list[Path] = []
        self.source_rate_hz = 0  # the capture's rate, of the track being added

    needs_survey = False  # True: survey() sees every track before the first add_track()

    # --- what a target decides -------------------------------------------------------------
    def survey(self, track: TrackMaster, audio: np.ndarray, rate_hz: int) -> None:
        """An album-wide decision's first look at one track (the vinyl level); nothing is written."""
    def rate_for(self, source_rate_hz: int) -> int:
        """The rate of this target's files from a capture at `source_rate_hz` (one rule: rates.file_rate_hz)."""
        return file_rate_hz(self.name, source_rate_hz, streaming_rate_hz=self.job.streaming_rate_hz,
                            hires_rate_hz=self.job.hires_rate_hz)

    def rate_issues(self, track: TrackMaster, path: RatePath) -> list[Issue]:
        """What the track's conversions cost, said where the engineer reads the target's findings."""
        label = self.label(track)
        issues = []
        if path.converted_twice:
            issues.append(Issue("warning", "rate.converted_twice",
                                f"{label}: {path.text()}: the mix's own rate went through the rig's "
                                f"{path.print_hz} Hz and back", track.number))
        if path.mix_content_lost and self.name in ("hires", "vinyl"):
            issues.append(Issue("warning", "rate.mix_above_print",
                                f"{label}: a {path.mix_hz} Hz mix printed at {path.print_hz} Hz: what it held above "
                                f"{path.print_hz // 2} Hz is not in this file", track.number))
        return issues

    def ceiling_for(self, track: TrackMaster) -> float | None:
        """This target's ceiling for one track, in dBTP: the ceiling the session's delivery section
        promises for the target (lower only where the revision holds this track lower), else the
        revision's finishing ceiling, else the target's default."""
        promised = self.job.ceilings_dbtp.get(self.name)
        if promised is None:
            return track.finishing.get("ceiling_dbtp", self.default_ceiling_dbtp)
        if track.ceiling_override_dbtp is not None:
            return min(promised, track.ceiling_override_dbtp)
        return promised

    def settings_for(self, track: TrackMaster, source_rate_hz: int) -> FinishSettings:
        """The revision's finishing (with the track's overrides) applied to this target's format."""
        finishing = track.finishing
        ceiling = self.ceiling_for(track)
        limiter = bool(finishing.get("limiter", True)) and ceiling is not None
        return FinishSettings(
            ceiling_dbtp=float(ceiling if ceiling is not None else 0.0),
            lufs_target=finishing.get("lufs_target"),
            rate_hz=self.rate_for(source_rate_hz),
            bits=self.bits or 32,
            dither=str(finishing.get("dither", "tpdf")),
            limiter=limiter,
        )

    def ceiling_of(self, track: TrackMaster, settings: FinishSettings) -> float | None:
        """The ceiling the written file is checked against: the limiter's when it runs; with the
        limiter off, a ceiling the session promises for this target is still checked (not enforced)."""
        if settings.limiter:
            return settings.ceiling_dbtp
        return self.ceiling_for(track) if self.name in self.job.ceilings_dbtp else None

    def prepare(self, track: TrackMaster, audio: np.ndarray) -> np.ndarray:
        """A target may reshape the source (the CD makes mono dual-mono)."""
        return audio

    def shape(self, track: TrackMaster, pcm: np.ndarray) -> np.ndarray:
        """A target may pad the quantized audio (the CD pads to a whole frame)."""
        return pcm

    def file_name(self, track: TrackMaster) -> str:
        return f"{track.number:02d}-{slug(track.title or track.track_id)}.{self.extension}"

    def write(self, path: Path, pcm: np.ndarray, rate_hz: int, track: TrackMaster) -> None:
        write_audio(path, pcm, rate_hz, format="WAV", subtype=_SUBTYPES[self.bits or 24])

    def companions(self, path: Path, pcm: np.ndarray, rate_hz: int) -> list[Path]:
        """Further files of the same audio a target delivers beside the main one (hires: FLAC)."""
        return []

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        """Target-specific measurements and checks on the file as written."""

    def codec_overshoot(self, peak_dbtp: float, ceiling: float | None, label: str,
                        track: TrackMaster) -> list[Issue]:
        """A lossy file decodes with peaks its encoder added: worth knowing, not a broken rule."""
        return [Issue("warning", "codec.overshoot", f"{i.message} after decoding", track.number)
                for i in check_true_peak(peak_dbtp, ceiling, label=label, track=track.number)]

    # --- the common path -------------------------------------------------------------------
    def seed(self, track: TrackMaster) -> int:
        """Dither is seeded from revision, track and target, so a re-render is bit-identical."""
        return zlib.crc32(f"{self.job.revision}:{track.track_id}:{self.name}".encode())

    def label(self, track: TrackMaster) -> str:
        return f"{self.name}: track {track.number} '{track.title or track.track_id}'"

    def add_track(self, track: TrackMaster, audio: np.ndarray, rate_hz: int) -> None:
        self.source_rate_hz = rate_hz
        settings = self.settings_for(track, rate_hz)
        label = self.label(track)
        try:
            result: FinishResult = finish(self.prepare(track, audio), rate_hz, settings, seed=self.seed(track))
        except ValueError as exc:  # e.g. a loudness target asked of a silent capture
            raise DeliverableError(f"{label}: {exc}") from exc
        # a lossy target takes the float master (bits 32: no dither) straight to its encoder
        pcm = self.shape(track, result.pcm)
        path = self.folder / self.file_name(track)
        self.write(path, pcm, result.rate_hz, track)
        self.files.append(path)
        self.issues += check_file_format(path, rate_hz=result.rate_hz, bits=self.bits,
                                         channels=self.channels,
                                         label=label, track=track.number)
        if self.bits is not None:
            self.issues += check_clipping(pcm, self.bits, label=label, track=track.number)
        written, written_rate = sf.read(str(path), dtype="float64", always_2d=True)
        loudness = measure(written, written_rate)
        peak_dbtp = true_peak_dbtp(written, written_rate)
        ceiling = self.ceiling_of(track, settings)
        if self.bits is None:
            self.issues += self.codec_overshoot(peak_dbtp, ceiling, label, track)
        else:
            self.issues += check_true_peak(peak_dbtp, ceiling, label=label, track=track.number)
        entry: dict[str, Any] = {
            "track_id": track.track_id,
            "number": track.number,
            "title": track.title,
            "path": path,
            "paths": [path],
            "rate_hz": int(written_rate),
            "bits": self.bits,
            "channels": int(written.shape[1]),
            "duration_s": round(written.shape[0] / written_rate, 3),
            "audio_samples": int(result.pcm.shape[0]),  # before shape() padded it (the CD's frame fill)
            "integrated_lufs": _round(loudness.integrated_lufs),
            "lra_lu": _round(loudness.lra_lu),
            "momentary_max_lufs": _round(loudness.momentary_max_lufs),  # for bext v2, as the meter reads it
            "short_term_max_lufs": _round(loudness.short_term_max_lufs),
            "true_peak_dbtp": _round(peak_dbtp),
            "sample_peak_dbfs": _round(sample_peak_dbfs(written)),
            "ceiling_dbtp": ceiling,
            "gain_db": _round(result.gain_db),
            "max_gain_reduction_db": _round(result.max_gain_reduction_db),
            "gain_reduction": reduction_curve(result.gain_reduction_db, result.rate_hz),  # for the report
            "lufs_unreachable_by_lu": _round(result.lufs_unreachable_by_lu),
        }
        for companion in self.companions(path, pcm, result.rate_hz):
            self.files.append(companion)
            entry["paths"].append(companion)
            self.issues += check_file_format(companion, rate_hz=result.rate_hz, bits=self.bits,
                                             channels=self.channels, label=label, track=track.number)
        path_hz = RatePath(track.mix_rate_hz, rate_hz, int(written_rate))
        entry["rate_path_hz"] = [path_hz.mix_hz, path_hz.print_hz, path_hz.file_hz]
        entry["conversions"] = path_hz.conversions()
        self.issues += self.rate_issues(track, path_hz)
        self.extra(track, entry, written, int(written_rate))
        for each in entry["paths"]:
            tag_file(each, track, self.job.album, total_tracks=len(self.job.tracks), measured=entry)
        self.entries.append(entry)

    def complete(self) -> dict[str, Any]:
        """Album-level files and checks; returns this target's details for RenderResult.per_target."""
        return self.details()

    def details(self, **more: Any) -> dict[str, Any]:
        if self.extension == "wav" and self.name != "cd":  # the CD says it with its CUE sheets (cd.latin1)
            self.issues += [Issue("warning", "wav.latin1", f"{self.name}: the WAVs' LIST/INFO holds ISO 8859-1 only "
                                  f"(the id3 chunk keeps every letter); {change}")
                            for change in latin1_changes(self.job.album, self.job.tracks)]
        return {"folder": self.folder, "tracks": self.entries, "compliance": split(self.issues), **more}
