"""The terminal as a sink: everything the CLI writes to stdout and stderr passes terminal_safe once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from devices.text import terminal_safe


class _Guarded:
    """A text stream that escapes terminal controls in what is written and passes the rest through."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, buffer, isatty, encoding...
        return getattr(self._stream, name)


@contextmanager
def guarded() -> Iterator[None]:
    """stdout and stderr guarded for one command (a file or a title holding ESC[2J, BEL or a CR is
    shown escaped, whichever message prints it); restored after."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Guarded(out), _Guarded(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
