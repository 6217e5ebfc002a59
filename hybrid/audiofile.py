"""Reading the audio files a user names (mixes, references, inputs, captures): the one door every
command opens audio through. Whatever it lets in is a regular file, complete, at an allowed rate,
finite and within PEAK_LIMIT; anything else is one AudioFileError, said once, at the door."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from devices.errors import AudioFileError
from devices.userfiles import NotARegularFile, check_regular

READABLE = "a WAV, FLAC or AIFF file (16/24/32-bit or float) is allowed"
RATES_HZ = (8000, 384000)
RATES_ALLOWED = f"{RATES_HZ[0]}-{RATES_HZ[1]} Hz is allowed"
# A float file may go past full scale (a mix bounced hot, +20 dBFS is seen); past +60 dBFS it is not
# a mix but garbage (floats near 3e38 square to inf in a meter and read as "738 LUFS").
PEAK_LIMIT = 1000.0
PEAK_ALLOWED = "samples within +/-1000 (+60 dBFS) are allowed"
_SCAN_FRAMES = 1 << 16
# RIFF/RF64 and AIFF writers that do not know the length yet (a pipe) write one of these.
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)


@dataclass(frozen=True)
class AudioInfo:
    """What the door found in a file: its rate, channels, frames and format."""

    path: Path
    rate_hz: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz


def probe_audio(path: str | Path, what: str = "") -> AudioInfo:
    """Check a file's header without reading its audio: a regular file (a FIFO would block, a device
    never end), readable by libsndfile, at an allowed rate, with audio in it, and holding all the
    audio its header claims (libsndfile reads a cut file, or a header claiming 8 hours, to the real
    end without a word)."""
    import soundfile as sf  # keeps `hybrid --help` from loading libsndfile

    path = Path(path)
    label = f"{what}: " if what else ""
    try:
        check_regular(path)
    except NotARegularFile as exc:
        if exc.found == "a missing file":
            raise AudioFileError(path, f"{label}no such audio file", READABLE) from None
        raise AudioFileError(path, f"{label}{exc.found}, not an audio file", f"{exc.allowed}; {READABLE}") from None
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        raise AudioFileError(path, f"{label}cannot read audio ({_reason(exc)})", READABLE) from None
    if not RATES_HZ[0] <= info.samplerate <= RATES_HZ[1]:
        raise AudioFileError(path, f"{label}sample rate {info.samplerate} Hz", RATES_ALLOWED)
    if info.channels < 1 or info.frames < 1:
        raise AudioFileError(path, f"{label}the file holds no audio ({info.frames} frames, {info.channels} channels)",
                             "a file with at least one sample is allowed")
    found = AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames), info.format, info.subtype)
    sizes = _data_sizes(path)
    if sizes is not None and sizes[0] > sizes[1]:
        claimed_s = found.duration_s * sizes[0] / max(1, sizes[1])
        raise AudioFileError(path, f"{label}the header claims {claimed_s:.1f} s of audio but the file holds "
                             f"{found.duration_s:.1f} s (cut short, or a wrong header)", "a complete file is allowed")
    return found


def scan_audio(path: str | Path, what: str = "") -> AudioInfo:
    """probe_audio, then every sample read in blocks (memory stays flat) and checked as read_audio
    checks it: the door `session new` and `print` use before anything is recalled or calibrated."""
    info = probe_audio(path, what)
    for _ in audio_blocks(info, what):
        pass
    return info


def audio_blocks(info: AudioInfo, what: str = "", dtype: str = "float32",
                 block_frames: int = _SCAN_FRAMES) -> Iterator[np.ndarray]:
    """The audio of a file probe_audio let in, as (frames, channels) blocks of `dtype`, each checked
    as read_audio checks the whole (finite, within PEAK_LIMIT) and the length against the header at
    the end: a stream through the door in flat memory (analyze, qc of any length)."""
    import soundfile as sf

    label = f"{what}: " if what else ""
    frames = 0
    try:
        with sf.SoundFile(str(info.path)) as handle:
            while True:
                block = handle.read(block_frames, dtype=dtype, always_2d=True)
                if block.shape[0] == 0:
                    break
                _check_samples(block, info.path, label, info.rate_hz, frames / info.rate_hz)
                frames += block.shape[0]
                yield block
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioFileError(info.path, f"{label}cannot decode the audio past {frames / info.rate_hz:.2f} s "
                             f"({_reason(exc)})", "a complete, undamaged file is allowed") from None
    _check_length(info, frames, label)


def read_audio(path: str | Path, what: str = "", dtype: str = "float64") -> tuple[np.ndarray, int]:
    """(audio as (frames, channels) float, rate in Hz) of a file the user named, through the door.

    `what` says which input it is (e.g. "--reference") so the one line names it. `dtype`
    "float32" suits reading only to measure: it holds 16- and 24-bit samples exactly at half the
    memory and a quarter of the read time; processing reads float64 (the default)."""
    import soundfile as sf

    info = probe_audio(path, what)
    label = f"{what}: " if what else ""
    try:
        audio, rate = sf.read(str(info.path), dtype=dtype, always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        raise AudioFileError(info.path, f"{label}cannot read audio ({_reason(exc)})", READABLE) from None
    _check_length(info, audio.shape[0], label)
    _check_samples(audio, info.path, label, info.rate_hz)
    return audio, int(rate)


def _check_samples(audio: np.ndarray, path: Path, label: str, rate_hz: int, offset_s: float = 0.0) -> None:
    # max and min propagate NaN and inf and allocate nothing; a sum would overflow on finite floats
    # near 3e38 and call them infinite.
    high, low = float(np.max(audio)), float(np.min(audio))
    if not (np.isfinite(high) and np.isfinite(low)):
        first = int(np.flatnonzero(~np.isfinite(audio).all(axis=1))[0])
        raise AudioFileError(path, f"{label}the audio contains NaN or infinite samples (the first at "
                             f"{offset_s + first / rate_hz:.3f} s)", "finite samples are allowed")
    peak = max(high, -low)
    if peak > PEAK_LIMIT:
        raise AudioFileError(path, f"{label}a sample of {peak:.3g} ({20 * np.log10(peak):+.0f} dBFS)", PEAK_ALLOWED)


def _check_length(info: AudioInfo, frames_read: int, label: str) -> None:
    if frames_read != info.frames:
        raise AudioFileError(info.path, f"{label}the header claims {info.frames} frames but {frames_read} could be "
                             "read (cut short, or a wrong header)", "a complete file is allowed")


def _reason(exc: BaseException) -> str:
    return str(exc).split(":")[-1].strip()[:120] or "unreadable"


def _data_sizes(path: Path) -> tuple[int, int] | None:
    """(bytes of audio the header claims, bytes there are after the audio's start) for RIFF/RF64/BW64
    and AIFF/AIFC files; None for other formats (FLAC: the frame count read is checked instead) or a
    size the writer left unknown."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(12)
        if len(head) < 12:
            return None
        if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
            return _riff_data(handle, size, big=head[:4] != b"RIFF")
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _aiff_data(handle, size)
    return None


def _chunks(handle: BinaryIO, size: int, order: str):  # type: ignore[no-untyped-def]
    """(id, body offset, declared size) of each chunk from the current position; stops at the end."""
    offset = handle.tell()
    for _ in range(1000):  # real files hold a handful; a loop of garbage must end
        if offset + 8 > size:
            return
        handle.seek(offset)
        raw = handle.read(8)
        chunk_id, length = raw[:4], struct.unpack(f"{order}I", raw[4:])[0]
        yield chunk_id, offset + 8, length
        offset += 8 + length + (length & 1)


def _riff_data(handle: BinaryIO, size: int, big: bool) -> tuple[int, int] | None:
    data_size_64 = None
    for chunk_id, body, length in _chunks(handle, size, "<"):
        if chunk_id == b"ds64" and big:
            handle.seek(body)
            data_size_64 = struct.unpack("<QQ", handle.read(16))[1]
        elif chunk_id == b"data":
            declared = data_size_64 if big and length == 0xFFFFFFFF and data_size_64 is not None else length
            return None if declared in _UNKNOWN_SIZES else (declared, size - body)
    return None


def _aiff_data(handle: BinaryIO, size: int) -> tuple[int, int] | None:
    for chunk_id, body, length in _chunks(handle, size, ">"):
        if chunk_id == b"SSND":
            handle.seek(body)
            data_offset = struct.unpack(">I", handle.read(4))[0]
            declared = length - 8 - data_offset
            return None if length in _UNKNOWN_SIZES else (declared, size - body - 8 - data_offset)
    return None
