"""Reading the audio files a user names (mixes, references, inputs): one reader, one kind of error."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from devices.errors import AudioFileError

READABLE = "a WAV, FLAC or AIFF file (16/24/32-bit or float) is allowed"
RATES_HZ = (8000, 384000)


def read_audio(path: str | Path, what: str = "", dtype: str = "float64") -> tuple[np.ndarray, int]:
    """(audio as (frames, channels) float, rate in Hz) of a file the user named.

    `what` says which input it is (e.g. "--reference") so the one line names it. `dtype`
    "float32" suits reading only to measure: it holds 16- and 24-bit samples exactly at half the
    memory and a quarter of the read time; processing reads float64 (the default)."""
    import soundfile as sf  # keeps `hybrid --help` from loading libsndfile

    path = Path(path)
    label = f"{what}: " if what else ""
    if not path.is_file():
        raise AudioFileError(path, f"{label}no such audio file", READABLE)
    try:
        audio, rate = sf.read(str(path), dtype=dtype, always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise AudioFileError(path, f"{label}cannot read audio ({reason})", READABLE) from exc
    if audio.shape[1] == 0 or audio.shape[0] == 0:
        raise AudioFileError(path, f"{label}the file holds no audio ({audio.shape[0]} frames, "
                             f"{audio.shape[1]} channels)", "a file with at least one sample is allowed")
    if not np.isfinite(np.sum(audio)):  # NaN and inf survive one sum: cheaper than a full mask
        raise AudioFileError(path, f"{label}the audio contains NaN or infinite samples",
                             "finite samples are allowed")
    if not RATES_HZ[0] <= rate <= RATES_HZ[1]:
        raise AudioFileError(path, f"{label}sample rate {rate} Hz", f"{RATES_HZ[0]}-{RATES_HZ[1]} Hz is allowed")
    return audio, int(rate)
