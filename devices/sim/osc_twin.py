"""A simulated unit that listens for OSC on a UDP port of 127.0.0.1 and answers queries."""

from __future__ import annotations

import threading
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from devices.profile import OscEncoding, Profile
from devices.sim.panel import Panel
from devices.sim.twin import Twin, log
from devices.transports.osc import Osc, osc_arg, osc_value


class OscTwin(Twin):
    """Sets arrive at each parameter's address; '/query_address ,s ADDRESS [,i REPLY_PORT]' is answered."""

    kind = "osc"

    def __init__(self, name: str, profile: Profile, panel: Panel, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(name, profile, panel)
        self.encoding: OscEncoding = profile.encoding("osc")
        self._by_address = {enc.address: self.profile.parameters[p] for p, enc in self.encoding.parameters.items()}
        dispatcher = Dispatcher()
        for address in self._by_address:
            dispatcher.map(address, self._on_set)
        if self.encoding.query_address:
            dispatcher.map(self.encoding.query_address, self._on_query, needs_reply_address=True)
        dispatcher.set_default_handler(self._on_other)
        self._server = BlockingOSCUDPServer((host, port), dispatcher)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> OscTwin:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"osc-twin-{self.name}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        super().close()

    def _on_set(self, address: str, *args: Any) -> None:
        self.received += 1
        param = self._by_address[address]
        if len(args) != 1:
            log.info("simulated %s: %s needs one argument, got %r", self.name, address, args)
            return
        try:
            value = osc_value(param, self.encoding.parameters[param.name], args[0])
        except ValueError as exc:
            log.info("simulated %s: %s", self.name, exc)
            return
        self.take(param, value)

    def _on_query(self, client: tuple[str, int], address: str, *args: Any) -> None:
        self.received += 1
        if self.fault == "silent" or not args or args[0] not in self._by_address:
            return
        reply_to = (client[0], int(args[1])) if len(args) > 1 and isinstance(args[1], int) else client
        param = self._by_address[args[0]]
        if self.fault == "garbled":
            data = b"\x00garbage\xff" * 3
        else:
            arg, tag = osc_arg(param, self.encoding.parameters[param.name], self.reported(param))
            data = Osc(args[0], (arg,), (tag,)).dgram()
        self._server.socket.sendto(data, reply_to)

    def _on_other(self, address: str, *args: Any) -> None:
        self.received += 1
        log.info("simulated %s: no such OSC address %s", self.name, address)
