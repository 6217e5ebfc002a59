"""Ctrl-C and SIGTERM in one place: noted when they arrive, acted on between steps (checkpoint()).

Raising KeyboardInterrupt from a signal handler lands wherever Python happens to be: inside numba's
dispatcher (`SystemError: CPUDispatcher(...) returned a result with an exception set`), inside
matplotlib's layout (`Invalid bounding box`), or in a weakref callback where Python swallows it
("Exception ignored in WeakSet") and the command finishes with exit 0. So the handler only records
the signal; the command stops at its next checkpoint(), a point between two steps where nothing is
half-done, by raising Interrupted (a KeyboardInterrupt, so every `except KeyboardInterrupt` that
cleans up still runs). Waits that are safe to break at once (a prompt, a server's idle loop) run
inside interruptible(). A third signal stops at once, for a step that never ends.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Interrupted", "block", "checkpoint", "clear", "deferred", "install", "interruptible", "pending"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)
FORCE_AFTER = 3  # signals: the third one stops at once, wherever the command is


class Interrupted(KeyboardInterrupt):
    """The command was asked to stop (Ctrl-C or SIGTERM) and stopped between two steps."""

    def __init__(self, signal_name: str, forced: bool = False) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.forced = forced


class _State:
    received: list[str] = []
    immediate = 0  # depth of interruptible() regions


def _handler(signum: int, frame: object) -> None:
    name = signal.Signals(signum).name
    _State.received.append(name)
    count = len(_State.received)
    if _State.immediate > 0:
        _State.received.clear()  # acted on here and now
        raise Interrupted(name)
    if count >= FORCE_AFTER:
        raise Interrupted(name, forced=True)
    if count == 1:
        # os.write, not print: the main thread may be inside a print to stderr right now
        os.write(2, f"{name} received: stopping after the current step "
                    f"(send it {FORCE_AFTER - 1} more times to stop at once)\n".encode())


def pending() -> str | None:
    """The name of the first stop signal received and not yet acted on, else None."""
    return _State.received[0] if _State.received else None


def clear() -> None:
    """Forget stop signals received so far (the command that received them has ended)."""
    _State.received.clear()


def install() -> None:
    """Take SIGINT and SIGTERM over for the rest of the process (`python -m hybrid`, before the
    heavy imports, so a signal during start-up is held like any other)."""
    for sig in SIGNALS:
        signal.signal(sig, _handler)


def block() -> None:
    """Ignore SIGINT and SIGTERM for good (the process is ending; its command has finished).

    Ignored, not masked: a mask holds for the main thread only, and a signal that reaches another
    thread (a library's pool) during tear-down, when Python has put the default action back, kills
    the process (exit -2) with its work complete. Python leaves an ignored signal ignored."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def checkpoint() -> None:
    """A safe point between steps: raise Interrupted if a stop signal arrived since the last one."""
    name = pending()
    if name is not None:
        _State.received.clear()
        raise Interrupted(name)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until a checkpoint() for the body (the whole of a hybrid command)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals (and may set their handlers)
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def interruptible() -> Iterator[None]:
    """A stretch where a stop signal may raise at once: a wait in plain Python (a prompt, a
    server idling), never a computation inside a compiled or drawing library."""
    checkpoint()
    _State.immediate += 1
    try:
        yield
    finally:
        _State.immediate -= 1
