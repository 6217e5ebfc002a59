"""MIDI through mido: CC (7- and 14-bit), NRPN, program change, Roland-style SysEx read-back; a channel per unit."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path
from typing import Any, cast

from devices.errors import ConfigError, MissingDependencyError, TransportError
from devices.profile import Parameter, Value
from devices.profile_schema import MidiEncoding, MidiParam, SysexSpec
from devices.rig import MidiWire
from devices.transports.base import NoReply, Remote, Transport
from devices.transports.codec import from_wire_int, to_wire_int, wire_tolerance
from devices.transports.midibytes import MAX_SYSEX_BYTES
from devices.wires import RemoteRequest

# Messages a callback port may hold between two reads of the controller (a reply is one or two).
MAX_PENDING_MESSAGES = 1024

# --------------------------------------------------------------------------- messages


def roland_checksum(data: list[int] | bytes) -> int:
    """Roland's SysEx checksum: the value that brings address + data to a multiple of 128."""
    return (128 - sum(data) % 128) % 128


def bits_of(enc: MidiParam) -> int:
    return 14 if (enc.cc14 is not None or enc.nrpn is not None) else 7


def set_messages(enc: MidiParam, channel: int, number: int) -> list[Any]:
    """The MIDI messages that set a parameter to a wire number (channel 0-15)."""
    import mido

    def cc(control: int, value: int) -> Any:
        return mido.Message("control_change", channel=channel, control=control, value=value)

    if enc.cc is not None:
        return [cc(enc.cc, number)]
    if enc.cc14 is not None:
        return [cc(enc.cc14, number >> 7), cc(enc.cc14 + 32, number & 0x7F)]
    if enc.nrpn is not None:
        return [cc(99, enc.nrpn >> 7), cc(98, enc.nrpn & 0x7F), cc(6, number >> 7), cc(38, number & 0x7F)]
    return [mido.Message("program_change", channel=channel, program=number)]


def rq1(spec: SysexSpec, address: list[int], size: int = 2) -> Any:
    """A Roland 'request data 1' SysEx for size bytes at address."""
    import mido

    size_bytes = [(size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F]
    body = list(address) + size_bytes
    return mido.Message("sysex", data=[spec.manufacturer, spec.device, *spec.model, spec.request, *body,
                                       roland_checksum(body)])


def dt1(spec: SysexSpec, address: list[int], data: list[int]) -> Any:
    """A Roland 'data set 1' SysEx carrying data at address."""
    import mido

    body = list(address) + list(data)
    return mido.Message("sysex", data=[spec.manufacturer, spec.device, *spec.model, spec.data, *body,
                                       roland_checksum(body)])


def parse_roland(spec: SysexSpec, data: list[int] | tuple[int, ...], command: int,
                 address_len: int) -> tuple[list[int], list[int]] | None:
    """(address, payload) of a Roland SysEx with this header and command; None if it is another message.

    Raises ValueError when the header matches but the checksum does not (a garbled message).
    """
    header = [spec.manufacturer, spec.device, *spec.model, command]
    data = list(data)
    if data[:len(header)] != header or len(data) < len(header) + address_len + 1:
        return None
    body, check = data[len(header):-1], data[-1]
    if roland_checksum(body) != check:
        raise ValueError(f"bad Roland checksum {check:#04x} (expected {roland_checksum(body):#04x})")
    return body[:address_len], body[address_len:]


# --------------------------------------------------------------------------- the wire


class MidiTransport(Transport[Any, Any]):
    """A MIDI port pair. port: 'tcp:HOST:PORT' (a mido socket), 'jack:NAME' (JACK MIDI), or a system port name."""

    kind = "midi"

    def __init__(self, port: str, *, label: str = "midi", timeout_s: float = 0.5, retries: int = 2) -> None:
        super().__init__(label=label, timeout_s=timeout_s, retries=retries)
        self.port = port
        self._out: Any = None
        self._in: Any = None
        # what a callback port (JACK, a system port) delivers waits here, bounded: a unit spewing
        # messages between two requests loses the oldest, it does not grow the process
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=MAX_PENDING_MESSAGES)

    @property
    def address(self) -> str:
        return f"midi {self.port}"

    def _open(self) -> None:
        try:
            import mido
        except ImportError as exc:  # pragma: no cover - mido is a dependency
            raise MissingDependencyError("mido", "pip install mido") from exc
        scheme, _, rest = self.port.partition(":")
        try:
            if scheme == "tcp":
                from devices.transports.midibytes import SocketMidiPort
                from devices.wireaddr import parse_midi_port

                try:
                    where = parse_midi_port(self.port)
                except ValueError as exc:
                    raise TransportError(f"unit {self.label!r}: cannot open {self.address}: {exc}") from None
                self._out = SocketMidiPort(where.host, where.number, timeout_s=max(self.timeout_s, 1.0))
                self._in = self._out
            elif scheme == "jack":
                self._out, self._in = _JackPorts.open(rest, f"hybrid-{self.label}", self._deliver)
            else:
                backend = _rtmidi_backend(None)
                self._out = backend.open_output(self.port)
                self._in = backend.open_input(self.port, callback=self._deliver)
        except (MissingDependencyError, TransportError) as exc:
            if isinstance(exc, TransportError) and not str(exc).startswith("unit "):
                raise TransportError(f"unit {self.label!r}: cannot open {self.address}: {exc}") from exc
            raise
        except (OSError, ValueError, IOError) as exc:
            raise TransportError(f"unit {self.label!r}: cannot open {self.address}: {exc}") from exc
        except Exception as exc:  # rtmidi raises its own SystemError/RtMidiError family
            raise TransportError(f"unit {self.label!r}: cannot open {self.address}: {exc}") from exc

    def _deliver(self, msg: Any) -> None:
        """A message from a callback port: an over-long SysEx dropped, the queue kept bounded."""
        if getattr(msg, "type", "") == "sysex" and len(msg.data) + 2 > MAX_SYSEX_BYTES:
            return
        while True:
            try:
                self._queue.put_nowait(msg)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def _close(self) -> None:
        for port in {id(p): p for p in (self._in, self._out) if p is not None}.values():
            try:
                port.close()
            except Exception:  # closing a dead socket is not worth an error on the way out
                pass
        self._in = self._out = None

    def _send(self, msg: Any) -> None:
        try:
            self._out.send(msg)
        except (OSError, ValueError) as exc:
            raise TransportError(f"unit {self.label!r}: cannot send to {self.address}: {exc}") from exc

    def send_all(self, messages: list[Any]) -> None:
        with self.lock:
            for msg in messages:
                self.send(msg)

    def _receive(self, deadline: float) -> Any | None:
        while True:
            if self._in is self._out and hasattr(self._in, "poll"):  # mido socket: no callbacks
                try:
                    msg = self._in.poll()
                except (OSError, EOFError) as exc:
                    raise TransportError(f"unit {self.label!r}: {self.address} closed: {exc}") from exc
                if msg is not None:
                    return msg
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.0003)
                continue
            try:
                return self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None

    def _flush_input(self) -> None:
        while self._receive(time.monotonic()) is not None:
            pass

    def _describe(self, thing: Any) -> str:
        if hasattr(thing, "hex") and getattr(thing, "type", "") == "sysex":
            return f"sysex {thing.hex()}"
        return str(thing)


def jack_midi(who: str) -> Any:
    """python-rtmidi, checked to have a JACK server to talk to (else one clear error)."""
    try:
        import rtmidi
    except ImportError as exc:
        raise MissingDependencyError("python-rtmidi (JACK MIDI)", "pip install python-rtmidi") from exc
    server = os.environ.get("JACK_DEFAULT_SERVER", "default")
    # jackd listens on this socket; checking first spares a screenful of JACK's own complaints
    if not Path(f"/dev/shm/jack_{server}_{os.getuid()}_0").exists():
        raise TransportError(f"{who}: JACK MIDI needs a running JACK server (none named {server!r}); "
                             "start one (jackd -d dummy) or use a MIDI port of another kind")
    return rtmidi


def _deliver_bytes(deliver: Any, data: list[int]) -> None:
    """rtmidi's callback thread: bytes that are no MIDI message (or a SysEx past the bound) are
    dropped here, not raised as a traceback in a thread nobody joins."""
    import mido

    if len(data) > MAX_SYSEX_BYTES:
        return
    try:
        msg = mido.Message.from_bytes(data)
    except (ValueError, IndexError, TypeError):  # mido raises IndexError for a status byte alone
        return
    deliver(msg)


class _JackPorts:
    """A controller's pair of JACK MIDI ports connected to a unit's CLIENT:in and CLIENT-reply:out."""

    def __init__(self, out: Any, midi_in: Any) -> None:
        self._out = out
        self._in = midi_in

    @classmethod
    def open(cls, client: str, own_name: str, deliver: Any) -> tuple[Any, Any]:
        import mido

        rtmidi = jack_midi(f"MIDI port jack:{client}")
        out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=own_name)
        midi_in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=own_name)
        try:
            targets = {"in": f"{client}:in", "out": f"{client}-reply:out"}
            outs, ins = out.get_ports(), midi_in.get_ports()
            if targets["in"] not in outs or targets["out"] not in ins:
                raise TransportError(f"no JACK MIDI ports {targets['in']} / {targets['out']}; "
                                     f"JACK has: {', '.join(outs + ins) or 'none'}")
            out.open_port(outs.index(targets["in"]), "out")
            midi_in.ignore_types(sysex=False, timing=True, active_sense=True)
            midi_in.set_callback(lambda event, _data=None: _deliver_bytes(deliver, event[0]))
            midi_in.open_port(ins.index(targets["out"]), "in")
        except BaseException:
            out.delete()
            midi_in.delete()
            raise
        ports = cls(out, midi_in)
        return _JackOut(ports), _JackIn(ports)


class _JackOut:
    def __init__(self, ports: _JackPorts) -> None:
        self.ports = ports

    def send(self, msg: Any) -> None:
        self.ports._out.send_message(msg.bytes())

    def close(self) -> None:
        self.ports._out.close_port()
        self.ports._out.delete()


class _JackIn:
    def __init__(self, ports: _JackPorts) -> None:
        self.ports = ports

    def close(self) -> None:
        self.ports._in.close_port()
        self.ports._in.delete()


def _rtmidi_backend(api: str | None) -> Any:
    import mido

    try:
        import rtmidi  # noqa: F401  (python-rtmidi; only for a real or JACK MIDI port)
    except ImportError as exc:
        raise MissingDependencyError("python-rtmidi (MIDI ports)", "pip install python-rtmidi") from exc
    name = "mido.backends.rtmidi" + (f"/{api}" if api else "")
    return mido.Backend(name, load=True)


class MidiRemote(Remote):
    transport: MidiTransport
    """A profile's MIDI encoding on one channel; read-back through Roland RQ1/DT1 where addresses are given."""

    def __init__(self, transport: MidiTransport, encoding: MidiEncoding, channel: int) -> None:
        self.transport = transport
        self.encoding = encoding
        self.channel = channel - 1  # the rig counts channels 1-16 like the panel does
        self.can_read = encoding.sysex is not None and all(
            p.sysex_address is not None for p in encoding.parameters.values())

    def set(self, param: Parameter, value: Value) -> None:
        enc = self.encoding.parameters[param.name]
        number = to_wire_int(param, value, bits_of(enc))
        self.transport.send_all(set_messages(enc, self.channel, number))

    def get(self, param: Parameter) -> Value:
        enc = self.encoding.parameters[param.name]
        spec = self.encoding.sysex
        if spec is None or enc.sysex_address is None:
            return super().get(param)
        address = list(enc.sysex_address)

        def accept(msg: Any) -> Value | None:
            if getattr(msg, "type", "") != "sysex":
                return None
            try:
                found = parse_roland(spec, msg.data, spec.data, len(address))
            except ValueError as exc:
                raise NoReply(f"garbled reply ({exc})") from None
            if found is None or found[0] != address:
                return None
            payload = found[1]
            if len(payload) != 2:
                raise NoReply(f"garbled reply sysex {msg.hex()} (expected 2 data bytes)")
            try:
                return from_wire_int(param, (payload[0] << 7) | payload[1], bits_of(enc))
            except ValueError as exc:
                raise NoReply(f"garbled reply sysex {msg.hex()} ({exc})") from None

        return self.transport.request(rq1(spec, address), accept)

    def tolerance(self, param: Parameter) -> float:
        return wire_tolerance(param, bits_of(self.encoding.parameters[param.name]))


def connect_remote(request: RemoteRequest) -> MidiRemote:
    """The MIDI wire's row of devices.wires: the named port (or the twin's socket)."""
    config, wire = request.config, cast(MidiWire, request.config.wire)  # the table is keyed by wire.kind
    port_name = request.address or wire.port
    if port_name == "auto":
        raise ConfigError(None, f"units.{config.name}.wire.port", "auto",
                          "'auto' needs simulated: true; give the MIDI port name (hybrid devices ports)")
    return MidiRemote(MidiTransport(port_name, label=config.name, timeout_s=wire.timeout_s,
                                    retries=wire.retries), request.encoding, wire.channel)
