"""Reading an audio file the user named block by block: the checks of read_audio, flat memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from devices.errors import AudioFileError
from hybrid.audiofile import RATES_HZ, READABLE

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BLOCK_FRAMES", "AudioInfo", "audio_blocks", "audio_info"]

# 64k frames: 0.5 MB of float32 stereo, long enough that the per-block overhead (a read call, a
# kernel call, a finite check) is under 1 % of the metering, short enough to stay in L2/L3.
BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, from its header."""

    path: Path
    rate_hz: int
    channels: int
    frames: int


def _label(what: str) -> str:
    return f"{what}: " if what else ""


def audio_info(path: str | Path, what: str = "") -> AudioInfo:
    """The header of a file the user named, or AudioFileError in one line (missing, unreadable,
    empty, or a rate outside RATES_HZ). `what` says which input it is (e.g. "--reference")."""
    import soundfile as sf  # keeps `hybrid --help` from loading libsndfile

    path = Path(path)
    label = _label(what)
    if not path.is_file():
        raise AudioFileError(path, f"{label}no such audio file", READABLE)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise AudioFileError(path, f"{label}cannot read audio ({reason})", READABLE) from exc
    if info.channels == 0 or info.frames <= 0:
        raise AudioFileError(path, f"{label}the file holds no audio ({max(info.frames, 0)} frames, "
                             f"{info.channels} channels)", "a file with at least one sample is allowed")
    if not RATES_HZ[0] <= info.samplerate <= RATES_HZ[1]:
        raise AudioFileError(path, f"{label}sample rate {info.samplerate} Hz",
                             f"{RATES_HZ[0]}-{RATES_HZ[1]} Hz is allowed")
    return AudioInfo(path=path, rate_hz=int(info.samplerate), channels=int(info.channels), frames=int(info.frames))


def audio_blocks(info: AudioInfo, what: str = "", dtype: str = "float32",
                 block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """The file's audio as (frames, channels) blocks of `dtype`, each checked finite as it is read.

    float32 holds 16- and 24-bit samples exactly (what a meter needs); processing reads float64."""
    import numpy as np
    import soundfile as sf

    label = _label(what)
    try:
        with sf.SoundFile(str(info.path)) as source:
            while True:
                block = source.read(block_frames, dtype=dtype, always_2d=True)
                if block.shape[0] == 0:
                    return
                if not np.isfinite(np.sum(block)):  # NaN and inf survive one sum: cheaper than a mask
                    raise AudioFileError(info.path, f"{label}the audio contains NaN or infinite samples",
                                         "finite samples are allowed")
                yield block
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise AudioFileError(info.path, f"{label}cannot read audio ({reason})", READABLE) from exc
