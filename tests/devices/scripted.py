"""A scripted wire in the manner of pymeasure's `expected_protocol`: a real Transport whose socket is
replaced by a list of exchanges (bytes the controller must send, bytes the unit answers), so a codec
is tested with no socket and no sleeps, and a test fails on any message left unsent."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from devices.transports.base import Transport


def _osc_bytes(msg: Any) -> bytes:
    return bytes(msg.dgram())


def _osc_receive(transport: Any, arrived: list[bytes]) -> Any | None:
    """What OscTransport._receive hands on for the next datagram."""
    from pythonosc.osc_message import OscMessage, ParseError

    if not arrived:
        return None
    data = arrived.pop(0)
    try:
        return OscMessage(data)
    except (ParseError, UnicodeDecodeError, ValueError, IndexError):
        return data


def _serial_receive(transport: Any, arrived: list[bytes]) -> Any | None:
    """The reply bytes through the transport's own line and frame readers, as read from the port."""
    while True:
        item = transport._take()
        if item is not None or not arrived:
            return item
        chunk = arrived.pop(0)
        if transport.framing == "binary":
            transport._frames.feed(chunk)
        else:
            transport._lines.extend(chunk)


def _serial_flush(transport: Any) -> None:
    transport._lines.clear()
    transport._frames.buffer.clear()


# per kind: the bytes a message puts on the wire; the next thing the transport receives from the
# bytes that arrived; what a retry's flush also drops
_WIRE_FORMS: dict[str, tuple[Callable[[Any], bytes], Callable[[Any, list[bytes]], Any],
                             Callable[[Any], None]]] = {
    "osc": (_osc_bytes, _osc_receive, lambda transport: None),
    "serial": (bytes, _serial_receive, _serial_flush),
}


@contextmanager
def expected_protocol(transport: Transport[Any, Any],
                      exchanges: Sequence[tuple[bytes, bytes | None]]) -> Iterator[Transport[Any, Any]]:
    """The transport, opened on a script: each message sent must be the next exchange's bytes (an
    AssertionError naming both otherwise); its reply (None = the unit stays silent) is what the next
    receive returns, at once. Leaving the block with exchanges not sent fails."""
    encode, receive, flush = _WIRE_FORMS[transport.kind]
    script = list(exchanges)
    arrived: list[bytes] = []

    def _send(msg: Any) -> None:
        sent = encode(msg)
        assert script, f"{transport.label}: sent {sent!r} after the script ended"
        expected, reply = script.pop(0)
        assert sent == expected, f"{transport.label}: sent {sent!r}, the script expected {expected!r}"
        if reply is not None:
            arrived.append(reply)

    def _receive(deadline: float) -> Any | None:
        return receive(transport, arrived)  # silence is immediate: no timeout is waited out

    def _flush_input() -> None:
        arrived.clear()
        flush(transport)

    transport._open = lambda: None  # type: ignore[method-assign]
    transport._close = lambda: None  # type: ignore[method-assign]
    transport._send = _send  # type: ignore[method-assign]
    transport._receive = _receive  # type: ignore[method-assign]
    transport._flush_input = _flush_input  # type: ignore[method-assign]
    transport.open()
    try:
        yield transport
    finally:
        transport.close()
    assert not script, f"{transport.label}: left unsent: {[sent for sent, _ in script]!r}"
