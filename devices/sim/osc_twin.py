"""A simulated unit that listens for OSC on a UDP port of 127.0.0.1 and answers queries."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, cast

from pythonosc import osc_packet
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from devices.profile import Profile
from devices.profile_schema import OscEncoding
from devices.rig import OscWire, UnitConfig
from devices.sim.panel import Panel
from devices.sim.twin import Twin, log
from devices.transports.osc import Osc, osc_arg, osc_value

if TYPE_CHECKING:
    from devices.sim.rig import SimRig


class _WireDispatcher(Dispatcher):
    """python-osc's dispatcher as a unit's OSC input: exact addresses only (a pattern such as
    "/eq/*" would set several controls, and the query, with one value), bundles handled at once (a
    bundle stamped for 2100 would put the unit to sleep), and a datagram that is not OSC said in
    one line instead of dropped without a word."""

    def __init__(self, twin_name: str) -> None:
        super().__init__(strict_timing=False)
        self.twin_name = twin_name

    def call_handlers_for_packet(self, data: bytes, client_address: tuple[str, int]) -> list[Any]:
        try:
            osc_packet.OscPacket(data)
        except osc_packet.ParseError as exc:
            log.info("simulated %s: a datagram that is not OSC from %s refused (%s)", self.twin_name,
                     client_address, str(exc)[:80])
            return []
        return super().call_handlers_for_packet(data, client_address)

    def handlers_for_address(self, address_pattern: str) -> Any:
        if any(c in address_pattern for c in "*?[]{}"):
            log.info("simulated %s: OSC pattern %s refused; send to one control's address", self.twin_name,
                     address_pattern[:80])
            return []
        return super().handlers_for_address(address_pattern)


class _OneLineServer(BlockingOSCUDPServer):
    """python-osc's UDP server, with whatever a datagram breaks (undecodable bytes, a bad type tag)
    said in one log line instead of socketserver's traceback on stderr."""

    twin_name = "osc"

    def verify_request(self, request: Any, client_address: Any) -> bool:
        if super().verify_request(request, client_address):
            return True
        log.info("simulated %s: a datagram that is not OSC from %s refused", self.twin_name, client_address)
        return False

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        log.info("simulated %s: OSC datagram from %s refused (%s: %s)", self.twin_name, client_address,
                 type(exc).__name__, str(exc)[:120])


class OscTwin(Twin):
    """Sets arrive at each parameter's address; '/query_address ,s ADDRESS [,i REPLY_PORT]' is answered."""

    kind = "osc"

    def __init__(self, name: str, profile: Profile, panel: Panel, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(name, profile, panel)
        self.encoding: OscEncoding = profile.encoding("osc")
        self._by_address = {enc.address: self.profile.parameters[p] for p, enc in self.encoding.parameters.items()}
        dispatcher = _WireDispatcher(name)
        for address in self._by_address:
            dispatcher.map(address, self._on_set)
        if self.encoding.query_address:
            dispatcher.map(self.encoding.query_address, self._on_query, needs_reply_address=True)
        dispatcher.set_default_handler(self._on_other)
        self._server = _OneLineServer((host, port), dispatcher)
        self._server.twin_name = name
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{str(host)}:{port}"

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
        param = self._by_address.get(address)
        if param is None:  # a pattern address ("/eq/*") that matched: a unit takes one address per set
            log.info("simulated %s: OSC pattern %s refused; send to one parameter's address", self.name, address)
            return
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
        if self.fault == "silent" or not args or not isinstance(args[0], str) or args[0] not in self._by_address:
            log.info("simulated %s: OSC query for %r refused", self.name, args[:1])
            return
        reply_to = client
        if len(args) > 1:
            if not isinstance(args[1], int) or isinstance(args[1], bool) or not 1 <= args[1] <= 65535:
                log.info("simulated %s: OSC reply port %r refused (1-65535)", self.name, args[1])
                return
            reply_to = (client[0], args[1])
        param = self._by_address[args[0]]
        if self.fault == "garbled":
            data = b"\x00garbage\xff" * 3
        else:
            arg, tag = osc_arg(param, self.encoding.parameters[param.name], self.reported(param))
            data = Osc(args[0], (arg,), (tag,)).dgram()
        try:
            self._server.socket.sendto(data, reply_to)
        except OSError as exc:
            log.info("simulated %s: OSC reply to %s:%s not sent (%s)", self.name, *reply_to, exc)

    def _on_other(self, address: str, *args: Any) -> None:
        self.received += 1
        log.info("simulated %s: no such OSC address %s", self.name, address)


def osc_twin(sim: SimRig, unit: UnitConfig, profile: Profile, panel: Panel) -> OscTwin:
    """The OSC wire's row of devices.wires: a UDP server on loopback (port 'auto': any free one)."""
    wire = cast(OscWire, unit.wire)
    port = 0 if wire.port == "auto" else int(wire.port)
    return OscTwin(unit.name, profile, panel, host="127.0.0.1", port=port)
