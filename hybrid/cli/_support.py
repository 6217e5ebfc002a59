"""What several commands share: narration on stderr, confirming recall sheets, SIGTERM as Ctrl-C."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devices.recall_sheet import RecallSheet


def narrator(quiet: bool) -> Callable[[str], None]:
    """Progress lines on stderr, so stdout stays the command's result; nothing when quiet (--json)."""
    def say(text: str) -> None:
        if not quiet:
            print(text, file=sys.stderr, flush=True)
    return say


def confirm_manual(yes: bool, say: Callable[[str], None]) -> Callable[[RecallSheet], bool] | None:
    """How a recall sheet is confirmed: --yes, or a person at a terminal, else not at all (refused)."""
    if yes:
        def confirmed(sheet: RecallSheet) -> bool:
            say(sheet.text().rstrip())
            return True
        return confirmed
    if not sys.stdin.isatty():
        return None  # the unit refuses with a line asking for --yes

    def ask(sheet: RecallSheet) -> bool:
        print(sheet.text(), file=sys.stderr)
        answer = input(f"Set {sheet.unit} by hand as on the sheet, then type 'yes': ")
        return answer.strip().lower() in ("y", "yes")
    return ask


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a print the way Ctrl-C does: cleanly, saying what was not finished."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
