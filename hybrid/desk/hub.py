"""Live state fanned out to every open page: job progress and the listening engine's snapshot."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

_QUEUE_LIMIT = 1000  # a page that stops reading loses old progress lines, never the server's memory


class Hub:
    """Thread-safe publish to the websockets of all pages; keeps the jobs so a reloaded page sees them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []
        self._jobs: dict[str, dict[str, Any]] = {}
        self._engine: dict[str, Any] = {"available": False, "reason": "the listening engine is not running"}

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_LIMIT)
        with self._lock:
            self._subscribers.append((loop, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subscribers = [(lp, q) for lp, q in self._subscribers if q is not queue]

    def publish(self, event: dict[str, Any]) -> None:
        """Send an event to every page (callable from any thread)."""
        with self._lock:
            targets = list(self._subscribers)
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, event)
            except RuntimeError:  # that page's loop is gone (server shutting down)
                pass

    def job(self, job: dict[str, Any]) -> None:
        """A job's state changed: keep it and tell every page."""
        with self._lock:
            self._jobs[job["id"]] = job
        self.publish({"type": "job", "job": job})

    def jobs_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._jobs.values())

    def engine(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._engine = state
        self.publish({"type": "engine", "engine": state})

    def engine_snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._engine)


def _offer(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(event)
