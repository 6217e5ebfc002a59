"""MIDI bytes off a stream (a TCP socket): parsed with a bound on SysEx, as hardware's buffer has one.

mido's Parser keeps an unterminated SysEx without limit (32 MB of one grew a twin by 266 MB); here
a SysEx past MAX_SYSEX_BYTES is dropped to its end, once said, and the stream goes on."""

from __future__ import annotations

import logging
import re
import socket
from typing import Any

log = logging.getLogger("hybrid.midi")

# The units' SysEx (Roland DT1/RQ1 of one parameter) is under 20 bytes; a whole-patch dump of a
# real unit is a few hundred. 4 KiB holds any of them.
MAX_SYSEX_BYTES = 4096
_SYSEX_END = re.compile(rb"[\x80-\xf7]")  # any status byte but real-time (F8-FF) ends a SysEx
_READ_BYTES = 4096


class BoundedMidiParser:
    """Bytes in, complete mido messages out; an over-long SysEx is dropped, not kept."""

    def __init__(self, max_sysex: int = MAX_SYSEX_BYTES, who: str = "MIDI") -> None:
        import mido

        self._new_parser = mido.Parser
        self._parser = mido.Parser()
        self.max_sysex = max_sysex
        self.who = who
        self._sysex_bytes = -1  # -1: not inside a SysEx; else its bytes so far
        self._dropping = False
        self.dropped_sysex = 0

    def feed(self, data: bytes) -> list[Any]:
        """Every message the bytes complete, in order."""
        out: list[Any] = []
        pos = 0
        while pos < len(data):
            if self._sysex_bytes < 0:
                start = data.find(b"\xf0", pos)
                end = len(data) if start < 0 else start + 1
                self._parser.feed(data[pos:end])
                pos = end
                if start >= 0:
                    self._sysex_bytes = 1
                continue
            found = _SYSEX_END.search(data, pos)
            stop = len(data) if found is None else found.start()
            body = data[pos:stop]
            if not self._dropping:
                room = self.max_sysex - self._sysex_bytes
                self._parser.feed(body[:room])
                if len(body) > room:
                    self._dropping = True
                    self.dropped_sysex += 1
                    out.extend(self._parser)  # what it completed before the SysEx
                    self._parser = self._new_parser()  # forget the partial SysEx held inside
                    log.info("%s: a SysEx longer than %d bytes was dropped", self.who, self.max_sysex)
            self._sysex_bytes += len(body)
            pos = stop
            if found is not None:
                self._sysex_bytes = -1
                if self._dropping:
                    self._dropping = False
                    if data[stop] == 0xF7:
                        pos += 1  # the dropped SysEx's own end
        out.extend(self._parser)
        return out


class SocketMidiPort:
    """A client of a mido socket (raw MIDI bytes over TCP) that reads through BoundedMidiParser;
    the same send/poll/close as mido.sockets' port."""

    def __init__(self, host: str, port: int, timeout_s: float = 5.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout_s)
        # small MIDI writes must leave at once, not wait for Nagle's algorithm (40 ms here)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.settimeout(timeout_s)
        self._parser = BoundedMidiParser(who=f"midi tcp:{host}:{port}")
        self._pending: list[Any] = []

    def send(self, msg: Any) -> None:
        self._sock.sendall(bytes(msg.bytes()))

    def poll(self) -> Any | None:
        """The next message if one has arrived, else None; EOFError when the far end closed."""
        if not self._pending:
            self._sock.setblocking(False)
            try:
                data = self._sock.recv(_READ_BYTES)
            except (BlockingIOError, InterruptedError):
                data = None
            finally:
                self._sock.setblocking(True)
            if data == b"":
                raise EOFError("the connection was closed")
            if data:
                self._pending.extend(self._parser.feed(data))
        return self._pending.pop(0) if self._pending else None

    def close(self) -> None:
        self._sock.close()
