"""Stored captures in, checked deliverables out: every target built in a hidden folder, then moved in."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from devices.errors import AudioFileError, ConfigError
from devices.paths import maker_alive, make_staging_dir, refuse_sealed, write_refusal
from hybrid.audiofile import read_audio
from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.cd import CdBuilder
from hybrid.deliver.hires import HIRES_RATES_HZ, HiresBuilder
from hybrid.deliver.job import RenderJob, RenderResult, TrackMaster
from hybrid.deliver.preview import PREVIEW_FORMATS, PreviewBuilder
from hybrid.deliver.streaming import STREAMING_RATES_HZ, StreamingBuilder
from hybrid.deliver.vinyl import VinylBuilder
from hybrid.errors import DeliverableError
from hybrid.interrupts import checkpoint
from hybrid.metadata import normalize_isrc, normalize_upc_ean

__all__ = ["TARGETS", "render"]

TARGETS: dict[str, type[TargetBuilder]] = {
    "streaming": StreamingBuilder,
    "cd": CdBuilder,
    "hires": HiresBuilder,
    "vinyl": VinylBuilder,
    "preview": PreviewBuilder,
}


def render(job: RenderJob, targets: list[str], out_dir: Path) -> RenderResult:
    """Render `targets` for every track of `job` into out_dir/TARGET/ and check them.

    All or nothing: the targets are built in a hidden folder inside out_dir and moved into place
    only when no target breaks a hard rule; otherwise DeliverableError names every broken rule
    and nothing is left behind. A target folder from an earlier render is replaced.
    """
    names = _checked_targets(targets)
    job = _checked_codes(job)
    _check_choices(job, names)
    out_dir = Path(out_dir)
    refuse_sealed(out_dir)  # a sealed print is never written into, not even a folder
    made = [p for p in (out_dir, *out_dir.parents) if not p.exists()]  # removed again if nothing lands
    _remove_dead_renders(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = make_staging_dir(out_dir, prefix=".render-")
    except OSError as exc:
        _remove_empty(made)
        refusal = write_refusal(exc, out_dir)
        if refusal is not None:
            raise refusal from None
        raise DeliverableError(f"{out_dir}: cannot write deliverables there ({exc.strerror or exc})") from exc
    try:
        builders = [TARGETS[name](job, staging / name) for name in names]
        surveying = [b for b in builders if b.needs_survey]
        for track in job.tracks if surveying else []:  # an album-wide decision reads every track first
            audio, rate_hz = _read_capture(track)
            for builder in surveying:
                builder.survey(track, audio, rate_hz)
        for track in job.tracks:
            checkpoint()  # Ctrl-C or SIGTERM stops a render between tracks (hybrid/interrupts.py)
            audio, rate_hz = _read_capture(track)
            for builder in builders:
                builder.add_track(track, audio, rate_hz)
        per_target = {b.name: b.complete() for b in builders}
        errors = [e["message"] for d in per_target.values() for e in d["compliance"]["errors"]]
        if errors:
            raise DeliverableError(f"{len(errors)} hard rule(s) broken, nothing written: " + "; ".join(errors))
        files = [path for b in builders for path in b.files]
        _move_into_place(staging, out_dir, names)
        moved = lambda value: _relocate(value, staging, out_dir)  # noqa: E731
        return RenderResult(paths=[moved(p) for p in files], per_target=moved(per_target))
    except Exception as exc:  # a full disk (OSError, or libsndfile's "System error"): one line, staging removed
        refusal = write_refusal(exc, getattr(exc, "filename", None) or out_dir)
        if refusal is not None:
            shutil.rmtree(staging, ignore_errors=True)
            _remove_empty(made)  # a full disk leaves not even the folders it made
            raise refusal from None
        if isinstance(exc, OSError) or type(exc).__name__ == "LibsndfileError":  # a vanished folder, an encoder
            raise DeliverableError(f"{out_dir}: writing the deliverables failed ({exc})") from exc
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_dead_renders(out_dir: Path) -> None:
    """A render killed here (SIGKILL, power) left its hidden folder: removed when the pid in its
    name is gone (a live render's stays), and said."""
    if not out_dir.is_dir():
        return
    for path in out_dir.glob(".render-*.partial"):
        alive = maker_alive(path)
        if alive is False:
            shutil.rmtree(path, ignore_errors=True)
            print(f"note: removed {path}, left by an interrupted render", file=sys.stderr, flush=True)
        elif alive is None:
            print(f"note: {path} was left by an interrupted render of an earlier version; remove it by hand "
                  "when no render runs", file=sys.stderr, flush=True)


def _remove_empty(folders: list[Path]) -> None:
    """The folders a failed render made for itself, innermost first, where they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _checked_targets(targets: list[str]) -> list[str]:
    if not targets:
        raise ConfigError(None, "targets", targets, f"name at least one of: {', '.join(TARGETS)}")
    names: list[str] = []
    for name in targets:
        if name not in TARGETS:
            raise ConfigError(None, "targets", name, f"allowed: {', '.join(TARGETS)}")
        if name not in names:
            names.append(name)
    return names


def _checked_codes(job: RenderJob) -> RenderJob:
    """Refuse bad ISRCs and UPC/EAN before any audio is touched; store them normalized."""
    if not job.tracks:
        raise ConfigError(None, "tracks", [], "a render needs at least one track")
    tracks = [replace(t, isrc=normalize_isrc(t.isrc, field=f"tracks[{t.track_id}].isrc")) for t in job.tracks]
    seen: dict[str, str] = {}
    for t in tracks:
        if t.isrc and t.isrc in seen:
            raise ConfigError(None, f"tracks[{t.track_id}].isrc", t.isrc,
                              f"each track needs its own ISRC; {seen[t.isrc]} has it already")
        seen[t.isrc] = t.track_id
    album = replace(job.album, upc_ean=normalize_upc_ean(job.album.upc_ean, field="album.upc_ean"))
    return replace(job, tracks=tracks, album=album)


def _check_choices(job: RenderJob, names: list[str]) -> None:
    """The job's format choices, refused before minutes of audio work rather than after."""
    if {"streaming", "preview"} & set(names) and job.streaming_rate_hz not in STREAMING_RATES_HZ:
        raise ConfigError(None, "streaming_rate_hz", job.streaming_rate_hz, "allowed: 44100 or 48000")
    if "preview" in names and job.preview_format not in PREVIEW_FORMATS:
        raise ConfigError(None, "preview_format", job.preview_format, f"allowed: {', '.join(PREVIEW_FORMATS)}")
    if "vinyl" in names and job.vinyl_lufs_target is not None and not -60.0 <= job.vinyl_lufs_target <= 0.0:
        raise ConfigError(None, "vinyl_lufs_target", job.vinyl_lufs_target, "allowed: -60.0 to 0.0 LUFS or None")
    if "hires" in names and job.hires_rate_hz is not None and job.hires_rate_hz not in HIRES_RATES_HZ:
        raise ConfigError(None, "hires_rate_hz", job.hires_rate_hz,
                          f"allowed: {', '.join(map(str, HIRES_RATES_HZ))} or None (the print's rate)")
    for target, ceiling in job.ceilings_dbtp.items():
        if target not in TARGETS:
            raise ConfigError(None, "ceilings_dbtp", target, f"allowed: {', '.join(TARGETS)}")
        if not -20.0 <= ceiling <= 0.0:
            raise ConfigError(None, f"ceilings_dbtp.{target}", ceiling, "allowed: -20.0 to 0.0 dBTP")


def _read_capture(track: TrackMaster) -> tuple[np.ndarray, int]:
    try:
        return read_audio(track.capture_path, what="capture")
    except AudioFileError as exc:
        raise DeliverableError(f"track {track.number} '{track.title}': {exc}") from exc


def _move_into_place(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Rename each finished target folder into out_dir, setting an earlier render's aside first."""
    for name in names:
        final = out_dir / name
        if final.exists():
            os.replace(final, staging / f".old-{name}")
        os.replace(staging / name, final)


def _relocate(value: Any, staging: Path, out_dir: Path) -> Any:
    """Paths inside the staging folder, as they are after the move."""
    if isinstance(value, Path):
        try:
            return out_dir / value.relative_to(staging)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _relocate(v, staging, out_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_relocate(v, staging, out_dir) for v in value]
    return value
