"""`hybrid ddp verify`: lists an image's tracks, extracts them, and says when something is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from hybrid.cli import main
from hybrid.ddp import write_ddp
from hybrid.ddp.layout import SAMPLES_PER_FRAME, layout_album


def _image(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    rng = np.random.default_rng(3)
    wavs, pcms = [], []
    for n, frames in enumerate([300, 450], start=1):
        pcm = rng.integers(-9000, 9000, size=(frames * SAMPLES_PER_FRAME, 2), dtype=np.int16)
        path = tmp_path / f"{n}.wav"
        sf.write(str(path), pcm, 44100, subtype="PCM_16")
        wavs.append(path)
        pcms.append(pcm)
    layout = layout_album([("a", "A", "USRC17607839", 300 * SAMPLES_PER_FRAME, 150),
                           ("b", "B", "", 450 * SAMPLES_PER_FRAME, 150)])
    write_ddp(tmp_path / "DDP", layout, wavs, upc_ean="4006381333931")
    return tmp_path / "DDP", pcms


def test_verify_json_lists_tracks_and_extracts_them_bit_exact(tmp_path: Path, capsys) -> None:
    folder, pcms = _image(tmp_path)
    status = main(["ddp", "verify", str(folder), "--json", "--extract", str(tmp_path / "x")])
    document = json.loads(capsys.readouterr().out)
    assert status == 0 and document["ok"] is True and document["checksums_ok"] is True
    assert [(t["start"], t["length"], t["isrc"]) for t in document["tracks"]] == [
        ("00:02:00", "00:04:00", "USRC17607839"), ("00:08:00", "00:06:00", "")]
    for path, pcm in zip(document["extracted"], pcms):
        assert np.array_equal(sf.read(path, dtype="int16")[0], pcm)


def test_verify_text_reports_a_problem_with_exit_status_1(tmp_path: Path, capsys) -> None:
    folder, _ = _image(tmp_path)
    (folder / "PQDESCR").write_bytes((folder / "PQDESCR").read_bytes()[:-10])
    status = main(["ddp", "verify", str(folder)])
    out = capsys.readouterr().out
    assert status == 1
    assert "problem: PQDESCR: " in out and "not a whole number of 64-byte packets" in out


def test_verify_of_a_folder_that_is_no_image_is_one_clear_line(tmp_path: Path, capsys) -> None:
    status = main(["ddp", "verify", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("hybrid: ") and "no DDPID file" in err and err.count("\n") == 1
