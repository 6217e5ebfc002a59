"""The one small interface every wire implements, its traffic log, and the bounded-retry rule."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from devices.errors import TransportError

log = logging.getLogger("hybrid.wire")

Msg = TypeVar("Msg")
Reply = TypeVar("Reply")


@dataclass(frozen=True)
class Exchange:
    """One line of the traffic log: when, which way, what, and how long the answer took."""

    at_s: float
    direction: str  # "->" sent, "<-" received, "!!" a timeout, garble or retry
    text: str
    elapsed_ms: float | None = None

    def __str__(self) -> str:
        took = f" ({self.elapsed_ms:.2f} ms)" if self.elapsed_ms is not None else ""
        return f"{self.direction} {self.text}{took}"


class TrafficLog:
    """What went out and what came back on one wire, kept in memory and echoed to the debug log."""

    def __init__(self, label: str, keep: int = 5000) -> None:
        self.label = label
        self.entries: deque[Exchange] = deque(maxlen=keep)
        self._t0 = time.monotonic()

    def _add(self, direction: str, text: str, elapsed_ms: float | None = None) -> None:
        entry = Exchange(time.monotonic() - self._t0, direction, text, elapsed_ms)
        self.entries.append(entry)
        log.debug("%s %s", self.label, entry)

    def sent(self, text: str) -> None:
        self._add("->", text)

    def received(self, text: str, elapsed_ms: float | None = None) -> None:
        self._add("<-", text, elapsed_ms)

    def trouble(self, text: str) -> None:
        self._add("!!", text)

    def lines(self) -> list[str]:
        return [f"{e.at_s:9.4f} s {self.label} {e}" for e in self.entries]


class NoReply(Exception):
    """Internal: one attempt got no (or no usable) answer; the transport may retry."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Transport(ABC, Generic[Msg, Reply]):
    """A wire to one unit: open, send, request a reply, close; every exchange locked and logged."""

    kind: str = "?"

    def __init__(self, *, label: str, timeout_s: float, retries: int) -> None:
        self.label = label
        self.timeout_s = timeout_s
        self.retries = retries
        self.log = TrafficLog(label)
        self.lock = threading.RLock()
        self.is_open = False

    @property
    @abstractmethod
    def address(self) -> str:
        """Where the unit is, as the user would name it in an error (e.g. 'osc udp 127.0.0.1:9000')."""

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...

    @abstractmethod
    def _send(self, msg: Msg) -> None: ...

    @abstractmethod
    def _receive(self, deadline: float) -> Any | None:
        """The next thing that arrives before the deadline (monotonic seconds), or None."""

    @abstractmethod
    def _describe(self, thing: Any) -> str: ...

    def _flush_input(self) -> None:
        """Drop stale input before a retry so a late answer is not taken for the new one."""

    def open(self) -> Transport[Msg, Reply]:
        with self.lock:
            if not self.is_open:
                self._open()
                self.is_open = True
        return self

    def close(self) -> None:
        with self.lock:
            if self.is_open:
                self.is_open = False
                self._close()

    def __enter__(self) -> Transport[Msg, Reply]:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, msg: Msg) -> None:
        """Send one message that expects no answer."""
        with self.lock:
            self._require_open()
            self.log.sent(self._describe(msg))
            self._send(msg)

    def request(self, msg: Msg, accept: Callable[[Any], Reply | None]) -> Reply:
        """Send msg and wait for the answer accept() recognises; bounded retries, then TransportError.

        accept(thing) returns the parsed reply, None for traffic that is not the answer (ignored),
        or raises NoReply for an answer that is garbled (retried like a timeout).
        """
        with self.lock:
            self._require_open()
            problems: list[str] = []
            for attempt in range(self.retries + 1):
                if attempt:
                    self._flush_input()
                    self.log.trouble(f"retry {attempt} of {self.retries}: {problems[-1]}")
                started = time.monotonic()
                self.log.sent(self._describe(msg))
                self._send(msg)
                deadline = started + self.timeout_s
                try:
                    while True:
                        thing = self._receive(deadline)
                        if thing is None:
                            raise NoReply(f"no answer within {self.timeout_s:g} s")
                        took_ms = (time.monotonic() - started) * 1000
                        self.log.received(self._describe(thing), took_ms)
                        reply = accept(thing)
                        if reply is not None:
                            return reply
                except NoReply as exc:
                    problems.append(exc.what)
            self.log.trouble(problems[-1])
            raise TransportError(
                f"unit {self.label!r} on {self.address}: {problems[-1]} to {self._describe(msg)} "
                f"after {self.retries + 1} tries ({self.timeout_s:g} s each)"
            )

    def _require_open(self) -> None:
        if not self.is_open:
            raise TransportError(f"unit {self.label!r}: the wire {self.address} is not open")


class Remote(ABC):
    """A profile's parameters spoken over one transport: set one, read one back where the wire allows."""

    transport: Transport[Any, Any]
    can_read: bool = False

    @abstractmethod
    def set(self, param: Any, value: Any) -> None:
        """Send one coerced value (devices.profile.Parameter, Value)."""

    def tolerance(self, param: Any) -> float:
        """How far a read-back may sit from what was sent and still be the same setting (the wire's
        resolution, in the parameter's unit); 0 where the wire carries values exactly."""
        return 0.0

    def get(self, param: Any) -> Any:
        """Read one value back, in the unit's markings; only where can_read."""
        raise TransportError(f"unit {self.transport.label!r}: {self.transport.address} cannot be read back")

    def open(self) -> None:
        self.transport.open()

    def close(self) -> None:
        self.transport.close()
