"""Progress bars on a terminal, silence in --json mode or when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def advance(self, amount: float = 1.0) -> None: ...
    def describe(self, text: str) -> None: ...


class _Quiet:
    def advance(self, amount: float = 1.0) -> None:
        pass

    def describe(self, text: str) -> None:
        pass


class _Bar:
    def __init__(self, bar, task) -> None:  # type: ignore[no-untyped-def]
        self._bar = bar
        self._task = task

    def advance(self, amount: float = 1.0) -> None:
        self._bar.advance(self._task, amount)

    def describe(self, text: str) -> None:
        self._bar.update(self._task, description=text)


@contextmanager
def progress(description: str, total: float | None, *, quiet: bool = False) -> Iterator[Progress]:
    """A bar on stderr while the body runs; nothing at all when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        yield _Quiet()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

    # On stderr, as checked above: stdout carries the command's output (and may be piped).
    with RichProgress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True,
        console=Console(stderr=True),
    ) as bar:
        yield _Bar(bar, bar.add_task(description, total=total))
