"""A track's own settings proven by measurement: the print keeps a fingerprint per distinct track
setting, and `hybrid verify --track` compares the gear with the one the track was printed with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import hybrid.printing.pipeline
from hybrid.cli import main
from hybrid.printing.folders import prints_of, verify_manifest
from hybrid.printing.pipeline import PrintRequest, print_revision, steps
from hybrid.session import AlbumFields, new_session, open_session

AIR = "color.air_db=+1.5"  # the client's "a touch more air" on track 2 (and later on 3)


# the gear (the simulated panels) and its calibration are shared by the tests of this module
pytestmark = pytest.mark.usefixtures("studio_day")


@pytest.fixture(scope="module")
def printed(studio_day_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Three tracks. Revision 2: the compressor working (its release outlasts what is played through
    it). Revision 3: more air on track 2, printed with track 1 only (so no print holds track 2's own
    fingerprint). Revision 4: the same air on track 3 too, printed whole, counting the fingerprints
    measured."""
    base = tmp_path_factory.mktemp("verify-tracks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(studio_day_dir))
        rng = np.random.default_rng(7)
        mixes = []
        for name in ("one", "two", "three"):
            sf.write(base / f"{name}.wav", 0.05 * rng.standard_normal((24000, 2)), 48000, subtype="FLOAT")
            mixes.append(base / f"{name}.wav")
        folder = base / "session"
        new_session(folder, mixes, album=AlbumFields(targets=["streaming"]))
        assert main(["session", "set", str(folder), "comp.threshold_db=-20", "--note", "glue"]) == 0
        assert main(["session", "set", str(folder), AIR, "--track", "2", "--note", "more air on two"]) == 0
        assert main(["session", "set", str(folder), AIR, "--track", "3", "--note", "and on three"]) == 0
        print_revision(PrintRequest(folder, revision=3, tracks=["1"], confirm_manual=lambda sheet: True))
        measured: list[str] = []
        original = hybrid.printing.pipeline.measure_fingerprint

        def counting(interface: object, record: object) -> object:
            measured.append("fingerprint")
            return original(interface, record)

        mp.setattr(hybrid.printing.pipeline, "measure_fingerprint", counting)
        bar = _Steps()
        outcome = print_revision(PrintRequest(folder, revision=4, confirm_manual=lambda sheet: True), bar=bar)
    return {"folder": folder, "outcome": outcome, "measured": measured, "steps": bar.done}


class _Steps:
    """A progress bar that adds up how far the print moved it."""

    def __init__(self) -> None:
        self.done = 0.0

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount

    def describe(self, text: str) -> None:
        pass


def _verify(folder: Path, capsys: pytest.CaptureFixture[str], revision: int, *track: str) -> tuple[int, dict]:
    capsys.readouterr()
    status = main(["verify", str(folder), "--revision", str(revision), *track, "--json"])
    return status, json.loads(capsys.readouterr().out)


def _recall(folder: Path, capsys: pytest.CaptureFixture[str], *track: str) -> None:
    assert main(["recall", str(folder), "--revision", "4", *track, "--yes"]) == 0
    capsys.readouterr()


def _refused(folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> None:
    capsys.readouterr()
    assert main(["verify", str(folder), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("hybrid: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def test_the_print_stores_a_fingerprint_per_distinct_track_setting(printed: dict) -> None:
    folder = printed["outcome"].folder
    stored = sorted(p.name for p in folder.glob("fingerprint*.json"))
    assert stored == ["fingerprint-three.json", "fingerprint-two.json", "fingerprint.json"]
    # the album settings, then tracks 2 and 3's shared setting: measured once each
    assert printed["measured"] == ["fingerprint", "fingerprint"]
    assert printed["steps"] == steps(3)  # the bar the print command sizes ends full, not beyond
    revision = open_session(printed["folder"]).revision(4)
    two = json.loads((folder / "fingerprint-two.json").read_text())
    three = json.loads((folder / "fingerprint-three.json").read_text())
    album = json.loads((folder / "fingerprint.json").read_text())
    assert (two["revision"], two["track"], two["settings"]) == (4, "two", revision.settings_for("two"))
    assert two["settings"]["color"]["air_db"] == 1.5 and album["settings"] == revision.units
    assert {k: v for k, v in three.items() if k != "track"} == {k: v for k, v in two.items() if k != "track"}
    assert "track" not in album and two["response_db"] != album["response_db"]
    manifest = json.loads((folder / "manifest.json").read_text())["files"]
    assert {"fingerprint.json", "fingerprint-two.json", "fingerprint-three.json"} <= set(manifest)
    assert verify_manifest(folder) == []
    report = json.loads((folder / "report.json").read_text())
    assert report["fingerprint"]["tracks"] == {"two": "fingerprint-two.json", "three": "fingerprint-three.json"}
    text = (folder / "report.txt").read_text()
    assert "tracks with their own fingerprint: two (fingerprint-two.json), three (fingerprint-three.json)" in text
    assert "chain fingerprint stored for `hybrid verify` (" in text and " bands, THD at 1 kHz " in text


def test_verify_track_passes_with_the_gear_at_that_tracks_settings(printed: dict,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _recall(printed["folder"], capsys, "--track", "2")
    status, data = _verify(printed["folder"], capsys, 4, "--track", "2")
    assert status == 0 and data["pass"] is True and data["deviations"] == []
    assert (data["track"], data["fingerprint"]) == ("two", "fingerprint-two.json")
    status, data = _verify(printed["folder"], capsys, 4, "--track", "three")  # the same setting
    assert status == 0 and data["fingerprint"] == "fingerprint-three.json"
    status, data = _verify(printed["folder"], capsys, 4)  # the album settings are not on the gear
    assert status == 1 and data["suspects"][0]["parameter"] == "air_db"


def test_verify_track_fails_with_the_gear_at_the_album_settings_naming_the_override(
        printed: dict, capsys: pytest.CaptureFixture[str]) -> None:
    _recall(printed["folder"], capsys)
    status, data = _verify(printed["folder"], capsys, 4, "--track", "2")
    assert status == 1 and data["pass"] is False and data["track"] == "two"
    suspect = data["suspects"][0]
    # attributed from the track's settings: the air the track was printed with is what is missing
    assert (suspect["unit"], suspect["parameter"], suspect["expected"], suspect["likely"]) == (
        "color", "air_db", 1.5, 0.0)
    assert {d["unit"] for d in data["deviations"] if abs(d["deviation"]) > 0.5} == {"color"}
    capsys.readouterr()
    assert main(["verify", str(printed["folder"]), "--revision", "4", "--track", "2"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("FAIL: the chain differs from revision 4, track two with its overrides, as printed in "
                           f"{printed['outcome'].folder.name}")
    assert "color.air_db looks like" in text
    status, data = _verify(printed["folder"], capsys, 4)
    assert status == 0 and data["track"] is None and data["fingerprint"] == "fingerprint.json"


def test_a_track_without_overrides_is_verified_against_the_album_fingerprint(
        printed: dict, capsys: pytest.CaptureFixture[str]) -> None:
    _recall(printed["folder"], capsys)
    status, data = _verify(printed["folder"], capsys, 4, "--track", "1")
    assert status == 0 and (data["track"], data["fingerprint"]) == ("one", "fingerprint.json")
    capsys.readouterr()
    assert main(["verify", str(printed["folder"]), "--revision", "4", "--track", "one"]) == 0
    assert "track one with the album settings (no overrides of its own)" in capsys.readouterr().out


def test_an_unknown_track_is_refused_in_one_line(printed: dict, capsys: pytest.CaptureFixture[str]) -> None:
    before = [p.name for p in prints_of(printed["folder"] / "prints")]
    for bad in ("4", "nine"):
        _refused(printed["folder"], capsys, ["--revision", "4", "--track", bad],
                 f"track: '{bad}' is not allowed", "name a track id (one, two, three) or a position 1 to 3")
    assert [p.name for p in prints_of(printed["folder"] / "prints")] == before


def test_a_print_without_the_tracks_own_fingerprint_says_to_print_that_track_again(
        printed: dict, capsys: pytest.CaptureFixture[str]) -> None:
    # revision 3 was printed with track 1 only: its print holds the album fingerprint, not track 2's
    _refused(printed["folder"], capsys, ["--revision", "3", "--track", "2"],
             "revision 3 has no fingerprint of track two with its overrides",
             f"print that track again (`hybrid print {printed['folder']} --revision 3 --track two`)")
