"""What the real-wire transports read is bounded as the twins' is: a MIDI stream parsed with a
SysEx bound (checked against mido's own parser on every stream within it), a mido-socket unit
spewing a 32 MB SysEx, a serial unit spewing a line with no terminator."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import tty

import mido
import pytest

from devices.transports.base import NoReply
from devices.transports.midi import MidiTransport
from devices.transports.midibytes import MAX_SYSEX_BYTES, BoundedMidiParser
from devices.transports.serial import MAX_REPLY_BYTES, SerialTransport

SEED = 20261209


def _stream(rng: random.Random, long_sysex: bool) -> list[bytes]:
    """Messages as bytes: channel messages, real-time bytes, SysEx (some past the bound)."""
    out = []
    for _ in range(rng.randint(1, 30)):
        pick = rng.randrange(5)
        if pick == 0:
            out.append(bytes([0xB0 | rng.randrange(16), rng.randrange(128), rng.randrange(128)]))
        elif pick == 1:
            out.append(bytes([0xC0 | rng.randrange(16), rng.randrange(128)]))
        elif pick == 2:
            out.append(bytes([rng.choice([0xF8, 0xFA, 0xFC, 0xFE])]))
        else:
            size = rng.randint(MAX_SYSEX_BYTES, MAX_SYSEX_BYTES * 3) if long_sysex and pick == 4 else rng.randint(0, 200)
            out.append(bytes([0xF0] + [rng.randrange(128) for _ in range(size)] + [0xF7]))
    return out


def _split(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 8))))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


def test_the_bounded_parser_reads_what_mido_reads_within_the_bound(tally) -> None:
    rng = random.Random(SEED)
    for n in range(300):
        messages = _stream(rng, long_sysex=False)
        data = b"".join(messages)
        ours = BoundedMidiParser()
        got = [m for chunk in _split(data, rng) for m in ours.feed(chunk)]
        theirs = mido.Parser()
        theirs.feed(data)
        same = [m.bytes() for m in got] == [m.bytes() for m in theirs]
        tally.record(f"midi stream {n}", "accepted" if same else "lost", "differs from mido's parser")


def test_an_overlong_sysex_is_dropped_and_what_follows_is_kept(tally) -> None:
    rng = random.Random(SEED + 1)
    for n in range(60):
        messages = _stream(rng, long_sysex=True)
        data = b"".join(messages)
        ours = BoundedMidiParser()
        got = [bytes(m.bytes()) for chunk in _split(data, rng) for m in ours.feed(chunk)]
        kept = [m for m in messages if not (m[0] == 0xF0 and len(m) > MAX_SYSEX_BYTES)]
        reference = mido.Parser()
        reference.feed(b"".join(kept))
        ok = got == [bytes(m.bytes()) for m in reference]
        dropped = len(messages) - len(kept)
        tally.record(f"midi overlong {n}", ("refused" if dropped else "accepted") if ok else "lost",
                     f"{dropped} dropped; the rest differs")


def test_a_mido_socket_unit_spewing_32_mb_of_sysex_is_read_in_bounded_memory(tally) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    reply = mido.Message("control_change", channel=2, control=7, value=99)
    done = threading.Event()

    def unit() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"\xf0\x41")
            block = bytes(range(128)) * 512
            for _ in range((32 << 20) // len(block)):
                conn.sendall(block)
            conn.sendall(b"\xf7" + bytes(reply.bytes()))
            done.wait(30)

    thread = threading.Thread(target=unit, daemon=True)
    thread.start()
    transport = MidiTransport(f"tcp:127.0.0.1:{port}", label="spew", timeout_s=20.0, retries=0)
    transport.open()
    try:
        def accept(msg):  # type: ignore[no-untyped-def]
            if msg.type == "sysex":
                raise NoReply(f"a SysEx of {len(msg.data)} bytes came through")
            return msg

        got = transport.request(mido.Message("program_change", program=1), accept)
        held = transport._in._parser  # type: ignore[union-attr]
        tally.record("transport 32 MB SysEx", "refused" if got.bytes() == reply.bytes() and held.dropped_sysex == 1
                     else "lost", f"got {got}, {held.dropped_sysex} dropped")
    finally:
        done.set()
        transport.close()
        server.close()


def test_a_serial_unit_spewing_without_a_terminator_is_a_garbled_reply(tally) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def unit() -> None:
        os.read(master, 64)
        sent = 0
        while sent < 8 << 20 and not stop.is_set():
            try:
                sent += os.write(master, b"A" * 65536)
            except OSError:
                return

    thread = threading.Thread(target=unit, daemon=True)
    thread.start()
    transport = SerialTransport(path, label="spew", timeout_s=10.0, retries=0)
    transport.open()
    try:
        started = time.monotonic()
        seen = transport.request(b"GET THR\r", lambda thing: thing)
        tally.record("transport serial line without end",
                     "refused" if isinstance(seen, str) and "longer than" in seen and
                     len(transport._lines) <= MAX_REPLY_BYTES else "lost",
                     f"{seen!r:.80} after {time.monotonic() - started:.1f} s")
    finally:
        stop.set()
        transport.close()
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("port", ["tcp:abc", "tcp:127.0.0.1:99999", "tcp::1"])
def test_a_bad_tcp_port_is_one_transport_error(port: str, tally) -> None:
    from devices.errors import TransportError

    def run() -> None:
        MidiTransport(port, label="x").open()

    tally.case(f"midi transport {port}", run, must_refuse=True)
    with pytest.raises(TransportError, match="1-65535|tcp:HOST:PORT"):
        run()


def test_a_callback_port_holds_a_bounded_queue_and_drops_garbage(tally) -> None:
    """JACK and system ports deliver from rtmidi's thread: a spewing unit keeps the newest messages
    only, a SysEx past the bound and bytes that are no message are dropped there, no traceback."""
    from devices.transports.midi import MAX_PENDING_MESSAGES, _deliver_bytes

    transport = MidiTransport("jack:nobody", label="spew")
    for n in range(5 * MAX_PENDING_MESSAGES):
        transport._deliver(mido.Message("control_change", control=7, value=n % 128))
    transport._deliver(mido.Message("sysex", data=[1] * (2 * MAX_SYSEX_BYTES)))
    held = transport._queue.qsize()
    newest = list(transport._queue.queue)[-1]
    tally.record("callback queue 5120 messages", "refused" if held == MAX_PENDING_MESSAGES and newest.type ==
                 "control_change" else "lost", f"{held} held, newest {newest}")
    rng = random.Random(SEED + 3)
    seen: list[object] = []
    for n in range(500):
        data = [rng.randrange(256) for _ in range(rng.randint(0, 12))]
        tally.record(f"callback bytes {n}", "accepted" if _call_ok(_deliver_bytes, seen.append, data) else "crashed")


def _call_ok(function, *args) -> bool:  # type: ignore[no-untyped-def]
    try:
        function(*args)
        return True
    except Exception:  # noqa: BLE001 -- the case counted as a crash
        return False
