"""Every encoder path with tracks of several minutes: libsndfile's Vorbis encoder crashed on one
whole-track write past about 45 s at 48 kHz, so each path is run on a real-length track."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.deliver.encode import BLOCK_FRAMES, write_audio

RATE = 48000
MINUTES = 3.0


def _long_track(seconds: float = MINUTES * 60, rate: int = RATE) -> np.ndarray:
    """A quiet two-tone chord: cheap to encode, long enough to have crashed the Vorbis path."""
    t = np.arange(int(seconds * rate)) / rate
    left = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 331 * t)
    return np.stack([left, np.roll(left, 17)], axis=1)


# (format, subtype, options, what the pcm holds): every encoder a target or `ddp verify --extract` uses
ENCODERS = [
    ("WAV", "PCM_16", {}, "int16"),  # cd, DDP extract
    ("WAV", "PCM_24", {}, "int32"),  # streaming, hires, vinyl
    ("FLAC", "PCM_24", {"compression_level": 0.5}, "int32"),  # hires companion
    ("MP3", "MPEG_LAYER_III", {"bitrate_mode": "CONSTANT", "compression_level": 0}, "float32"),  # preview
    ("OGG", "VORBIS", {"compression_level": 0.2}, "float32"),  # preview.format=ogg
]


@pytest.mark.parametrize("fmt,subtype,options,dtype", ENCODERS, ids=[f"{e[0]}-{e[1]}" for e in ENCODERS])
def test_every_encoder_writes_a_track_of_several_minutes_whole(tmp_path: Path, fmt: str, subtype: str,
                                                               options: dict, dtype: str) -> None:
    audio = _long_track()
    if dtype == "int16":
        pcm = np.round(audio * 32767).astype(np.int16)
    elif dtype == "int32":
        pcm = (np.round(audio * 8388607).astype(np.int32) << 8)
    else:
        pcm = audio.astype(np.float32)
    path = tmp_path / f"long.{fmt.lower()}"
    # in a child process: a crashing encoder is a failed test, not a dead test run
    code = textwrap.dedent(f"""
        import numpy as np
        from hybrid.deliver.encode import write_audio
        pcm = np.load({str(tmp_path / 'pcm.npy')!r})
        write_audio({str(path)!r}, pcm, {RATE}, format={fmt!r}, subtype={subtype!r}, **{options!r})
    """)
    np.save(tmp_path / "pcm.npy", pcm)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"
    info = sf.info(str(path))
    assert info.samplerate == RATE and info.channels == 2
    assert abs(info.frames - pcm.shape[0]) <= 2048  # lossy codecs round to their own frame
    if fmt in ("WAV", "FLAC"):  # lossless: every sample back, bit for bit
        back, _ = sf.read(str(path), dtype=dtype)
        assert np.array_equal(back, pcm)


def test_write_audio_hands_the_encoder_blocks_and_keeps_a_mono_column(tmp_path: Path) -> None:
    mono = np.linspace(-0.5, 0.5, BLOCK_FRAMES * 2 + 7)
    write_audio(tmp_path / "m.wav", mono, RATE, format="WAV", subtype="FLOAT")
    back, rate = sf.read(str(tmp_path / "m.wav"), always_2d=True)
    assert rate == RATE and back.shape == (mono.shape[0], 1)
    assert np.allclose(back[:, 0], mono, atol=1e-7)


def test_an_ogg_preview_of_a_several_minute_track_renders(tmp_path: Path) -> None:
    """The whole path (finish, encode, read back, tag) in a child process: before the fix it died
    with SIGSEGV (exit 139) and left a .render-*.partial folder behind."""
    capture = tmp_path / "01-long.wav"
    sf.write(str(capture), _long_track().astype(np.float32), RATE, subtype="FLOAT")
    out = tmp_path / "out"
    code = textwrap.dedent(f"""
        from pathlib import Path
        from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render
        track = TrackMaster(number=1, track_id="long", title="Long Song", capture_path=Path({str(capture)!r}))
        job = RenderJob(tracks=[track], album=AlbumInfo(title="A", artist="B"), revision=1, preview_format="ogg")
        entry = render(job, ["preview"], Path({str(out)!r})).per_target["preview"]["tracks"][0]
        print(entry["path"], entry["duration_s"])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"
    path, duration = done.stdout.split()
    assert Path(path).suffix == ".ogg" and float(duration) == pytest.approx(MINUTES * 60, abs=0.05)
    assert sf.info(path).format == "OGG"
    assert not list(out.glob(".render-*"))
