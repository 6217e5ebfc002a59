"""The rule for text a user writes into a field (titles, artists, authors, notes, names): one line
of printable characters, so no sink (CUE or PQ sheet, CD-TEXT, the session log, a terminal) can be
given a line or an escape sequence of its own."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Annotated, Any

# C0 controls (newline, tab, ESC, BEL...), DEL, C1 controls (0x85 is a newline to some readers),
# the Unicode line and paragraph separators, and the bidirectional overrides that reorder what a
# terminal shows.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
ALLOWED = "one line of printable text (no newlines, tabs, escape or other control characters)"


def check_line(value: str) -> str:
    """The value unchanged if it is one printable line; ValueError naming the first bad character."""
    found = _FORBIDDEN.search(value)
    if found is not None:
        char = found.group()
        name = unicodedata.name(char, "") or {"\n": "newline", "\r": "carriage return", "\t": "tab",
                                               "\x1b": "escape", "\x07": "bell"}.get(char, "control character")
        raise ValueError(f"character U+{ord(char):04X} ({name.lower()}) at position {found.start() + 1}; "
                         f"the text must be {ALLOWED}")
    return value


def printable(value: str) -> str:
    """Text made harmless for a terminal or a one-line log: every forbidden character shown as an escape."""
    return _FORBIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def without_controls(value: str) -> str:
    """Text with every forbidden character replaced by a space (a title made from a file name)."""
    return " ".join(_FORBIDDEN.sub(" ", value).split())


if TYPE_CHECKING:  # what the type checker sees; at run time __getattr__ builds the same
    from pydantic import AfterValidator

    OneLine = Annotated[str, AfterValidator(check_line)]


def __getattr__(name: str) -> Any:
    # A model field of user text: `title: OneLine`. Built on first use: HybridError's messages use
    # printable() from here, and every command (`hybrid --help` too) should not pay for pydantic.
    if name == "OneLine":
        from pydantic import AfterValidator

        one_line = Annotated[str, AfterValidator(check_line)]
        globals()["OneLine"] = one_line
        return one_line
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text for a terminal: lines and tabs kept, every other control (ESC, BEL, CR, C1, bidi
    overrides) shown as an escape, so nothing a file or a name holds can drive the terminal."""
    return _TERMINAL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
