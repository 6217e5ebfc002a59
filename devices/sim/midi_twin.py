"""A simulated unit on a MIDI port: a mido socket (TCP on 127.0.0.1) that any mido client can connect to."""

from __future__ import annotations

import selectors
import socket
import threading
from typing import TYPE_CHECKING, Any, cast

import mido

from devices.errors import ConfigError
from devices.profile import Parameter, Profile
from devices.profile_schema import MidiEncoding
from devices.rig import MidiWire, UnitConfig
from devices.sim.panel import Panel
from devices.sim.twin import Twin, log
from devices.transports.codec import from_wire_int, to_wire_int
from devices.transports.midi import bits_of, dt1, parse_roland
from devices.transports.midibytes import MAX_SYSEX_BYTES, BoundedMidiParser

if TYPE_CHECKING:
    from devices.sim.rig import SimRig


class MidiDecoder:
    """Turns a channel's stream of MIDI messages into (parameter, wire number) pairs; answers RQ1 SysEx.

    It keeps the running state MIDI needs: the MSB of a 14-bit controller until its LSB arrives, and
    the NRPN number selected by CC 99/98 until data entry (CC 6/38) comes.
    """

    def __init__(self, profile: Profile, encoding: MidiEncoding, channel: int) -> None:
        self.profile = profile
        self.encoding = encoding
        self.channel = channel - 1
        params = encoding.parameters
        self._cc = {e.cc: profile.parameters[p] for p, e in params.items() if e.cc is not None}
        self._cc14 = {e.cc14: profile.parameters[p] for p, e in params.items() if e.cc14 is not None}
        self._nrpn = {e.nrpn: profile.parameters[p] for p, e in params.items() if e.nrpn is not None}
        self._program = next((profile.parameters[p] for p, e in params.items() if e.program), None)
        self._by_address = {tuple(e.sysex_address): profile.parameters[p] for p, e in params.items()
                            if e.sysex_address is not None}
        self._msb: dict[int, int] = {}
        self._nrpn_number = [None, None]  # type: list[int | None]
        self._nrpn_msb = 0

    def decode(self, msg: Any) -> tuple[Parameter, int] | None:
        """The parameter and number a set message carries, or None (other channel, partial, unknown)."""
        if getattr(msg, "channel", None) != self.channel:
            return None
        if msg.type == "program_change" and self._program is not None:
            return self._program, msg.program
        if msg.type != "control_change":
            return None
        control, value = msg.control, msg.value
        if control in self._cc:
            return self._cc[control], value
        if control in self._cc14:
            self._msb[control] = value
            return self._cc14[control], value << 7  # an MSB alone means LSB 0, until the LSB comes
        if control - 32 in self._cc14:
            return self._cc14[control - 32], (self._msb.get(control - 32, 0) << 7) | value
        if control == 99:
            self._nrpn_number[0] = value
        elif control == 98:
            self._nrpn_number[1] = value
        elif control in (6, 38) and None not in self._nrpn_number:
            number = (self._nrpn_number[0] << 7) | self._nrpn_number[1]  # type: ignore[operator]
            param = self._nrpn.get(number)
            if param is None:
                return None
            if control == 6:
                self._nrpn_msb = value
                return param, value << 7
            return param, (self._nrpn_msb << 7) | value
        return None

    def query(self, msg: Any) -> Parameter | None:
        """The parameter an RQ1 SysEx asks for; None if the message is something else."""
        spec = self.encoding.sysex
        if spec is None or msg.type != "sysex":
            return None
        address_len = len(next(iter(self._by_address), ()))
        try:
            found = parse_roland(spec, msg.data, spec.request, address_len)
        except ValueError as exc:
            log.info("MIDI twin: %s", exc)
            return None
        return self._by_address.get(tuple(found[0])) if found else None


class MidiTwinBase(Twin):
    """What a MIDI twin does with each message, whatever carries it."""

    kind = "midi"

    def __init__(self, name: str, profile: Profile, panel: Panel, *, channel: int) -> None:
        super().__init__(name, profile, panel)
        self.encoding: MidiEncoding = profile.encoding("midi")
        self.channel = channel
        self.decoder = MidiDecoder(profile, self.encoding, channel)
        self._lock = threading.Lock()

    def handle(self, msg: Any) -> list[Any]:
        """Take one message off the wire; the messages to answer with (a DT1 for an RQ1)."""
        with self._lock:
            self.received += 1
            param = self.decoder.query(msg)
            if param is not None:
                if self.fault == "silent":
                    return []
                enc = self.encoding.parameters[param.name]
                number = to_wire_int(param, self.reported(param), bits_of(enc))
                reply = dt1(self.encoding.sysex, list(enc.sysex_address or ()), [number >> 7, number & 0x7F])  # type: ignore[arg-type]
                if self.fault == "garbled":
                    data = list(reply.data)
                    data[-1] = (data[-1] + 1) % 128  # a bit error: the Roland checksum no longer fits
                    reply = mido.Message("sysex", data=data)
                return [reply]
            found = self.decoder.decode(msg)
            if found is not None:
                param, number = found
                try:
                    self.take(param, from_wire_int(param, number, bits_of(self.encoding.parameters[param.name])))
                except ValueError as exc:
                    log.info("simulated %s: %s", self.name, exc)
            return []


class MidiTwin(MidiTwinBase):
    """Listens on tcp 127.0.0.1:PORT (mido's socket protocol: raw MIDI bytes over TCP).

    Like a unit with a few MIDI inputs, it serves at most MAX_CONNECTIONS clients, all from one
    thread (500 connections once made 510 threads): one more is closed at once with a log line. A
    SysEx past MAX_SYSEX_BYTES is dropped (BoundedMidiParser), and a client that does not read its
    replies is dropped when the socket's buffer is full, so it never stalls the others."""

    MAX_CONNECTIONS = 8

    def __init__(self, name: str, profile: Profile, panel: Panel, *, channel: int, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(name, profile, panel, channel=channel)
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((host, port))
        self._server.listen(128)  # a full backlog makes a client wait out SYN retries; refuse it quickly instead
        self._server.setblocking(False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clients: dict[socket.socket, BoundedMidiParser] = {}
        self.refused_connections = 0

    @property
    def address(self) -> str:
        host, port = self._server.getsockname()[:2]
        return f"tcp:{host}:{port}"

    def start(self) -> MidiTwin:
        self._thread = threading.Thread(target=self._loop, name=f"midi-twin-{self.name}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._server.close()
        for conn in list(self._clients):
            conn.close()
        self._clients.clear()
        super().close()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ)
            while not self._stop.is_set():
                try:
                    events = selector.select(timeout=0.1)
                except (OSError, ValueError):
                    return
                for key, _mask in events:
                    if key.fileobj is self._server:
                        self._accept(selector)
                    else:
                        self._read(selector, key.fileobj)  # type: ignore[arg-type]

    def _accept(self, selector: selectors.BaseSelector) -> None:
        for _ in range(64):  # every connection waiting, a bounded number per wake
            try:
                conn, peer = self._server.accept()
            except OSError:
                return
            self._admit(selector, conn, peer)

    def _admit(self, selector: selectors.BaseSelector, conn: socket.socket, peer: object) -> None:
        if len(self._clients) >= self.MAX_CONNECTIONS:
            self.refused_connections += 1
            if self.refused_connections == 1 or self.refused_connections % 100 == 0:
                log.info("simulated %s: %d MIDI connections open, the most it takes; refused %s (%d so far)",
                         self.name, self.MAX_CONNECTIONS, peer, self.refused_connections)
            conn.close()
            return
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._clients[conn] = BoundedMidiParser(who=f"simulated {self.name}")
        selector.register(conn, selectors.EVENT_READ)

    def _drop(self, selector: selectors.BaseSelector, conn: socket.socket) -> None:
        selector.unregister(conn)
        self._clients.pop(conn, None)
        conn.close()

    def _read(self, selector: selectors.BaseSelector, conn: socket.socket) -> None:
        try:
            data = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(selector, conn)
            return
        for msg in self._clients[conn].feed(data):
            try:
                replies = self.handle(msg)
            except Exception as exc:  # noqa: BLE001 -- a unit never dies of a message; one line, no traceback
                log.info("simulated %s: refused MIDI %s (%s)", self.name, msg.hex()[:60], exc)
                continue
            for reply in replies:
                payload = bytes(reply.bytes())
                try:
                    sent = conn.send(payload)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    self._drop(selector, conn)
                    return
                if sent < len(payload):
                    log.info("simulated %s: a MIDI client is not reading its replies; it was disconnected", self.name)
                    self._drop(selector, conn)
                    return


class JackMidiTwin(MidiTwinBase):
    """Listens on JACK MIDI through python-rtmidi: port CLIENT:in (it hears) and CLIENT-reply:out (it answers).

    Two JACK clients, because python-rtmidi opens one client per direction and JACK renames a second
    client of the same name.
    """

    def __init__(self, name: str, profile: Profile, panel: Panel, *, channel: int, client: str) -> None:
        super().__init__(name, profile, panel, channel=channel)
        self.client = client
        self._in: Any = None
        self._out: Any = None

    @property
    def address(self) -> str:
        return f"jack:{self.client}"

    def start(self) -> JackMidiTwin:
        from devices.transports.midi import jack_midi

        rtmidi = jack_midi(f"simulated unit {self.name!r}")
        try:
            self._out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=f"{self.client}-reply")
            self._out.open_virtual_port("out")
            self._in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=self.client)
            self._in.ignore_types(sysex=False, timing=True, active_sense=True)
            self._in.set_callback(self._on_message)
            self._in.open_virtual_port("in")
        except Exception:
            self.close()
            raise
        return self

    def _on_message(self, event: tuple[list[int], float], _data: object = None) -> None:
        if len(event[0]) > MAX_SYSEX_BYTES:
            log.info("simulated %s: a SysEx longer than %d bytes was dropped", self.name, MAX_SYSEX_BYTES)
            return
        try:
            msg = mido.Message.from_bytes(event[0])
            replies = self.handle(msg)
        except Exception as exc:  # noqa: BLE001 -- rtmidi's thread: one line, never a traceback
            log.info("simulated %s: refused MIDI %s (%s)", self.name, bytes(event[0][:30]).hex(), exc)
            return
        for reply in replies:
            if self._out is not None:
                self._out.send_message(reply.bytes())

    def close(self) -> None:
        # every JACK client must leave before its server does (a stale client hangs the next stream)
        for port in (self._in, self._out):
            if port is not None:
                port.close_port()
                port.delete()
        self._in = self._out = None
        super().close()


def midi_twin(sim: SimRig, unit: UnitConfig, profile: Profile, panel: Panel) -> Twin:
    """The MIDI wire's row of devices.wires: a mido socket ('auto', 'tcp:HOST:PORT') or JACK MIDI ports."""
    wire = cast(MidiWire, unit.wire)
    scheme, _, rest = wire.port.partition(":")
    if scheme == "jack":
        # JACK MIDI ports CLIENT:in / CLIENT:out (needs a running JACK server)
        client = rest or f"hybrid-{sim.rig.name}-{unit.name}"
        return JackMidiTwin(unit.name, profile, panel, channel=wire.channel, client=client)
    if wire.port == "auto" or scheme == "tcp":
        port = int(rest.rpartition(":")[2]) if scheme == "tcp" else 0
        return MidiTwin(unit.name, profile, panel, channel=wire.channel, port=port)
    raise ConfigError(None, f"units.{unit.name}.wire.port", wire.port,
                      "a simulated MIDI unit listens on 'auto' (a mido socket), "
                      "'tcp:127.0.0.1:PORT' or 'jack' / 'jack:CLIENT' (JACK MIDI)")
