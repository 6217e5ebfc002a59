"""`hybrid finish`: the chain on files, what it reports, atomic output, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dsp.meter import analyze
from dsp.programme import SONGS, render_song
from hybrid.cli import main


@pytest.fixture(scope="module")
def mix_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four seconds of a demo song, float WAV, sample peak +3 dBFS (hot: the limiter must work)."""
    song = render_song(SONGS[2], rate=48000, seed=5)[: 4 * 48000]
    path = tmp_path_factory.mktemp("mix") / "mix.wav"
    sf.write(str(path), song * (10 ** (3 / 20) / np.max(np.abs(song))), 48000, subtype="FLOAT")
    return path


def finish_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["finish", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_defaults_24_bit_at_the_input_rate_under_minus_1_dbtp(tmp_path: Path, mix_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "master.wav"
    report = finish_json(capsys, str(mix_file), str(out))
    info = sf.info(str(out))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (48000, 2, "PCM_24", 4 * 48000)
    assert report["bits"] == 24 and report["dither"] == "tpdf" and report["ceiling_dbtp"] == -1.0
    assert report["max_gain_reduction_db"] > 3.0
    audio, rate = sf.read(str(out), always_2d=True)
    measured = analyze(audio, rate)
    assert measured.true_peak_dbtp <= -1.0 + 0.01  # dither adds < 0.001 dB at 24 bits
    assert measured.integrated_lufs == pytest.approx(report["integrated_lufs"], abs=0.02)


@pytest.mark.parametrize(("name", "bits", "subtype"), [("m.flac", "16", "PCM_16"), ("m.aiff", "24", "PCM_24"), ("m.wav", "32", "FLOAT")])
def test_loudness_rate_and_word_length(tmp_path: Path, mix_file: Path, capsys: pytest.CaptureFixture[str], name: str, bits: str, subtype: str) -> None:
    out = tmp_path / name
    report = finish_json(capsys, str(mix_file), str(out), "--lufs", "-14", "--rate", "44100", "--bits", bits, "--ceiling", "-2")
    info = sf.info(str(out))
    assert (info.samplerate, info.subtype) == (44100, subtype)
    assert abs(info.frames - 4 * 44100) <= 1
    audio, rate = sf.read(str(out), always_2d=True)
    measured = analyze(audio, rate)
    assert measured.integrated_lufs == pytest.approx(-14.0, abs=0.2)
    assert measured.true_peak_dbtp <= -2.0 + 0.01
    assert report["lufs_unreachable_by_lu"] is None
    assert report["dither"] == ("none" if bits == "32" else "tpdf")


def test_human_summary_says_what_was_done_and_an_unreachable_target(tmp_path: Path, mix_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finish", str(mix_file), str(tmp_path / "loud.wav"), "--lufs", "-3", "--dither", "shaped", "--bits", "16"]) == 0
    out = capsys.readouterr().out
    assert "16-bit, dither shaped" in out
    assert "limiter max reduction" in out
    assert "unreachable under a -1.0 dBTP ceiling" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--bits", "20"], "--bits: '20' is not allowed"),
        (["--ceiling", "+3"], "--ceiling: '+3' is not allowed"),
        (["--ceiling", "loud"], "--ceiling: 'loud' is not allowed"),
        (["--lufs", "nan"], "--lufs: 'nan' is not allowed"),
        (["--rate", "22050"], "--rate: '22050' is not allowed"),
        (["--dither", "noise"], "--dither: 'noise' is not allowed"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(tmp_path: Path, mix_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    out = tmp_path / "never.wav"
    assert main(["finish", str(mix_file), str(out), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]
    assert not out.exists()


def test_32_bit_flac_and_unknown_extension_are_refused(tmp_path: Path, mix_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finish", str(mix_file), str(tmp_path / "m.flac"), "--bits", "32"]) == 2
    assert "FLAC holds 16 or 24 bits" in capsys.readouterr().err
    assert main(["finish", str(mix_file), str(tmp_path / "m.mp4")]) == 2
    assert ".wav, .flac, .aif or .aiff" in capsys.readouterr().err


def test_a_failed_run_leaves_an_existing_output_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "master.wav"
    out.write_bytes(b"yesterday's master")
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros((48000, 2)), 48000)
    assert main(["finish", str(silent), str(out), "--lufs", "-14"]) == 2
    err = capsys.readouterr().err
    assert "no gated loudness" in err and str(silent) in err
    assert out.read_bytes() == b"yesterday's master"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.wav", "silent.wav"]  # no temp files
    assert main(["finish", str(tmp_path / "missing.wav"), str(out)]) == 2
    assert "no such audio file" in capsys.readouterr().err


def test_finish_streams_and_writes_what_finish_of_the_whole_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a loudness target `hybrid finish` reads, limits and writes block by block: a short
    file comes out sample for sample as dsp.finishing.finish of the whole (no dither, so no noise
    to differ); a file past one limiter segment (30 s) holds the ceiling across the joins."""
    import numpy as np
    import soundfile as sf

    from dsp.finishing import FinishSettings, finish
    from dsp.meter import analyze

    rng = np.random.default_rng(11)
    rate = 48000
    for seconds in (4.0, 65.0):
        frames = int(seconds * rate)
        level = np.repeat(rng.uniform(0.2, 1.0, int(seconds * 4) + 1), rate // 4)[:frames, None]
        audio = rng.standard_normal((frames, 2)) * 0.5 * level
        source = tmp_path / f"mix{seconds:.0f}.wav"
        sf.write(str(source), audio.astype(np.float32), rate, subtype="FLOAT")
        out = tmp_path / f"master{seconds:.0f}.wav"

        def whole_file_read(*args: object, **kwargs: object) -> None:
            raise AssertionError("finish read the whole programme into memory")

        monkeypatch.setattr("hybrid.audiofile.read_audio", whole_file_read)
        assert main(["finish", str(source), str(out), "--rate", "44100", "--bits", "24", "--dither", "none"]) == 0
        written, written_rate = sf.read(str(out), dtype="int32", always_2d=True)
        assert written_rate == 44100
        monkeypatch.undo()
        if seconds < 30.0:
            read_back, _ = sf.read(str(source), dtype="float64", always_2d=True)
            whole = finish(read_back, rate, FinishSettings(rate_hz=44100, bits=24, dither="none"))
            np.testing.assert_array_equal(written, whole.pcm)
        else:
            true_peak = analyze(written / 2.0**31, 44100).true_peak_dbtp
            assert true_peak is not None and true_peak <= -1.0 + 0.01
            assert abs(written.shape[0] - frames * 44100 / rate) <= 1


def test_a_loudness_target_is_met_in_passes_over_the_file(tmp_path: Path, mix_file: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`--lufs` reads the file once to measure it and once per gain tried, never all at once; the
    readings are those of dsp.finishing.finish of the whole to the limiter's rounding."""
    from dsp.finishing import FinishSettings, finish
    from hybrid.audiofile import read_audio

    audio, rate = read_audio(mix_file)
    whole = finish(audio, rate, FinishSettings(lufs_target=-11.0, rate_hz=44100, bits=16))

    def whole_file_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("finish read the whole programme into memory")

    monkeypatch.setattr("hybrid.audiofile.read_audio", whole_file_read)
    out = tmp_path / "loud.wav"
    report = finish_json(capsys, str(mix_file), str(out), "--lufs", "-11", "--rate", "44100", "--bits", "16")
    monkeypatch.undo()
    assert report["integrated_lufs"] == pytest.approx(whole.integrated_lufs, abs=0.01)
    assert report["gain_db"] == pytest.approx(whole.gain_db, abs=0.01)
    assert report["true_peak_dbtp"] == pytest.approx(whole.true_peak_dbtp, abs=0.01)
    assert report["lufs_unreachable_by_lu"] is None and whole.lufs_unreachable_by_lu is None
    assert analyze(*read_audio(out)).integrated_lufs == pytest.approx(-11.0, abs=0.2)


def test_a_stop_signal_during_a_streamed_finish_stops_between_blocks(tmp_path: Path, mix_file: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C while the master is being written stops at the next block: exit 130, no master and no
    temporary left (before, the whole file was finished first and kept)."""
    import os
    import signal

    import hybrid.audiofile as audiofile

    blocks = audiofile.audio_blocks

    def signalled_after_the_first(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for number, block in enumerate(blocks(*args, **kwargs)):  # type: ignore[arg-type]
            yield block
            if number == 0:
                os.kill(os.getpid(), signal.SIGINT)  # held by hybrid's handler until a checkpoint

    monkeypatch.setattr(audiofile, "audio_blocks", signalled_after_the_first)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    status = main(["finish", str(mix_file), str(out_dir / "master.wav")])
    assert status == 130
    assert "interrupted (SIGINT); nothing half-written was kept" in capsys.readouterr().err
    assert list(out_dir.iterdir()) == []
