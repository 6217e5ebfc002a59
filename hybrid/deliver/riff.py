"""A small RIFF/WAVE chunk writer and reader for what soundfile cannot write: BWF `bext` and `LIST/INFO`."""

from __future__ import annotations

import os
import stat
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hybrid.deliver.charset import to_ascii, to_latin1

__all__ = ["Bext", "INFO_CODE_PAGE", "cset_chunk", "info_chunk", "insert_chunks", "parse_bext", "parse_info",
           "read_chunks"]

_COPY_BLOCK = 1 << 20
_NO_LOUDNESS = 0x7FFF  # EBU Tech 3285 v2: "not set"
INFO_CODE_PAGE = 28591  # ISO 8859-1, in the CSET chunk


@dataclass(frozen=True)
class Bext:
    """The broadcast extension chunk (EBU Tech 3285, version 2, with its loudness fields)."""

    description: str = ""
    originator: str = "hybrid"
    originator_reference: str = ""
    origination_date: str = ""  # yyyy-mm-dd
    origination_time: str = ""  # hh:mm:ss
    time_reference_samples: int = 0
    loudness_value_lufs: float | None = None
    loudness_range_lu: float | None = None
    max_true_peak_dbtp: float | None = None
    max_momentary_lufs: float | None = None
    max_short_term_lufs: float | None = None
    coding_history: str = ""

    def to_bytes(self) -> bytes:
        def text(value: str, size: int) -> bytes:
            # Tech 3285 sets ASCII here: accented letters lose their accent (Müller -> Muller)
            # rather than all becoming "?"; the full text travels in LIST/INFO and the id3 chunk
            return to_ascii(value).text.encode("ascii")[:size].ljust(size, b"\0")

        def centi(value: float | None) -> int:
            return _NO_LOUDNESS if value is None else max(-32768, min(32767, round(value * 100)))

        body = (
            text(self.description, 256) + text(self.originator, 32) + text(self.originator_reference, 32)
            + text(self.origination_date, 10) + text(self.origination_time, 8)
            + struct.pack("<IIH", self.time_reference_samples & 0xFFFFFFFF,
                          self.time_reference_samples >> 32, 2)
            + b"\0" * 64  # UMID: none
            + struct.pack("<5h", centi(self.loudness_value_lufs), centi(self.loudness_range_lu),
                          centi(self.max_true_peak_dbtp), centi(self.max_momentary_lufs),
                          centi(self.max_short_term_lufs))
            + b"\0" * 180
        )
        history = self.coding_history.replace("\n", "\r\n")
        if history and not history.endswith("\r\n"):
            history += "\r\n"
        return body + "\r\n".join(to_ascii(line).text for line in history.split("\r\n")).encode("ascii")


def parse_bext(data: bytes) -> dict[str, object]:
    """The fields of a bext chunk's body, loudness in dB (None where not set)."""
    def text(start: int, size: int) -> str:
        return data[start:start + size].split(b"\0", 1)[0].decode("ascii", "replace")

    low, high, version = struct.unpack_from("<IIH", data, 338)
    loud = struct.unpack_from("<5h", data, 412)
    names = ("loudness_value_lufs", "loudness_range_lu", "max_true_peak_dbtp", "max_momentary_lufs",
             "max_short_term_lufs")
    out: dict[str, object] = {
        "description": text(0, 256), "originator": text(256, 32), "originator_reference": text(288, 32),
        "origination_date": text(320, 10), "origination_time": text(330, 8),
        "time_reference_samples": low | (high << 32), "version": version,
        "coding_history": data[602:].split(b"\0", 1)[0].decode("ascii", "replace"),
    }
    out.update({n: (None if v == _NO_LOUDNESS else v / 100.0) for n, v in zip(names, loud)})
    return out


def cset_chunk() -> bytes:
    """The RIFF CSET chunk body saying INFO text is ISO 8859-1 (code page 28591).

    RIFF's INFO text has no encoding of its own: the CSET chunk names it, and without one readers
    take the Windows ANSI code page, as mediainfo and the studio tools do (UTF-8 INFO showed "Ã¼" in
    mediainfo; with this chunk it reports "CharacterSet: ISO-8859-1" and reads every letter).
    mediainfo 23.04 names a CSET of 65001 (UTF-8) but still decodes the text as Latin-1, so UTF-8 is
    not an option yet. ffmpeg 5.1 ignores CSET and reads INFO as UTF-8 (and prefers it to the id3
    chunk whenever bext or INFO is present): it shows non-ASCII INFO letters as U+FFFD, a limit of
    that reader; the same words are in the id3 chunk in UTF-8 for players that read it.
    """
    return struct.pack("<4H", INFO_CODE_PAGE, 0, 0, 0)  # code page, country, language, dialect


def info_chunk(fields: dict[str, str]) -> bytes:
    """A LIST/INFO chunk body from four-letter ids (INAM, IART, IPRD, ICRD, ...) to text, in
    ISO 8859-1 (see cset_chunk): letters Latin-1 lacks are spelled without their accents."""
    body = b"INFO"
    for key, value in fields.items():
        if not value:
            continue
        data = to_latin1(value).text.encode("latin-1") + b"\0"
        body += key.encode("ascii") + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return body


def parse_info(body: bytes) -> dict[str, str]:
    """The text fields of a LIST/INFO chunk body."""
    out: dict[str, str] = {}
    if body[:4] != b"INFO":
        return out
    pos = 4
    while pos + 8 <= len(body):
        key = body[pos:pos + 4].decode("ascii", "replace")
        (size,) = struct.unpack_from("<I", body, pos + 4)
        out[key] = body[pos + 8:pos + 8 + size].split(b"\0", 1)[0].decode("latin-1")
        pos += 8 + size + (size % 2)
    return out


def _chunks(handle) -> list[tuple[bytes, int, int]]:  # type: ignore[no-untyped-def]
    """(id, offset of the body, size) for each chunk of a RIFF/WAVE file."""
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    found = []
    offset = 12
    end = os.fstat(handle.fileno()).st_size
    while offset + 8 <= end:
        handle.seek(offset)
        cid, size = struct.unpack("<4sI", handle.read(8))
        found.append((cid, offset + 8, size))
        offset += 8 + size + (size % 2)
    return found


def read_chunks(path: str | Path, skip_data: bool = True) -> dict[str, bytes]:
    """Every chunk's body by id (the audio `data` chunk left out unless asked)."""
    out: dict[str, bytes] = {}
    with open(path, "rb") as handle:
        for cid, offset, size in _chunks(handle):
            name = cid.decode("ascii", "replace")
            if skip_data and name == "data":
                out[name] = b""
                continue
            handle.seek(offset)
            out[name if name not in out else f"{name}#{len(out)}"] = handle.read(size)
    return out


def insert_chunks(path: str | Path, new: list[tuple[bytes, bytes]]) -> None:
    """Put chunks (id, body) before the `data` chunk, replacing chunks with the same id.

    Written to a temporary file beside the original and renamed over it, the audio copied in
    blocks, so a long file is never held in memory and never left half-written.
    """
    path = Path(path)
    replaced = {cid for cid, _ in new}
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, mode)  # the WAV keeps its mode, not mkstemp's 0600
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            _rewrite(path, src, dst, new, replaced)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _rewrite(path: Path, src: BinaryIO, dst: BinaryIO, new: list[tuple[bytes, bytes]],
             replaced: set[bytes]) -> None:
    """Copy src to dst with `new` chunks before `data` and the `replaced` ids left out."""
    dst.write(b"RIFF\0\0\0\0WAVE")
    for cid, offset, size in _chunks(src):
        if cid in replaced:
            continue
        if cid == b"data":
            for new_id, body in new:
                dst.write(new_id + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b""))
        src.seek(offset - 8)
        remaining = 8 + size + (size % 2)
        while remaining:
            block = src.read(min(_COPY_BLOCK, remaining))
            if not block and remaining == 1 and size % 2:
                dst.write(b"\0")  # the pad byte some writers leave out at the very end
                break
            if not block:
                raise ValueError(f"{path.name}: the {cid!r} chunk runs past the end of the file")
            dst.write(block)
            remaining -= len(block)
    riff_size = dst.tell() - 8
    if riff_size > 0xFFFFFFFF:
        raise ValueError(f"{path.name}: over 4 GiB, needs RF64")
    dst.seek(4)
    dst.write(struct.pack("<I", riff_size))
