"""A RenderJob from a session's stored prints: the newest capture of each track for one revision."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hybrid.deliver.job import AlbumInfo, RenderJob, TrackMaster
from hybrid.errors import SessionError
from hybrid.printing.folders import CAPTURES, PROVENANCE, capture_name, check_sealed, checked_json, prints_of
from hybrid.session.model import Delivery, RevisionFile, Track
from hybrid.session.store import Session

__all__ = [
    "delivery_choices", "find_capture", "job_from_session", "latest_printed_revision", "render_job",
    "same_sound_capture", "track_ceiling_override", "track_master",
]


def latest_printed_revision(session: Session) -> int:
    """The newest revision that has at least one sealed print."""
    printed = prints_of(session.prints_dir)
    if not printed:
        raise SessionError(f"{session.prints_dir}: no prints yet; print the session first (`hybrid print`)")
    return max(int(re.match(r"r([0-9]+)", p.name).group(1)) for p in printed)  # type: ignore[union-attr]


def find_capture(print_dir: Path, number: int, track_id: str) -> Path | None:
    """capture/TT-slug.wav of a track in one print: by its id after the number, else by its number."""
    folder = print_dir / CAPTURES
    if not folder.is_dir():
        return None
    exact = folder / capture_name(number, track_id)
    if exact.is_file():
        return exact
    numbered = sorted(folder.glob(f"{number:02d}-*.wav"))
    return numbered[0] if len(numbered) == 1 else None


def _provenance(print_dir: Path) -> Any:
    """A print's print.json, checked against its manifest (an edited one is refused, not believed);
    None for a print without one."""
    if not (print_dir / PROVENANCE).is_file():
        return None
    return checked_json(print_dir, PROVENANCE)


def _printed_mix_sha256(print_dir: Path, track_id: str) -> str | None:
    """The SHA-256 of the mix a print played for this track, as its print.json records it."""
    try:
        return str(_provenance(print_dir)["inputs"][track_id]["sha256"])
    except (KeyError, TypeError):
        return None


def _printed_mix_rate(print_dir: Path, track_id: str) -> int | None:
    """The rate of the mix a print played for this track, as its print.json records it."""
    try:
        return int(_provenance(print_dir)["inputs"][track_id]["sample_rate"])
    except (KeyError, TypeError, ValueError):
        return None


def same_sound_capture(session: Session, revision: RevisionFile, track: Track) -> Path | None:
    """A capture of `track` from an earlier revision that sounds as `revision` would: every unit
    set the same for this track, and the same mix played (by its hash). A revision that changes
    one track only is then delivered whole after printing just that track; the finishing is
    this revision's either way (it is applied at render, not at capture)."""
    wanted = revision.settings_for(track.id)
    for earlier in range(revision.number - 1, 0, -1):
        if session.revision(earlier).settings_for(track.id) != wanted:
            continue
        for print_dir in reversed(prints_of(session.prints_dir, earlier)):
            # by id only: the album order may have changed since
            captures = sorted((print_dir / CAPTURES).glob(f"[0-9][0-9]-{track.id}.wav"))
            if captures and _printed_mix_sha256(print_dir, track.id) == track.sha256:
                return captures[0]
    return None


def job_from_session(session: Session, revision: int | None = None) -> RenderJob:
    """Every track of the album in order, each from the newest print of `revision` that holds it,
    else from an earlier revision's print that sounds the same (same_sound_capture)."""
    number = latest_printed_revision(session) if revision is None else revision
    settings = session.revision(number)  # checks the revision exists and its history is intact
    prints = list(reversed(prints_of(session.prints_dir, number)))
    if not prints:
        raise SessionError(f"revision {number} has no prints; print it first (`hybrid print --revision {number}`)")
    tracks: list[TrackMaster] = []
    for position, track in enumerate(session.info.tracks, start=1):
        capture = next((c for p in prints if (c := find_capture(p, position, track.id)) is not None), None)
        capture = capture or same_sound_capture(session, settings, track)
        if capture is None:
            raise SessionError(f"track {position} '{track.title}': no capture in the prints of revision {number} "
                               f"({', '.join(p.name for p in prints)}) nor in an earlier print with the same unit "
                               f"settings for it and the same mix; print it first (`hybrid print --revision {number} "
                               f"--track {position}`)")
        # the capture is read as it was sealed, or not at all (a capture scaled by hand is refused)
        check_sealed(capture.parent.parent, [capture.relative_to(capture.parent.parent).as_posix()])
        tracks.append(track_master(session, settings, position, track, capture))
    return render_job(session, settings, tracks)


def track_master(session: Session, revision: RevisionFile, position: int, track: Track, capture: Path,
                 mix_rate_hz: int | None = None) -> TrackMaster:
    """One track for the renderer: its capture, its metadata (the album's artist where it names
    none) and the revision's finishing for it. The print and `hybrid render` both build them here."""
    return TrackMaster(
        number=position, track_id=track.id, title=track.title, capture_path=capture,
        artist=track.artist or session.info.artist, composer=track.composer, isrc=track.isrc,
        gap_before_frames=track.gap_before_frames, finishing=revision.finishing_for(track.id).model_dump(),
        mix_rate_hz=mix_rate_hz if mix_rate_hz is not None else _printed_mix_rate(capture.parent.parent, track.id),
        ceiling_override_dbtp=track_ceiling_override(revision, track.id),
    )


def render_job(session: Session, revision: RevisionFile, tracks: list[TrackMaster]) -> RenderJob:
    """`tracks` with the album's metadata and the session's delivery choices (rates, ceilings, sides, formats)."""
    info = session.info
    album = AlbumInfo(title=info.title, artist=info.artist, year=info.year, label=info.label,
                      upc_ean=info.upc_ean, catalog=info.catalog)
    return RenderJob(tracks=tracks, album=album, revision=revision.number, **delivery_choices(info.delivery))


def delivery_choices(delivery: Delivery) -> dict[str, Any]:
    """The session's delivery section as RenderJob's fields (rates, ceilings, sides, formats)."""
    return {
        "streaming_rate_hz": delivery.streaming.rate_hz,
        "ceilings_dbtp": delivery.ceilings_dbtp(),
        "hires_rate_hz": delivery.hires.rate_hz,
        "vinyl_sides": None if delivery.vinyl.sides is None else [list(side) for side in delivery.vinyl.sides],
        "vinyl_limiter": delivery.vinyl.limiter,
        "vinyl_lufs_target": delivery.vinyl.lufs_target,
        "preview_format": delivery.preview.format,
    }


def track_ceiling_override(revision: RevisionFile, track_id: str) -> float | None:
    """The ceiling the revision sets for this one track, if it sets one (not the album's)."""
    override = revision.tracks.get(track_id)
    return None if override is None else override.finishing.ceiling_dbtp
