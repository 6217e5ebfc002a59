"""The desk's routes: its own page and assets, the sessions it was given (by number, never by path),
commits, jobs and the live-state websocket; every data request checked by the Guard."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from hybrid.desk import views
from hybrid.desk.guard import TOKEN_HEADER, TOKEN_QUERY, Guard
from hybrid.desk.hub import Hub
from hybrid.desk.tracks import OverviewCache
from hybrid.errors import HybridError
from hybrid.session import open_session
from hybrid.session.commit import set_revision
from hybrid.session.store import Session

STATIC = Path(__file__).with_name("static")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
_STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


class CommitRequest(BaseModel):
    """The commit button: what moved (as `session set` words) and the note it asks for."""

    note: str = Field(..., min_length=1, max_length=2000)
    settings: list[str] = Field(default_factory=list, max_length=500)
    track: str | None = None


class JobRequest(BaseModel):
    """A button that runs a command: print, verify, render, ddp (verify a print's DDP image) or read."""

    kind: str
    revision: int | None = None
    tracks: list[str] | None = Field(None, max_length=99)
    track: str | None = None
    targets: list[str] | None = Field(None, max_length=5)
    confirmed_units: list[str] = Field(default_factory=list, max_length=64)
    print_name: str | None = None


class ListenRequest(BaseModel):
    """Start listening: a track (id or position), the revision recalled, the loop, the ticked sheets."""

    track: str | None = None
    revision: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    confirmed_units: list[str] = Field(default_factory=list, max_length=64)


class Desk:
    """What one run of `hybrid desk` serves: its sessions (in the order given), the guard, the hub."""

    def __init__(self, session_dirs: list[Path], guard: Guard, hub: Hub | None = None) -> None:
        self.session_dirs = [Path(d).resolve() for d in session_dirs]
        self.guard = guard
        self.hub = hub or Hub()
        self.overviews = OverviewCache()
        self.runner: Any = None  # the JobRunner, set by the server
        from hybrid.desk.listening import Listening

        self.listening = Listening(self)
        self.assets = {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in _TYPES}

    def session(self, sid: int) -> Session:
        if not 0 <= sid < len(self.session_dirs):
            raise HTTPException(404, "no such session on this desk")
        return open_session(self.session_dirs[sid])


def _refused(reason: str) -> PlainTextResponse:
    return PlainTextResponse(f"hybrid desk: refused: {reason}\n", status_code=403)


def create_app(desk: Desk) -> FastAPI:
    """The ASGI app for one desk (no docs pages: the desk serves only its page, assets and API)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    guard = desk.guard

    @app.middleware("http")
    async def check(request: Request, call_next: Any) -> Response:
        path = request.url.path
        public = path.startswith("/static/")  # the package's own code and style: nothing of a session
        token = request.headers.get(TOKEN_HEADER) or request.query_params.get(TOKEN_QUERY)
        if public:
            reason = None if guard.host_ok(request.headers.get("host")) else "Host is not this desk's address"
        else:
            reason = guard.refusal(token=token, host=request.headers.get("host"),
                                   origin=request.headers.get("origin"),
                                   changes_state=request.method in _STATE_CHANGING)
        if reason:
            return _refused(reason)
        response: Response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the page's URL
        return response

    @app.exception_handler(HybridError)
    async def hybrid_error(request: Request, exc: HybridError) -> JSONResponse:
        # the CLI's one line, word for word, shown where the user acted
        return JSONResponse({"error": f"hybrid: {exc}"}, status_code=400)

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "desk.html", media_type="text/html")

    @app.get("/static/{name}")
    async def asset(name: str) -> FileResponse:
        path = desk.assets.get(name)
        if path is None:
            raise HTTPException(404, "no such asset")
        return FileResponse(path, media_type=_TYPES[path.suffix])

    @app.get("/api/desk")
    async def listing() -> dict[str, Any]:
        sessions = []
        for sid, folder in enumerate(desk.session_dirs):
            try:
                info = open_session(folder).info
                sessions.append({"id": sid, "title": info.title, "artist": info.artist, "folder": str(folder)})
            except HybridError as exc:
                sessions.append({"id": sid, "folder": str(folder), "error": f"hybrid: {exc}"})
        return {"sessions": sessions, "jobs": desk.hub.jobs_snapshot(), "engine": desk.hub.engine_snapshot()}

    @app.get("/api/sessions/{sid}")
    def session(sid: int) -> dict[str, Any]:
        return views.session_view(sid, desk.session(sid))

    @app.get("/api/sessions/{sid}/rack")
    def rack(sid: int, revision: int | None = None, track: str | None = None) -> list[dict[str, Any]]:
        chosen = desk.session(sid)
        track_id = chosen.resolve_tracks([track])[0].id if track else None
        return views.rack(chosen, views.catalog_of(chosen), revision, track_id)

    @app.get("/api/sessions/{sid}/tracks/{track}/overview")
    def overview(sid: int, track: str) -> dict[str, Any]:
        chosen = desk.session(sid)
        found = chosen.resolve_tracks([track])[0]
        return desk.overviews.get(chosen.source_path(found))

    @app.post("/api/sessions/{sid}/commit")
    def commit(sid: int, body: CommitRequest) -> dict[str, Any]:
        chosen = desk.session(sid)
        made = set_revision(chosen.folder, body.settings, note=body.note, track=body.track,
                            purpose="desk commit")
        result = {"revision": made.number, "parent": made.parent, "notes": made.notes,
                  "changes": [str(c) for c in made.changes]}
        desk.hub.publish({"type": "session", "session": sid, "revision": made.number})
        return result

    @app.post("/api/sessions/{sid}/jobs")
    def start_job(sid: int, body: JobRequest) -> dict[str, Any]:
        chosen = desk.session(sid)
        if desk.runner is None:
            raise HTTPException(503, "this desk runs no jobs")
        params: dict[str, Any] = {"session_dir": str(chosen.folder), "revision": body.revision,
                                  "tracks": body.tracks, "track": body.track, "targets": body.targets,
                                  "confirmed_units": body.confirmed_units}
        if body.kind == "ddp":  # a print of this session by name: the client never names a path
            folder = views.find_print(chosen, body.print_name or "")
            if folder is None:
                raise HTTPException(404, "no such print in this session")
            params["ddp_dir"] = str(folder / "deliverables" / "cd" / "DDP")
            params["print_name"] = folder.name
        if body.kind in ("print", "verify", "read"):  # these need the gear, which an open engine holds
            desk.listening.close(f"stopped for the {body.kind}: it needs the gear; press Listen again after it")
        return desk.runner.start(body.kind, sid, params).to_dict()

    @app.post("/api/sessions/{sid}/listen/open")
    def listen_open(sid: int, body: ListenRequest) -> dict[str, Any]:
        return desk.listening.open(sid, track=body.track, revision=body.revision, start_s=body.start_s,
                                   end_s=body.end_s, confirmed_units=body.confirmed_units)

    @app.post("/api/listen/close")
    def listen_close() -> dict[str, Any]:
        desk.listening.close("listening stopped from the page")
        return desk.listening.snapshot()

    @app.post("/api/listen/{action}")
    async def listen_action(action: str, request: Request) -> dict[str, Any]:
        body = await request.json() if (await request.body()) else {}
        if not isinstance(body, dict):
            raise HTTPException(400, "a JSON object is expected")
        return await asyncio.to_thread(desk.listening.call, action, body)

    @app.get("/api/listen")
    def listen_state() -> dict[str, Any]:
        return desk.listening.snapshot()

    @app.get("/api/jobs")
    async def jobs() -> list[dict[str, Any]]:
        return desk.hub.jobs_snapshot()

    @app.get("/api/sessions/{sid}/prints/{name}/report.html")
    def report(sid: int, name: str) -> FileResponse:
        chosen = desk.session(sid)
        folder = views.find_print(chosen, name)
        if folder is None:
            raise HTTPException(404, "no such print in this session")
        path = (folder / "report.html").resolve()
        if not path.is_file() or chosen.folder.resolve() not in path.parents:
            raise HTTPException(404, "this print has no report")
        return FileResponse(path, media_type="text/html")

    @app.websocket("/ws")
    async def live(socket: WebSocket) -> None:
        reason = guard.refusal(token=socket.query_params.get(TOKEN_QUERY), host=socket.headers.get("host"),
                               origin=socket.headers.get("origin"), changes_state=True)
        if reason:
            await socket.close(code=4403, reason=reason[:120])
            return
        await socket.accept()
        queue = desk.hub.subscribe(asyncio.get_running_loop())
        try:
            await socket.send_json({"type": "hello", "jobs": desk.hub.jobs_snapshot(),
                                    "engine": desk.hub.engine_snapshot()})
            receiver = asyncio.create_task(_drain(socket))
            while not receiver.done():
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await socket.send_json(getter.result())
                else:
                    getter.cancel()
        except Exception:  # noqa: BLE001 - a closed browser tab ends its socket, nothing else
            pass
        finally:
            desk.hub.unsubscribe(queue)

    @app.websocket("/ws/monitor")
    async def monitor(socket: WebSocket) -> None:
        """The monitor feed as binary messages: <q first frame><i channels><i rate> then float32 frames."""
        reason = guard.refusal(token=socket.query_params.get(TOKEN_QUERY), host=socket.headers.get("host"),
                               origin=socket.headers.get("origin"), changes_state=True)
        if reason:
            await socket.close(code=4403, reason=reason[:120])
            return
        await socket.accept()
        queue = desk.listening.subscribe_monitor(asyncio.get_running_loop())
        try:
            receiver = asyncio.create_task(_drain(socket))
            while not receiver.done():
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await socket.send_bytes(getter.result())
                else:
                    getter.cancel()
        except Exception:  # noqa: BLE001 - a closed tab ends its feed
            pass
        finally:
            desk.listening.unsubscribe_monitor(queue)

    return app


async def _drain(socket: WebSocket) -> None:
    """Read (and drop) what the page sends until it goes away: the socket only carries state out."""
    while True:
        message = await socket.receive()
        if message.get("type") == "websocket.disconnect":
            return
