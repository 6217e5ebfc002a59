"""`hybrid render DIR`: deliverables from a session's stored prints, every path in --json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.cli import main
from hybrid.ddp import read_ddp
from hybrid.session import AlbumFields, new_session

RATE = 48000


def _tone(seconds: float, freq: float, level: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    mono = level * np.sin(2 * np.pi * freq * t)
    return np.stack([mono, 0.8 * mono], axis=1)


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    mixes = []
    for n, name in enumerate(["01-opener.wav", "02-closer.wav"], start=1):
        path = tmp_path / "mixes" / name
        path.parent.mkdir(exist_ok=True)
        sf.write(str(path), _tone(4.5, 220 * n, 0.3), RATE, subtype="PCM_24")
        mixes.append(path)
    album = AlbumFields(title="Two Songs", artist="Duo", upc_ean="4006381333931", targets=["cd", "streaming"])
    session = new_session(tmp_path / "album", mixes, album=album, author="test")
    # a stored print of revision 1, as the print pipeline lays it out, and an older one of revision 1
    for name, level in (("r0001-01", 0.2), ("r0001-02", 0.9)):
        capture = session.prints_dir / name / "capture"
        capture.mkdir(parents=True)
        for n, track in enumerate(session.info.tracks, start=1):
            sf.write(str(capture / f"{n:02d}-{track.id}.wav"), _tone(4.5, 220 * n, level).astype(np.float32),
                     RATE, subtype="FLOAT")
        _seal(session.prints_dir / name)
    return session.folder


def _seal(folder: Path) -> None:
    """The manifest the print's seal writes: every command that reads a print checks it first."""
    from hybrid.printing.folders import MANIFEST, manifest

    (folder / MANIFEST).write_text(json.dumps(manifest(folder), indent=2, sort_keys=True))


def test_render_json_lists_every_path_and_uses_the_newest_print(session_dir: Path, capsys) -> None:
    status = main(["render", str(session_dir), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0 and document["revision"] == 1
    out = session_dir / "deliverables" / "r0001-01"
    assert document["out_dir"] == str(out)
    paths = [Path(p) for p in document["paths"]]
    assert all(p.is_file() for p in paths)
    written = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert sorted(paths) == written  # every file written is listed, nothing else
    assert set(document["targets"]) == {"cd", "streaming"}
    # the newest print (r0001-02, hot) needed the limiter; the older quiet one would not have
    assert all(t["true_peak_dbtp"] <= -0.9 for t in document["targets"]["streaming"]["tracks"])
    ddp = read_ddp(document["targets"]["cd"]["ddp"])
    assert ddp.ok and [t.title for t in ddp.tracks] == ["Opener", "Closer"]
    kept = json.loads((out / "render.json").read_text())
    assert kept == document and "cd: " in (out / "render.txt").read_text()


def test_render_one_target_and_text_output(session_dir: Path, capsys) -> None:
    status = main(["render", str(session_dir), "--target", "streaming", "--revision", "1"])
    out = capsys.readouterr().out
    assert status == 0 and "streaming:" in out and "files written" in out
    assert "sample rates:" not in out  # 48 kHz captures to 48 kHz files: nothing converted, nothing said
    assert main(["render", str(session_dir), "--target", "cd"]) == 0
    assert "sample rates:\n  cd: track 1 'Opener': 48 -> 44.1 kHz (one conversion)" in capsys.readouterr().out
    assert not (session_dir / "deliverables" / "r0001-01" / "cd").exists()


def test_render_without_prints_is_one_clear_line(tmp_path: Path, session_dir: Path, capsys) -> None:
    status = main(["render", str(session_dir), "--revision", "2"])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("hybrid: ") and "revision" in err and err.count("\n") == 1


def test_render_refuses_an_unknown_target(session_dir: Path, capsys) -> None:
    status = main(["render", str(session_dir), "--target", "cassette"])
    err = capsys.readouterr().err
    assert status == 2 and "cassette" in err and "allowed: streaming, cd, hires, vinyl, preview" in err


@pytest.mark.slow  # about 7 s: 30 s of demo music through five targets, MP3 encoding the most of it
def test_every_target_renders_from_the_demo_session(tmp_path: Path, capsys) -> None:
    from hybrid.demo import write_demo_mixes

    mixes = write_demo_mixes(tmp_path / "mixes")
    album = AlbumFields(title="Demo", artist="Hybrid", upc_ean="4006381333931",
                       targets=["streaming", "cd", "hires", "vinyl", "preview"])
    session = new_session(tmp_path / "demo", mixes, album=album, author="test")
    # the stored print: the demo mixes stand in for captures (the gear's sound is not under test here)
    capture = session.prints_dir / "r0001-01" / "capture"
    capture.mkdir(parents=True)
    for n, (track, mix) in enumerate(zip(session.info.tracks, mixes), start=1):
        audio, rate = sf.read(str(mix), dtype="float32")
        sf.write(str(capture / f"{n:02d}-{track.id}.wav"), audio, rate, subtype="FLOAT")
    _seal(capture.parent)
    status = main(["render", str(session.folder), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    targets = document["targets"]
    assert set(targets) == {"streaming", "cd", "hires", "vinyl", "preview"}
    assert all(t["compliance"]["errors"] == [] for t in targets.values())
    assert all(len(t["tracks"]) == 3 for t in targets.values())
    assert read_ddp(targets["cd"]["ddp"]).ok
    summary = (Path(document["out_dir"]) / "render.txt").read_text()
    sides = [line.split(":", 1)[0].strip() for line in summary.splitlines() if line.strip().startswith("side ")]
    assert sides == ["side A", "side B"]  # the vinyl plan in the readable summary, not only in render.json


def test_each_track_comes_from_the_newest_print_that_holds_it(session_dir: Path) -> None:
    from hybrid.deliver.from_session import job_from_session
    from hybrid.session import open_session

    session = open_session(session_dir)
    # a later print of track 2 only ("print only that track again")
    again = session.prints_dir / "r0001-03" / "capture"
    again.mkdir(parents=True)
    second = session.info.tracks[1]
    sf.write(str(again / f"02-{second.id}.wav"), _tone(4.5, 440, 0.5).astype(np.float32), RATE, subtype="FLOAT")
    _seal(again.parent)
    job = job_from_session(session)
    assert [t.capture_path.parent.parent.name for t in job.tracks] == ["r0001-02", "r0001-03"]
    assert [t.number for t in job.tracks] == [1, 2] and job.revision == 1
    assert job.album.upc_ean == "4006381333931" and job.tracks[0].finishing["ceiling_dbtp"] == -1.0


def _fake_print(session_dir: Path, name: str, tracks: dict[str, str], level: float = 0.5) -> Path:
    """prints/NAME with captures of the given tracks (position-id -> id) and a print.json naming the
    mixes played by their session hashes, as the print pipeline writes them."""
    from hybrid.session import open_session

    session = open_session(session_dir)
    folder = session.prints_dir / name
    (folder / "capture").mkdir(parents=True)
    inputs = {}
    for stem, track_id in tracks.items():
        sf.write(str(folder / "capture" / f"{stem}.wav"), _tone(4.5, 330, level).astype(np.float32), RATE, subtype="FLOAT")
        inputs[track_id] = {"sha256": session.info.track(track_id).sha256}
    (folder / "print.json").write_text(json.dumps({"inputs": inputs}))
    _seal(folder)
    return folder


def test_a_revision_of_one_track_is_delivered_whole_from_earlier_prints_that_sound_the_same(
        session_dir: Path, capsys) -> None:
    from hybrid.deliver.from_session import job_from_session
    from hybrid.session import open_session

    first, second = (t.id for t in open_session(session_dir).info.tracks)
    _fake_print(session_dir, "r0001-03", {f"01-{first}": first, f"02-{second}": second})
    assert main(["session", "set", str(session_dir), "eq.high_gain_db=1.5", "--track", "2", "--note", "air on 2"]) == 0
    _fake_print(session_dir, "r0002-01", {f"02-{second}": second})
    job = job_from_session(open_session(session_dir))
    # track 1 sounds the same in revision 2 (no unit moved for it): its revision-1 capture stands
    assert job.revision == 2
    assert [t.capture_path.parent.parent.name for t in job.tracks] == ["r0001-03", "r0002-01"]
    capsys.readouterr()
    assert main(["render", str(session_dir), "--target", "streaming"]) == 0
    assert "from prints: r0001-03 (track 1), r0002-01 (track 2)" in capsys.readouterr().out

    # an album-wide change moves track 1 too: its old capture no longer stands for it
    assert main(["session", "set", str(session_dir), "comp.threshold_db=-20", "--note", "more glue"]) == 0
    _fake_print(session_dir, "r0003-01", {f"02-{second}": second})
    capsys.readouterr()
    status = main(["render", str(session_dir)])
    err = capsys.readouterr().err
    assert status == 2 and "track 1 'Opener'" in err and "same unit settings" in err and err.count("\n") == 1


def test_an_earlier_capture_of_a_different_mix_is_not_reused(session_dir: Path) -> None:
    from hybrid.errors import SessionError
    from hybrid.deliver.from_session import job_from_session
    from hybrid.session import open_session

    first, second = (t.id for t in open_session(session_dir).info.tracks)
    stale = _fake_print(session_dir, "r0001-03", {f"01-{first}": first, f"02-{second}": second})
    (stale / "print.json").write_text(json.dumps({"inputs": {first: {"sha256": "0" * 64}, second: {"sha256": "0" * 64}}}))
    _seal(stale)  # a print of another mix, sealed as such (not one edited afterwards)
    assert main(["session", "set", str(session_dir), "eq.high_gain_db=1.5", "--track", "2", "--note", "air on 2"]) == 0
    _fake_print(session_dir, "r0002-01", {f"02-{second}": second})
    with pytest.raises(SessionError, match="track 1 'Opener'"):
        job_from_session(open_session(session_dir))


def _manifest_matches(folder: Path) -> bool:
    import hashlib

    listed = json.loads((folder / "manifest.json").read_text())["files"]
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"}
    return set(listed) == set(files) and all(
        hashlib.sha256(files[name].read_bytes()).hexdigest() == entry["sha256"] for name, entry in listed.items())


def test_each_render_has_its_own_sealed_folder_and_never_touches_an_earlier_one(session_dir: Path, capsys) -> None:
    assert main(["render", str(session_dir), "--json"]) == 0
    first = Path(json.loads(capsys.readouterr().out)["out_dir"])
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    assert main(["render", str(session_dir), "--target", "streaming", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert [first.name, Path(second["out_dir"]).name] == ["r0001-01", "r0001-02"]
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before  # not a byte changed
    assert _manifest_matches(first) and _manifest_matches(Path(second["out_dir"]))
    # render.json names exactly the targets its folder holds
    for folder in (first, Path(second["out_dir"])):
        listed = set(json.loads((folder / "render.json").read_text())["targets"])
        present = {p.name for p in folder.iterdir() if p.is_dir()}
        assert listed == present
    assert set(second["targets"]) == {"streaming"}
    assert not [p for p in (session_dir / "deliverables").iterdir() if p.name.startswith(".")]


def test_render_out_refuses_a_folder_that_holds_something(session_dir: Path, tmp_path: Path, capsys) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    assert main(["render", str(session_dir), "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "never overwritten" in err and err.count("\n") == 1
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    assert main(["render", str(session_dir), "--out", str(tmp_path / "fresh"), "--json"]) == 0
    assert _manifest_matches(tmp_path / "fresh")


def test_session_show_marks_a_render_made_before_an_isrc_was_set_as_stale(session_dir: Path, capsys) -> None:
    assert main(["render", str(session_dir), "--target", "streaming"]) == 0
    capsys.readouterr()
    assert main(["session", "show", str(session_dir)]) == 0
    assert "r0001-01 (streaming): current" in capsys.readouterr().out
    assert main(["session", "track", str(session_dir), "2", "--isrc", "GB-AYE-26-00002"]) == 0
    capsys.readouterr()
    assert main(["session", "show", str(session_dir)]) == 0
    out = capsys.readouterr().out
    assert "r0001-01 (streaming): STALE (track 2 'Closer' isrc: (none) -> GBAYE2600002): render again" in out
    assert main(["session", "show", str(session_dir), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["renders"]
    assert shown == [{"name": "r0001-01", "revision": 1, "targets": ["streaming"], "current": False,
                      "stale": ["track 2 'Closer' isrc: (none) -> GBAYE2600002"], "manifest_problems": []}]
    assert main(["render", str(session_dir), "--target", "streaming"]) == 0
    capsys.readouterr()
    assert main(["session", "show", str(session_dir)]) == 0
    assert "r0001-02 (streaming): current" in capsys.readouterr().out


def test_session_show_marks_a_prints_own_deliverables_stale_after_a_metadata_change(
        session_dir: Path, capsys) -> None:
    printed = session_dir / "prints" / "r0001-02"
    (printed / "deliverables" / "cd").mkdir(parents=True)
    (printed / "print.json").write_text(json.dumps({"finished_at": "2000-01-01T00:00:00Z"}))
    assert main(["session", "show", str(session_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["print_deliverables"][0]["current"] is True
    assert main(["session", "track", str(session_dir), "2", "--isrc", "GBAYE2600002"]) == 0
    capsys.readouterr()
    assert main(["session", "show", str(session_dir)]) == 0
    out = capsys.readouterr().out
    assert "prints/r0001-02 (cd): STALE (tracks.closer.isrc: (none) -> GBAYE2600002): render again" in out
