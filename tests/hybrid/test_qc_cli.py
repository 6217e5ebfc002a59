"""`hybrid qc`: files in, findings and a verdict out; JSON alone on stdout; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.cli import main
from tests.dsp.test_qc import RATE, make_mix


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


@pytest.fixture(scope="module")
def mixes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mixes")
    clean = make_mix(seconds=6.0)
    faulty = np.clip(clean * 4.0, -1.0, 1.0)
    faulty[int(5.5 * RATE):] = 0.0  # and cut short
    paths = {"clean": folder / "clean.wav", "faulty": folder / "faulty.flac"}
    sf.write(paths["clean"], clean, RATE, subtype="PCM_24")
    sf.write(paths["faulty"], faulty, RATE, subtype="PCM_24")
    return paths


def test_json_is_one_document_with_a_verdict_per_file(mixes: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    status = main(["qc", "--json", str(mixes["clean"]), str(mixes["faulty"])])
    out, err = capsys.readouterr()
    doc = json.loads(out, parse_constant=_refuse)  # NaN or Infinity would not be JSON
    assert status == 1 and err == ""  # not a terminal: no progress bar either
    assert doc["ready"] is False
    clean, faulty = doc["files"]
    assert clean["ready"] is True and clean["findings"] == [] and clean["verdict"] == "Ready for mastering."
    assert {f["code"] for f in faulty["findings"]} >= {"clipping", "abrupt_end"}
    assert faulty["verdict"].startswith("Ask the mix engineer for a revised mix")
    assert clean["measurements"]["loudness"]["true_peak_dbtp"] < -3.0


def test_text_output_and_exit_status_zero_when_ready(mixes: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    assert main(["qc", str(mixes["clean"])]) == 0
    out = capsys.readouterr().out
    assert "verdict: Ready for mastering." in out and "LUFS" in out


def test_reference_adds_a_tonal_balance_finding(mixes: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    main(["qc", "--json", "--reference", str(mixes["clean"]), str(mixes["clean"])])
    found = json.loads(capsys.readouterr().out)["files"][0]["findings"]
    assert [f["code"] for f in found] == ["spectral_balance"] and found[0]["severity"] == "info"


def test_a_missing_or_unreadable_file_is_one_line_and_exit_2(tmp_path: Path, mixes: dict[str, Path],
                                                              capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope.wav"
    assert main(["qc", str(mixes["clean"]), str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "nope.wav" in err and "no such audio file" in err
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    assert main(["qc", "--reference", str(junk), str(mixes["clean"])]) == 2
    err = capsys.readouterr().err
    assert "junk.wav" in err and "--reference" in err and err.count("\n") == 1


def test_the_demo_mixes_are_ready_and_damaged_ones_are_not(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from hybrid.demo import write_demo_mixes

    mixes = write_demo_mixes(tmp_path / "mixes")
    audio, rate = sf.read(mixes[1], always_2d=True)
    clipped = np.clip(audio * 4.0, -1.0, 1.0)  # clipped on the way out of the DAW
    clipped[:, 1] *= -1.0  # and one side's polarity flipped
    clicked = audio.copy()
    clicked[int(4.13 * rate), 0] += 0.2  # a click (off the beat: one on a kick's attack is masked by it)
    damaged = [tmp_path / "clipped.wav", tmp_path / "clicked.wav"]
    sf.write(damaged[0], clipped, rate, subtype="PCM_24")
    sf.write(damaged[1], clicked, rate, subtype="PCM_24")
    status = main(["qc", "--json", *map(str, mixes), *map(str, damaged)])
    files = json.loads(capsys.readouterr().out)["files"]
    assert status == 1
    assert [f["ready"] for f in files] == [True, True, True, False, False]
    assert all(f["findings"] == [] for f in files[:3])
    found = {f["code"]: f for f in files[3]["findings"]}
    assert {"clipping", "phase"} <= set(found) and found["phase"]["severity"] == "problem"
    assert [(f["code"], f["times_s"]) for f in files[4]["findings"]] == [("clicks", [4.13])]


def _stderr_on_a_terminal(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run `python -m hybrid ARGS` with stderr on a pseudo-terminal; (status, stdout, what the terminal got)."""
    import os
    import subprocess
    import sys

    master, slave = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "hybrid", *args], stdout=subprocess.PIPE, stderr=slave,
                              timeout=120, env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
        os.close(slave)
        slave = -1
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return done.returncode, done.stdout, seen


def test_a_progress_bar_on_a_terminal_and_none_in_json_mode(mixes: dict[str, Path]) -> None:
    files = [str(mixes["clean"]), str(mixes["clean"])]
    status, out, terminal = _stderr_on_a_terminal(["qc", *files])
    assert status == 0 and b"verdict: Ready for mastering." in out
    assert b"Evaluating" in terminal  # rich drew the bar on the terminal
    status, out, terminal = _stderr_on_a_terminal(["qc", "--json", *files])
    assert status == 0 and json.loads(out)["ready"] is True
    assert terminal == b""
