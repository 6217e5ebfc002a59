"""The desk's face of the listening engine (hybrid.listen): opens one engine for the page, turns its
buttons into engine calls, publishes the engine's state to every page and streams its monitor feed
(the tap) to the browser's Web Audio. No listening of its own: every decision is the engine's."""

from __future__ import annotations

import asyncio
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from devices.errors import ConfigError

if TYPE_CHECKING:
    from hybrid.desk.app import Desk

STATE_EVERY_S = 0.1  # meters and position to the pages ten times a second
_CLIENT_QUEUE = 64  # monitor messages held for a slow page before the oldest go (its audio then skips)
_HEADER = struct.Struct("<qii")  # first frame, channels, rate_hz: before each message's float32 frames
ACTIONS = ("play", "pause", "toggle", "select", "loop", "move_loop", "match", "check", "load_print",
           "reference", "move", "confirm", "commit")


class Listening:
    """At most one engine per desk (the sim rig's twins live in one process), opened and closed here."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.engine: Any = None
        self.sid: int | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._monitors: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[bytes]]] = []
        self._monitors_lock = threading.Lock()
        self.reason = "press Listen to start the listening engine on the rig"
        self._publish()

    # ------------------------------------------------------------------ open and close

    def open(self, sid: int, *, track: str | None, revision: int | None, start_s: float | None,
             end_s: float | None, confirmed_units: list[str]) -> dict[str, Any]:
        """Start listening on a session's track (an engine already open is closed first)."""
        from hybrid.listen import ListenEngine, ListenOptions

        session = self.desk.session(sid)
        confirmed = set(confirmed_units)
        self.close("switching track")
        with self._lock:
            options = ListenOptions(track=track, revision=revision, start_s=start_s, end_s=end_s, tap=True,
                                    confirm_manual=lambda sheet: sheet.unit in confirmed)
            self.engine = ListenEngine.open(session.folder, options)
            self.sid = sid
            self._stop = threading.Event()
            self.engine.subscribe(self._on_event)
            for target in (self._publish_loop, self._tap_loop):
                threading.Thread(target=target, args=(self.engine, self._stop), daemon=True,
                                 name=f"desk-{target.__name__}").start()
        return self.snapshot()

    def close(self, reason: str = "listening stopped") -> None:
        with self._lock:
            engine, self.engine = self.engine, None
            self._stop.set()
            self.reason = reason
        if engine is not None:
            engine.close()
        self._publish()

    # ------------------------------------------------------------------ the buttons

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """One engine method for one button or key; a HybridError comes back as the CLI's line."""
        engine = self.engine
        if engine is None:
            raise ConfigError("desk", "listen", action, f"the listening engine is not running ({self.reason})")
        result: Any = None
        if action == "play":
            engine.play()
        elif action == "pause":
            engine.pause()
        elif action == "toggle":
            result = {"playing": engine.toggle()}
        elif action == "select":
            engine.select(str(body.get("source")))
        elif action == "loop":
            result = engine.set_loop(body.get("start_s"), body.get("end_s")).to_dict(engine.rate)
        elif action == "move_loop":
            result = engine.move_loop(int(body.get("direction", 1))).to_dict(engine.rate)
        elif action == "match":
            engine.set_match(bool(body.get("on")))
        elif action == "check":
            engine.set_check(str(body.get("check")))
        elif action == "load_print":
            result = {"path": Path(engine.load_print(body.get("revision"))).name}
        elif action == "reference":  # another track of the session: the page never names a path
            found = engine.session.resolve_tracks([str(body.get("track"))])[0]
            engine.load_reference(engine.session.source_path(found))
            result = {"track": found.id}
        elif action == "move":
            result = engine.move(str(body.get("text", ""))).to_dict()
        elif action == "confirm":
            result = engine.confirm().to_dict()
        elif action == "commit":
            made = engine.commit(str(body.get("note", "")), for_track=bool(body.get("for_track")))
            result = {"revision": made.number, "parent": made.parent, "notes": made.notes,
                      "changes": [str(c) for c in made.changes]}
            self.desk.hub.publish({"type": "session", "session": self.sid, "revision": made.number})
        else:
            raise ConfigError("desk", "listen", action, f"allowed: {', '.join(ACTIONS)}")
        # one snapshot for the page that asked; the others get it within STATE_EVERY_S
        return {"result": result, "engine": self.snapshot()}

    # ------------------------------------------------------------------ state out

    def snapshot(self) -> dict[str, Any]:
        engine = self.engine
        if engine is None:
            return {"available": False, "reason": self.reason}
        data = engine.state().to_dict()
        data["available"] = True
        data["session_id"] = self.sid
        data["wires"] = _wires(engine)
        return data

    def _publish(self) -> None:
        try:
            self.desk.hub.engine(self.snapshot())
        except Exception:  # noqa: BLE001 - an engine closing under us: the next snapshot says so
            pass

    def _on_event(self, kind: str, data: dict[str, Any]) -> None:
        self.desk.hub.publish({"type": "engine_event", "kind": kind, "data": _plain(data)})

    def _publish_loop(self, engine: Any, stop: threading.Event) -> None:
        while not stop.wait(STATE_EVERY_S):
            if engine is self.engine:
                self._publish()

    # ------------------------------------------------------------------ the monitor feed

    def subscribe_monitor(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(_CLIENT_QUEUE)
        with self._monitors_lock:
            self._monitors.append((loop, queue))
        return queue

    def unsubscribe_monitor(self, queue: asyncio.Queue[bytes]) -> None:
        with self._monitors_lock:
            self._monitors = [(lp, q) for lp, q in self._monitors if q is not queue]

    def _tap_loop(self, engine: Any, stop: threading.Event) -> None:
        """Read the tap (one thread, as the engine asks) and hand what came to every monitor socket."""
        rate = int(engine.state().rate_hz)
        while not stop.is_set():
            got = engine.tap.get(0.2)
            if got is None:
                continue
            first, blocks = got[0], [got[1]]
            # whatever else is already waiting goes in the same message (fewer, larger frames)
            while len(blocks) < 8:
                more = engine.tap.get(0.0)
                if more is None:
                    break
                if more[0] != first + sum(b.shape[0] for b in blocks):  # a gap: send what is contiguous
                    self._send(first, np.concatenate(blocks), rate)
                    first, blocks = more[0], []
                blocks.append(more[1])
            self._send(first, np.concatenate(blocks), rate)

    def _send(self, first: int, audio: np.ndarray, rate: int) -> None:
        message = _HEADER.pack(first, audio.shape[1], rate) + np.ascontiguousarray(audio, dtype="<f4").tobytes()
        with self._monitors_lock:
            targets = list(self._monitors)
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:
                pass


def _offer(queue: asyncio.Queue[bytes], message: bytes) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)


def _wires(engine: Any) -> dict[str, str]:
    """Where each simulated unit listens (its OSC/serial/MIDI address): what its panel is read over."""
    sim = getattr(getattr(engine, "station", None), "sim", None)
    if sim is None:
        return {}
    found = {}
    for name in getattr(sim, "twins", {}):
        try:
            found[name] = str(sim.address(name))
        except Exception:  # noqa: BLE001 - a manual unit has no wire address
            continue
    return found


def _plain(data: Any) -> Any:
    """Event data as JSON types (numpy numbers from the audio thread become floats)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, np.generic):
        return data.item()
    return data
