"""What several commands share: narration on stderr, confirming recall sheets."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from hybrid.interrupts import interruptible

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
        with interruptible():  # a person thinking at a prompt: Ctrl-C may stop it at once
            answer = input(f"Set {sheet.unit} by hand as on the sheet, then type 'yes': ")
        return answer.strip().lower() in ("y", "yes")
    return ask
