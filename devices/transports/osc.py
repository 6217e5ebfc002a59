"""OSC over UDP (python-osc): set a parameter by its address, query it and wait for the reply."""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass, field
from typing import Any, cast

from pythonosc.osc_message import OscMessage, ParseError
from pythonosc.osc_message_builder import OscMessageBuilder

from devices.errors import ConfigError, TransportError
from devices.profile import Parameter, Value
from devices.profile_schema import OscEncoding, OscParam
from devices.rig import OscWire
from devices.transports.base import NoReply, Remote, Transport
from devices.transports.codec import read_value, wire_tolerance
from devices.wires import RemoteRequest

_ARG_TYPE = {"float": "f", "int": "i", "string": "s"}


@dataclass(frozen=True)
class Osc:
    """One OSC message: an address and its arguments with their OSC type tags."""

    address: str
    args: tuple[Any, ...] = ()
    types: tuple[str, ...] = field(default=())

    def dgram(self) -> bytes:
        builder = OscMessageBuilder(address=self.address)
        for i, arg in enumerate(self.args):
            builder.add_arg(arg, self.types[i] if i < len(self.types) else None)
        return builder.build().dgram

    def __str__(self) -> str:
        return " ".join([self.address, *(repr(a) for a in self.args)])


class OscTransport(Transport[Osc, Any]):
    """A UDP socket that sends to the unit and receives its replies (on reply_port, or the sending port)."""

    kind = "osc"

    def __init__(self, host: str, port: int, *, reply_port: int | None = None, label: str = "osc",
                 timeout_s: float = 0.5, retries: int = 2) -> None:
        super().__init__(label=label, timeout_s=timeout_s, retries=retries)
        self.host = host
        self.port = port
        self.reply_port = reply_port
        self._sock: socket.socket | None = None

    @property
    def address(self) -> str:
        return f"osc udp {self.host}:{self.port}"

    @property
    def local_port(self) -> int:
        """The port replies come back to."""
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    def _open(self) -> None:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("0.0.0.0" if self.host not in ("127.0.0.1", "localhost") else "127.0.0.1",
                       self.reply_port or 0))
        except OSError as exc:
            raise TransportError(f"unit {self.label!r}: cannot open a UDP socket for {self.address} "
                                 f"(reply port {self.reply_port or 'any'}): {exc}") from exc
        self._sock = sock

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _send(self, msg: Osc) -> None:
        assert self._sock is not None
        try:
            self._sock.sendto(msg.dgram(), (self.host, self.port))
        except OSError as exc:
            raise TransportError(f"unit {self.label!r}: cannot send to {self.address}: {exc}") from exc

    def _receive(self, deadline: float) -> OscMessage | bytes | None:
        assert self._sock is not None
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            ready, _, _ = select.select([self._sock], [], [], wait)
            if not ready:
                return None
            try:
                data = self._sock.recv(65536)
            except ConnectionRefusedError:
                # ICMP port unreachable from an earlier send: nobody is listening; keep waiting
                continue
            try:
                return OscMessage(data)
            except (ParseError, UnicodeDecodeError, ValueError, IndexError):
                return data  # not OSC at all: the caller's accept() calls it garbled

    def _flush_input(self) -> None:
        assert self._sock is not None
        while select.select([self._sock], [], [], 0)[0]:
            try:
                self._sock.recv(65536)
            except OSError:
                break

    def _describe(self, thing: Any) -> str:
        if isinstance(thing, OscMessage):
            return " ".join([thing.address, *(repr(p) for p in thing.params)])
        if isinstance(thing, bytes):
            return f"unparsable datagram {thing[:40]!r}"
        return str(thing)


def osc_arg(param: Parameter, enc: OscParam, value: Value) -> tuple[Any, str]:
    """The OSC argument and its type tag for a value."""
    if enc.arg == "string":
        return (value if isinstance(value, str) else f"{value:.6g}"), "s"
    if enc.arg == "int":
        return (param.index(value) if param.detents is not None else int(round(float(value)))), "i"
    if isinstance(value, str):
        raise ValueError(f"{param.name}: position {value!r} cannot travel as an OSC float; use arg: string")
    return float(value), "f"


def osc_value(param: Parameter, enc: OscParam, arg: Any) -> Value:
    """The value an OSC argument stands for; ValueError when it is none of this control's values."""
    if enc.arg == "int":
        if isinstance(arg, bool) or not isinstance(arg, int):
            raise ValueError(f"{arg!r} is not an int")
        if param.detents is not None:
            if not 0 <= arg < len(param.detents):
                raise ValueError(f"{param.name} has no detent {arg}")
            return param.detents[arg]
        return float(arg)
    if enc.arg == "float" and (isinstance(arg, str) or isinstance(arg, bool)):
        raise ValueError(f"{arg!r} is not a float")
    return read_value(param, arg)


class OscRemote(Remote):
    transport: OscTransport
    """A profile's OSC encoding over an OscTransport."""

    def __init__(self, transport: OscTransport, encoding: OscEncoding) -> None:
        self.transport = transport
        self.encoding = encoding
        self.can_read = encoding.query_address is not None

    def set(self, param: Parameter, value: Value) -> None:
        enc = self.encoding.parameters[param.name]
        arg, tag = osc_arg(param, enc, value)
        self.transport.send(Osc(enc.address, (arg,), (tag,)))

    def get(self, param: Parameter) -> Value:
        if not self.can_read:
            return super().get(param)
        enc = self.encoding.parameters[param.name]
        args: tuple[Any, ...] = (enc.address,)
        if self.transport.reply_port:
            args += (self.transport.reply_port,)

        def accept(thing: Any) -> Value | None:
            if isinstance(thing, bytes):
                raise NoReply(f"garbled reply {thing[:40]!r}")
            if thing.address != enc.address:
                return None  # an answer to an earlier question, or chatter
            if len(thing.params) != 1:
                raise NoReply(f"garbled reply {self.transport._describe(thing)!r}")
            try:
                return osc_value(param, enc, thing.params[0])
            except ValueError:
                raise NoReply(f"garbled reply {self.transport._describe(thing)!r}") from None

        return self.transport.request(Osc(self.encoding.query_address or "", args), accept)

    def tolerance(self, param: Parameter) -> float:
        return wire_tolerance(param, None)


def connect_remote(request: RemoteRequest) -> OscRemote:
    """The OSC wire's row of devices.wires: UDP to the unit's host and port (or the twin's address)."""
    config, wire = request.config, cast(OscWire, request.config.wire)  # the table is keyed by wire.kind
    host, port = wire.host, wire.port
    if request.address is not None:
        host, _, number = request.address.rpartition(":")
        port = int(number)
    if port == "auto":
        raise ConfigError(None, f"units.{config.name}.wire.port", "auto",
                          "'auto' needs simulated: true; give the unit's real UDP port")
    reply = None if wire.reply_port == "auto" else int(wire.reply_port)
    return OscRemote(OscTransport(host, int(port), reply_port=reply, label=config.name,
                                  timeout_s=wire.timeout_s, retries=wire.retries), request.encoding)
