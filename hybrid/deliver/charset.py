"""Text for the fields that hold only Latin-1 (CUE, CD-TEXT, RIFF INFO) or ASCII (BWF bext): what
each character becomes, said rather than silently replaced by "?"."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hybrid.deliver.job import AlbumInfo, TrackMaster

__all__ = ["Narrowed", "latin1_changes", "to_ascii", "to_latin1"]

# letters that carry no combining mark to strip, spelled as their languages spell them without it
_SPELLED = {
    "ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l",
    "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‐": "-", "−": "-",
    "…": "...", "•": "*", "€": "EUR", "™": "(TM)", "\u00a0": " ",
}


@dataclass(frozen=True)
class Narrowed:
    """`text` as the field holds it, and `changed`: each character it could not hold -> what it became."""

    text: str
    changed: tuple[tuple[str, str], ...] = ()

    def note(self) -> str:
        """'Ł -> L, ☃ -> ?' for a warning; "" when nothing changed."""
        return ", ".join(f"{a} -> {b}" for a, b in self.changed)


def _narrow(text: str, fits) -> Narrowed:  # type: ignore[no-untyped-def]
    out: list[str] = []
    changed: dict[str, str] = {}
    for char in unicodedata.normalize("NFC", text):
        if fits(char):
            out.append(char)
            continue
        spelled = _SPELLED.get(char)
        if spelled is None or not all(fits(c) for c in spelled):
            # the letter without its accents (ő -> o, ş -> s), else "?"
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            spelled = base if base and all(fits(c) for c in base) else "?"
        out.append(spelled)
        changed[char] = spelled
    return Narrowed("".join(out), tuple(changed.items()))


def to_latin1(text: str) -> Narrowed:
    """ISO 8859-1 as CUE readers (cue2ddp), CD-TEXT character set 0 and RIFF INFO with a CSET of
    28591 take it: every Latin-1 letter kept (ü, é, ß, Æ), others spelled without their accent."""
    return _narrow(text, lambda c: ord(c) < 256 and (ord(c) >= 0x20 and not 0x7F <= ord(c) < 0xA0))


def to_ascii(text: str) -> Narrowed:
    """Printable ASCII, which EBU Tech 3285 sets for bext's text fields: ü -> u, ß -> ss, Ł -> L."""
    return _narrow(text, lambda c: 0x20 <= ord(c) < 0x7F)


def latin1_changes(album: AlbumInfo, tracks: list[TrackMaster]) -> list[str]:
    """What the CUE sheets and CD-TEXT (ISO 8859-1 only) write in place of characters Latin-1
    lacks, one line per field that changed ("track 2 title: Ł -> L, ☃ -> ?")."""
    fields = [("album title", album.title), ("album artist", album.artist)]
    for t in tracks:
        fields += [(f"track {t.number} {name}", value) for name, value in
                   (("title", t.title), ("artist", t.artist), ("composer", t.composer))]
    return [f"{where}: {note}" for where, value in fields if (note := to_latin1(value).note())]
