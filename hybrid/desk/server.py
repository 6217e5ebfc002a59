"""Run the desk: bind (loopback unless told otherwise), make the token, print the one URL, serve."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devices.errors import ConfigError
from hybrid import interrupts
from hybrid.desk.guard import Guard, new_token

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Address:
    """Where the desk listens and the URL (with its token) that opens it."""

    host: str
    port: int
    token: str

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/?token={self.token}"


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A listening socket; port 0 takes a free one. One ConfigError line when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError("command line", "--port" if port else "--host", port or host,
                          f"cannot listen there ({exc.strerror}); choose another --port or --host") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def _server_class() -> type:
    import uvicorn

    class DeskServer(uvicorn.Server):
        """uvicorn's server that also stops on a signal hybrid's handler took before uvicorn's own
        handlers were in place (a Ctrl-C during start-up is held, not lost: hybrid/interrupts.py)."""

        async def on_tick(self, counter: int) -> bool:
            if interrupts.pending() is not None:
                self.should_exit = True
            return await super().on_tick(counter)

    return DeskServer


def serve(session_dirs: list[Path], *, host: str = LOOPBACK, port: int = 0,
          ready: Callable[[Address], None] = lambda _: None) -> None:
    """Serve the desk until Ctrl-C/SIGTERM; `ready` gets the address once the socket listens."""
    import uvicorn

    from hybrid.desk.app import Desk, create_app
    from hybrid.desk.jobs import JobRunner

    sock = bind(host, port)
    address = Address(host, sock.getsockname()[1], new_token())
    desk = Desk(session_dirs, Guard.for_address(address.token, host, address.port))
    runner = JobRunner(desk)
    desk.runner = runner
    config = uvicorn.Config(create_app(desk), log_level="warning", lifespan="off", ws="websockets-sansio")
    server = _server_class()(config)
    ready(address)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn hands Ctrl-C/SIGTERM back once it has shut down: the usual way out
        pass
    finally:
        interrupts.clear()  # the stop was acted on: the server shut down, which is how a desk ends
        desk.listening.close("the desk stopped")
        runner.stop_all()  # a print stopped with the server keeps nothing half-written (the pipeline's rule)
        sock.close()
