"""`hybrid analyze A B C...` and `hybrid qc A B C...`: one process, results in the order given, a bad
file is one line; the same in this process, on local cores and on a Dask cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dsp.meter import analyze
from hybrid.analysis import analyze_file
from hybrid.audiofile import read_audio
from hybrid.cli import main


@pytest.fixture(scope="module")
def mixes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("mixes")
    rng = np.random.default_rng(5)
    paths = []
    for i, (rate, channels, subtype) in enumerate([(48000, 2, "FLOAT"), (44100, 1, "PCM_16"), (96000, 2, "PCM_24"),
                                                   (48000, 2, "PCM_24"), (44100, 2, "FLOAT")]):
        audio = rng.standard_normal((int(rate * (1.5 + i)), channels)) * 0.1 * (i + 1)
        path = folder / f"mix{i}.wav"
        sf.write(str(path), np.clip(audio, -1, 1), rate, subtype=subtype)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    status = main(["analyze", *argv, "--json"])
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1  # one JSON document
    return status, json.loads(captured.out), captured.err


def test_read_in_blocks_equals_the_whole_file_read_at_once(mixes: list[Path]) -> None:
    for path in mixes:
        audio, rate = read_audio(path, dtype="float32")
        assert analyze_file(path) == analyze(audio, rate)


def test_a_list_in_the_order_given_each_as_one_file_alone(mixes: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    order = [mixes[3], mixes[0], mixes[4], mixes[1], mixes[2]]
    status, doc, err = _json(capsys, *map(str, order), "--jobs", "2")
    assert status == 0 and err == ""
    assert [entry["file"] for entry in doc] == [str(p) for p in order]
    for entry, path in zip(doc, order, strict=True):
        assert main(["analyze", str(path), "--json"]) == 0
        alone = json.loads(capsys.readouterr().out)
        assert {k: v for k, v in entry.items() if k != "file"} == alone


def test_an_unreadable_file_is_one_line_and_the_others_are_measured(
        mixes: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio")
    missing = tmp_path / "missing.wav"
    status, doc, err = _json(capsys, str(mixes[0]), str(broken), str(missing), str(mixes[1]))
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"hybrid: {broken}: cannot read audio")
    assert lines[1].startswith(f"hybrid: {missing}: no such audio file")
    assert [e.get("error") is None for e in doc] == [True, False, False, True]
    assert doc[1]["error"] == lines[0].removeprefix("hybrid: ")
    assert doc[3]["integrated_lufs"] is not None
    # the text form: tables for the measured files, the same lines on stderr
    assert main(["analyze", str(mixes[0]), str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("integrated") == 1 and str(missing) in captured.err


def test_the_same_on_a_dask_cluster(mixes: list[Path], scheduler: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.wav"
    names = [*map(str, mixes), str(missing)]
    local = _json(capsys, *names, "--jobs", "2")
    remote = _json(capsys, *names, "--scheduler", scheduler)
    assert remote == local
    assert remote[0] == 2


def test_a_scheduler_that_does_not_answer_is_one_line(mixes: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["analyze", str(mixes[0]), str(mixes[1]), "--scheduler", "tcp://127.0.0.1:9"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("hybrid: --scheduler tcp://127.0.0.1:9: no Dask scheduler answered") and err.count("\n") == 1


def test_qc_of_many_mixes_the_same_in_process_on_local_cores_and_on_dask(
        mixes: list[Path], scheduler: str, capsys: pytest.CaptureFixture[str]) -> None:
    names = [str(mixes[2]), str(mixes[0]), str(mixes[1])]
    runs = []
    for where in (["--jobs", "1"], ["--jobs", "2"], ["--scheduler", scheduler]):
        status = main(["qc", *names, "--reference", str(mixes[3]), "--json", *where])
        captured = capsys.readouterr()
        runs.append((status, json.loads(captured.out), captured.err))
    assert runs[0] == runs[1] == runs[2]
    assert [entry["file"] for entry in runs[0][1]["files"]] == names


def test_qc_a_mix_that_fails_past_its_header_is_one_line_and_the_others_are_evaluated(
        mixes: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poisoned = tmp_path / "nan.wav"
    audio = np.zeros((48000, 2), dtype=np.float32)
    audio[1000] = np.nan
    sf.write(str(poisoned), audio, 48000, subtype="FLOAT")
    status = main(["qc", str(mixes[0]), str(poisoned), "--json", "--jobs", "2"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.count("\n") == 1 and f"{poisoned}: the audio contains NaN" in captured.err
    assert [entry["file"] for entry in json.loads(captured.out)["files"]] == [str(mixes[0])]


def _session_with_a_print(folder: Path, hz: float) -> Path:
    """A session of one track with a stored print of revision 1 (as the print pipeline lays it out)."""
    from hybrid.session import AlbumFields, new_session

    t = np.arange(int(3.0 * 48000)) / 48000
    tone = np.stack([0.3 * np.sin(2 * np.pi * hz * t)] * 2, axis=1)
    mix = folder / "mixes" / "01-song.wav"
    mix.parent.mkdir(parents=True)
    sf.write(str(mix), tone, 48000, subtype="PCM_24")
    session = new_session(folder / "album", [mix], album=AlbumFields(title="One", artist="Solo", targets=["streaming"]),
                          author="test")
    capture = session.prints_dir / "r0001-01" / "capture"
    capture.mkdir(parents=True)
    sf.write(str(capture / f"01-{session.info.tracks[0].id}.wav"), (3.0 * tone).astype(np.float32), 48000,
             subtype="FLOAT")
    from hybrid.printing.folders import MANIFEST, manifest  # the seal every reader of a print checks

    (capture.parent / MANIFEST).write_text(json.dumps(manifest(capture.parent), indent=2, sort_keys=True))
    return session.folder


def _readings(document: dict) -> list:
    return [(t["true_peak_dbtp"], t.get("integrated_lufs")) for t in document["targets"]["streaming"]["tracks"]]


def test_render_of_many_sessions_the_same_in_process_and_on_dask(tmp_path: Path, scheduler: str) -> None:
    from distributed import Client

    from hybrid.batch import render_sessions

    runs = []
    for where in ("here", "dask"):
        dirs = [_session_with_a_print(tmp_path / where / f"s{i}", 220.0 * (i + 1)) for i in range(2)]
        dirs.insert(1, tmp_path / where / "no-session")
        if where == "here":
            outcomes = render_sessions(dirs)
        else:
            with Client(scheduler, set_as_default=False) as client:
                outcomes = render_sessions(dirs, executor=client.get_executor())
        assert [o.file for o in outcomes] == [str(d) for d in dirs]
        runs.append([(_readings(o.value), Path(o.value["out_dir"]).relative_to(d)) if o.ok
                     else o.error.replace(str(tmp_path / where), "ROOT") for o, d in zip(outcomes, dirs)])
    assert runs[0] == runs[1]
    assert not isinstance(runs[0][0], str) and not isinstance(runs[0][2], str), runs[0]  # both rendered
    assert isinstance(runs[0][1], str) and "no-session" in runs[0][1]
    assert all(peak <= -0.9 for peak, _ in runs[0][0][0])  # the hot print needed the limiter
