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


def _osc_reply(data: bytes) -> Any:
    from pythonosc.osc_message import OscMessage, ParseError

    try:
        return OscMessage(data)  # what OscTransport._receive hands on
    except (ParseError, UnicodeDecodeError, ValueError, IndexError):
        return data


# per kind: (the bytes a message puts on the wire, what the transport's _receive makes of reply bytes)
_WIRE_FORMS: dict[str, tuple[Callable[[Any], bytes], Callable[[bytes], Any]]] = {
    "osc": (_osc_bytes, _osc_reply),
}


@contextmanager
def expected_protocol(transport: Transport[Any, Any],
                      exchanges: Sequence[tuple[bytes, bytes | None]]) -> Iterator[Transport[Any, Any]]:
    """The transport, opened on a script: each message sent must be the next exchange's bytes (an
    AssertionError naming both otherwise); its reply (None = the unit stays silent) is what the next
    receive returns, at once. Leaving the block with exchanges not sent fails."""
    encode, decode = _WIRE_FORMS[transport.kind]
    script = list(exchanges)
    replies: list[Any] = []

    def _send(msg: Any) -> None:
        sent = encode(msg)
        assert script, f"{transport.label}: sent {sent!r} after the script ended"
        expected, reply = script.pop(0)
        assert sent == expected, f"{transport.label}: sent {sent!r}, the script expected {expected!r}"
        if reply is not None:
            replies.append(decode(reply))

    def _receive(deadline: float) -> Any | None:
        return replies.pop(0) if replies else None  # silence is immediate: no timeout is waited out

    transport._open = lambda: None  # type: ignore[method-assign]
    transport._close = lambda: None  # type: ignore[method-assign]
    transport._send = _send  # type: ignore[method-assign]
    transport._receive = _receive  # type: ignore[method-assign]
    transport._flush_input = replies.clear  # type: ignore[method-assign]
    transport.open()
    try:
        yield transport
    finally:
        transport.close()
    assert not script, f"{transport.label}: left unsent: {[sent for sent, _ in script]!r}"
