"""Sessions: a readable folder, revision 1 at the profiles' defaults, write-once revisions, diffs, the lock."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from devices.profile import load_profile
from devices.rig import load_rig
from hybrid.cli import main
from hybrid.errors import SessionError
from hybrid.session import open_session, session_lock
from hybrid.session.store import write_exclusive


def _mix(path: Path, seconds: float = 0.5, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    sf.write(path, 0.1 * rng.standard_normal((int(48000 * seconds), 2)), 48000, subtype="FLOAT")
    return path


@pytest.fixture()
def mixes(tmp_path: Path) -> list[Path]:
    return [_mix(tmp_path / "01 Intro.wav", seed=1), _mix(tmp_path / "02_night-drive.wav", seed=2)]


@pytest.fixture()
def session_dir(tmp_path: Path, mixes: list[Path], capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "ep"
    args = ["session", "new", str(folder), "--title", "Test EP", "--artist", "The Band", "--author", "me@desk"]
    for mix in mixes:
        args += ["--track", str(mix)]
    assert main(args) == 0
    capsys.readouterr()
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_new_session_hashes_the_mixes_and_starts_at_profile_defaults(session_dir: Path, mixes: list[Path]) -> None:
    info = yaml.safe_load((session_dir / "session.yaml").read_text())
    assert [t["id"] for t in info["tracks"]] == ["intro", "night-drive"]
    assert [t["title"] for t in info["tracks"]] == ["Intro", "Night Drive"]
    for track, mix in zip(info["tracks"], mixes):
        assert track["sha256"] == hashlib.sha256(mix.read_bytes()).hexdigest()
        assert Path(track["source"]) == mix.resolve()
    first = yaml.safe_load((session_dir / "revisions" / "0001.yaml").read_text())
    rig = load_rig()
    assert list(first["units"]) == [u.name for u in rig.units]
    for unit in rig.units:
        profile = load_profile(unit.profile)
        assert first["units"][unit.name] == {n: p.default if isinstance(p.default, str) else float(p.default)
                                             for n, p in profile.parameters.items()}
    assert first["number"] == 1 and first["parent"] is None and first["author"] == "me@desk"


def test_copy_puts_the_mixes_in_the_session_with_relative_paths(tmp_path: Path, mixes: list[Path],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "copied"
    assert _run(capsys, "session", "new", folder, "--track", mixes[0], "--copy")[0] == 0
    session = open_session(folder)
    track = session.info.tracks[0]
    assert track.source == "sources/intro.wav"
    assert session.source_path(track).read_bytes() == mixes[0].read_bytes()
    mixes[0].unlink()  # the session no longer needs the original
    assert all(check.ok for check in session.check_sources())


def test_set_makes_a_new_revision_and_never_touches_the_old_one(session_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    before = (session_dir / "revisions" / "0001.yaml").read_bytes()
    status, out, _ = _run(capsys, "session", "set", session_dir, "eq.high_gain_db=+1.2", "comp.ratio=4",
                          "--note", "client: brighter")
    assert status == 0
    assert "snapped to +1 dB" in out  # 1.2 is between the 0.5 dB detents: said aloud
    assert (session_dir / "revisions" / "0001.yaml").read_bytes() == before
    second = open_session(session_dir).revision(2)
    assert second.parent == 1 and second.note == "client: brighter"
    assert second.units["eq"]["high_gain_db"] == 1.0 and second.units["comp"]["ratio"] == 4.0
    assert second.parent_sha256 == hashlib.sha256(before).hexdigest()
    # relative move from the latest revision
    assert _run(capsys, "session", "set", session_dir, "eq.high_gain_db+=0.5", "--note", "a touch more")[0] == 0
    assert open_session(session_dir).revision(3).units["eq"]["high_gain_db"] == 1.5


def test_a_value_snapped_onto_the_current_setting_writes_no_revision(session_dir: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # comp.ratio=3 said "snapped to 2:1", then wrote "revision 2 ... no setting changed".
    status, out, err = _run(capsys, "session", "set", session_dir, "comp.ratio=3", "--note", "a bit more ratio")
    assert status == 2 and out == ""
    assert "3 is between the detents 2:1 and 4:1; snapped to 2:1" in err
    assert "its steps: 1.5:1, 2:1, 4:1, 10:1" in err and "revision 1 already has that; no revision written" in err
    assert len(err.strip().splitlines()) == 1
    assert open_session(session_dir).latest() == 1
    # a snap that does move the control is said with its neighbours and written
    status, out, _ = _run(capsys, "session", "set", session_dir, "comp.ratio=3.5", "--note", "more")
    assert status == 0 and "between the detents 2:1 and 4:1; snapped to 4:1 (the nearer" in out
    assert open_session(session_dir).revision(2).units["comp"]["ratio"] == 4.0
    # the same value again changes nothing either; a note alone is a note-only revision, as asked
    assert _run(capsys, "session", "set", session_dir, "comp.ratio=4", "--note", "again")[0] == 2
    status, out, _ = _run(capsys, "session", "set", session_dir, "--note", "client approved")
    assert status == 0 and "no setting changed (a note-only revision)" in out
    assert open_session(session_dir).latest() == 3


def test_set_from_an_older_revision(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "session", "set", session_dir, "eq.low_gain_db=-2", "--note", "less low")
    _run(capsys, "session", "set", session_dir, "color.mode=warm", "--from", "1", "--note", "back to 1, warm")
    third = open_session(session_dir).revision(3)
    assert third.parent == 1
    assert third.units["eq"]["low_gain_db"] == 0.0 and third.units["color"]["mode"] == "warm"


def test_a_track_override_changes_only_that_track(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "session", "set", session_dir, "eq.high_gain_db=1", "--note", "brighter")
    status, out, _ = _run(capsys, "session", "set", session_dir, "eq.high_gain_db+=0.5", "--track", "2",
                          "--finish", "lufs_target=-14", "--note", "a touch more air on track 2")
    assert status == 0
    rev = open_session(session_dir).revision(3)
    assert rev.settings_for("night-drive")["eq"]["high_gain_db"] == 1.5
    assert rev.settings_for("intro")["eq"]["high_gain_db"] == 1.0
    assert rev.finishing_for("night-drive").lufs_target == -14.0
    assert rev.finishing_for("intro").lufs_target is None
    assert "track night-drive eq.high_gain_db: (album) -> +1.5 dB" in out


def test_diff_says_every_change_in_the_studios_words(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "session", "set", session_dir, "eq.high_gain_db=0.5", "--note", "a")
    _run(capsys, "session", "set", session_dir, "eq.high_gain_db=1", "comp.release_s=0.3",
         "--finish", "ceiling_dbtp=-2", "--note", "b")
    status, out, _ = _run(capsys, "session", "diff", session_dir, "2", "3")
    assert status == 0
    assert out.splitlines() == [
        "eq.high_gain_db: +0.5 dB -> +1.0 dB",
        "comp.release_s: auto -> 0.3 s",
        "finishing.ceiling_dbtp: -1.0 dBTP -> -2.0 dBTP",
    ]
    status, out, _ = _run(capsys, "session", "diff", session_dir, "3", "3")
    assert "same settings" in out


def test_show_json_gives_units_beside_the_rest(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "session", "set", session_dir, "color.air_db=1.25", "--note", "air")
    status, out, _ = _run(capsys, "session", "show", session_dir, "--revision", "2", "--json")
    data = json.loads(out)
    assert status == 0
    assert data["units"]["color"]["air_db"] == 1.25
    assert data["number"] == 2 and data["parent"] == 1 and data["note"] == "air"
    assert data["finishing"]["ceiling_dbtp"] == -1.0
    assert data["session"]["tracks"] == ["intro", "night-drive"]


def test_log_lists_every_revision(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "session", "set", session_dir, "eq.output_db=0.3", "--note", "level", "--author", "ana@desk")
    status, out, _ = _run(capsys, "session", "log", session_dir, "--json")
    assert [(r["number"], r["author"], r["note"]) for r in json.loads(out)] == [
        (1, "me@desk", "every unit at its profile default"), (2, "ana@desk", "level")]


def test_a_revision_file_is_never_overwritten(session_dir: Path) -> None:
    path = session_dir / "revisions" / "0001.yaml"
    before = path.read_bytes()
    with pytest.raises(SessionError, match="never overwritten"):
        write_exclusive(path, "number: 1\n")
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left


def test_an_edited_revision_is_refused(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "session", "set", session_dir, "eq.output_db=0.5", "--note", "x")
    path = session_dir / "revisions" / "0001.yaml"
    os.chmod(path, 0o644)
    path.write_text(path.read_text().replace("low_gain_db: 0.0", "low_gain_db: 3.0"))
    status, _, err = _run(capsys, "session", "show", session_dir, "--revision", "1")
    assert status == 2 and "changed after revision 2 was made from it" in err


def test_the_lock_refuses_a_second_holder_naming_the_pid(session_dir: Path) -> None:
    with session_lock(session_dir, "print"):
        with pytest.raises(SessionError, match=f"pid {os.getpid()} print"):
            with session_lock(session_dir, "session set"):
                pass
    with session_lock(session_dir, "again"):  # released when the holder finishes
        pass


def test_a_second_hybrid_process_is_refused_while_the_first_runs(session_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from hybrid.session import session_lock
            with session_lock({str(session_dir)!r}, "print"):
                print("locked", flush=True)
                sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        run = subprocess.run([sys.executable, "-m", "hybrid", "session", "set", str(session_dir),
                              "eq.output_db=0.5", "--note", "while printing"], capture_output=True, text=True)
        assert run.returncode == 2
        assert f"in use by another hybrid process (pid {holder.pid} print)" in run.stderr
        assert run.stderr.count("\n") == 1
        assert open_session(session_dir).revision_numbers() == [1]
    finally:
        holder.communicate("\n", timeout=10)
    # once the holder has gone, the same command goes through
    assert subprocess.run([sys.executable, "-m", "hybrid", "session", "set", str(session_dir),
                           "eq.output_db=0.5", "--note", "after"], capture_output=True).returncode == 0


def test_tracks_are_named_by_id_or_album_position(session_dir: Path) -> None:
    session = open_session(session_dir)
    assert [t.id for t in session.resolve_tracks(["2"])] == ["night-drive"]
    assert [t.id for t in session.resolve_tracks(["night-drive", "1"])] == ["intro", "night-drive"]
    # `--track Intro` was refused: ids are made lower case from file names, people type titles
    assert [t.id for t in session.resolve_tracks(["Intro", "NIGHT-Drive"])] == ["intro", "night-drive"]


def test_several_mixes_after_one_track_option(tmp_path: Path, mixes: list[Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # `--track mixes/*.wav`: the shell hands over several files after one --track
    status, out, err = _run(capsys, "session", "new", tmp_path / "globbed", "--track", *mixes, "--title", "G")
    assert status == 0, err
    assert [t.id for t in open_session(tmp_path / "globbed").info.tracks] == ["intro", "night-drive"]


def test_the_same_mix_twice_is_refused_in_one_line(tmp_path: Path, mixes: list[Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # it was taken silently as a second track "intro-2"
    again = tmp_path / "sub" / ".." / mixes[0].name  # the same file by another spelling
    (tmp_path / "sub").mkdir()
    status, out, err = _run(capsys, "session", "new", tmp_path / "twice", "--track", mixes[0], mixes[1], again)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"{again}: track: " in err and f"this file is already track 1 ({mixes[0]}); give each mix once" in err
    assert not (tmp_path / "twice").exists()


def test_the_setting_example_names_a_parameter_the_shipped_rig_has(session_dir: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import re

    from hybrid.session import UnitCatalog, session_rig

    status, _, err = _run(capsys, "session", "set", session_dir, "nonsense", "--note", "x")
    assert status == 2
    unit, param = re.search(r"e\.g\. ([a-z_]+)\.([a-z_]+)=", err).groups()  # type: ignore[union-attr]
    catalog = UnitCatalog(session_rig(open_session(session_dir)))
    catalog.coerce(unit, param, 1.0)  # eq.air (the old example) raised: no shipped unit has it


def test_a_changed_source_is_found(session_dir: Path, mixes: list[Path]) -> None:
    _mix(mixes[1], seed=99)
    checks = open_session(session_dir).check_sources()
    assert [c.ok for c in checks] == [True, False]
    assert checks[1].problem == "the file changed since the session was made"


def test_track_metadata_is_stored_in_one_form(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # typed with hyphens and in lower case, kept as the 12 characters PQ codes and the DDP carry
    status, _out, _err = _run(capsys, "session", "track", session_dir, "1", "--isrc", "gb-abc-26-00002")
    assert status == 0
    stored = yaml.safe_load((session_dir / "session.yaml").read_text())
    assert stored["tracks"][0]["isrc"] == "GBABC2600002"
