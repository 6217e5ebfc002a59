"""Print, verify, render, `ddp verify` and a read of the gear, each in a child process calling the
same library function as its command; progress comes back over a pipe and out to every page.

A child process, not a thread: stopping the server sends it SIGTERM, which the print takes as
Ctrl-C (its partial folder is removed, the session and older prints untouched), as `hybrid print` does."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices.errors import ConfigError

if TYPE_CHECKING:
    from hybrid.desk.app import Desk

KINDS = ("print", "verify", "render", "ddp", "read")
_STOP_WAIT_S = 20.0  # how long a stopped print gets to remove its partial folder before it is killed


@dataclass
class Job:
    """One run of a command from the page: what it is, how far it got, what it said and its result."""

    id: str
    kind: str
    session: int
    params: dict[str, Any]
    state: str = "running"  # running, done, failed, stopped
    fraction: float = 0.0
    step: str = ""
    lines: list[str] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    started_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "session": self.session, "params": self.params,
                "state": self.state, "fraction": self.fraction, "step": self.step, "lines": self.lines[-200:],
                "result": self.result, "error": self.error, "started_at": self.started_at}


class _PipeBar:
    """The pipeline's Progress, reporting to the desk: fraction of the total steps, and each step's name."""

    def __init__(self, conn: Any, total: float | None) -> None:
        self.conn, self.total, self.done = conn, total, 0.0

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount
        fraction = min(1.0, self.done / self.total) if self.total else None
        self.conn.send(("progress", fraction, None))

    def describe(self, text: str) -> None:
        self.conn.send(("progress", None, text))


def _child(kind: str, params: dict[str, Any], conn: Any) -> None:
    """Run one job in the child process; every HybridError comes back as the CLI's one line."""
    from hybrid.errors import HybridError
    from hybrid.interrupts import deferred

    def say(text: str) -> None:
        conn.send(("say", text))

    try:
        with deferred():  # SIGTERM from the runner stops the job between steps, as in the CLI
            result = _run(kind, params, conn, say)
        conn.send(("done", result))
    except HybridError as exc:
        conn.send(("error", f"hybrid: {exc}"))
    except KeyboardInterrupt:
        conn.send(("error", "hybrid: interrupted; nothing half-written was kept"))
    except Exception as exc:  # noqa: BLE001 - a bug is shown on the page, not lost in a log
        conn.send(("error", f"hybrid desk: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _run(kind: str, params: dict[str, Any], conn: Any, say: Any) -> Any:
    folder = Path(params["session_dir"])
    if kind == "print":
        from hybrid.printing.pipeline import PrintRequest, print_revision, steps
        from hybrid.session import open_session

        confirmed = set(params.get("confirmed_units") or ())

        def confirm(sheet: Any) -> bool:  # the page ticked every row of this unit's sheet
            say(f"recall sheet of {sheet.unit} confirmed on the desk")
            return sheet.unit in confirmed

        tracks = params.get("tracks") or None
        count = len(open_session(folder).resolve_tracks(tracks))
        request = PrintRequest(folder, revision=params.get("revision"), tracks=tracks, confirm_manual=confirm)
        outcome = print_revision(request, say=say, bar=_PipeBar(conn, steps(count)))
        return {"print": outcome.folder.name, "revision": outcome.revision, "tracks": outcome.track_ids,
                "notes": outcome.notes}
    if kind == "verify":
        from hybrid.verify import verify_revision

        conn.send(("progress", None, "measuring the chain"))
        result = verify_revision(folder, int(params["revision"]), track=params.get("track") or None)
        return result.to_dict()
    if kind == "render":
        from hybrid.render import render_session

        document = render_session(folder, params.get("revision"), params.get("targets") or None,
                                  bar=_PipeBar(conn, 1.0))
        return {"revision": document["revision"], "out_dir": document["out_dir"],
                "targets": {t: {"compliance": d["compliance"],
                                "tracks": [{k: x.get(k) for k in ("number", "title", "integrated_lufs",
                                                                   "true_peak_dbtp")} for x in d["tracks"]]}
                            for t, d in document["targets"].items()}}
    if kind == "ddp":
        from hybrid.ddp.reader import read_ddp

        image = read_ddp(Path(params["ddp_dir"]))
        return {"ok": image.ok, **image.to_dict()}
    if kind == "read":
        from devices.station import open_station
        from hybrid.session import open_session, session_rig

        with open_station(session_rig(open_session(folder)), audio=False) as station:
            return {name: (unit.read() if unit.can_read else None) for name, unit in station.units.items()}
    raise ConfigError("desk", "job", kind, f"allowed: {', '.join(KINDS)}")


class JobRunner:
    """Starts jobs in child processes and follows each with a thread that feeds the hub."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._lock = threading.Lock()
        self._running: dict[str, Any] = {}

    def start(self, kind: str, sid: int, params: dict[str, Any]) -> Job:
        if kind not in KINDS:
            raise ConfigError("desk", "job", kind, f"allowed: {', '.join(KINDS)}")
        job = Job(uuid.uuid4().hex[:12], kind, sid, {k: v for k, v in params.items() if k != "session_dir"})
        parent, child = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_child, args=(kind, params, child), daemon=False,
                                        name=f"hybrid-desk-{kind}")
        process.start()
        child.close()
        with self._lock:
            self._running[job.id] = process
        self.desk.hub.job(job.to_dict())
        threading.Thread(target=self._follow, args=(job, parent, process), daemon=True).start()
        return job

    def _follow(self, job: Job, conn: Any, process: Any) -> None:
        try:
            while True:
                try:
                    message = conn.recv()
                except EOFError:
                    break
                if message[0] == "progress":
                    _, fraction, text = message
                    if fraction is not None:
                        job.fraction = fraction
                    if text:
                        job.step = text
                elif message[0] == "say":
                    job.lines.append(message[1])
                    job.step = message[1]
                elif message[0] == "done":
                    job.result, job.state, job.fraction = message[1], "done", 1.0
                elif message[0] == "error":
                    job.error, job.state = message[1], "failed"
                self.desk.hub.job(job.to_dict())
        finally:
            process.join()
            if job.state == "running":
                job.state, job.error = "failed", f"hybrid desk: the {job.kind} stopped (exit {process.exitcode})"
            with self._lock:
                self._running.pop(job.id, None)
            self.desk.hub.job(job.to_dict())
            if job.kind in ("print", "render"):
                self.desk.hub.publish({"type": "session", "session": job.session})

    def stop_all(self) -> None:
        """SIGTERM every running job (a print removes its partial folder), then wait for them."""
        with self._lock:
            running = list(self._running.values())
        for process in running:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + _STOP_WAIT_S
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
