"""DDP 2.00 fixed-width ASCII records: DDPID (128 bytes), DDPMS map packets (128), PQDESCR packets (64)."""

from __future__ import annotations

__all__ = ["DDPID_FIELDS", "MAP_FIELDS", "PQ_FIELDS", "Record", "pack", "unpack"]

Record = tuple[tuple[str, int], ...]

# DDPID: the image's identity. Offsets follow from the widths (level at 0, UPC/EAN at 8,
# master id at 38, disc type at 87), as DDP 2.00 and the public readers lay them out.
DDPID_FIELDS: Record = (
    ("level", 8),  # "DDP 2.00"
    ("upc_ean", 13),
    ("map_stream_start", 8),  # MSS: blank for an image on files
    ("map_stream_length", 8),  # MSL: reserved
    ("media_number", 1),  # MED
    ("master_id", 48),  # MID
    ("book", 1),  # BK
    ("disc_type", 2),  # TYPE: "CD"
    ("number_of_sides", 1),
    ("side", 1),
    ("number_of_layers", 1),
    ("layer", 1),
    ("direction", 1),  # DIM: direction of translation (DVD only)
    ("user_text_length", 2),
    ("user_text", 32),
)

# DDPMS: one 128-byte map packet per stream ("VVVM").
MAP_FIELDS: Record = (
    ("valid", 4),  # MPV: "VVVM"
    ("stream_type", 2),  # DST: D0 = main data (the audio), S0 = subcode (PQ, CD-TEXT)
    ("stream_pointer", 8),  # DSP
    ("stream_length", 8),  # DSL: sectors of 2352 bytes for D0, bytes for S0
    ("stream_start", 8),  # DSS
    ("subcode", 8),  # SUB: "PQ DESCR" or "CDTEXT"
    ("cd_mode", 2),  # CDM: "DA" for audio
    ("storage_mode", 1),  # SSM: 7 = complete 2352-byte sectors
    ("scrambled", 1),  # SCR
    # PRE1 is left blank and PRE2 holds track 1's pregap sectors at the start of the D0 stream
    # (150 for the 2 s): so cue2ddp, Sonoris and HOFA write it, and so plants' readers take it
    ("pregap1", 4),  # PRE1: blank
    ("pregap2", 4),  # PRE2: track 1's pregap sectors included in the stream
    ("postgap", 4),  # PST
    ("media_number", 1),  # MED
    ("track", 2),  # TRK
    ("index", 2),  # IDX
    ("isrc", 12),
    ("name_size", 3),  # SIZ: width of the name field, 17
    ("name", 17),  # DSI: the file holding the stream
    ("new", 1),  # NEW
    ("pregap1_next", 4),  # PRE1NXT
    ("pause", 8),  # PAUSEADD
    ("offset", 9),  # OFS
    ("padding", 15),
)

# PQDESCR: one 64-byte packet per track index ("VVVS"), lead-in 00 and lead-out AA included.
PQ_FIELDS: Record = (
    ("valid", 4),  # SPV: "VVVS"
    ("track", 2),  # TRK: 00 lead-in, 01-99, AA lead-out
    ("index", 2),  # IDX
    ("hours", 2),
    ("minutes", 2),
    ("seconds", 2),
    ("frames", 2),
    ("control1", 2),  # CB1: Q-channel control and ADR nibbles in hex ("01": audio, no emphasis)
    ("control2", 2),  # CB2
    ("isrc", 12),
    ("upc_ean", 13),
    ("user_text", 19),
)


def width(record: Record) -> int:
    return sum(size for _, size in record)


if (width(DDPID_FIELDS), width(MAP_FIELDS), width(PQ_FIELDS)) != (128, 128, 64):  # the layouts above
    raise RuntimeError("DDP record layouts do not add up to 128/128/64 bytes")


def pack(record: Record, values: dict[str, str | int]) -> bytes:
    """Fields left-aligned and space-padded; numbers zero-filled to the width; unknown names refused."""
    known = {name for name, _ in record}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown DDP field(s): {', '.join(sorted(unknown))}")
    out = bytearray()
    for name, size in record:
        value = values.get(name, "")
        text = f"{value:0{size}d}" if isinstance(value, int) else str(value)
        data = text.encode("ascii")
        if len(data) > size:
            raise ValueError(f"DDP field {name}: {text!r} does not fit in {size} characters")
        out += data.ljust(size, b" ")
    return bytes(out)


def unpack(record: Record, data: bytes) -> dict[str, str]:
    """Every field as text with trailing spaces cut; a wrong length is a ValueError."""
    if len(data) != width(record):
        raise ValueError(f"a record is {width(record)} bytes, got {len(data)}")
    out: dict[str, str] = {}
    pos = 0
    for name, size in record:
        out[name] = data[pos:pos + size].decode("ascii", "replace").rstrip(" \0")
        pos += size
    return out
