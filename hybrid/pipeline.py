"""The print: recall the revision, check calibration, play each track through the chain and record it,
align and level-compensate, fingerprint the chain, render the deliverables, report, seal the folder."""

from __future__ import annotations

import getpass
import platform
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from calibration import compensate, ensure, pilot
from calibration.fingerprint import measure_fingerprint
from devices.errors import CalibrationError, ConfigError, SessionError
from devices.paths import write_json_atomic
from devices.recall_sheet import RecallSheet
from devices.rig import Rig
from dsp.meter import analyze
from dsp.resample import resample
from hybrid import __version__
from hybrid.progress import Progress
from hybrid.session import Session, UnitCatalog, open_session, session_lock, session_rig
from hybrid.session.album import AlbumTrack, album_view
from hybrid.session.model import RevisionFile, Track
from hybrid.session.prints import FINGERPRINT, PROVENANCE, discard, next_print_dir, seal, staging_dir
from hybrid.session.store import now_utc, sha256_file

PRINT_FORMAT = 1
PILOT_RETRIES = 1  # a capture whose pilots disagree is played once more before the print stops
Say = Callable[[str], None]


class PrintInterrupted(SessionError):
    """Ctrl-C or SIGTERM during a print: nothing of it was kept, the session and older prints are intact."""

    exit_status = 130


@dataclass
class PrintRequest:
    """What to print: a revision (latest when None), some tracks (all when None), and how to behave."""

    session_dir: Path
    revision: int | None = None
    tracks: list[str] | None = None
    allow_changed_sources: bool = False
    confirm_manual: Callable[[RecallSheet], bool] | None = None


@dataclass
class PrintOutcome:
    """A sealed print: where it is and every file it wrote."""

    folder: Path
    revision: int
    track_ids: list[str]
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Source:
    track: Track
    position: int
    audio: np.ndarray  # at the interface rate, one column per send
    original: np.ndarray
    original_rate: int
    sha256: str


def print_revision(request: PrintRequest, *, say: Say = lambda _: None, bar: Progress | None = None) -> PrintOutcome:
    """Print one revision of a session into a new prints/rNNNN-KK/ folder (see the module docstring)."""
    session = open_session(request.session_dir)
    with session_lock(session.folder, "print"):
        return _print_locked(session, request, say, bar)


def _print_locked(session: Session, request: PrintRequest, say: Say, bar: Progress | None) -> PrintOutcome:
    revision = session.revision(request.revision)
    rig = session_rig(session)
    catalog = _checked_catalog(session, revision, rig)
    tracks = session.resolve_tracks(request.tracks)
    notes = _check_sources(session, tracks, request.allow_changed_sources)
    sources = _load_sources(session, tracks, rig)

    final = next_print_dir(session.prints_dir, revision.number)
    staging = staging_dir(session.prints_dir, final)
    done: list[str] = []
    stage = "recall"
    started_at = now_utc()
    try:
        say(f"printing revision {revision.number} ({revision.note or 'no note'}) into {final.name}")
        from devices.station import open_station

        with open_station(rig, confirm_manual=request.confirm_manual) as station:
            stage = "calibration"
            say("recalling every unit to neutral for the calibration check")
            station.recall_neutral()
            readiness = ensure(station.interface, rig.name, rig.calibration)
            record = readiness.record
            say("calibration: " + ("measured and stored" if readiness.recalibrated and readiness.check is None
                                   else "re-measured (the loop had drifted: " + readiness.check.describe() + ")"
                                   if readiness.recalibrated else "stored record holds (" + readiness.check.describe() + ")"))
            _advance(bar)
            stage = "recall"
            say(f"recalling revision {revision.number} over the wires")
            album_reports = station.recall(revision.units)
            recalls: dict[str, Any] = {"album": _reports(album_reports)}
            _advance(bar)
            stage = "fingerprint"
            say("measuring the chain's fingerprint")
            fingerprint = measure_fingerprint(station.interface, record)
            write_json_atomic(staging / FINGERPRINT, {"revision": revision.number, "settings": revision.units,
                                                       "calibration_measured_at": record.measured_at,
                                                       **fingerprint.to_dict()})
            _advance(bar)
            on_gear = revision.units
            captures: dict[str, dict[str, Any]] = {}
            # tracks with the album's settings first: the gear is recalled once per distinct setting
            for source in sorted(sources, key=lambda s: s.track.id in revision.tracks):
                settings = revision.settings_for(source.track.id)
                if settings != on_gear:
                    stage = "recall"
                    say(f"recalling the overrides of track {source.track.id}")
                    recalls[source.track.id] = _reports(station.recall(settings))
                    on_gear = settings
                stage = f"capture of track {source.track.id}"
                say(f"track {source.position} {source.track.title}: playing through the chain")
                captures[source.track.id] = _capture(station.interface, source, record, rig, staging)
                done.append(source.track.id)
                _advance(bar)
        stage = "deliverables"
        say("rendering deliverables: " + ", ".join(session.info.targets))
        rendered = _render(session, revision, sources, staging)
        _advance(bar)
        stage = "report"
        say("writing the report (measurements, album view, plots)")
        data = _report_data(session, revision, rig, record, readiness, recalls, album_reports, sources,
                            captures, rendered, fingerprint, staging)
        from hybrid.report import write_report

        write_report(staging, data)
        write_json_atomic(staging / PROVENANCE, _provenance(session, revision, rig, record, readiness, recalls,
                                                             sources, captures, started_at, notes))
        _advance(bar)
        stage = "seal"
        say("sealing: manifest of SHA-256 hashes, then the folder moves into place")
        folder = seal(staging, final)
    except KeyboardInterrupt:
        discard(staging)
        missing = [s.track.id for s in sources if s.track.id not in done]
        raise PrintInterrupted(
            f"print of revision {revision.number} interrupted during the {stage}: captured "
            f"{len(done)} of {len(sources)} track(s)" + (f" ({', '.join(done)})" if done else "")
            + "; not finished: " + ", ".join(([f"capture of {', '.join(missing)}"] if missing else [])
                                             + ["deliverables", "report", "manifest"])
            + f"; nothing of this print was kept, the session and its earlier prints are intact") from None
    except BaseException:
        discard(staging)
        raise
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    return PrintOutcome(folder, revision.number, [s.track.id for s in sources], paths, notes)


def _advance(bar: Progress | None) -> None:
    if bar is not None:
        bar.advance()


def steps(track_count: int) -> int:
    """Progress steps of a print: calibration, recall, fingerprint, each track, render, report."""
    return 5 + track_count


def _checked_catalog(session: Session, revision: RevisionFile, rig: Rig) -> UnitCatalog:
    """Every stored setting must be one the rig's units can take: checked before the gear is touched."""
    path = session.revision_path(revision.number)
    catalog = UnitCatalog(rig, source=path)
    catalog.check(revision.units, "units")
    ids = [t.id for t in session.info.tracks]
    for track_id, override in revision.tracks.items():
        if track_id not in ids:
            raise ConfigError(path, f"tracks.{track_id}", track_id, f"the session's tracks are {', '.join(ids)}")
        catalog.check(override.units, f"tracks.{track_id}.units")
    return catalog


def _check_sources(session: Session, tracks: list[Track], allow_changed: bool) -> list[str]:
    """A missing mix stops the print; a changed one is said before anything is played."""
    notes = []
    changed = []
    for check in session.check_sources([t.id for t in tracks]):
        if check.found_sha256 is None:
            raise ConfigError(check.path, f"tracks.{check.track_id}.source", str(check.path), check.problem
                              + "; put the mix back where the session says, or make a new session")
        if not check.ok:
            changed.append(f"{check.track_id} ({check.path}: SHA-256 {check.found_sha256[:12]}..., "
                           f"was {check.expected_sha256[:12]}...)")
    if changed and not allow_changed:
        raise SessionError("the mix changed since the session was made: " + "; ".join(changed)
                           + "; print with --allow-changed-sources to print the new mix anyway")
    notes += [f"printed a changed mix: {c}" for c in changed]
    return notes


def _load_sources(session: Session, tracks: list[Track], rig: Rig) -> list[_Source]:
    """Read each mix, at the interface's rate and with one column per send channel."""
    rate = int(rig.interface.sample_rate)
    sends = len(rig.interface.send_channels)
    positions = {t.id: n for n, t in enumerate(session.info.tracks, 1)}
    out = []
    for track in tracks:
        path = session.source_path(track)
        try:
            original, original_rate = sf.read(str(path), dtype="float64", always_2d=True)
        except (RuntimeError, sf.LibsndfileError, OSError) as exc:
            raise ConfigError(path, f"tracks.{track.id}.source", str(path),
                              f"it must be an audio file soundfile can read (WAV, AIFF, FLAC): {exc}") from None
        if original.shape[1] not in (1, sends):
            raise ConfigError(path, f"tracks.{track.id}.channels", original.shape[1],
                              f"the rig sends {sends} channel(s); a mix must be mono or {sends} channels")
        if not np.all(np.isfinite(original)):
            raise ConfigError(path, f"tracks.{track.id}.source", str(path), "the mix holds NaN or infinite samples")
        audio = original if original_rate == rate else resample(original, original_rate, rate)
        if audio.shape[1] == 1 and sends > 1:
            audio = np.repeat(audio, sends, axis=1)
        out.append(_Source(track, positions[track.id], audio, original, int(original_rate), track.sha256))
    return out


def _reports(reports: dict[str, Any]) -> dict[str, Any]:
    return {name: report.to_dict() for name, report in reports.items()}


def _capture(interface: Any, source: _Source, record: Any, rig: Rig, staging: Path) -> dict[str, Any]:
    """Play one track with its pilots, check them, align and level-compensate, store the float capture."""
    tail_s = max(record.channel_latencies()) / interface.sample_rate + 0.25
    send, layout = pilot.wrap(source.audio, interface.sample_rate, tail_s=tail_s)
    for attempt in range(PILOT_RETRIES + 1):
        raw = interface.playrec(send)
        check = pilot.check(raw, layout, record, rig.calibration)
        if check.ok:
            break
        if attempt == PILOT_RETRIES:
            raise CalibrationError(f"track {source.track.id}: {check.describe()}, twice; the loop is not stable: "
                                   f"run `hybrid calibrate --rig {rig.name}` and print again")
    programme = layout.extract(compensate(raw, record))
    path = staging / "capture" / f"{source.position:02d}-{source.track.id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), programme.astype(np.float32), interface.sample_rate, subtype="FLOAT")
    return {"path": path, "rate": int(interface.sample_rate), "audio": programme,
            "pilot": {"ok": check.ok, "drift_samples": round(check.drift_samples, 4),
                      "offset_from_record_samples": round(check.offset_from_record_samples, 4),
                      "attempts": attempt + 1}}


def _render(session: Session, revision: RevisionFile, sources: list[_Source], staging: Path) -> Any:
    from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render

    info = session.info
    tracks = [TrackMaster(number=s.position, track_id=s.track.id, title=s.track.title,
                          capture_path=staging / "capture" / f"{s.position:02d}-{s.track.id}.wav",
                          artist=s.track.artist or info.artist, composer=s.track.composer, isrc=s.track.isrc,
                          gap_before_frames=s.track.gap_before_frames,
                          finishing=revision.finishing_for(s.track.id).model_dump())
              for s in sorted(sources, key=lambda s: s.position)]
    album = AlbumInfo(title=info.title, artist=info.artist, year=info.year, label=info.label,
                      upc_ean=info.upc_ean, catalog=info.catalog)
    job = RenderJob(tracks=tracks, album=album, revision=revision.number, streaming_rate_hz=info.streaming_rate_hz)
    return render(job, list(info.targets), staging / "deliverables")


def _report_data(session: Session, revision: RevisionFile, rig: Rig, record: Any, readiness: Any,
                 recalls: dict[str, Any], album_reports: dict[str, Any], sources: list[_Source],
                 captures: dict[str, dict[str, Any]], rendered: Any, fingerprint: Any, staging: Path) -> dict[str, Any]:
    """The dict of the print -> report hand-off (docs/DESIGN.md)."""
    per_target = _relative(rendered.per_target, staging)
    ordered = sorted(sources, key=lambda s: s.position)
    tracks = []
    for s in ordered:
        cap = captures[s.track.id]
        tracks.append({
            "track_id": s.track.id, "position": s.position, "title": s.track.title,
            "capture": _relative(cap["path"], staging), "source": str(session.source_path(s.track)),
            "source_sha256": s.sha256, "pilot": cap["pilot"],
            "measurements": {"source": analyze(s.original, s.original_rate).to_dict(),
                             "capture": analyze(cap["audio"], cap["rate"]).to_dict()},
        })
    return {
        "session": {"dir": str(session.folder), "title": session.info.title, "artist": session.info.artist},
        "revision": {"number": revision.number, "note": revision.note, "author": revision.author,
                     "created_at": revision.created_at, "units": revision.units,
                     "finishing": revision.finishing.model_dump(),
                     "tracks": {k: v.model_dump(exclude_none=True) for k, v in revision.tracks.items()}},
        "rig": {"name": rig.name, "file": session.info.rig.path or "(embedded sim-studio)"},
        "calibration": {**record.to_dict(), "recalibrated": readiness.recalibrated,
                        "check": None if readiness.check is None else readiness.check.describe()},
        "recall": {name: {k: v for k, v in rep.items() if k != "sheet"} for name, rep in recalls["album"].items()},
        "recall_tracks": {k: v for k, v in recalls.items() if k != "album"},
        "recall_sheets": {name: rep.sheet.text() for name, rep in album_reports.items() if rep.sheet is not None},
        "tracks": tracks,
        "deliverables": per_target,
        "album": _album(session, ordered, per_target, staging, captures),
        "fingerprint": {"file": FINGERPRINT, "measured_at": fingerprint.measured_at,
                        "bands": len(fingerprint.freqs_hz), "thd_pct_at_1khz": [round(v, 4) for v in fingerprint.thd_pct],
                        "gain_reduction_db": dict(zip([f"{lvl:+.0f} dBFS" for lvl in fingerprint.levels_dbfs],
                                                      fingerprint.gain_reduction_db[0]))},
        "software": _software(),
    }


def _album(session: Session, ordered: list[_Source], per_target: dict[str, Any], staging: Path,
           captures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The album view on the first deliverable target (what a listener gets), read back from the files."""
    targets = list(per_target)
    stage = "streaming" if "streaming" in targets else (targets[0] if targets else "capture")
    album_tracks = []
    entries = {str(e.get("track_id")): e for e in (per_target.get(stage, {}).get("tracks") or [])}
    for s in ordered:
        entry = entries.get(s.track.id)
        if entry and entry.get("path"):
            audio, rate = sf.read(str(staging / entry["path"]), dtype="float64", always_2d=True)
        else:
            audio, rate = captures[s.track.id]["audio"], captures[s.track.id]["rate"]
        album_tracks.append(AlbumTrack(s.track.id, s.track.title, s.track.gap_before_frames, audio, int(rate)))
    view = album_view(album_tracks, stage)
    printed = [s.track.id for s in ordered]
    view["partial"] = len(printed) < len(session.info.tracks)
    view["printed_tracks"] = printed
    return view


def _provenance(session: Session, revision: RevisionFile, rig: Rig, record: Any, readiness: Any,
                recalls: dict[str, Any], sources: list[_Source], captures: dict[str, dict[str, Any]],
                started_at: str, notes: list[str]) -> dict[str, Any]:
    """print.json: everything needed to say later exactly what this print was made from and with."""
    rig_file = Path(session.info.rig.path) if session.info.rig.path else None
    from devices.rig import default_rig_path

    rig_now = sha256_file(rig_file or default_rig_path())
    return {
        "format": PRINT_FORMAT,
        "started_at": started_at,
        "finished_at": now_utc(),
        "operator": f"{_user()}@{socket.gethostname()}",
        "session": {"dir": str(session.folder), "title": session.info.title,
                    "session_yaml_sha256": sha256_file(session.file)},
        "revision": {"number": revision.number, "file": f"revisions/{revision.number:04d}.yaml",
                     "sha256": session.revision_sha256(revision.number), "note": revision.note},
        "rig": {"name": rig.name, "file": str(rig_file) if rig_file else "(embedded sim-studio)",
                "sha256": rig_now, "sha256_at_session": session.info.rig.sha256,
                "changed_since_session": rig_now != session.info.rig.sha256},
        "calibration": {"record": record.to_dict(), "recalibrated": readiness.recalibrated,
                        "check": None if readiness.check is None else {
                            "ok": readiness.check.ok, "latency_drift_samples": readiness.check.latency_drift_samples,
                            "level_drift_db": readiness.check.level_drift_db}},
        # what the units said they were at (read back over the wire), else what was sent
        "recalled": {key: {unit: rep["read_back"] if rep.get("read_back") is not None else rep["sent"]
                           for unit, rep in reports.items()} for key, reports in recalls.items()},
        "recall_verified": {key: {unit: rep.get("verified", False) for unit, rep in reports.items()}
                            for key, reports in recalls.items()},
        "inputs": {s.track.id: {"path": str(session.source_path(s.track)), "sha256": sha256_file(session.source_path(s.track)),
                                "sha256_at_session": s.sha256, "sample_rate": s.original_rate,
                                "frames": int(s.original.shape[0])} for s in sources},
        "tracks": [{"track_id": s.track.id, "position": s.position, "settings": revision.settings_for(s.track.id),
                    "finishing": revision.finishing_for(s.track.id).model_dump(), "pilot": captures[s.track.id]["pilot"]}
                   for s in sorted(sources, key=lambda s: s.position)],
        "targets": list(session.info.targets),
        "notes": notes,
        "software": _software(),
    }


def _software() -> dict[str, str]:
    import numpy
    import scipy

    return {"hybrid": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "soundfile": sf.__version__, "libsndfile": sf.__libsndfile_version__,
            "platform": platform.platform(), "argv": " ".join(sys.argv[:1])}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _relative(value: Any, base: Path) -> Any:
    """Paths inside the staging folder as paths relative to the print folder (they survive the rename)."""
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        prefix = str(base) + "/"
        return value[len(prefix):] if value.startswith(prefix) else value
    if isinstance(value, dict):
        return {k: _relative(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_relative(v, base) for v in value]
    return value
