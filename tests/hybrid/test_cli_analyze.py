"""`hybrid analyze`: every file format and channel count, the JSON contract, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.cli import main

KEYS = {
    "integrated_lufs",
    "short_term_max_lufs",
    "momentary_max_lufs",
    "lra_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "duration_s",
    "sample_rate",
    "channels",
}


def tone_file(path: Path, rate: int, channels: int, subtype: str, level_db: float = -23.0, seconds: float = 4.0) -> Path:
    n = np.arange(int(seconds * rate))
    wave = 10.0 ** (level_db / 20.0) * np.sin(2.0 * np.pi * 1000.0 * n / rate)
    sf.write(str(path), np.repeat(wave[:, None], channels, axis=1), rate, subtype=subtype)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["analyze", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON document and nothing else on stdout
    return json.loads(out)


@pytest.mark.parametrize(
    ("name", "subtype"),
    [("a.wav", "PCM_16"), ("a.wav", "PCM_24"), ("a.wav", "PCM_32"), ("a.wav", "FLOAT"), ("a.flac", "PCM_24"), ("a.aiff", "PCM_16")],
)
def test_formats_read_the_same_stereo_tone(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, subtype: str) -> None:
    values = run_json(capsys, str(tone_file(tmp_path / name, 48000, 2, subtype)))
    assert set(values) == KEYS
    assert values["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert values["momentary_max_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert values["true_peak_dbtp"] == pytest.approx(-23.0, abs=0.05)  # the sine's peak is -23 dBFS
    assert values["sample_peak_dbfs"] == pytest.approx(-23.0, abs=0.05)
    assert values["duration_s"] == pytest.approx(4.0)
    assert values["sample_rate"] == 48000 and values["channels"] == 2


@pytest.mark.parametrize(("channels", "expected"), [(1, -23.0 - 3.01), (6, -23.0 + 10 * np.log10(1 + 1 + 1 + 1.41 + 1.41) - 3.01)])
def test_mono_and_surround(tmp_path: Path, capsys: pytest.CaptureFixture[str], channels: int, expected: float) -> None:
    values = run_json(capsys, str(tone_file(tmp_path / "s.wav", 44100, channels, "PCM_24")))
    assert values["channels"] == channels
    assert values["integrated_lufs"] == pytest.approx(expected, abs=0.1)


def test_silence_gives_null_not_minus_infinity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros((48000 * 4, 2)), 48000, subtype="PCM_16")
    values = run_json(capsys, str(path))
    for key in ("integrated_lufs", "short_term_max_lufs", "momentary_max_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs"):
        assert values[key] is None, key
    assert values["duration_s"] == pytest.approx(4.0)


def test_readable_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tone_file(tmp_path / "t.flac", 96000, 2, "PCM_24")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "integrated      -23.0 LUFS" in out
    assert "true peak       -23.0 dBTP" in out
    assert "96000 Hz, 2 ch" in out


@pytest.mark.parametrize("content", [None, b"not audio at all", b""])
def test_missing_or_unreadable_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None) -> None:
    path = tmp_path / "mix.wav"
    if content is not None:
        path.write_bytes(content)
    assert main(["analyze", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"hybrid: {path}: ")
    assert "WAV, FLAC or AIFF" in lines[0]
