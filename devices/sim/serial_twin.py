"""A simulated unit on the far end of a pty pair: reads serial commands, acknowledges, answers queries."""

from __future__ import annotations

import os
import select
import threading
import tty
from typing import TYPE_CHECKING

from devices.profile import Parameter, Profile
from devices.profile_schema import SerialEncoding
from devices.rig import UnitConfig
from devices.sim.panel import Panel
from devices.sim.twin import Twin, log
from devices.transports.codec import from_wire_int, parse_token, to_wire_int, token_for
from devices.transports.serial import FrameReader, ascii_pattern, encode_frame

if TYPE_CHECKING:
    from devices.sim.rig import SimRig


# A command line of these units is under 40 bytes; a real unit's input buffer holds a few hundred.
MAX_LINE_BYTES = 1024


class SerialTwin(Twin):
    """Holds the master side of os.openpty(); the controller opens the slave by its /dev/pts path.

    As the hardware does: a line past MAX_LINE_BYTES without its terminator is dropped with one
    error reply (not buffered: a 64 MB line once came back as a 67 MB ERR), and replies to a
    client that does not read are lost when the pty's buffer is full, never waited for."""

    kind = "serial"

    def __init__(self, name: str, profile: Profile, panel: Panel) -> None:
        super().__init__(name, profile, panel)
        self.encoding: SerialEncoding = profile.encoding("serial")
        self._master, self._slave = os.openpty()
        # raw: no echo, no line editing, no CR/LF translation; the bytes are the protocol
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        enc = self.encoding
        self._by_code = {e.code: profile.parameters[p] for p, e in enc.parameters.items() if e.code}
        self._by_id = {e.id: profile.parameters[p] for p, e in enc.parameters.items() if e.id is not None}
        self._set_re = ascii_pattern(enc.set)
        self._query_re = ascii_pattern(enc.query) if enc.query else None
        self._frames = FrameReader(enc.binary)
        self._line = bytearray()
        self._overlong = False  # inside a line past MAX_LINE_BYTES: dropped up to its terminator
        self.dropped_replies = 0
        os.set_blocking(self._master, False)

    @property
    def address(self) -> str:
        return self.path

    def start(self) -> SerialTwin:
        self._thread = threading.Thread(target=self._loop, name=f"serial-twin-{self.name}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
        super().close()

    def _loop(self) -> None:
        while True:
            ready, _, _ = select.select([self._master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                data = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            if self.encoding.framing == "binary":
                self._frames.feed(data)
                self._binary()
            else:
                self._line.extend(data)
                self._ascii()

    def _write(self, data: bytes) -> None:
        if self.fault == "silent":
            return
        if self.fault == "garbled":
            if self.encoding.framing == "binary":
                data = data[:-1] + bytes([data[-1] ^ 0x5A])  # a bit error: the checksum no longer fits
            else:
                term = self.encoding.reply_terminator.encode("latin-1")
                data = b"#\x7f?" + bytes(b ^ 0x5A for b in data[:-len(term)]) + term  # line noise
        try:
            written = os.write(self._master, data)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError:
            return
        if written < len(data):
            self.dropped_replies += 1
            if self.dropped_replies == 1 or self.dropped_replies % 1000 == 0:
                log.info("simulated %s: the serial client is not reading; %d reply(ies) lost", self.name,
                         self.dropped_replies)

    # ------------------------------------------------------------------ ASCII

    def _ascii(self) -> None:
        term = self.encoding.terminator.encode("ascii")
        while True:
            end = self._line.find(term)
            if self._overlong:
                if end < 0:
                    del self._line[:max(0, len(self._line) - len(term) + 1)]  # keep what may start a terminator
                    return
                del self._line[:end + len(term)]
                self._overlong = False
                continue
            if end < 0:
                if len(self._line) > MAX_LINE_BYTES:
                    self._overlong = True
                    self._line.clear()
                    log.info("simulated %s: a serial line longer than %d bytes was dropped", self.name, MAX_LINE_BYTES)
                    self._write((self.encoding.error_format.format(reason=f"line longer than {MAX_LINE_BYTES} bytes")
                                 + self.encoding.reply_terminator).encode("latin-1"))
                return
            if end > MAX_LINE_BYTES:
                del self._line[:end + len(term)]
                self._write((self.encoding.error_format.format(reason=f"line longer than {MAX_LINE_BYTES} bytes")
                             + self.encoding.reply_terminator).encode("latin-1"))
                continue
            line = bytes(self._line[:end]).decode("latin-1").strip()
            del self._line[:end + len(term)]
            if line:
                self.received += 1
                self._write((self._answer(line) + self.encoding.reply_terminator).encode("latin-1"))

    def _answer(self, line: str) -> str:
        enc = self.encoding
        found = self._set_re.match(line)
        if found:
            param = self._by_code.get(found["code"])
            if param is None:
                return enc.error_format.format(reason=f"unknown code {found['code']}")
            try:
                value = self._parse(param, found.groupdict())
            except ValueError as exc:
                return enc.error_format.format(reason=str(exc))
            if not self.take(param, value):
                return enc.error_format.format(reason=f"{param.name} cannot be {found.groupdict().get('value')}")
            return enc.ack_text
        found = self._query_re.match(line) if self._query_re else None
        if found:
            param = self._by_code.get(found["code"])
            if param is None:
                return enc.error_format.format(reason=f"unknown code {found['code']}")
            value = self.reported(param)
            token = token_for(param, enc.parameters[param.name], value)
            return enc.reply_format.format(code=found["code"], value=token,
                                           index=param.index(value) if param.detents is not None else "")
        return enc.error_format.format(reason=f"cannot parse {line!r}")

    def _parse(self, param: Parameter, groups: dict[str, str | None]) -> float | str:
        return parse_token(param, self.encoding.parameters[param.name], groups)

    # ------------------------------------------------------------------ binary

    def _binary(self) -> None:
        f = self.encoding.binary
        while True:
            try:
                payload = self._frames.next()
            except ValueError as exc:
                log.info("simulated %s: %s", self.name, exc)
                self._write(encode_frame(bytes([f.nak, 2]), f))
                continue
            if payload is None:
                return
            self.received += 1
            self._write(encode_frame(self._binary_answer(payload), f))

    def _binary_answer(self, payload: bytes) -> bytes:
        f = self.encoding.binary
        if len(payload) >= 2 and payload[1] in self._by_id:
            param = self._by_id[payload[1]]
            if payload[0] == f.op_set and len(payload) == 4:
                try:
                    value = from_wire_int(param, (payload[2] << 8) | payload[3], 16)
                except ValueError:
                    return bytes([f.nak, 3])
                return bytes([f.ack]) if self.take(param, value) else bytes([f.nak, 3])
            if payload[0] == f.op_query and len(payload) == 2:
                number = to_wire_int(param, self.reported(param), 16)
                return bytes([f.op_value, payload[1], number >> 8, number & 0xFF])
        return bytes([f.nak, 1])


def serial_twin(sim: SimRig, unit: UnitConfig, profile: Profile, panel: Panel) -> SerialTwin:
    """The serial wire's row of devices.wires: a pty pair, linked as <state>/sim/<rig>/<unit>.tty."""
    twin = SerialTwin(unit.name, profile, panel)
    sim._link(unit.name, twin.address)
    return twin
