"""CD-TEXT as 18-byte packs (MMC-3 / Red Book annex): text per pack type, size information, CRC-16."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PACK_TYPES", "CdText", "crc16", "decode_packs", "encode_packs"]

PACK_BYTES = 18
PAYLOAD_BYTES = 12
MAX_PACKS_PER_BLOCK = 256
SIZE_INFO = 0x8F
LANGUAGE_ENGLISH = 0x09  # EBU Tech 3258 language code used by block 0
CHARSET_ISO_8859_1 = 0x00

# Pack type -> field name; disc-level value is "track 0", then one per track.
PACK_TYPES: dict[int, str] = {
    0x80: "title",
    0x81: "performer",
    0x82: "songwriter",
    0x83: "composer",
    0x84: "arranger",
    0x85: "message",
    0x8E: "code",  # disc: UPC/EAN, tracks: ISRC
}


@dataclass
class CdText:
    """Block 0 of a disc's CD-TEXT: disc values and one dict per track (fields of PACK_TYPES)."""

    disc: dict[str, str] = field(default_factory=dict)
    tracks: list[dict[str, str]] = field(default_factory=list)


def crc16(data: bytes) -> int:
    """CRC-16/CCITT (x^16 + x^12 + x^5 + 1, initial 0), inverted as CD-TEXT stores it."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc ^ 0xFFFF


def _pack(kind: int, track: int, sequence: int, position: int, payload: bytes) -> bytes:
    head = bytes([kind, track, sequence & 0xFF, min(position, 15)])  # block 0, single-byte text
    body = head + payload.ljust(PAYLOAD_BYTES, b"\0")
    crc = crc16(body)
    return body + bytes([crc >> 8, crc & 0xFF])


def _text_packs(kind: int, values: list[str], first_track: int) -> list[tuple[int, int, bytes]]:
    """(track, character position, payload) for one pack type: the strings NUL-terminated in a row."""
    stream = bytearray()
    owner: list[tuple[int, int]] = []
    for offset, value in enumerate(values):
        data = value.encode("latin-1", "replace") + b"\0"
        number = 0 if offset == 0 else first_track + offset - 1
        owner += [(number, i) for i in range(len(data))]
        stream += data
    return [(owner[start][0], owner[start][1], bytes(stream[start:start + PAYLOAD_BYTES]))
            for start in range(0, len(stream), PAYLOAD_BYTES)]


def encode_packs(text: CdText, first_track: int = 1) -> bytes:
    """All packs of block 0 (English, ISO 8859-1), size information last; b"" when there is no text."""
    rows: list[tuple[int, int, int, bytes]] = []
    counts = [0] * 16
    for kind, name in PACK_TYPES.items():
        values = [text.disc.get(name, "")] + [t.get(name, "") for t in text.tracks]
        if not any(values):
            continue
        for track, position, payload in _text_packs(kind, values, first_track):
            rows.append((kind, track, position, payload))
            counts[kind - 0x80] += 1
    if not rows:
        return b""
    counts[SIZE_INFO - 0x80] = 3
    total = len(rows) + 3
    if total > MAX_PACKS_PER_BLOCK:
        raise ValueError(f"CD-TEXT needs {total} packs; one block holds {MAX_PACKS_PER_BLOCK}")
    last_track = first_track + len(text.tracks) - 1
    size_info = bytes([CHARSET_ISO_8859_1, first_track, last_track, 0]) + bytes(counts)
    size_info += bytes([total - 1] + [0] * 7) + bytes([LANGUAGE_ENGLISH] + [0] * 7)
    out = bytearray()
    for sequence, (kind, track, position, payload) in enumerate(rows):
        out += _pack(kind, track, sequence, position, payload)
    for part in range(3):
        out += _pack(SIZE_INFO, part, len(rows) + part, 0, size_info[part * 12:(part + 1) * 12])
    return bytes(out)


def decode_packs(data: bytes) -> CdText:
    """Read block 0 back; a wrong length or a bad CRC is a ValueError naming the pack."""
    if len(data) % PACK_BYTES == 4:
        data = data[4:]  # some tools keep the 4-byte header of the drive's READ TOC (CD-TEXT) reply
    if len(data) % PACK_BYTES:
        raise ValueError(f"CD-TEXT is {len(data)} bytes, not a whole number of {PACK_BYTES}-byte packs")
    streams: dict[int, bytearray] = {}
    first_owner: dict[int, int] = {}
    size_info = bytearray()
    for number in range(len(data) // PACK_BYTES):
        pack = data[number * PACK_BYTES:(number + 1) * PACK_BYTES]
        if crc16(pack[:16]) != (pack[16] << 8 | pack[17]):
            raise ValueError(f"CD-TEXT pack {number} has a bad CRC")
        if pack[2] != number:
            raise ValueError(f"CD-TEXT pack {number} carries sequence number {pack[2]}")
        kind, block = pack[0], (pack[3] >> 4) & 0x07
        if block != 0:
            continue  # only block 0 (the first language) is read
        if kind == SIZE_INFO:
            size_info += pack[4:16]
        elif kind in PACK_TYPES:
            first_owner.setdefault(kind, pack[1])
            streams.setdefault(kind, bytearray()).extend(pack[4:16])
    if len(size_info) != 36:
        raise ValueError("CD-TEXT has no complete size information (3 packs of type 0x8F)")
    first_track, last_track = size_info[1], size_info[2]
    text = CdText(tracks=[{} for _ in range(last_track - first_track + 1)])
    for kind, stream in streams.items():
        strings = stream.split(b"\0")
        number = first_owner[kind]
        previous = ""
        for raw in strings:
            if number > last_track:
                break
            # a lone TAB means "the same as the one before" (writers use it to save packs)
            value = previous if raw == b"\t" else raw.decode("latin-1")
            previous = value
            if number == 0:
                text.disc[PACK_TYPES[kind]] = value
                number = first_track
                continue
            if value:
                text.tracks[number - first_track][PACK_TYPES[kind]] = value
            number += 1
    for key in [k for k, v in text.disc.items() if not v]:
        del text.disc[key]
    return text
