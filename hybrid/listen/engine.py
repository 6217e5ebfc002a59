"""The listening engine: a track (or a loop of it) out through the chain, the return on the monitors,
A/B against the mix, a print or a reference matched in time and level, and live control."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibration import ensure, store
from calibration.record import CalibrationRecord
from devices.errors import ConfigError, HybridError
from devices.recall_sheet import RecallSheet
from devices.rig import SimInterfaceConfig
from hybrid.listen.align import Alignment
from hybrid.listen.control import ControlMove, LiveControl
from hybrid.listen.feed import CHECKS, Controls, Feed
from hybrid.listen.material import SOURCES, LoopRegion, Material, find_print, load_material
from hybrid.listen.sinks import FileSink, Tap
from hybrid.listen.state import ListenState, SourceState

Listener = Callable[[str, dict[str, Any]], None]
# how often the engine's own thread looks at the feed (a finished loop pass to measure, events)
_HOUSEKEEPING_S = 0.05


@dataclass(frozen=True)
class ListenOptions:
    """How to start listening (every field has the CLI's default)."""

    track: str | None = None  # id or 1-based position; None = the first track
    start_s: float | None = None
    end_s: float | None = None
    loop: bool = True
    revision: int | None = None  # the settings recalled; None = the latest revision
    reference: Path | None = None
    monitor_file: Path | None = None
    tap: bool = False  # hand the monitor feed to the caller (engine.tap)
    match: bool = True
    realtime: bool = True  # False: the simulated rig runs as fast as it can (tests, renders)
    recalibrate: bool = False  # measure the loop again even when the stored record holds
    confirm_manual: Callable[[RecallSheet], bool] | None = None  # the opening recall's sheets


class ListenEngine:
    """One listening session on a session folder's rig (see /work/notes/LISTEN-API.md).

    Threads: the stream's audio thread runs the Feed; the engine's housekeeping thread measures a
    finished loop pass and hands events to listeners; every public method may be called from any
    other thread (a lock orders them). Bad input raises a HybridError (ConfigError) and changes
    nothing: the audio keeps playing.
    """

    # set by open() (the engine is made only there)
    options: ListenOptions
    session: Any
    revision: Any
    rig: Any
    catalog: Any
    track: Any
    position: int
    rate: int
    block_size: int
    channels: int
    station: Any
    record: CalibrationRecord
    alignment: Alignment
    track_frames: int
    lufs: dict[str, float | None]
    labels: dict[str, str]
    match: bool
    feed: Feed
    tap: Tap | None
    file_sink: FileSink | None
    stream: Any
    control: LiveControl
    _user_confirm: Callable[[RecallSheet], bool] | None

    def __init__(self) -> None:  # use ListenEngine.open
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._events: list[tuple[int, str, dict[str, Any]]] = []
        self._closed = False

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, session_dir: str | Path, options: ListenOptions | None = None) -> "ListenEngine":
        """Recall the revision for the track, check calibration, start the stream and play."""
        from devices.station import open_station
        from hybrid.session import UnitCatalog, open_session, session_rig

        self = cls()
        options = options or ListenOptions()
        self.options = options
        self.session = open_session(session_dir)
        self.revision = self.session.revision(options.revision)
        self.rig = session_rig(self.session)
        self.catalog = UnitCatalog(self.rig, source=self.session.revision_path(self.revision.number))
        self.catalog.check(self.revision.units, "units")
        self.track = self.session.resolve_tracks([options.track] if options.track else None)[0]
        self.position = [t.id for t in self.session.info.tracks].index(self.track.id) + 1
        interface = self.rig.interface
        self.rate, self.block_size = int(interface.sample_rate), int(interface.block_size)
        self.channels = len(interface.send_channels)
        mix = load_material("source", f"mix {self.session.source_path(self.track).name}",
                            self.session.source_path(self.track), self.rate, self.channels, f"track {self.track.id}")
        region = LoopRegion.from_seconds(options.start_s, options.end_s, mix.audio.shape[0], self.rate, "--from/--to")
        self._user_confirm = options.confirm_manual
        self.station = open_station(self.rig, confirm_manual=self._confirm)
        try:
            self.record = self._calibration(options.recalibrate)
            settings = self.revision.settings_for(self.track.id)
            self.station.recall(settings)
            self._start(mix, region, settings)
        except BaseException:
            sink = getattr(self, "file_sink", None)
            if sink is not None:
                sink.discard()  # no half monitor file from a start that failed
            self.close()
            raise
        if options.reference is not None:
            try:
                self.load_reference(options.reference)
            except BaseException:
                self.close()
                raise
        return self

    def _confirm(self, sheet: RecallSheet) -> bool:
        if getattr(self, "control", None) is not None and self.control.confirming:
            return True  # the engineer confirmed this one-row sheet (engine.confirm)
        if self._user_confirm is None:
            return False
        return bool(self._user_confirm(sheet))

    def _calibration(self, recalibrate: bool) -> CalibrationRecord:
        """The record to line up with: measured on bypass as a print checks it (stored, or new)."""
        interface = self.station.interface
        self.station.recall_bypass()
        if recalibrate:
            from calibration.measure import measure

            record = measure(interface, rig_name=self.rig.name)
            store.save(record)
            return record
        return ensure(interface, self.rig.name, self.rig.calibration).record

    def _start(self, mix: Material, region: LoopRegion, settings: dict[str, dict[str, Any]]) -> None:
        from devices.audio import open_stream

        self.alignment = Alignment.from_record(self.record)
        self.track_frames = mix.audio.shape[0]
        self.lufs: dict[str, float | None] = {"source": mix.region_lufs(region, self.rate, self.track_frames),
                                              "chain": None}
        self.labels = {"source": mix.label, "chain": "the chain's return"}
        self._controls = Controls(region, looping=self.options.loop)
        self.match = self.options.match
        self.feed = Feed(self.alignment, self.rate, self.block_size, mix, self._controls)
        self.tap = Tap(wait=not self.options.realtime) if self.options.tap else None
        self.file_sink = FileSink(self.options.monitor_file, self.rate, self.channels) \
            if self.options.monitor_file is not None else None
        self.feed.sinks = [s for s in (self.tap, self.file_sink) if s is not None]
        is_sim = isinstance(self.rig.interface, SimInterfaceConfig)
        monitors = [] if is_sim else list(self.rig.interface.monitor_channels)
        self.feed.to_outputs = bool(monitors)
        if self.station.sim is not None:
            self.station.sim.reset()  # the chain starts from rest, not from the calibration's tones
        analog = self.station.sim.process if (is_sim and self.station.sim is not None) else None
        self.stream = open_stream(self.rig.interface, analog, extra_outputs=monitors, realtime=self.options.realtime)
        self.control = LiveControl(self.station, self.catalog, settings, lambda: self.stream.frames,
                                   self.alignment.monitor_delay, self.block_size)
        self._measured_capture: object = None
        self._glitches_seen = 0
        self.stream.start(self.feed)
        self._housekeeper = threading.Thread(target=self._housekeeping, name="hybrid-listen", daemon=True)
        self._housekeeper.start()

    # ------------------------------------------------------------------ what the engineer does

    def play(self) -> None:
        self._set(playing=True, transport_id=self._controls.transport_id + 1, seek_to=None)

    def pause(self) -> None:
        self._set(playing=False)

    def toggle(self) -> bool:
        """Space: pause or play; returns whether it plays now."""
        (self.pause if self._controls.playing else self.play)()
        return self._controls.playing

    def select(self, name: str) -> None:
        """Put a source on the monitors (crossfaded): source, chain, print or reference."""
        if name not in SOURCES:
            raise ConfigError(None, "source", name, f"choose one of {', '.join(SOURCES)}")
        if name not in ("source", "chain") and name not in self.feed.materials:
            hint = "load one with P (a print)" if name == "print" else "start with --reference FILE"
            raise ConfigError(None, "source", name, f"no {name} is loaded; {hint}")
        self._set(selected=name)
        self._emit("selected", {"source": name})

    def set_loop(self, start_s: float | None, end_s: float | None) -> LoopRegion:
        """A new loop region (checked against the track; ConfigError leaves the old one playing)."""
        frames = self.feed.materials["source"].audio.shape[0]
        region = LoopRegion.from_seconds(start_s, end_s, frames, self.rate)
        with self._lock:
            for name, material in self.feed.materials.items():
                self.lufs[name] = material.region_lufs(region, self.rate, self.track_frames)
            seek = region.start if not region.start <= self.feed.playhead < region.end else None
            self._set(region=region, transport_id=self._controls.transport_id + (seek is not None), seek_to=seek,
                      chain_epoch=self._controls.chain_epoch + 1, chain_epoch_from=0, gains_db=self._gains())
        self._emit("loop", region.to_dict(self.rate))
        return region

    def move_loop(self, direction: int) -> LoopRegion:
        """[ and ]: the loop one loop-length earlier (-1) or later (+1), kept inside the track."""
        region = self._controls.region
        frames = self.feed.materials["source"].audio.shape[0]
        start = min(max(0, region.start + direction * region.frames), frames - region.frames)
        return self.set_loop(start / self.rate, (start + region.frames) / self.rate)

    def set_match(self, on: bool) -> None:
        """Loudness matching on or off (off: every source at its own level)."""
        with self._lock:
            self.match = bool(on)
            self._set(gains_db=self._gains())
        self._emit("match", {"on": self.match})

    def set_check(self, check: str) -> None:
        """stereo, mono, side (L-R only) or swap (L and R exchanged), crossfaded."""
        if check not in CHECKS:
            raise ConfigError(None, "check", check, f"choose one of {', '.join(CHECKS)}")
        self._set(check=check)
        self._emit("check", {"check": check})

    def load_print(self, revision: int | None = None) -> Path:
        """The track's newest print capture (of a revision, or of any) as the `print` source."""
        path, number = find_print(self.session, self.track.id, self.position, revision)
        material = load_material("print", f"print of revision {number} ({path.parent.parent.name})", path,
                                 self.rate, self.channels, "print")
        self._add_material(material)
        return path

    def load_reference(self, path: str | Path) -> None:
        """A reference track (any rate, mono or the sends' channels) as the `reference` source."""
        material = load_material("reference", f"reference {Path(path).name}", Path(path), self.rate,
                                 self.channels, "--reference")
        self._add_material(material)

    def move(self, text: str) -> ControlMove:
        """`eq.high_gain_db+=0.5`: sent now and read back (manual units: a sheet, then confirm())."""
        move = self.control.move(text)
        self._after_move(move)
        return move

    def confirm(self) -> ControlMove:
        """The engineer turned the manual control on the sheet."""
        move = self.control.confirm()
        self._after_move(move)
        return move

    def commit(self, note: str, *, for_track: bool = False) -> Any:
        """Write the controls moved since the revision as a new revision (album-wide, or this track's)."""
        from hybrid.session.commit import set_revision

        moved = self.control.panels.moved
        if not moved:
            raise ConfigError(None, "commit", note, "no control has moved since revision "
                              f"{self.revision.number}; move one first")
        words = [f"{unit}.{param}={value}" for unit, params in moved.items() for param, value in params.items()]
        committed = set_revision(self.session.folder, words, note=note, track=self.track.id if for_track else None,
                                 purpose="listen commit")
        with self._lock:
            self.revision = self.session.revision(committed.number)
            self.control.panels.moved = {}
        self._emit("committed", {"revision": committed.number, "settings": words})
        return committed

    def state(self) -> ListenState:
        """What plays, the gains, the meter, the panels: a snapshot (to_dict() for JSON)."""
        c = self._controls
        sources = {}
        for name in SOURCES:
            loaded = name in ("source", "chain") or name in self.feed.materials
            sources[name] = SourceState(loaded, self.labels.get(name, ""), self.lufs.get(name),
                                        c.gains_db.get(name, 0.0) if loaded else None,
                                        measuring=name == "chain" and self.lufs.get("chain") is None)
        heard = self.feed.heard_position
        pending = self.control.pending
        return ListenState(
            session=str(self.session.folder), track=self.track.id, title=self.track.title, revision=self.revision.number,
            playing=c.playing, looping=c.looping, selected=c.selected, check=c.check, match=self.match,
            position_s=None if heard < 0 else round(heard / self.rate, 3), loop=c.region.to_dict(self.rate),
            duration_s=round(self.feed.materials["source"].audio.shape[0] / self.rate, 3), sources=sources,
            meter=self.feed.meter.reading.to_dict(), gain_reduction_db={},
            panels={u: dict(v) for u, v in self.control.panels.settings.items()},
            moved={u: dict(v) for u, v in self.control.panels.moved.items()},
            pending_sheet=pending.sheet if pending is not None else "",
            latency_samples=list(self.alignment.latency_samples), monitor_delay_frames=self.alignment.monitor_delay,
            rate_hz=self.rate, block_size=self.block_size, frames=self.stream.frames,
            glitches=len(self.stream.glitches),
            calibration_measured_at=self.record.measured_at)

    def subscribe(self, listener: Listener) -> None:
        """listener(kind, data) is called from the engine's thread for every event (keep it quick)."""
        self._listeners.append(listener)

    def events(self, since: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
        """Every event numbered above `since`: (number, kind, data)."""
        with self._lock:
            return [e for e in self._events if e[0] > since]

    def close(self) -> None:
        """Stop the audio, write the monitor file, leave the gear as it is now, release the station."""
        if self._closed:
            return
        self._closed = True
        stream = getattr(self, "stream", None)
        if stream is not None:
            stream.close()
        for sink in (getattr(self, "file_sink", None), getattr(self, "tap", None)):
            if sink is not None:
                sink.close()
        station = getattr(self, "station", None)
        if station is not None:
            station.close()

    def __enter__(self) -> "ListenEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ inside

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._controls = self._controls.but(**changes)
            self.feed.controls = self._controls  # one attribute replaced whole: the audio thread sees all or none

    def _gains(self) -> dict[str, float]:
        """Loudness-matching gains: every source brought to the mix's loudness over the loop region."""
        anchor = self.lufs.get("source")
        if not self.match or anchor is None:
            return {}
        return {name: round(anchor - lufs, 3) for name, lufs in self.lufs.items() if lufs is not None}

    def _add_material(self, material: Material) -> None:
        with self._lock:
            self.lufs[material.name] = material.region_lufs(self._controls.region, self.rate, self.track_frames)
            self.labels[material.name] = material.label
            self.feed.materials = {**self.feed.materials, material.name: material}
            self._set(gains_db=self._gains())
        self._emit("loaded", {"source": material.name, "label": material.label, "lufs": self.lufs[material.name]})

    def _after_move(self, move: ControlMove) -> None:
        if move.heard_from_frame is not None:
            # the chain sounds different from here on: measure its loudness again from that frame
            self._set(chain_epoch=self._controls.chain_epoch + 1, chain_epoch_from=move.heard_from_frame)
        self._emit("moved" if move.heard_from_frame is not None else "sheet", move.to_dict())

    def _housekeeping(self) -> None:
        while not self._closed:
            time.sleep(_HOUSEKEEPING_S)
            try:
                self._look()
            except HybridError as exc:  # said, never fatal to the audio
                self._emit("error", {"message": str(exc)})

    def _look(self) -> None:
        from dsp.loudness import measure

        capture = self.feed.capture
        if capture.complete and capture is not self._measured_capture and capture.region == self._controls.region:
            self._measured_capture = capture
            lufs = measure(capture.audio, self.rate).integrated_lufs
            with self._lock:
                self.lufs["chain"] = lufs
                self._set(gains_db=self._gains())
            self._emit("measured", {"source": "chain", "lufs": lufs})
        while self.feed.events:
            kind, data = self.feed.events.popleft()
            if kind == "ended":
                self._set(playing=False)
            self._emit(kind, data)
        glitches = self.stream.glitches
        for glitch in glitches[self._glitches_seen:]:
            self._emit("glitch", {"frame": glitch.frame, "what": glitch.what})
        self._glitches_seen = len(glitches)
        if self.stream.error is not None and not getattr(self, "_error_said", False):
            self._error_said = True
            self._emit("error", {"message": f"the audio stopped: {self.stream.error}"})

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            number = (self._events[-1][0] + 1) if self._events else 1
            self._events.append((number, kind, data))
            del self._events[:-1000]
        for listener in list(self._listeners):
            try:
                listener(kind, data)
            except Exception:  # a listener's bug must not stop the engine
                pass
