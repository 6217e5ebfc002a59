"""RS-232 through pyserial: ASCII command templates or binary frames (length + checksum), acks parsed by pattern."""

from __future__ import annotations

import re
import time
from typing import Any, cast

from devices.errors import ConfigError, MissingDependencyError, TransportError
from devices.profile import Parameter, Value
from devices.profile_schema import BinaryFraming, SerialEncoding
from devices.rig import SerialWire
from devices.transports.base import NoReply, Remote, Transport
from devices.transports.codec import from_wire_int, parse_token, to_wire_int, token_for, wire_tolerance
from devices.wires import RemoteRequest

_PARITY = {"none": "N", "even": "E", "odd": "O"}


# --------------------------------------------------------------------------- binary frames


def checksum(data: bytes, kind: str) -> int:
    """sum8: the byte sum modulo 256; xor8: all bytes xor-ed."""
    if kind == "sum8":
        return sum(data) & 0xFF
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode_frame(payload: bytes, framing: BinaryFraming) -> bytes:
    """START LEN PAYLOAD CHECKSUM, the checksum over LEN and PAYLOAD."""
    if len(payload) > 255:
        raise ValueError("a frame carries at most 255 payload bytes")
    body = bytes([len(payload)]) + payload
    return bytes([framing.start]) + body + bytes([checksum(body, framing.checksum)])


# The longest reply line of a serial unit here is under 40 bytes; a real one's a few hundred.
MAX_REPLY_BYTES = 4096


class FrameReader:
    """Pulls frames out of a byte stream; skips junk before a start byte, reports a bad checksum."""

    def __init__(self, framing: BinaryFraming) -> None:
        self.framing = framing
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer.extend(data)

    def next(self) -> bytes | None:
        """The next complete payload, None when more bytes are needed; ValueError on a bad checksum."""
        start = self.buffer.find(bytes([self.framing.start]))
        if start < 0:
            self.buffer.clear()
            return None
        del self.buffer[:start]
        if len(self.buffer) < 2:
            return None
        length = self.buffer[1]
        if len(self.buffer) < length + 3:
            return None
        body = bytes(self.buffer[1:length + 2])
        check = self.buffer[length + 2]
        del self.buffer[:length + 3]
        if checksum(body, self.framing.checksum) != check:
            raise ValueError(f"bad checksum in frame {bytes([self.framing.start]) + body + bytes([check])!r}")
        return body[1:]


# --------------------------------------------------------------------------- the wire


class SerialTransport(Transport[bytes, Any]):
    """A serial port opened by name with the unit's baud rate, parity and stop bits."""

    kind = "serial"

    def __init__(self, port: str, *, baud: int = 38400, bytesize: int = 8, parity: str = "none",
                 stopbits: int = 1, label: str = "serial", timeout_s: float = 0.5, retries: int = 2,
                 framing: str = "ascii", reply_terminator: bytes = b"\r\n",
                 binary: BinaryFraming | None = None) -> None:
        super().__init__(label=label, timeout_s=timeout_s, retries=retries)
        self.port = port
        self.baud = baud
        self.bytesize = bytesize
        self.parity = parity
        self.stopbits = stopbits
        self.framing = framing
        self.reply_terminator = reply_terminator
        self._frames = FrameReader(binary or BinaryFraming())
        self._lines = bytearray()
        self._serial: Any = None

    @property
    def address(self) -> str:
        return f"serial {self.port} ({self.baud} {self.bytesize}{_PARITY[self.parity]}{self.stopbits})"

    def _open(self) -> None:
        try:
            import serial  # pyserial
        except ImportError as exc:  # pragma: no cover - pyserial is a dependency
            raise MissingDependencyError("pyserial", "pip install pyserial") from exc
        try:
            self._serial = serial.Serial(
                self.port, baudrate=self.baud, bytesize=self.bytesize, parity=_PARITY[self.parity],
                stopbits=self.stopbits, timeout=0, write_timeout=self.timeout_s, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TransportError(f"unit {self.label!r}: cannot open {self.address}: {exc}") from exc

    def _close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def _send(self, msg: bytes) -> None:
        try:
            self._serial.write(msg)
            self._serial.flush()
        except Exception as exc:  # pyserial raises SerialTimeoutException or OSError
            raise TransportError(f"unit {self.label!r}: cannot write to {self.address}: {exc}") from exc

    def _receive(self, deadline: float) -> bytes | str | None:
        """The next reply line (ASCII) or frame payload (binary), or 'garbled: ...' text."""
        while True:
            item = self._take()
            if item is not None:
                return item
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            self._serial.timeout = min(wait, 0.05)
            try:
                chunk = self._serial.read(max(1, self._serial.in_waiting))
            except Exception as exc:
                raise TransportError(f"unit {self.label!r}: cannot read from {self.address}: {exc}") from exc
            if chunk:
                if self.framing == "binary":
                    self._frames.feed(chunk)
                else:
                    self._lines.extend(chunk)

    def _take(self) -> bytes | str | None:
        if self.framing == "binary":
            try:
                return self._frames.next()
            except ValueError as exc:
                return f"garbled: {exc}"
        end = self._lines.find(self.reply_terminator)
        if end < 0 and len(self._lines) > MAX_REPLY_BYTES or end > MAX_REPLY_BYTES:
            # a unit's reply is a short line; a wire spewing bytes without the terminator is not
            # buffered without limit
            self._lines.clear()
            return f"garbled: a reply longer than {MAX_REPLY_BYTES} bytes"
        if end < 0:
            return None
        line = bytes(self._lines[:end])
        del self._lines[:end + len(self.reply_terminator)]
        return line

    def _flush_input(self) -> None:
        self._serial.reset_input_buffer()
        self._lines.clear()
        self._frames.buffer.clear()

    def _describe(self, thing: Any) -> str:
        if isinstance(thing, bytes):
            return repr(thing.decode("latin-1")) if self.framing == "ascii" else thing.hex(" ")
        return str(thing)


# --------------------------------------------------------------------------- the profile's protocol


def ascii_pattern(template: str) -> re.Pattern[str]:
    """A regex that reads a command template back: 'SET {code} {value}' -> named groups code, value."""
    parts = re.split(r"(\{code\}|\{value\}|\{index\})", template)
    out = []
    for part in parts:
        if part == "{code}":
            out.append(r"(?P<code>[A-Za-z0-9_]+)")
        elif part == "{value}":
            out.append(r"(?P<value>\S+)")
        elif part == "{index}":
            out.append(r"(?P<index>\d+)")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$")


class SerialRemote(Remote):
    """A profile's serial encoding: ASCII templates with ack/error/reply patterns, or binary frames."""

    def __init__(self, transport: SerialTransport, encoding: SerialEncoding) -> None:
        self.transport = transport
        self.encoding = encoding
        self.can_read = encoding.query is not None or encoding.framing == "binary"
        self._ack = re.compile(encoding.ack)
        self._error = re.compile(encoding.error)

    def set(self, param: Parameter, value: Value) -> None:
        enc = self.encoding.parameters[param.name]
        if self.encoding.framing == "binary":
            f = self.encoding.binary
            number = to_wire_int(param, value, 16)
            frame = encode_frame(bytes([f.op_set, enc.id or 0, number >> 8, number & 0xFF]), f)

            def accept_binary(payload: Any) -> bool | None:
                if isinstance(payload, str):
                    raise NoReply(payload)
                if payload[:1] == bytes([f.ack]):
                    return True
                if payload[:1] == bytes([f.nak]):
                    reason = payload[1] if len(payload) > 1 else 0
                    raise TransportError(f"unit {self.transport.label!r} on {self.transport.address} refused "
                                         f"{param.name} = {param.marking(value)} (error code {reason})")
                raise NoReply(f"garbled reply {payload.hex(' ')!r}")

            self.transport.request(frame, accept_binary)
            return
        line = self._command(self.encoding.set, enc.code or "", param, value)

        def accept_ascii(reply: Any) -> bool | None:
            text = _text(reply)
            if self._ack.match(text):
                return True
            refused = self._error.match(text)
            if refused:
                reason = refused.groupdict().get("reason") or text
                raise TransportError(f"unit {self.transport.label!r} on {self.transport.address} refused "
                                     f"{param.name} = {param.marking(value)}: {reason}")
            raise NoReply(f"garbled reply {text!r}")

        self.transport.request(line, accept_ascii)

    def get(self, param: Parameter) -> Value:
        enc = self.encoding.parameters[param.name]
        if self.encoding.framing == "binary":
            f = self.encoding.binary
            frame = encode_frame(bytes([f.op_query, enc.id or 0]), f)

            def accept_binary(payload: Any) -> Value | None:
                if isinstance(payload, str):
                    raise NoReply(payload)
                if len(payload) == 4 and payload[0] == f.op_value and payload[1] == (enc.id or 0):
                    try:
                        return from_wire_int(param, (payload[2] << 8) | payload[3], 16)
                    except ValueError as exc:
                        raise NoReply(f"garbled reply {payload.hex(' ')!r} ({exc})") from None
                raise NoReply(f"garbled reply {payload.hex(' ')!r}")

            return self.transport.request(frame, accept_binary)
        if self.encoding.query is None:
            return super().get(param)
        line = self._command(self.encoding.query, enc.code or "", param, None)
        reply_re = re.compile(self.encoding.reply.replace("{code}", re.escape(enc.code or "")))

        def accept_ascii(reply: Any) -> Value | None:
            text = _text(reply)
            found = reply_re.match(text)
            if found is None:
                raise NoReply(f"garbled reply {text!r}")
            try:
                return parse_token(param, enc, found.groupdict())
            except ValueError:
                raise NoReply(f"garbled reply {text!r}") from None

        return self.transport.request(line, accept_ascii)

    def _command(self, template: str, code: str, param: Parameter, value: Value | None) -> bytes:
        fields: dict[str, Any] = {"code": code}
        if value is not None:
            fields["value"] = token_for(param, self.encoding.parameters[param.name], value)
            fields["index"] = str(param.index(value)) if param.detents is not None else ""
        text = template.format(**fields) + self.encoding.terminator
        return text.encode("ascii")

    def tolerance(self, param: Parameter) -> float:
        if self.encoding.framing == "binary":
            return wire_tolerance(param, 16)
        if param.detents is not None or param.spec.range is None:
            return 0.0
        # a 6-significant-digit token
        low, high = param.spec.range
        return 1e-5 * max(abs(low), abs(high), 1.0)


def _text(reply: Any) -> str:
    if isinstance(reply, bytes):
        return reply.decode("latin-1").strip()
    return str(reply)


def connect_remote(request: RemoteRequest) -> SerialRemote:
    """The serial wire's row of devices.wires: the unit's serial device (or the twin's pty)."""
    config, encoding = request.config, request.encoding
    wire = cast(SerialWire, request.config.wire)  # the table is keyed by wire.kind
    port_name = request.address or wire.port
    if port_name == "auto":
        raise ConfigError(None, f"units.{config.name}.wire.port", "auto",
                          "'auto' needs simulated: true; give the serial device, e.g. /dev/ttyUSB0")
    return SerialRemote(SerialTransport(
        port_name, baud=wire.baud, bytesize=wire.bytesize, parity=wire.parity, stopbits=wire.stopbits,
        label=config.name, timeout_s=wire.timeout_s, retries=wire.retries, framing=encoding.framing,
        reply_terminator=encoding.reply_terminator.encode("ascii"), binary=encoding.binary), encoding)
