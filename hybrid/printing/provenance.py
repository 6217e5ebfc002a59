"""What a print says about itself: the data of its report (the print -> report hand-off) and print.json."""

from __future__ import annotations

import getpass
import platform
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf

from devices.profile import PASS_THROUGH
from devices.rig import Rig
from hybrid import __version__
from hybrid.printing.folders import FINGERPRINT
from hybrid.session.album import AlbumTrack, album_view
from hybrid.session.model import RevisionFile, Track
from hybrid.session.store import Session, now_utc, sha256_file

PRINT_FORMAT = 1


@dataclass
class Source:
    """One mix as the print will play it: checked up front, read from disk only when its turn comes."""

    track: Track
    position: int
    path: Path
    sha256: str  # as the session recorded it
    rate: int  # the mix's own sample rate
    frames: int
    channels: int
    found_sha256: str  # as session.check_sources found it before the print: the mix printed


def report_data(session: Session, revision: RevisionFile, rig: Rig, record: Any, readiness: Any,
                 recalls: dict[str, Any], album_reports: dict[str, Any], sources: list[Source],
                 captures: dict[str, dict[str, Any]], rendered: Any, fingerprint: Any, staging: Path,
                 track_fingerprints: dict[str, str] | None = None,
                 pass_through: list[str] | None = None) -> dict[str, Any]:
    """The dict of the print -> report hand-off (docs/DESIGN.md); track_fingerprints names the file of
    each printed track measured with its own overrides; pass_through the simulated units with no sound
    model (their row in the report says so)."""
    per_target = relative(rendered.per_target, staging)
    ordered = sorted(sources, key=lambda s: s.position)
    tracks = []
    for s in ordered:
        cap = captures[s.track.id]
        tracks.append({
            "track_id": s.track.id, "position": s.position, "title": s.track.title,
            "capture": relative(cap["path"], staging), "source": str(session.source_path(s.track)),
            "source_sha256": s.found_sha256, "pilot": cap["pilot"],
            "measurements": {"source": cap["source_analysis"], "capture": cap["analysis"]},
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
        "recall": {name: {k: v for k, v in rep.items() if k != "sheet"}
                   | ({"notes": [*rep.get("notes", []), PASS_THROUGH]} if name in (pass_through or ()) else {})
                   for name, rep in recalls["album"].items()},
        "recall_tracks": {k: v for k, v in recalls.items() if k != "album"},
        "recall_sheets": {name: rep.sheet.text() for name, rep in album_reports.items() if rep.sheet is not None},
        "tracks": tracks,
        "deliverables": per_target,
        "album": _album(session, ordered, per_target, staging, captures),
        "since_last_print": since_last_print(session, revision, rig, [s.track.id for s in ordered]),
        "fingerprint": {"file": FINGERPRINT, "measured_at": fingerprint.measured_at,
                        "bands": len(fingerprint.freqs_hz), "thd_pct_at_1khz": [round(v, 4) for v in fingerprint.thd_pct],
                        "gain_reduction_db": dict(zip([f"{lvl:+.0f} dBFS" for lvl in fingerprint.levels_dbfs],
                                                      fingerprint.gain_reduction_db[0])),
                        "tracks": dict(track_fingerprints or {})},
        "software": _software(),
    }


def _album(session: Session, ordered: list[Source], per_target: dict[str, Any], staging: Path,
           captures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The album view on the first deliverable target (what a listener gets), read back from the files."""
    targets = list(per_target)
    stage = "streaming" if "streaming" in targets else (targets[0] if targets else "capture")
    entries = {str(e.get("track_id")): e for e in (per_target.get(stage, {}).get("tracks") or [])}
    here = {s.track.id: (staging / entries[s.track.id]["path"] if entries.get(s.track.id, {}).get("path")
                         else captures[s.track.id]["path"]) for s in ordered}
    # A print of some tracks is still heard as the album: the others come from the newest earlier
    # print that holds them at the same stage (a one-track reprint's report showed that track alone).
    earlier = _earlier_files(session, stage, [t.id for t in session.info.tracks if t.id not in here])
    album_tracks, origin = [], {}
    for track in session.info.tracks:
        if track.id in here:
            path, origin[track.id] = here[track.id], "this print"
        elif track.id in earlier:
            path, origin[track.id] = earlier[track.id]
        else:
            continue
        # one track in memory at a time: a whole album of float audio would not fit
        audio, rate = sf.read(str(path), dtype="float64", always_2d=True)
        album_tracks.append(AlbumTrack.measure(track.id, track.title, track.gap_before_frames, audio, int(rate)))
        del audio
    view = album_view(album_tracks, stage)
    for row in view.get("tracks", []):
        row["from_print"] = origin[row["track_id"]]
    printed = [s.track.id for s in ordered]
    view["partial"] = len(printed) < len(session.info.tracks)
    view["printed_tracks"] = printed
    return view


def _earlier_files(session: Session, stage: str, track_ids: list[str]) -> dict[str, tuple[Path, str]]:
    """For tracks this print left out: the file of the stage in the newest earlier print that has it."""
    import json

    from hybrid.printing.folders import prints_of

    found: dict[str, tuple[Path, str]] = {}
    for folder in reversed(prints_of(session.prints_dir)):
        if len(found) == len(track_ids):
            break
        try:
            data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        tracks = ((data.get("deliverables") or {}).get(stage) or {}).get("tracks") or []
        for entry in tracks:
            track_id = str(entry.get("track_id")) if isinstance(entry, dict) else ""
            if track_id in track_ids and track_id not in found and entry.get("path"):
                path = folder / str(entry["path"])
                if path.is_file():
                    found[track_id] = (path, folder.name)
    return found


def since_last_print(session: Session, revision: RevisionFile, rig: Rig, printed: list[str]) -> dict[str, Any] | None:
    """What changed since the newest earlier print: its revision against this one, in the studio's
    words, and which tracks this print made again; None for a session's first print."""
    from hybrid.session.diff import diff_revisions
    from hybrid.printing.folders import prints_of
    from hybrid.session.settings import UnitCatalog

    earlier = prints_of(session.prints_dir)
    if not earlier:
        return None
    last = earlier[-1]
    number = int(last.name[1:5])
    try:
        before = session.revision(number)
        changes = [str(c) for c in diff_revisions(before, revision, UnitCatalog(rig).show)]
    except Exception as exc:  # a revision the rig no longer knows: say so rather than fail the print
        changes = [f"(not compared: {exc})"]
    return {"print": last.name, "revision": number, "changes": changes, "printed_again": printed}


def provenance(session: Session, revision: RevisionFile, rig: Rig, record: Any, readiness: Any,
                recalls: dict[str, Any], sources: list[Source], captures: dict[str, dict[str, Any]],
                started_at: str, notes: list[str], rig_now: str) -> dict[str, Any]:
    """print.json: everything needed to say later exactly what this print was made from and with.

    `rig_now` is the rig file's SHA-256 as the print's up-front check found it."""
    rig_file = Path(session.info.rig.path) if session.info.rig.path else None
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
        "inputs": {s.track.id: {"path": str(session.source_path(s.track)), "sha256": s.found_sha256,
                                "sha256_at_session": s.sha256, "sample_rate": s.rate,
                                "frames": s.frames} for s in sources},
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


def relative(value: Any, base: Path) -> Any:
    """Paths inside the staging folder as paths relative to the print folder (they survive the rename)."""
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        prefix = str(base) + "/"
        return value[len(prefix):] if value.startswith(prefix) else value
    if isinstance(value, dict):
        return {k: relative(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [relative(v, base) for v in value]
    return value
