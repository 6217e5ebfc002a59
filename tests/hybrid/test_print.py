"""The print on the simulated rig: real wires, real calibration, captures that are the mix through the chain."""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal as sps

from devices.errors import RecallError
from devices.profile import load_profile
from devices.rig import load_rig
from dsp.meter import analyze
from hybrid.cli import main
from hybrid.printing.folders import prints_of, verify_manifest
from hybrid.printing.pipeline import PrintInterrupted, PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session, open_session, session_lock

RATE = 48000


def _mix(path: Path, seconds: float, seed: int) -> Path:
    """A seeded band-limited noise 'mix' at -20 dBFS RMS: every frequency the chain touches is in it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(RATE * seconds), 2))
    x = sps.sosfilt(sps.butter(4, 20000, fs=RATE, output="sos"), x, axis=0)
    x *= 0.1 / np.sqrt(np.mean(x ** 2))
    sf.write(path, x, RATE, subtype="FLOAT")
    return path


def _neutral_args() -> list[str]:
    args = []
    for unit in load_rig().units:
        args += [f"{unit.name}.{k}={v}" for k, v in load_profile(unit.profile).neutral().items()]
    return args


def _yes(_sheet: object) -> bool:
    return True


def _band(x: np.ndarray) -> np.ndarray:
    """The audio band only: a null above 20 kHz would measure the converters' anti-alias filter."""
    return sps.sosfiltfilt(sps.butter(8, [50, 16000], btype="band", fs=RATE, output="sos"), x, axis=0)


def _spectrum_ratio_db(a: np.ndarray, b: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    f, pa = sps.welch(a, RATE, nperseg=4096, axis=0)
    _, pb = sps.welch(b, RATE, nperseg=4096, axis=0)
    ratio = 10 * np.log10(pb.mean(axis=1) / pa.mean(axis=1))
    return np.array([ratio[np.argmin(np.abs(f - q))] for q in freqs])


def _analog_high_shelf_db(freqs: np.ndarray, f0: float, gain_db: float, q: float = 1 / math.sqrt(2)) -> np.ndarray:
    """The analog prototype (RBJ cookbook, s-domain) of a high shelf: the reference the unit is modelled on."""
    a = 10 ** (gain_db / 40)
    s = 1j * freqs / f0
    h = a * (a * s ** 2 + math.sqrt(a) / q * s + 1) / (s ** 2 + math.sqrt(a) / q * s + a)
    return 20 * np.log10(np.abs(h))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One session printed three ways: all neutral (r2), the EQ's high shelf +3 dB (r3), and r4 with
    a low cut on track 2 only, printed with --track 2."""
    base = tmp_path_factory.mktemp("printed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(base / "state"))
        mixes = [_mix(base / "01 One.wav", 0.8, 1), _mix(base / "02 Two.wav", 0.8, 2)]
        folder = base / "album"
        new_session(folder, mixes, album=AlbumFields(title="Printed", targets=["streaming"]))
        assert main(["session", "set", str(folder), *_neutral_args(), "--note", "everything neutral"]) == 0
        assert main(["session", "set", str(folder), "eq.high_gain_db=3", "--note", "brighter"]) == 0
        assert main(["session", "set", str(folder), "eq.low_gain_db=-3", "eq.low_freq_hz=120", "--track", "2",
                     "--note", "less low on two"]) == 0
        outcomes = {n: print_revision(PrintRequest(folder, revision=n, confirm_manual=_yes)) for n in (2, 3)}
        outcomes[4] = print_revision(PrintRequest(folder, revision=4, tracks=["2"], confirm_manual=_yes))
    return {"folder": folder, "mixes": mixes, "outcomes": outcomes}


def _capture(printed: dict, revision: int, name: str) -> np.ndarray:
    return sf.read(str(printed["outcomes"][revision].folder / "capture" / name))[0]


def test_the_capture_is_the_mix_aligned_and_level_compensated(printed: dict) -> None:
    source = sf.read(str(printed["mixes"][0]))[0]
    capture = _capture(printed, 2, "01-one.wav")
    info = sf.info(str(printed["outcomes"][2].folder / "capture" / "01-one.wav"))
    assert info.subtype == "FLOAT" and info.samplerate == RATE and capture.shape == source.shape
    a, b = _band(source), _band(capture)
    inner = slice(2400, -2400)
    null_db = 10 * np.log10(np.mean((a - b)[inner] ** 2) / np.mean(a[inner] ** 2))
    # a whole-sample or 0.1-sample misalignment, or a 0.3 dB level error, would leave > -35 dB
    assert null_db < -40.0


def test_changing_a_unit_changes_the_printed_audio_as_the_unit_does(printed: dict) -> None:
    neutral = _capture(printed, 2, "01-one.wav")
    bright = _capture(printed, 3, "01-one.wav")
    freqs = np.array([200.0, 1000.0, 5000.0, 10000.0, 15000.0, 18000.0])
    measured = _spectrum_ratio_db(neutral, bright, freqs)
    expected = _analog_high_shelf_db(freqs, 10000.0, 3.0)
    np.testing.assert_allclose(measured, expected, atol=0.1)


def test_track_option_prints_only_that_track_with_its_override(printed: dict) -> None:
    outcome = printed["outcomes"][4]
    assert outcome.track_ids == ["two"]
    assert sorted(p.name for p in (outcome.folder / "capture").iterdir()) == ["02-two.wav"]
    assert sorted(p.name for p in (outcome.folder / "deliverables" / "streaming").glob("*.wav")) == ["02-two.wav"]
    before = _capture(printed, 3, "02-two.wav")
    after = _capture(printed, 4, "02-two.wav")
    change = _spectrum_ratio_db(before, after, np.array([40.0, 3000.0]))
    assert change[0] < -2.0 and abs(change[1]) < 0.1  # the low shelf at 120 Hz -3 dB; the mids untouched
    report = json.loads((outcome.folder / "report.json").read_text())
    assert [t["track_id"] for t in report["tracks"]] == ["two"]
    assert report["album"]["partial"] is True
    # the album view is still the album (it showed track two alone): track one from the last print
    album = report["album"]
    assert album["order"] == ["one", "two"]
    assert [(r["track_id"], r["from_print"]) for r in album["tracks"]] == [("one", "r0003-01"), ("two", "this print")]
    r3 = json.loads((printed["outcomes"][3].folder / "report.json").read_text())["album"]["tracks"]
    assert album["tracks"][0]["integrated_lufs"] == r3[0]["integrated_lufs"]
    # and what changed since that print
    since = report["since_last_print"]
    assert (since["print"], since["revision"], since["printed_again"]) == ("r0003-01", 3, ["two"])
    assert "track two eq.low_gain_db: (album) -> -3.0 dB" in since["changes"]
    text = (outcome.folder / "report.txt").read_text()
    assert "What changed since the last print (r0003-01, revision 3)" in text and "printed again: two" in text
    first = json.loads((printed["outcomes"][2].folder / "report.json").read_text())
    assert first["since_last_print"] is None


def test_every_file_is_in_the_manifest_with_its_hash(printed: dict) -> None:
    folder = printed["outcomes"][3].folder
    manifest = json.loads((folder / "manifest.json").read_text())["files"]
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest) == on_disk
    for name, entry in manifest.items():
        assert entry["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    assert verify_manifest(folder) == []


def test_provenance_says_what_was_recalled_and_from_what(printed: dict) -> None:
    folder, session_dir = printed["outcomes"][3].folder, printed["folder"]
    data = json.loads((folder / "print.json").read_text())
    session = open_session(session_dir)
    revision = session.revision(3)
    assert data["revision"]["sha256"] == hashlib.sha256(session.revision_path(3).read_bytes()).hexdigest()
    # remote units were read back over their wires and hold exactly the revision's settings
    for unit in ("eq", "comp", "color"):
        assert data["recall_verified"]["album"][unit] is True
        assert data["recalled"]["album"][unit] == revision.units[unit]
    assert data["recall_verified"]["album"]["pultec"] is False  # set by hand from a sheet
    for mix, track in zip(printed["mixes"], ("one", "two")):
        assert data["inputs"][track]["sha256"] == hashlib.sha256(mix.read_bytes()).hexdigest()
    record = data["calibration"]["record"]
    assert record["rig"] == "sim-studio" and record["sample_rate"] == RATE
    assert data["software"]["hybrid"]
    assert all(t["pilot"]["ok"] for t in data["tracks"])


def test_report_has_loudness_and_true_peak_of_each_delivered_file(printed: dict) -> None:
    folder = printed["outcomes"][3].folder
    report = json.loads((folder / "report.json").read_text())
    for entry in report["deliverables"]["streaming"]["tracks"]:
        audio, rate = sf.read(str(folder / entry["path"]))
        measured = analyze(audio, rate)
        assert entry["integrated_lufs"] == pytest.approx(measured.integrated_lufs, abs=0.05)
        assert entry["true_peak_dbtp"] == pytest.approx(measured.true_peak_dbtp, abs=0.05)
        assert sf.info(str(folder / entry["path"])).subtype == "PCM_24" and rate == RATE
    album = report["album"]
    assert album["order"] == ["one", "two"] and album["gaps_frames"] == [150, 150]
    assert album["integrated_lufs"] is not None
    assert (folder / "report.txt").read_text().count("LUFS") >= 2


def test_printing_a_revision_again_never_overwrites(printed: dict, tmp_path: Path) -> None:
    folder = printed["folder"]
    first = printed["outcomes"][2].folder
    before = (first / "manifest.json").read_bytes()
    again = print_revision(PrintRequest(folder, revision=2, tracks=["1"], confirm_manual=_yes))
    assert again.folder.name == "r0002-02" and first.name == "r0002-01"
    assert (first / "manifest.json").read_bytes() == before and verify_manifest(first) == []
    assert not [p for p in (folder / "prints").iterdir() if p.name.startswith(".")]


def test_print_writes_a_24_bit_48k_and_a_dithered_16_bit_44k1_wav_per_track(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mix = _mix(tmp_path / "long.wav", 4.2, 7)
    folder = tmp_path / "cd"
    assert main(["session", "new", str(folder), "--track", str(mix), "--target", "streaming", "--target", "cd"]) == 0
    capsys.readouterr()
    assert main(["print", str(folder), "--yes", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    paths = [Path(p) for p in out["paths"]]
    assert all(p.is_file() for p in paths) and Path(out["print"]) == folder / "prints" / "r0001-01"
    streaming = sf.info(str(folder / "prints/r0001-01/deliverables/streaming/01-long.wav"))
    cd = sf.info(str(folder / "prints/r0001-01/deliverables/cd/01-long.wav"))
    assert (streaming.samplerate, streaming.subtype, streaming.channels) == (48000, "PCM_24", 2)
    assert (cd.samplerate, cd.subtype, cd.channels) == (44100, "PCM_16", 2)
    pcm = sf.read(str(folder / "prints/r0001-01/deliverables/cd/01-long.wav"), dtype="int16")[0]
    assert len(np.unique(pcm[:, 0] & 1)) == 2  # dithered: the last bit is busy, not truncated


def test_a_second_process_cannot_print_while_the_session_is_locked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "locked"
    new_session(folder, [_mix(tmp_path / "a.wav", 0.5, 3)], album=AlbumFields(targets=["streaming"]))
    with session_lock(folder, "print"):
        assert main(["print", str(folder), "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"in use by another hybrid process (pid {os.getpid()} print)" in err
    assert prints_of(folder / "prints") == []


def test_a_changed_mix_is_reported_before_anything_is_played(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mix = _mix(tmp_path / "a.wav", 0.5, 3)
    folder = tmp_path / "changed"
    new_session(folder, [mix], album=AlbumFields(targets=["streaming"]))
    _mix(mix, 0.5, 4)
    assert main(["print", str(folder), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "the mix changed since the session was made: a (" in err and "--allow-changed-sources" in err
    assert list((folder / "prints").iterdir()) == []
    assert main(["print", str(folder), "--yes", "--allow-changed-sources"]) == 0
    data = json.loads((folder / "prints/r0001-01/print.json").read_text())
    assert data["notes"] and data["notes"][0].startswith("printed a changed mix: a")
    assert data["inputs"]["a"]["sha256"] != data["inputs"]["a"]["sha256_at_session"]


def test_a_failed_recall_stops_the_print_before_any_audio_is_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import devices.audio.sim as sim_audio
    import devices.station as station_module

    folder = tmp_path / "broken"
    new_session(folder, [_mix(tmp_path / "a.wav", 0.5, 3)], album=AlbumFields(targets=["streaming"]))
    played: list[str] = []
    original_playrec = sim_audio.SimInterface.playrec
    original_recall = station_module.Station.recall
    broken = False

    def playrec(self: object, send: np.ndarray) -> np.ndarray:
        played.append("after fault" if broken else "before fault")
        return original_playrec(self, send)

    def recall(self: station_module.Station, settings: dict, **kwargs: object) -> object:
        nonlocal broken
        if settings not in (self.neutral_settings(), self.bypass_settings()):
            # from the revision's recall on, the EQ reports a neighbouring position over its wire,
            # as a unit with a slipping encoder would
            self.sim.twins["eq"].fault = "wrong_value"
            broken = True
        return original_recall(self, settings, **kwargs)

    monkeypatch.setattr(sim_audio.SimInterface, "playrec", playrec)
    monkeypatch.setattr(station_module.Station, "recall", recall)
    with pytest.raises(RecallError, match="eq"):
        print_revision(PrintRequest(folder, confirm_manual=_yes))
    assert "before fault" in played  # the calibration was checked with the units on bypass
    assert "after fault" not in played  # nothing was played or recorded after the failed recall
    assert list((folder / "prints").iterdir()) == []


class _StopAt:
    """A progress bar that presses Ctrl-C at a given step."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.count = 0

    def advance(self, amount: float = 1.0) -> None:
        self.count += 1
        if self.count == self.step:
            raise KeyboardInterrupt

    def describe(self, text: str) -> None:
        pass


def test_an_interrupted_print_keeps_nothing_and_says_what_was_not_finished(tmp_path: Path) -> None:
    folder = tmp_path / "stop"
    new_session(folder, [_mix(tmp_path / "a.wav", 0.5, 3), _mix(tmp_path / "b.wav", 0.5, 4)],
                album=AlbumFields(targets=["streaming"]))
    first = print_revision(PrintRequest(folder, tracks=["1"], confirm_manual=_yes))
    sealed = verify_manifest(first.folder)
    # steps: calibration, recall, fingerprint, track a, track b, ...: stop after the first capture
    with pytest.raises(PrintInterrupted) as caught:
        print_revision(PrintRequest(folder, confirm_manual=_yes), bar=_StopAt(4))
    message = str(caught.value)
    assert "captured 1 of 2 track(s) (a)" in message and "not finished: capture of b, deliverables" in message
    assert caught.value.exit_status == 130
    assert [p.name for p in (folder / "prints").iterdir()] == ["r0001-01"]
    assert sealed == [] and verify_manifest(first.folder) == []
    assert open_session(folder).revision(1).number == 1  # the session still reads
    again = print_revision(PrintRequest(folder, confirm_manual=_yes))
    assert again.folder.name == "r0001-02"


def test_sigterm_stops_a_running_print_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "term"
    new_session(folder, [_mix(tmp_path / "a.wav", 1.0, 3), _mix(tmp_path / "b.wav", 1.0, 4)],
                album=AlbumFields(targets=["streaming"]))
    env = {**os.environ, "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]}
    proc = subprocess.Popen([sys.executable, "-m", "hybrid", "print", str(folder), "--yes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in (folder / "prints").iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the print never started"
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted (SIGTERM) during the" in err and "nothing of this print was kept" in err
    assert list((folder / "prints").iterdir()) == []


def test_the_print_delivers_each_target_at_the_ceiling_the_session_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mix = _mix(tmp_path / "hot.wav", 4.2, 11)  # at least 4 s (a CD track); peaks about -5 dBFS, over streaming's -9
    folder = tmp_path / "targets"
    assert main(["session", "new", str(folder), "--track", str(mix), "--target", "streaming", "--target", "cd"]) == 0
    assert main(["session", "delivery", str(folder), "streaming.ceiling_dbtp=-9", "cd.ceiling_dbtp=-0.3"]) == 0
    capsys.readouterr()
    assert main(["print", str(folder), "--yes"]) == 0
    deliverables = folder / "prints/r0001-01/deliverables"
    streaming = analyze(*sf.read(str(deliverables / "streaming/01-hot.wav")))
    cd = analyze(*sf.read(str(deliverables / "cd/01-hot.wav")))
    assert streaming.true_peak_dbtp <= -9.0 + 0.1  # held at the streaming target's own ceiling
    assert cd.true_peak_dbtp > -8.0  # not limited to streaming's ceiling, nor to the revision's -1


def test_a_track_printed_alone_is_the_track_printed_with_the_album(tmp_path: Path) -> None:
    # The compressor works hard (threshold -30 dB, auto release): what it still holds from what was
    # played before would change the start of the next capture. Every capture starts from rest.
    folder = tmp_path / "alone"
    new_session(folder, [_mix(tmp_path / "a.wav", 1.0, 5), _mix(tmp_path / "b.wav", 1.0, 6)],
                album=AlbumFields(targets=["streaming"]))
    assert main(["session", "set", str(folder), "comp.threshold_db=-30", "comp.ratio=4", "--note", "squeeze"]) == 0
    whole = print_revision(PrintRequest(folder, confirm_manual=_yes))
    alone = print_revision(PrintRequest(folder, tracks=["2"], confirm_manual=_yes))
    with_album = sf.read(str(whole.folder / "capture" / "02-b.wav"))[0]
    by_itself = sf.read(str(alone.folder / "capture" / "02-b.wav"))[0]
    residual_db = 10 * np.log10(np.mean((with_album - by_itself) ** 2) / np.mean(with_album ** 2))
    # -30 dB if track 2 follows track 1 straight on; from rest -74 dB (8 s leave the release 0.002 dB)
    assert residual_db < -60.0


def test_a_track_override_recalls_only_the_units_it_changes(tmp_path: Path) -> None:
    """Track 2 moves the EQ (a remote unit): the hand-set unit's sheet is not put in front of the
    engineer again for it, only for the calibration (bypass) and the album recall."""
    folder = tmp_path / "override"
    new_session(folder, [_mix(tmp_path / "a.wav", 0.6, 8), _mix(tmp_path / "b.wav", 0.6, 9)],
                album=AlbumFields(targets=["streaming"]))
    assert main(["session", "set", str(folder), "eq.high_gain_db=2", "--track", "2", "--note", "brighter 2"]) == 0
    shown: list[str] = []

    def confirm(sheet: object) -> bool:
        shown.append(sheet.unit)  # type: ignore[attr-defined]
        return True

    outcome = print_revision(PrintRequest(folder, confirm_manual=confirm))
    manual = [unit.name for unit in load_rig().units if unit.wire.kind == "manual"]
    assert manual and shown == manual * 2  # bypass for the calibration check, then the album's settings
    recalled = json.loads((outcome.folder / "print.json").read_text())["recalled"]
    assert set(recalled[_second_track_id(folder)]) == {"eq"}


def _second_track_id(folder: Path) -> str:
    from hybrid.session import open_session

    return open_session(folder).info.tracks[1].id


def test_a_mono_44k1_mix_is_played_at_the_interface_rate_on_both_sends(tmp_path: Path) -> None:
    rate_in = 44100
    t = np.arange(int(0.6 * rate_in)) / rate_in
    mono = 0.1 * np.sin(2 * np.pi * 997.0 * t)
    sf.write(tmp_path / "mono.wav", mono, rate_in, subtype="PCM_24")
    folder = tmp_path / "mono"
    new_session(folder, [tmp_path / "mono.wav"], album=AlbumFields(targets=["streaming"]))
    outcome = print_revision(PrintRequest(folder, confirm_manual=_yes))
    capture, rate = sf.read(str(outcome.folder / "capture" / "01-mono.wav"))
    assert rate == RATE and capture.shape == (round(mono.size * RATE / rate_in), 2)
    middle = capture[RATE // 10:-RATE // 10]
    # the same 997 Hz on both returns, at the mix's level through the default chain (within 1 dB)
    for channel in (0, 1):
        level_db = 20 * np.log10(np.sqrt(2 * np.mean(middle[:, channel] ** 2)) / 0.1)
        assert abs(level_db) < 1.0
    assert np.corrcoef(middle[:, 0], middle[:, 1])[0, 1] > 0.999
    # measured as it plays (dual mono), the source compares with the capture: it read 3 dB under it
    track = json.loads((outcome.folder / "report.json").read_text())["tracks"][0]
    source, captured = track["measurements"]["source"], track["measurements"]["capture"]
    assert source["measured_as"] == "dual mono"
    assert source["integrated_lufs"] == pytest.approx(analyze(np.column_stack([mono, mono]), rate_in).integrated_lufs, abs=1e-6)
    assert abs(captured["integrated_lufs"] - source["integrated_lufs"]) < 1.0
    assert "source (dual mono)" in (outcome.folder / "report.txt").read_text()


def test_a_rig_file_edited_since_the_session_was_made_is_said(tmp_path: Path) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text((Path(__file__).resolve().parents[2] / "devices" / "rigs" / "sim-studio.yaml").read_text())
    folder = tmp_path / "edited"
    new_session(folder, [_mix(tmp_path / "a.wav", 0.5, 3)], rig_path=rig, album=AlbumFields(targets=["streaming"]))
    rig.write_text(rig.read_text().replace("max_level_drift_db: 0.1", "max_level_drift_db: 0.2"))
    said: list[str] = []
    outcome = print_revision(PrintRequest(folder, confirm_manual=_yes), say=said.append)
    assert any("changed since the session was made" in line for line in said)
    data = json.loads((outcome.folder / "print.json").read_text())
    assert data["rig"]["changed_since_session"] is True and data["rig"]["sha256"] != data["rig"]["sha256_at_session"]
    assert any(f"the rig file {rig}" in note for note in data["notes"])


def test_a_clipped_mix_is_said_before_it_plays_and_refused_with_strict(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # A mix at +2.5 dBTP with 1266 clipped runs printed with nothing said on the console.
    t = np.arange(int(RATE * 1.0)) / RATE
    tone = 1.6 * np.sin(2 * np.pi * 220 * t) * np.minimum(1, t / 0.05) * np.minimum(1, (1.0 - t) / 0.3)
    clipped = np.clip(tone, -1.0, 1.0)
    sf.write(tmp_path / "hot.wav", np.column_stack([clipped, clipped]), RATE, subtype="PCM_24")
    folder = tmp_path / "hot"
    new_session(folder, [tmp_path / "hot.wav"], album=AlbumFields(targets=["streaming"]))
    assert main(["print", str(folder), "--yes", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "[problem] Clipping:" in err and "playing through the chain" not in err
    assert "the mix check found problems in track 1 Hot (" in err and "not printed (--strict)" in err
    assert list((folder / "prints").iterdir()) == []
    assert main(["print", str(folder), "--yes"]) == 0
    err = capsys.readouterr().err
    said = err.index("mix check: track 1 Hot: [problem] Clipping:")
    assert said < err.index("printing revision 1") < err.index("playing through the chain")
    assert "Printing it as it is (--strict refuses)." in err
    report = json.loads((folder / "prints/r0001-01/report.json").read_text())
    assert "clipping" in {f["code"] for f in report["qc"]["1. Hot"]["findings"]}
