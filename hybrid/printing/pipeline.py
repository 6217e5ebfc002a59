"""The print: recall the revision, check calibration, play each track through the chain and record it,
align and level-compensate, fingerprint the chain, render the deliverables, report, seal the folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from calibration import compensate, ensure, pilot, store
from calibration.fingerprint import Fingerprint, measure_fingerprint
from calibration.record import CalibrationRecord
from devices.audio.base import AudioInterface
from devices.errors import CalibrationError, ConfigError, WriteError
from devices.paths import write_json_atomic, writing
from devices.recall_sheet import RecallSheet
from devices.profile import PASS_THROUGH
from devices.rig import Rig
from dsp.meter import analyze
from dsp.resample import resample
from hybrid.audiofile import read_audio, scan_audio
from hybrid.errors import DeliverableError
from hybrid.errors import SessionError
from hybrid.interrupts import Interrupted, checkpoint
from hybrid.printing.folders import (
    CAPTURES,
    PROVENANCE,
    capture_name,
    discard,
    fingerprint_name,
    next_print_dir,
    seal,
    staging_dir,
)
from hybrid.printing.provenance import Source, provenance, report_data
from hybrid.progress import Progress
from hybrid.session import Session, UnitCatalog, open_session, session_lock, session_rig
from hybrid.session.create import rig_ref
from hybrid.session.model import RevisionFile, Track
from hybrid.session.store import now_utc, sha256_file

PILOT_RETRIES = 1  # a capture whose pilots disagree is played once more before the print stops
# A fingerprint is measured from a chain at rest, as `hybrid verify` finds it later: right after a
# track or another fingerprint's -6 dBFS tone, a compressor is still releasing (the bus compressor's
# auto release has a 1.2 s slow stage: 3 s of rest still leave 0.1 dB, 8 s under 0.002 dB)
CHAIN_REST_S = 8.0
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
    strict: bool = False  # refuse a mix whose evaluation finds a problem (clipping, clicks...) before it plays


@dataclass
class PrintOutcome:
    """A sealed print: where it is and every file it wrote."""

    folder: Path
    revision: int
    track_ids: list[str]
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def print_revision(request: PrintRequest, *, say: Say = lambda _: None, bar: Progress | None = None) -> PrintOutcome:
    """Print one revision of a session into a new prints/rNNNN-KK/ folder (see the module docstring)."""
    session = open_session(request.session_dir)
    with session_lock(session.folder, "print"):
        return _print_locked(session, request, say, bar)


def _print_locked(session: Session, request: PrintRequest, say: Say, bar: Progress | None) -> PrintOutcome:
    revision = session.revision(request.revision)
    rig = session_rig(session)
    _checked_catalog(session, revision, rig)  # refuses a revision whose units the rig does not have
    tracks = session.resolve_tracks(request.tracks)
    source_notes, found = _check_sources(session, tracks, request.allow_changed_sources)
    rig_notes, rig_sha256 = _check_rig(session)
    notes = source_notes + rig_notes
    sources = _load_sources(session, tracks, rig, found)
    for note in notes:  # said once every input is known to be usable
        say(f"note: {note}")
    rig = _rig_at_print_rate(rig, sources, say, notes)
    for line in _rate_plan(session, rig, sources):  # every conversion, said before anything plays
        say(f"sample rate: {line}")
        notes.append(f"sample rate: {line}")
    evaluations = _evaluate_mixes(sources, say, request.strict)

    final = next_print_dir(session.prints_dir, revision.number)
    staging: Path | None = None
    done: list[str] = []
    stage = "recall"
    started_at = now_utc()
    try:
        # made inside the try that removes it: an interrupt cannot fall between the two
        staging = staging_dir(session.prints_dir, final)
        checkpoint()
        say(f"printing revision {revision.number} ({revision.note or 'no note'}) into {final.name}")
        from devices.station import open_station

        with open_station(rig, confirm_manual=request.confirm_manual) as station:
            pass_through = station.pass_through()
            for name in pass_through:  # said before anything plays: this print does not hear that unit
                line = (f"unit {name!r}: {PASS_THROUGH}; its profile has no sim: section, "
                        "so the simulated rig passes its audio unchanged")
                say(f"note: {line}")
                notes.append(line)
            stage = "calibration"
            # the loop is calibrated (and checked) as `hybrid calibrate` measures it: every unit on its
            # hard bypass where it has one, at neutral where it has none
            say("recalling every unit to bypass for the calibration check")
            station.recall_bypass()
            readiness = ensure(station.interface, rig.name, rig.calibration, key=store.rig_key(rig),
                               rig_ref=rig_ref(session))
            record = readiness.record
            # ensure() leaves check None only when it measured a new record (recalibrated)
            check = readiness.check.describe() if readiness.check is not None else ""
            say("calibration: " + ("measured and stored" if readiness.recalibrated and readiness.check is None
                                   else "re-measured (the loop had drifted: " + check + ")"
                                   if readiness.recalibrated else "stored record holds (" + check + ")"))
            _advance(bar)
            stage = "recall"
            say(f"recalling revision {revision.number} over the wires")
            album_reports = station.recall(revision.units)
            recalls: dict[str, Any] = {"album": _reports(album_reports)}
            _advance(bar)
            stage = "fingerprint"
            say("measuring the chain's fingerprint")
            fingerprint = measure_at_rest(station.interface, record)
            _store_fingerprint(staging, revision.number, revision.units, record, fingerprint)
            _advance(bar)
            on_gear = revision.units
            captures: dict[str, dict[str, Any]] = {}
            track_fingerprints: dict[str, str] = {}
            measured: dict[str, Any] = {}  # a fingerprint per distinct track setting, by _settings_key
            # tracks with the album's settings first: the gear is recalled once per distinct setting
            for source in sorted(sources, key=lambda s: s.track.id in revision.tracks):
                settings = revision.settings_for(source.track.id)
                if settings != on_gear:
                    stage = "recall"
                    say(f"recalling the overrides of track {source.track.id}")
                    # only the units whose settings differ: a hand-set unit the track does not
                    # touch is not put in front of the engineer again
                    moved = {unit: values for unit, values in settings.items() if values != on_gear.get(unit)}
                    recalls[source.track.id] = _reports(station.recall(moved))
                    on_gear = settings
                share = 1.0  # of this track's progress step
                if settings != revision.units:
                    # the state the client approved for this track, kept so `hybrid verify --track` can prove it
                    key = _settings_key(settings)
                    if key not in measured:
                        stage = f"fingerprint of track {source.track.id}"
                        say(f"measuring the chain's fingerprint with the overrides of track {source.track.id}")
                        measured[key] = measure_at_rest(station.interface, record)
                        # the bar's total is counted before the revision is read (steps): the
                        # track's step is shared between its fingerprint and its capture
                        share = 0.5
                        _advance(bar, share)
                    track_fingerprints[source.track.id] = _store_fingerprint(
                        staging, revision.number, settings, record, measured[key], source.track.id)
                stage = f"capture of track {source.track.id}"
                checkpoint()
                say(f"track {source.position} {source.track.title}: playing through the chain")
                captures[source.track.id] = _capture(station.interface, source, record, rig, staging, rig_ref(session))
                done.append(source.track.id)
                _advance(bar, share)
        stage = "deliverables"
        say("rendering deliverables: " + ", ".join(session.info.targets))
        rendered = _render(session, revision, sources, staging)
        _advance(bar)
        stage = "report"
        say("writing the report (measurements, album view, plots)")
        data = report_data(session, revision, rig, record, readiness, recalls, album_reports, sources,
                            captures, rendered, fingerprint, staging, track_fingerprints, pass_through)
        data["qc"] = evaluations  # measured before the print played; the report shows the same findings
        from hybrid.report import write_report

        write_report(staging, data)
        write_json_atomic(staging / PROVENANCE, provenance(session, revision, rig, record, readiness, recalls,
                                                             sources, captures, started_at, notes, rig_sha256))
        _advance(bar)
        stage = "seal"
        say("sealing: manifest of SHA-256 hashes, then the folder moves into place")
        folder = seal(staging, final)
    except KeyboardInterrupt as exc:
        if staging is not None:
            discard(staging)
        signal_name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
        missing = [s.track.id for s in sources if s.track.id not in done]
        raise PrintInterrupted(
            f"print of revision {revision.number} interrupted ({signal_name}) during the {stage}: captured "
            f"{len(done)} of {len(sources)} track(s)" + (f" ({', '.join(done)})" if done else "")
            + "; not finished: " + ", ".join(([f"capture of {', '.join(missing)}"] if missing else [])
                                             + ["deliverables", "report", "manifest"])
            + "; nothing of this print was kept, the session and its earlier prints are intact") from None
    except WriteError as exc:  # named by the print folder the file was for, not the hidden one
        if staging is not None:
            discard(staging)
            raise exc.moved(staging, final) from None
        raise
    except BaseException:
        if staging is not None:
            discard(staging)
        raise
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    return PrintOutcome(folder, revision.number, [s.track.id for s in sources], paths, notes)


def _advance(bar: Progress | None, amount: float = 1.0) -> None:
    """A step is done: show it, then stop here if Ctrl-C or SIGTERM came during it."""
    if bar is not None:
        bar.advance(amount)
    checkpoint()


def steps(track_count: int) -> int:
    """Progress steps of a print: calibration, recall, fingerprint, each track (with its own settings'
    recall and fingerprint, when it has overrides), render, report."""
    return 5 + track_count


def rest_chain(interface: AudioInterface) -> None:
    """CHAIN_REST_S of silence through the loop, so that no unit's envelope left over from what was
    played before (a compressor's auto release after the fingerprint's tones or the last track) is
    in what is played next: every capture and fingerprint meets the chain as a fresh station would,
    and printing a revision again gives the same capture."""
    interface.playrec(np.zeros((round(CHAIN_REST_S * interface.sample_rate), interface.channels)))


def measure_at_rest(interface: AudioInterface, record: CalibrationRecord) -> Fingerprint:
    """The chain's fingerprint measured after rest_chain()."""
    rest_chain(interface)
    return measure_fingerprint(interface, record)


def _settings_key(settings: dict[str, dict[str, Any]]) -> str:
    """One text per distinct setting of the gear, whatever order its units and controls are listed in."""
    return json.dumps(settings, sort_keys=True)


def _store_fingerprint(staging: Path, revision: int, settings: dict[str, dict[str, Any]],
                       record: CalibrationRecord, fingerprint: Fingerprint, track_id: str | None = None) -> str:
    """Write a fingerprint into the print (before the seal, so the manifest holds it) with the settings
    the gear held while it was measured; returns the file's name."""
    name = fingerprint_name(track_id)
    head: dict[str, Any] = {"revision": revision} if track_id is None else {"revision": revision, "track": track_id}
    write_json_atomic(staging / name, {**head, "settings": settings, "calibration_measured_at": record.measured_at,
                                       **fingerprint.to_dict()})
    return name


def _checked_catalog(session: Session, revision: RevisionFile, rig: Rig) -> UnitCatalog:
    """Every stored setting must be one the rig's units can take: checked before the gear is touched."""
    path = session.revision_path(revision.number)
    catalog = UnitCatalog(rig, source=path)
    catalog.check(revision.units, "units")
    catalog.require_every_unit(revision.units)
    ids = [t.id for t in session.info.tracks]
    for track_id, override in revision.tracks.items():
        if track_id not in ids:
            raise ConfigError(path, f"tracks.{track_id}", track_id, f"the session's tracks are {', '.join(ids)}")
        catalog.check(override.units, f"tracks.{track_id}.units")
    return catalog


def _check_sources(session: Session, tracks: list[Track], allow_changed: bool) -> tuple[list[str], dict[str, str]]:
    """A missing mix stops the print; a changed one is said before anything is played.

    Returns the notes and each track's SHA-256 as found now (the mix that will be printed)."""
    notes = []
    changed = []
    found: dict[str, str] = {}
    for check in session.check_sources([t.id for t in tracks]):
        if check.found_sha256 is None:
            raise ConfigError(check.path, f"tracks.{check.track_id}.source", str(check.path), check.problem
                              + "; put the mix back where the session says, or make a new session")
        if not check.ok:
            changed.append(f"{check.track_id} ({check.path}: SHA-256 {check.found_sha256[:12]}..., "
                           f"was {check.expected_sha256[:12]}...)")
        found[check.track_id] = check.found_sha256
    if changed and not allow_changed:
        raise SessionError("the mix changed since the session was made: " + "; ".join(changed)
                           + "; print with --allow-changed-sources to print the new mix anyway")
    notes += [f"printed a changed mix: {c}" for c in changed]
    return notes, found


def _check_rig(session: Session) -> tuple[list[str], str]:
    """A rig file edited since the session was made is printed with, and said (print.json keeps both hashes).

    Returns the notes and the rig file's SHA-256 as found now."""
    from devices.rig import default_rig_path

    path = Path(session.info.rig.path) if session.info.rig.path else default_rig_path()
    now = sha256_file(path)
    if now != session.info.rig.sha256:
        return [f"the rig file {path} changed since the session was made (its routing, units or calibration "
                "policy may differ)"], now
    return [], now


def _load_sources(session: Session, tracks: list[Track], rig: Rig, found: dict[str, str]) -> list[Source]:
    """Check every mix before the gear is touched: readable audio, mono or one channel per send."""
    sends = len(rig.interface.send_channels)
    positions = {t.id: n for n, t in enumerate(session.info.tracks, 1)}
    out = []
    for track in tracks:
        path = session.source_path(track)
        # the whole mix through the door before the gear is touched (a session made before the door
        # was this strict may hold a mix it refuses now)
        info = scan_audio(path, f"tracks.{track.id}.source")
        if info.channels not in (1, sends):
            raise ConfigError(path, f"tracks.{track.id}.channels", info.channels,
                              f"the rig sends {sends} channel(s); a mix must be mono or {sends} channels")
        out.append(Source(track, positions[track.id], path, track.sha256, info.rate_hz, info.frames,
                          info.channels, found[track.id]))
    return out


def _evaluate_mixes(sources: list[Source], say: Say, strict: bool) -> dict[str, Any]:
    """The mix evaluation of every source, said before anything plays: a clipped or clicking mix is
    news for the client before the gear's time is spent on it. With strict, a problem refuses the print.
    Keyed by the report's track label (the report shows these findings, measured once)."""
    from hybrid.mix_evaluation import evaluate
    from hybrid.report.summary import track_label

    found: dict[str, Any] = {}
    refused = []
    for source in sources:
        audio, rate = read_audio(source.path, f"track {source.track.id}")
        evaluation = evaluate(audio, rate, name=source.track.title)
        label = track_label({"track_id": source.track.id, "title": source.track.title, "position": source.position})
        found[label] = evaluation.to_dict()
        problems = [f for f in evaluation.findings if f.severity == "problem"]
        for finding in problems:
            say(f"mix check: track {source.position} {source.track.title}: [problem] {finding.message}")
        if problems:
            refused.append(f"track {source.position} {source.track.title} ({', '.join(f.code for f in problems)})")
            if not strict:
                say(f"mix check: track {source.position} {source.track.title}: {evaluation.verdict} "
                    "Printing it as it is (--strict refuses).")
    if strict and refused:
        raise SessionError(f"the mix check found problems in {'; '.join(refused)}: not printed (--strict); "
                           "run `hybrid qc` on the mix for the details, or print without --strict")
    return found


def _read_mix(source: Source, rate: int, sends: int) -> tuple[np.ndarray, np.ndarray]:
    """The mix as sent (interface rate, one column per send) and as it is (for its own measurements)."""
    original, _ = read_audio(source.path, f"track {source.track.id}")
    audio = original if source.rate == rate else resample(original, source.rate, rate)
    if audio.shape[1] == 1 and sends > 1:
        audio = np.repeat(audio, sends, axis=1)
    return audio, original


def _reports(reports: dict[str, Any]) -> dict[str, Any]:
    return {name: report.to_dict() for name, report in reports.items()}


def _capture(interface: AudioInterface, source: Source, record: CalibrationRecord, rig: Rig, staging: Path,
             ref: str) -> dict[str, Any]:
    """Play one track with its pilots, check them, align and level-compensate, store the float capture."""
    rate = int(interface.sample_rate)
    audio, original = _read_mix(source, rate, interface.channels)
    # A mono mix plays on both sends (dual mono), so it is heard 3 dB louder than its one channel
    # measures (BS.1770 sums the channels' power); measured as it plays, the source row compares
    # with the capture (it jumped +2.3 LU at capture), as ffmpeg's ebur128 dualmono=true does.
    dual_mono = original.shape[1] == 1 and audio.shape[1] > 1
    played = np.repeat(original, audio.shape[1], axis=1) if dual_mono else original
    source_analysis = analyze(played, source.rate).to_dict()
    if dual_mono:
        source_analysis["measured_as"] = "dual mono"
    del original, played
    tail_s = max(record.channel_latencies()) / rate + 0.25
    send, layout = pilot.wrap(audio, rate, tail_s=tail_s)
    del audio
    for attempt in range(PILOT_RETRIES + 1):
        rest_chain(interface)
        raw = interface.playrec(send)
        check = pilot.check(raw, layout, record, rig.calibration)
        if check.ok:
            break
        if attempt == PILOT_RETRIES:
            raise CalibrationError(f"track {source.track.id}: {check.describe()}, twice; the loop is not stable: "
                                   f"run `hybrid calibrate --rig {ref}` and print again")
    programme = layout.extract(compensate(raw, record))
    path = staging / CAPTURES / capture_name(source.position, source.track.id)
    with writing(path, programme.shape[0] * programme.shape[1] * 4 + 4096):  # float32 and the WAV header
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), programme.astype(np.float32), rate, subtype="FLOAT")
    return {"path": path, "rate": rate, "source_analysis": source_analysis, "analysis": analyze(programme, rate).to_dict(),
            "pilot": {"ok": check.ok, "drift_samples": round(check.drift_samples, 4),
                      "offset_from_record_samples": round(check.offset_from_record_samples, 4),
                      "attempts": attempt + 1}}


def _rig_at_print_rate(rig: Rig, sources: list[Source], say: Say, notes: list[str]) -> Rig:
    """The rig run at the mixes' own rate when they share one its interface lists (other_rates_hz)."""
    from hybrid.deliver.rates import khz, print_rate_hz

    rate = print_rate_hz([s.rate for s in sources], rig.interface.rates_hz())
    if rate == rig.interface.sample_rate:
        return rig
    line = (f"sample rate: printing at {khz(rate)} kHz, the mixes' own rate (the interface runs it; "
            f"its default is {khz(rig.interface.sample_rate)} kHz)")
    say(line)
    notes.append(line)
    return rig.at_rate(rate)


def _rate_plan(session: Session, rig: Rig, sources: list[Source]) -> list[str]:
    """What converts where on the way from each mix to each target's files; a hi-res target the rig's
    rate could only fill by upsampling is refused here, before anything plays."""
    from hybrid.deliver.rates import plan_lines, upsampled_hires

    print_hz = int(rig.interface.sample_rate)
    delivery = session.info.delivery
    targets = list(session.info.targets)
    if "hires" in targets and (why := upsampled_hires(print_hz, delivery.hires.rate_hz)):
        raise DeliverableError(f"{session.file}: delivery.hires: {why}")
    ordered = sorted(sources, key=lambda s: s.position)
    return plan_lines([(f"track {s.position} '{s.track.title}'", s.rate) for s in ordered], print_hz, targets,
                      streaming_rate_hz=delivery.streaming.rate_hz, hires_rate_hz=delivery.hires.rate_hz)


def _render(session: Session, revision: RevisionFile, sources: list[Source], staging: Path) -> Any:
    from hybrid.deliver import render
    from hybrid.deliver.from_session import render_job, track_master

    tracks = [track_master(session, revision, s.position, s.track, staging / CAPTURES / capture_name(s.position, s.track.id),
                           mix_rate_hz=s.rate) for s in sorted(sources, key=lambda s: s.position)]
    return render(render_job(session, revision, tracks), list(session.info.targets), staging / "deliverables")


