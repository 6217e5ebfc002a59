"""Bad input to the session, print, recall, verify and demo commands: one line naming the file, the
field, the value and what is allowed; exit status 2; nothing half-written."""

from __future__ import annotations

import hashlib

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from hybrid.cli import main

RIG_OK = Path(__file__).resolve().parents[2] / "devices" / "rigs" / "sim-studio.yaml"


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes and every folder under root (an empty folder left behind counts too)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<folder>" for p in sorted(root.rglob("*"))}


def _refused(capsys: pytest.CaptureFixture[str], argv: list[object], *fragments: str, watch: Path | None = None) -> str:
    """Run a command that must be refused: exit 2, exactly one line on stderr holding every fragment,
    nothing on stdout, and the watched folder exactly as it was."""
    before = _snapshot(watch) if watch is not None else None
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert status == 2, err
    assert out == ""
    assert err.startswith("hybrid: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    if watch is not None:
        assert _snapshot(watch) == before, "something was written"
    return err


@pytest.fixture()
def mix(tmp_path: Path) -> Path:
    path = tmp_path / "mix.wav"
    sf.write(path, 0.05 * np.random.default_rng(0).standard_normal((12000, 2)), 48000, subtype="FLOAT")
    return path


@pytest.fixture()
def session_dir(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "s"
    assert main(["session", "new", str(folder), "--track", str(mix), "--target", "streaming"]) == 0
    capsys.readouterr()
    return folder


def _rig(tmp_path: Path, change: dict | None = None, text: str | None = None) -> Path:
    path = tmp_path / "rig.yaml"
    if text is not None:
        path.write_text(text)
        return path
    data = yaml.safe_load(RIG_OK.read_text())
    for dotted, value in (change or {}).items():
        node = data
        *head, last = dotted.split(".")
        for key in head:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    path.write_text(yaml.safe_dump(data))
    return path


# ---------------------------------------------------------------------------------- session new


def test_new_with_a_missing_mix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["session", "new", tmp_path / "s", "--track", tmp_path / "nope.wav"],
             f"{tmp_path / 'nope.wav'}: track: ", "the file does not exist", watch=tmp_path)


def test_new_with_a_file_that_is_not_audio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "mix.wav"
    fake.write_text("this is a text file, not a WAV")
    _refused(capsys, ["session", "new", tmp_path / "s", "--track", fake],
             f"{fake}: track: ", "cannot read audio", watch=tmp_path)


def test_new_with_an_unreadable_mix(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file; permissions cannot make one unreadable")
    os.chmod(mix, 0)
    _refused(capsys, ["session", "new", tmp_path / "s", "--track", mix], f"{mix}", watch=tmp_path)


def test_new_with_a_surround_mix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wide = tmp_path / "wide.wav"
    sf.write(wide, np.zeros((4800, 6)), 48000)
    _refused(capsys, ["session", "new", tmp_path / "s", "--track", wide],
             f"{wide}: track.channels: 6 is not allowed; a mix must be mono or stereo", watch=tmp_path)


def test_new_with_malformed_rig_yaml(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = _rig(tmp_path, text="name: broken\ninterface: {backend: sim\n")
    _refused(capsys, ["session", "new", tmp_path / "s", "--rig", rig, "--track", mix],
             f"{rig}: line ", "the file must be valid YAML", watch=tmp_path)


def test_new_with_an_unknown_rig_key(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = _rig(tmp_path, {"colour": "blue"})
    _refused(capsys, ["session", "new", tmp_path / "s", "--rig", rig, "--track", mix],
             f"{rig}: colour: 'colour' is not allowed; unknown key; allowed keys: spec, name", watch=tmp_path)


def test_new_with_a_wrong_type_in_the_rig(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = _rig(tmp_path, {"interface.latency_samples": "fast"})
    _refused(capsys, ["session", "new", tmp_path / "s", "--rig", rig, "--track", mix],
             f"{rig}: interface.latency_samples: 'fast' is not allowed", watch=tmp_path)


def test_new_with_an_out_of_range_rig_value(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = _rig(tmp_path, {"interface.gain_error_db": [30.0, 0.0]})
    _refused(capsys, ["session", "new", tmp_path / "s", "--rig", rig, "--track", mix],
             f"{rig}: interface.gain_error_db: [30.0, 0.0] is not allowed", "between -24 and +24 dB", watch=tmp_path)


def test_new_with_a_bad_upc(tmp_path: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["session", "new", tmp_path / "s", "--track", mix, "--upc", "1234567890123"],
             "session.yaml: upc_ean: '1234567890123' is not allowed; the UPC/EAN check digit (the last digit) must be 8, not 3",
             watch=tmp_path)


def test_new_into_a_folder_that_is_not_empty(session_dir: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["session", "new", session_dir, "--track", mix], f"{session_dir}: already exists and is not empty",
             watch=session_dir)


# ---------------------------------------------------------------------------------- session set


@pytest.mark.parametrize(("setting", "fragments"), [
    ("foo.gain=1", ("command line: foo.gain: 'foo' is not allowed; no such unit in rig 'sim-studio'; "
                    "units: eq, comp, color, pultec",)),
    ("eq.air=1", ("command line: eq.air: 'air' is not allowed; no such parameter of eq (stepped-eq-4band); "
                  "it has: low_shape",)),
    ("eq.high_gain_db=9", ("command line: eq.high_gain_db: 9.0 is not allowed; allowed: -6 to 6 dB in 0.5 dB steps",)),
    ("eq.high_gain_db=loud", ("command line: eq.high_gain_db: 'loud' is not allowed; allowed: -6 to 6 dB",)),
    ("comp.release_s=slow", ("command line: comp.release_s: 'slow' is not allowed; allowed steps: 0.1, 0.3, 0.6, 1.2, auto",)),
    ("eq.low_shape=+3", ("command line: eq.low_shape: 3.0 is not allowed; allowed positions: shelf, bell",)),
    ("eq.high_gain_db", ("command line: setting: 'eq.high_gain_db' is not allowed; write UNIT.PARAM=VALUE",)),
    ("comp.release_s+=1", ("comp.release_s: 'comp.release_s+=1' is not allowed; += works on numeric parameters",)),
])
def test_set_refuses_before_writing(session_dir: Path, capsys: pytest.CaptureFixture[str], setting: str,
                                    fragments: tuple[str, ...]) -> None:
    _refused(capsys, ["session", "set", session_dir, setting, "--note", "x"], *fragments, watch=session_dir)


@pytest.mark.parametrize(("finish", "fragments"), [
    ("loudness=-14", ("command line: finishing.loudness: '-14' is not allowed; unknown field; allowed fields: "
                      "ceiling_dbtp, lufs_target, limiter, dither",)),
    ("ceiling_dbtp=+3", ("command line: finishing.ceiling_dbtp: 3.0 is not allowed; input should be less than or "
                         "equal to 0",)),
    ("dither=loud", ("command line: finishing.dither: 'loud' is not allowed; input should be 'tpdf', 'shaped' or 'none'",)),
])
def test_set_refuses_bad_finishing(session_dir: Path, capsys: pytest.CaptureFixture[str], finish: str,
                                   fragments: tuple[str, ...]) -> None:
    _refused(capsys, ["session", "set", session_dir, "--finish", finish, "--note", "x"], *fragments, watch=session_dir)


def test_set_for_an_unknown_track(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["session", "set", session_dir, "eq.output_db=1", "--track", "9", "--note", "x"],
             "session.yaml: track: '9' is not allowed; name a track id (mix) or a position 1 to 1", watch=session_dir)


def test_session_track_with_a_bad_isrc(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["session", "track", session_dir, "1", "--isrc", "GB-12"],
             "session.yaml: tracks[0].isrc: 'GB-12' is not allowed; an ISRC is CC-XXX-YY-NNNNN: 2 letters, 3 letters or digits, "
             "2 digits, 5 digits (12 characters); this one has 4",
             watch=session_dir)


# ---------------------------------------------------------------------------------- session delivery


@pytest.mark.parametrize(("setting", "fragments"), [
    ("cd.ceiling_dbtp=+3", ("session.yaml: delivery.cd.ceiling_dbtp: 3 is not allowed; input should be less than or "
                            "equal to 0",)),
    ("cd.ceiling_dbtp=hot", ("session.yaml: delivery.cd.ceiling_dbtp: 'hot' is not allowed; input should be a valid number",)),
    ("streaming.rate_hz=96000", ("session.yaml: delivery.streaming.rate_hz: 96000 is not allowed; input should be 44100 "
                                 "or 48000",)),
    ("hires.rate_hz=32000", ("session.yaml: delivery.hires.rate_hz: 32000 is not allowed; input should be 44100, 48000, "
                             "88200, 96000, 176400 or 192000",)),
    ("preview.format=aac", ("session.yaml: delivery.preview.format: 'aac' is not allowed; input should be 'mp3' or 'ogg'",)),
    ("vinyl.limiter=maybe", ("session.yaml: delivery.vinyl.limiter: 'maybe' is not allowed; allowed: on or off",)),
    ("vinyl.sides=1/1", ("session.yaml: delivery.vinyl.sides: '1/1' is not allowed; track 'mix' is on more than one "
                         "side; every track must be on exactly one side",)),
    ("vinyl.sides=2", ("session.yaml: delivery.vinyl.sides: '2' is not allowed; name a track id (mix) or a position 1 to 1",)),
    ("vinyl.sides=1/", ("session.yaml: delivery.vinyl.sides: '1/' is not allowed; every side needs at least one track",)),
    ("tape.speed_ips=15", ("session.yaml: delivery.tape: 'tape' is not allowed; unknown key; allowed keys: streaming, cd, "
                           "hires, vinyl, preview",)),
    ("cd.rate_hz=48000", ("session.yaml: delivery.cd.rate_hz: 'rate_hz' is not allowed; unknown key; allowed keys: "
                          "ceiling_dbtp",)),
    ("cd-ceiling=-0.3", ("session.yaml: delivery: 'cd-ceiling=-0.3' is not allowed; write TARGET.FIELD=VALUE",)),
])
def test_delivery_refuses_before_writing(session_dir: Path, capsys: pytest.CaptureFixture[str], setting: str,
                                         fragments: tuple[str, ...]) -> None:
    # one good word beside the bad one: nothing of either is written
    _refused(capsys, ["session", "delivery", session_dir, "cd.ceiling_dbtp=-0.3", setting], *fragments,
             watch=session_dir)


# ---------------------------------------------------------------------------------- files edited by hand


def test_malformed_session_yaml(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = session_dir / "session.yaml"
    path.write_text(path.read_text() + "tracks: [unclosed\n")
    _refused(capsys, ["session", "log", session_dir], f"{path}: line ", "the file must be valid YAML", watch=session_dir)


def test_unknown_key_in_session_yaml(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = session_dir / "session.yaml"
    path.write_text(path.read_text() + "colour: blue\n")
    _refused(capsys, ["print", session_dir, "--yes"], f"{path}: colour: 'colour' is not allowed; unknown key",
             watch=session_dir)


def test_wrong_type_in_session_yaml(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = session_dir / "session.yaml"
    data = yaml.safe_load(path.read_text())
    data["tracks"][0]["gap_before_frames"] = "two seconds"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    _refused(capsys, ["print", session_dir, "--yes"],
             f"{path}: tracks[0].gap_before_frames: 'two seconds' is not allowed", watch=session_dir)


@pytest.mark.parametrize(("change", "fragments"), [
    ({"spec": 3}, ("spec: 3 is not allowed; this session is spec 3; this hybrid reads spec 2 or older",)),
    ({"delivery": {"cd": {"ceiling_dbtp": -0.3}}},
     ("delivery: ", "a spec 1 session.yaml has no delivery section; write spec: 2 and move streaming_rate_hz",)),
    ({"spec": 2, "delivery": {"vinyl": {"sides": [["mix"], ["ghost"]]}}},
     ("delivery: ", "vinyl.sides: 'ghost' is not a track of this session; its tracks are mix",)),
    ({"spec": 2, "delivery": {"cd": {"ceiling_dbtp": 1.5}}},
     ("delivery.cd.ceiling_dbtp: 1.5 is not allowed; input should be less than or equal to 0",)),
])
def test_a_hand_edited_delivery_or_spec_is_refused(session_dir: Path, capsys: pytest.CaptureFixture[str],
                                                   change: dict, fragments: tuple[str, ...]) -> None:
    path = session_dir / "session.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(change)
    if "delivery" in change:
        del data["streaming_rate_hz"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    _refused(capsys, ["render", session_dir], f"{path}: ", *fragments, watch=session_dir)


def _hand_written_revision(session_dir: Path, change: dict) -> Path:
    first = yaml.safe_load((session_dir / "revisions" / "0001.yaml").read_text())
    # linked into the history as `session set` would (history.py refuses a revision without it)
    link = hashlib.sha256((session_dir / "revisions" / "0001.yaml").read_bytes()).hexdigest()
    first.update({"number": 2, "parent": 1, "note": "typed by hand", "previous_sha256": link})
    for dotted, value in change.items():
        node = first
        *head, last = dotted.split(".")
        for key in head:
            node = node.setdefault(key, {})
        node[last] = value
    path = session_dir / "revisions" / "0002.yaml"
    path.write_text(yaml.safe_dump(first, sort_keys=False))
    return path


@pytest.mark.parametrize(("change", "fragments"), [
    ({"units.eq.high_gain_db": 9.0}, ("units.eq.high_gain_db: 9.0 is not allowed; allowed: -6 to 6 dB in 0.5 dB steps",)),
    ({"units.eq.high_gain_db": 0.3}, ("units.eq.high_gain_db: 0.3 is not allowed; allowed: -6 to 6 dB in 0.5 dB steps",)),
    ({"units.reverb.size": 1.0}, ("units.reverb: 'reverb' is not allowed; no such unit in rig 'sim-studio'",)),
    ({"units.eq.air": 1.0}, ("units.eq.air: 'air' is not allowed; no such parameter of eq",)),
    ({"finishing.ceiling_dbtp": "loud"}, ("finishing.ceiling_dbtp: 'loud' is not allowed",)),
    ({"mood": "happy"}, ("mood: 'mood' is not allowed; unknown key; allowed keys: spec, number",)),
    ({"tracks.ghost.units.eq.output_db": 1.0}, ("tracks.ghost: 'ghost' is not allowed; the session's tracks are mix",)),
])
def test_a_hand_written_revision_is_checked_before_the_gear_is_touched(
        session_dir: Path, capsys: pytest.CaptureFixture[str], change: dict, fragments: tuple[str, ...]) -> None:
    path = _hand_written_revision(session_dir, change)
    _refused(capsys, ["print", session_dir, "--revision", "2", "--yes"], f"{path}: ", *fragments, watch=session_dir)


def test_print_of_a_revision_that_does_not_exist(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["print", session_dir, "--revision", "7", "--yes"],
             f"{session_dir}: revision: 7 is not allowed; this session has revisions 1 to 1", watch=session_dir)


def test_print_with_the_mix_gone(session_dir: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mix.unlink()
    _refused(capsys, ["print", session_dir, "--yes"], f"{mix}: tracks.mix.source: ", "the file is missing",
             watch=session_dir)


def test_print_with_the_mix_replaced_by_junk(session_dir: Path, mix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mix.write_bytes(b"RIFF but not really a wave file")
    _refused(capsys, ["print", session_dir, "--yes", "--allow-changed-sources"],
             f"{mix}: tracks.mix.source: ", "cannot read audio", watch=session_dir)


def test_print_of_a_folder_that_is_no_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    _refused(capsys, ["print", tmp_path / "empty"], f"{tmp_path / 'empty'}: not a session folder (no session.yaml)")
    _refused(capsys, ["print", tmp_path / "nowhere"], f"{tmp_path / 'nowhere'}: no such session folder")


def test_verify_with_a_bad_tolerance_or_no_print(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["verify", session_dir, "--revision", "1", "--tolerance", "-1"],
             "command line: tolerance: -1.0 is not allowed; a tolerance in dB above 0 and at most 10", watch=session_dir)
    _refused(capsys, ["verify", session_dir, "--revision", "1"],
             "revision 1 has no print with a fingerprint; print it first", watch=session_dir)


def test_recall_of_a_revision_that_does_not_exist(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["recall", session_dir, "--revision", "3", "--yes"],
             "revision: 3 is not allowed; this session has revisions 1 to 1", watch=session_dir)


def test_demo_into_a_folder_that_is_not_empty(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["demo", "--out", session_dir], f"{session_dir}: already exists and is not empty",
             watch=session_dir)
