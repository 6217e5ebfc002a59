"""Per-target delivery in the session: each target's ceiling, the streaming and hi-res rates, vinyl sides
and limiter, the preview format; set with `hybrid session delivery`, carried into `hybrid render`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml
from scipy.signal import resample_poly

from hybrid.cli import main
from hybrid.ddp.layout import FRAMES_PER_SECOND
from hybrid.deliver import RenderJob
from hybrid.deliver.from_session import job_from_session
from hybrid.session import AlbumFields, new_session, open_session
from hybrid.session.model import SessionFile

RATE = 48000
SECONDS = (4.5, 5.0, 4.2)


def _song(seconds: float, n: int, level: float) -> np.ndarray:
    """Two tones and a little seeded noise, peaking at `level` (over 1.0: the limiter has work to do)."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(n)
    left = np.sin(2 * np.pi * 110 * n * t) + 0.5 * np.sin(2 * np.pi * 1234.5 * t) + 0.1 * rng.standard_normal(t.size)
    audio = np.stack([left, 0.9 * left], axis=1)
    return level * audio / np.max(np.abs(audio))


def _print(session_dir: Path, name: str, level: float = 1.4) -> None:
    """A stored print laid out as the print pipeline leaves it: capture/NN-id.wav, float."""
    session = open_session(session_dir)
    capture = session.prints_dir / name / "capture"
    capture.mkdir(parents=True)
    for n, (track, seconds) in enumerate(zip(session.info.tracks, SECONDS), start=1):
        sf.write(str(capture / f"{n:02d}-{track.id}.wav"), _song(seconds, n, level).astype(np.float32), RATE,
                 subtype="FLOAT")
    # sealed with the manifest the print writes: every command that reads a print checks it
    from hybrid.printing.folders import MANIFEST, manifest
    from devices.paths import write_json_atomic

    write_json_atomic(capture.parent / MANIFEST, manifest(capture.parent))


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    mixes = []
    for n, seconds in enumerate(SECONDS, start=1):
        path = tmp_path / "mixes" / f"0{n}-song-{n}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(str(path), _song(seconds, n, 0.3), RATE, subtype="PCM_24")
        mixes.append(path)
    album = AlbumFields(title="Three Songs", artist="Trio", targets=["streaming", "cd"])
    session = new_session(tmp_path / "album", mixes, album=album, author="test")
    _print(session.folder, "r0001-01")
    return session.folder


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def _render(capsys: pytest.CaptureFixture[str], session_dir: Path, *targets: str) -> dict:
    argv = ["render", session_dir, "--json"] + [a for t in targets for a in ("--target", t)]
    status, out, err = _run(capsys, *argv)
    assert status == 0, err
    return json.loads(out)["targets"]


def _true_peak_16x_dbtp(path: str | Path) -> float:
    """An independent true-peak reading: 16x polyphase oversampling, max |x|."""
    audio, _ = sf.read(str(path), dtype="float64", always_2d=True)
    return float(20 * np.log10(np.max(np.abs(resample_poly(audio, 16, 1, axis=0)))))


def test_cd_and_streaming_each_keep_the_ceiling_the_session_names(session_dir: Path, capsys) -> None:
    status, out, _ = _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=-0.3",
                          "streaming.ceiling_dbtp=-1.0")
    assert status == 0 and "cd: 16-bit 44100 Hz, ceiling -0.3 dBTP (its own)" in out
    targets = _render(capsys, session_dir, "cd", "streaming")
    assert all(t["compliance"]["errors"] == [] for t in targets.values())
    for entry in targets["cd"]["tracks"]:
        assert entry["ceiling_dbtp"] == -0.3
        # held at -0.3, not at the revision's -1.0 (the 16x reading may sit a hair over a 4x limiter)
        assert -0.8 < _true_peak_16x_dbtp(entry["path"]) <= -0.3 + 0.15
    for entry in targets["streaming"]["tracks"]:
        assert entry["ceiling_dbtp"] == -1.0
        assert _true_peak_16x_dbtp(entry["path"]) <= -1.0 + 0.15


def test_a_target_ceiling_wins_over_the_revision_but_a_track_held_lower_stays_lower(
        session_dir: Path, capsys) -> None:
    assert _run(capsys, "session", "set", session_dir, "--finish", "ceiling_dbtp=-3", "--note", "album")[0] == 0
    assert _run(capsys, "session", "set", session_dir, "--track", "2", "--finish", "ceiling_dbtp=-4",
                "--note", "track 2 lower")[0] == 0
    assert _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=-0.3")[0] == 0
    _print(session_dir, "r0003-01")
    targets = _render(capsys, session_dir, "cd", "streaming")
    # cd names its own ceiling: it replaces the album's -3, never lifts track 2's -4
    assert [e["ceiling_dbtp"] for e in targets["cd"]["tracks"]] == [-0.3, -4.0, -0.3]
    # streaming names none: the revision's, with the track's override, as before
    assert [e["ceiling_dbtp"] for e in targets["streaming"]["tracks"]] == [-3.0, -4.0, -3.0]
    peaks = [_true_peak_16x_dbtp(e["path"]) for e in targets["cd"]["tracks"]]
    assert peaks[0] > -0.8 and peaks[1] <= -4.0 + 0.15


def test_vinyl_sides_from_the_session_give_the_side_lengths(session_dir: Path, capsys) -> None:
    # 1 / 2,3 is not the default split in halves (1,2 / 3), so the report can only follow the session
    status, out, _ = _run(capsys, "session", "delivery", session_dir, "vinyl.sides=1/song-2,3")
    assert status == 0 and "sides A: song-1  B: song-2, song-3" in out
    _print(session_dir, "r0001-02", level=0.7)  # unlimited, a hot print would clip
    vinyl = _render(capsys, session_dir, "vinyl")["vinyl"]
    gap_s = 150 / FRAMES_PER_SECOND  # each track's gap before it, as session new sets it
    assert [s["tracks"] for s in vinyl["sides"]] == [["song-1"], ["song-2", "song-3"]]
    assert vinyl["sides"][0]["minutes"] == pytest.approx(SECONDS[0] / 60, abs=0.006)
    assert vinyl["sides"][1]["minutes"] == pytest.approx((SECONDS[1] + gap_s + SECONDS[2]) / 60, abs=0.006)
    assert all(e["ceiling_dbtp"] is None for e in vinyl["tracks"])  # no limiter unless asked


def test_the_vinyl_limiter_runs_only_when_the_session_asks(session_dir: Path, capsys) -> None:
    assert _run(capsys, "session", "delivery", session_dir, "vinyl.limiter=on", "vinyl.ceiling_dbtp=-0.5")[0] == 0
    vinyl = _render(capsys, session_dir, "vinyl")["vinyl"]
    assert vinyl["compliance"]["errors"] == []
    for entry in vinyl["tracks"]:
        assert entry["ceiling_dbtp"] == -0.5 and entry["max_gain_reduction_db"] > 1.0
        assert _true_peak_16x_dbtp(entry["path"]) <= -0.5 + 0.15


def test_preview_format_and_rates_come_from_the_session(session_dir: Path, capsys) -> None:
    assert _run(capsys, "session", "delivery", session_dir, "preview.format=ogg", "streaming.rate_hz=44100",
                "hires.rate_hz=88200")[0] == 0
    job = job_from_session(open_session(session_dir))
    assert (job.preview_format, job.streaming_rate_hz, job.hires_rate_hz) == ("ogg", 44100, 88200)
    targets = _render(capsys, session_dir, "preview", "streaming")
    paths = [Path(e["path"]) for e in targets["preview"]["tracks"]]
    assert [p.suffix for p in paths] == [".ogg"] * 3 and "OGG" in sf.info(str(paths[0])).format_info.upper()
    assert {sf.info(str(e["path"])).samplerate for e in targets["streaming"]["tracks"]} == {44100}


def test_delivery_is_written_atomically_as_spec_2_and_default_goes_back(session_dir: Path, capsys) -> None:
    file = session_dir / "session.yaml"
    assert yaml.safe_load(file.read_text())["spec"] == 1  # nothing past the streaming rate: still spec 1
    assert _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=-0.3", "vinyl.sides=1,2/3")[0] == 0
    stored = yaml.safe_load(file.read_text())
    assert stored["spec"] == 2 and "streaming_rate_hz" not in stored
    assert stored["delivery"] == {"cd": {"ceiling_dbtp": -0.3},
                                  "vinyl": {"sides": [["song-1", "song-2"], ["song-3"]]}}
    assert [p.name for p in session_dir.iterdir() if p.name.startswith(".session.yaml")] == []  # no temp left
    # `session track` keeps the delivery section as it is
    assert _run(capsys, "session", "track", session_dir, "2", "--composer", "A. Writer")[0] == 0
    assert yaml.safe_load(file.read_text())["delivery"] == stored["delivery"]
    assert _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=default", "vinyl.sides=default")[0] == 0
    again = yaml.safe_load(file.read_text())
    assert again["spec"] == 1 and again["streaming_rate_hz"] == 48000 and "delivery" not in again


def test_delivery_and_metadata_changes_are_kept_in_the_append_only_log(session_dir: Path, capsys) -> None:
    # session.yaml is rewritten in place; no history showed what a delivery setting had been
    from hybrid.session.changelog import CHANGES_FILE, read_changes

    assert _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=-0.3", "preview.format=ogg")[0] == 0
    log = session_dir / CHANGES_FILE
    first = log.read_bytes()
    assert _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=default")[0] == 0
    assert _run(capsys, "session", "track", session_dir, "2", "--isrc", "GBAYE2600002")[0] == 0
    assert _run(capsys, "session", "delivery", session_dir)[0] == 0  # showing changes nothing: no line
    assert log.read_bytes().startswith(first)  # appended, never rewritten
    entries = read_changes(session_dir)
    assert [(e.command, [str(c) for c in e.changes]) for e in entries] == [
        ("session delivery", ["delivery.cd.ceiling_dbtp: (default) -> -0.3", "delivery.preview.format: mp3 -> ogg"]),
        ("session delivery", ["delivery.cd.ceiling_dbtp: -0.3 -> (default)"]),
        ("session track", ["tracks.song-2.isrc: (none) -> GBAYE2600002"])]
    status, out, _ = _run(capsys, "session", "log", session_dir)
    lines = out.splitlines()
    assert status == 0 and lines[0].lstrip().startswith("1  ") and len(lines) == 4
    assert "session delivery: delivery.cd.ceiling_dbtp: (default) -> -0.3, delivery.preview.format: mp3 -> ogg" in lines[1]
    # a torn last line (a crash mid-append) is skipped, the rest still reads
    with log.open("a") as f:
        f.write('{"at": "2026-')
    assert len(read_changes(session_dir)) == 3


def test_show_and_its_json_give_the_delivery_settings(session_dir: Path, capsys) -> None:
    assert _run(capsys, "session", "delivery", session_dir, "cd.ceiling_dbtp=-0.3", "preview.format=ogg")[0] == 0
    status, out, _ = _run(capsys, "session", "show", session_dir)
    assert status == 0 and "cd: 16-bit 44100 Hz, ceiling -0.3 dBTP (its own)" in out
    assert "streaming: 24-bit 48000 Hz, ceiling -1.0 dBTP (the revision's)" in out
    assert "vinyl: 24-bit at the print's rate, no limiter" in out and "preview: ogg" in out
    status, out, _ = _run(capsys, "session", "show", session_dir, "--json")
    shown = json.loads(out)
    assert shown["delivery"]["cd"] == {"ceiling_dbtp": -0.3} and shown["delivery"]["preview"]["format"] == "ogg"
    assert shown["target_ceilings_dbtp"] == {"streaming": -1.0, "cd": -0.3, "hires": -1.0, "vinyl": None,
                                             "preview": -1.0}


OLD_SESSION = """\
spec: 1
title: Old Record
artist: ''
year: ''
label: ''
catalog: ''
upc_ean: ''
created_at: '2026-01-02T03:04:05Z'
rig:
  name: sim-studio
  path: null
  sha256: {rig}
targets:
- streaming
- cd
streaming_rate_hz: 44100
tracks:
{tracks}"""


def _old_session(session_dir: Path) -> str:
    """session.yaml as a hybrid before the delivery section wrote it (spec 1, rate at the top)."""
    info = open_session(session_dir).info
    tracks = "".join(textwrap.dedent(f"""\
        - id: {t.id}
          title: {t.title}
          source: {t.source}
          sha256: {t.sha256}
          artist: ''
          composer: ''
          isrc: ''
          gap_before_frames: 150
        """) for t in info.tracks)
    return OLD_SESSION.format(rig=info.rig.sha256, tracks=tracks)


def test_an_old_session_reads_back_to_the_same_bytes(session_dir: Path) -> None:
    text = _old_session(session_dir)
    info = SessionFile.model_validate(yaml.safe_load(text))
    assert info.streaming_rate_hz == 44100 and info.delivery.ceilings_dbtp() == {}
    from hybrid.session.store import to_yaml

    assert to_yaml(info.file_data()) == text


def test_an_old_session_renders_as_before(session_dir: Path, capsys) -> None:
    (session_dir / "session.yaml").write_text(_old_session(session_dir))
    job = job_from_session(open_session(session_dir))
    # the job such a session made before the delivery section: only the streaming rate came from it
    assert job == RenderJob(tracks=job.tracks, album=job.album, revision=job.revision, streaming_rate_hz=44100)
    targets = _render(capsys, session_dir, "cd", "streaming")
    # the revision's -1.0 for every target, the CD included (not the cd default -0.3), as before
    assert {e["ceiling_dbtp"] for t in targets.values() for e in t["tracks"]} == {-1.0}
    assert {sf.info(e["path"]).samplerate for e in targets["streaming"]["tracks"]} == {44100}
    assert (session_dir / "session.yaml").read_text() == _old_session(session_dir)  # render never writes it


def test_a_target_ceiling_is_checked_even_with_no_limiter_to_hold_it(session_dir: Path, capsys) -> None:
    _print(session_dir, "r0001-02", level=0.7)  # about -3 dBTP: fine unlimited, over a -6 dBTP promise
    status, out, _ = _run(capsys, "session", "delivery", session_dir, "vinyl.ceiling_dbtp=-6")
    assert status == 0 and "vinyl: 24-bit at the print's rate, no limiter, true peak checked against -6.0 dBTP" in out
    status, out, err = _run(capsys, "render", session_dir, "--target", "vinyl")
    assert status == 2 and "over the -6.0 dBTP ceiling" in err and err.count("\n") == 1
    assert not (session_dir / "deliverables").exists() or not list((session_dir / "deliverables").iterdir())


def test_the_vinyl_level_is_a_session_setting(session_dir: Path, capsys) -> None:
    status, out, _ = _run(capsys, "session", "delivery", session_dir, "vinyl.lufs_target=-16")
    assert status == 0 and "level -16.0 LUFS" in out
    assert job_from_session(open_session(session_dir)).vinyl_lufs_target == -16.0
    vinyl = _render(capsys, session_dir, "vinyl")["vinyl"]
    assert [e["level_lufs"] for e in vinyl["tracks"]] == [-16.0] * 3
    status, _, err = _run(capsys, "session", "delivery", session_dir, "vinyl.lufs_target=+3")
    assert status == 2 and "vinyl.lufs_target" in err and err.count("\n") == 1
