"""Hostile audio at the door every command opens a mix through (`session new`, `qc`, `analyze`,
`finish`, `report`): short, NaN/Inf, absurd rates, floats near 3e38, cut files, headers claiming
more than is there, corrupted headers, FIFOs and devices. Each is decided at the door: exit 0, or
exit 2 with one line and nothing written; the hostile classes are refused by every command alike."""

from __future__ import annotations

import os
import random
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from devices.errors import HybridError
from hybrid.cli import main

SEED = 20261206
RATE = 48000


class CliRefused(HybridError):
    """A command's exit 2, carrying the one line it printed."""


def _run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    if status == 2:
        if out:
            raise AssertionError(f"a refusal printed on stdout: {out[:200]!r}")
        raise CliRefused(err.removeprefix("hybrid: ").removesuffix("\n"))
    if status not in (0, 1):  # qc's verdict may be 1 ("ask for a revised mix")
        raise AssertionError(f"exit {status}: {err[:200]!r}")


def _noise(frames: int, channels: int = 2, level: float = 0.1, seed: int = 0) -> np.ndarray:
    return level * np.random.default_rng(seed).standard_normal((frames, channels))


def _hostile_files(folder: Path, rng: random.Random) -> list[tuple[str, Path]]:
    """(class, path) of files every door must refuse."""
    out: list[tuple[str, Path]] = []

    def write(name: str, audio: np.ndarray, rate: int = RATE, **kw: object) -> Path:
        path = folder / name
        sf.write(path, audio, rate, **kw)
        return path

    for n in range(3):
        audio = _noise(rng.randint(480, 9600), seed=n).astype(np.float32)
        audio[rng.randrange(audio.shape[0]), rng.randrange(2)] = rng.choice([np.nan, np.inf, -np.inf])
        out.append(("nan/inf", write(f"nonfinite{n}.wav", audio, subtype="FLOAT")))
    out.append(("near 3e38", write("huge.wav", np.full((4800, 2), 3e38, np.float32), subtype="FLOAT")))
    out.append(("near 3e38", write("huge1.wav", np.where(_noise(4800) > 0, 3.4e38, -3.4e38).astype(np.float32),
                                   subtype="FLOAT")))
    out.append(("+80 dBFS", write("hot.wav", _noise(4800, level=10_000.0).astype(np.float32), subtype="FLOAT")))
    for rate in (4000, 7999, 384001, 768000):
        out.append(("rate", write(f"rate{rate}.wav", _noise(4800), rate)))
    for fmt, ext, sub in (("WAV", "wav", "PCM_24"), ("WAV", "wav", "FLOAT"), ("AIFF", "aiff", "PCM_16"),
                          ("RF64", "wav", "PCM_24"), ("FLAC", "flac", "PCM_16")):
        whole = folder / f"whole-{fmt}-{sub}.{ext}"
        sf.write(whole, _noise(RATE), RATE, format=fmt, subtype=sub)
        data = whole.read_bytes()
        cut = folder / f"cut-{fmt}-{sub}.{ext}"
        cut.write_bytes(data[: rng.randint(len(data) // 4, len(data) * 3 // 4)])
        out.append(("cut short", cut))
    data = bytearray((folder / "whole-WAV-PCM_24.wav").read_bytes())
    at = data.index(b"data")
    data[at + 4: at + 8] = struct.pack("<I", 8 * 3600 * RATE * 2 * 3 % (1 << 32) | 1 << 31)  # "8 hours"
    (folder / "claims-8h.wav").write_bytes(bytes(data))
    out.append(("header claims more", folder / "claims-8h.wav"))
    data = bytearray((folder / "whole-AIFF-PCM_16.aiff").read_bytes())
    at = data.index(b"SSND")
    data[at + 4: at + 8] = struct.pack(">I", 200_000_000)
    (folder / "claims-more.aiff").write_bytes(bytes(data))
    out.append(("header claims more", folder / "claims-more.aiff"))
    fifo = folder / "fifo.wav"
    os.mkfifo(fifo)
    out.append(("fifo", fifo))
    out.append(("device", Path("/dev/zero")))
    out.append(("device", Path("/dev/null")))
    out.append(("folder", folder))
    (folder / "empty.wav").write_bytes(b"")
    out.append(("empty", folder / "empty.wav"))
    write("zero-frames.wav", np.zeros((0, 2)))
    out.append(("empty", folder / "zero-frames.wav"))
    return out


def _garbled_files(folder: Path, rng: random.Random, count: int) -> list[Path]:
    """Files with random bytes changed in their first 64 (the header) or cut anywhere: each may be
    accepted or refused, never a crash."""
    base = (folder / "whole-WAV-PCM_24.wav").read_bytes()
    flac = (folder / "whole-FLAC-PCM_16.flac").read_bytes()
    out = []
    for n in range(count):
        data = bytearray(rng.choice([base, flac]))
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(64)] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        path = folder / f"garbled{n}.wav"
        path.write_bytes(bytes(data))
        out.append(path)
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, Path]], list[Path]]:
    folder = tmp_path_factory.mktemp("hostile-audio")
    rng = random.Random(SEED)
    hostile = _hostile_files(folder, rng)
    return folder, hostile, _garbled_files(folder, rng, 40)


DOORS = {
    "analyze": lambda f, out: ["analyze", str(f)],
    "qc": lambda f, out: ["qc", str(f)],
    "finish": lambda f, out: ["finish", str(f), str(out / "master.wav")],
    "session new": lambda f, out: ["session", "new", str(out / "session"), "--track", str(f)],
    "report": lambda f, out: ["report", str(f), "--out", str(out / "report"), "--no-plots"],
}


@pytest.mark.parametrize("door", list(DOORS))
def test_every_hostile_class_is_refused_at_every_door(files, door: str, tmp_path: Path, tally, capsys) -> None:
    _folder, hostile, _ = files
    for n, (kind, path) in enumerate(hostile):
        out = tmp_path / f"out{n}"
        out.mkdir()
        outcome = tally.case(f"{door} {kind} {path.name}", lambda: _run_cli(capsys, DOORS[door](path, out)),
                             timeout_s=20.0, must_refuse=True)
        if outcome == "refused" and any(out.iterdir()):
            tally.lost(f"{door} {path.name}", f"refused but wrote {sorted(p.name for p in out.iterdir())}")


@pytest.mark.parametrize("door", ["analyze", "qc", "session new"])
def test_garbled_headers_are_accepted_or_refused(files, door: str, tmp_path: Path, tally, capsys) -> None:
    _folder, _, garbled = files
    for n, path in enumerate(garbled):
        out = tmp_path / f"out{n}"
        out.mkdir()
        tally.case(f"{door} {path.name}", lambda: _run_cli(capsys, DOORS[door](path, out)), timeout_s=20.0)


@pytest.mark.parametrize("door", ["analyze", "qc", "report", "finish"])
def test_short_audio_is_measured_not_crashed(tmp_path: Path, door: str, tally, capsys) -> None:
    """1 sample, 16, and 10-49 ms: qc and report crashed in noise_floor ("need at least one array")."""
    rng = random.Random(SEED + 2)
    for frames in [1, 2, 15, 16, 17] + [int(RATE * rng.uniform(0.010, 0.049)) for _ in range(6)]:
        path = tmp_path / f"short{frames}.wav"
        sf.write(path, _noise(frames, seed=frames), RATE, subtype="FLOAT")
        out = tmp_path / f"out{frames}"
        out.mkdir()
        tally.case(f"{door} {frames} frames", lambda: _run_cli(capsys, DOORS[door](path, out)), timeout_s=30.0)


def test_a_cut_or_overclaiming_file_names_both_lengths(files, capsys) -> None:
    folder, _, _ = files
    assert main(["analyze", str(folder / "claims-8h.wav")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the header claims" in err and "the file holds 1.0 s" in err, err
    assert main(["qc", "/dev/zero"]) == 2
    err = capsys.readouterr().err
    assert "character device" in err and "regular file" in err, err
