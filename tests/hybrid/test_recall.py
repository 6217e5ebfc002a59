"""`hybrid recall`: a revision onto the simulated gear over its wires, sheets for the hand-set unit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from devices.profile import load_profile
from devices.rig import load_rig
from devices.sim.rig import SimRig
from hybrid.cli import main


@pytest.fixture()
def session_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    mixes = []
    for n in (1, 2):
        path = tmp_path / f"0{n}-song.wav"
        sf.write(path, 0.05 * np.random.default_rng(n).standard_normal((4800, 2)), 48000, subtype="FLOAT")
        mixes += ["--track", str(path)]
    folder = tmp_path / "s"
    assert main(["session", "new", str(folder), *mixes]) == 0
    assert main(["session", "set", str(folder), "eq.lowmid_gain_db=-1.5", "comp.release_s=0.3", "color.mode=hot",
                 "pultec.high_boost=3", "--note", "r2"]) == 0
    assert main(["session", "set", str(folder), "color.air_db=2", "--track", "2", "--note", "r3: air on 2"]) == 0
    capsys.readouterr()
    return folder


def _panels() -> dict[str, dict]:
    with SimRig(load_rig()) as sim:
        return {name: twin.panel.settings() for name, twin in sim.twins.items()}


def test_recall_puts_every_unit_where_the_revision_says(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recall", str(session_dir), "--revision", "2", "--yes"]) == 0
    out = capsys.readouterr().out
    for unit in load_rig().units[:3]:  # every remote unit: all of its controls, each read back
        count = len(load_profile(unit.profile).parameters)
        assert f"{unit.name}: {count} controls sent and read back" in out
    assert "Recall sheet: pultec" in out
    assert "HIGH BOOST          step 4 of 11 (3)" in out  # the sheet in the panel's own markings
    panels = _panels()  # read from the twins' panels, which only their wires (or the sheet) can move
    assert panels["eq"]["lowmid_gain_db"] == -1.5 and panels["comp"]["release_s"] == 0.3
    assert panels["color"]["mode"] == "hot" and panels["color"]["air_db"] == 0.0
    assert panels["pultec"]["high_boost"] == 3.0


def test_recall_with_a_track_uses_its_overrides(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recall", str(session_dir), "--revision", "3", "--track", "2", "--yes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["revision"] == 3 and data["track"] == "song-2"
    assert data["units"]["color"]["read_back"]["air_db"] == 2.0 and data["units"]["color"]["verified"] is True
    assert _panels()["color"]["air_db"] == 2.0


def test_a_hand_set_unit_needs_a_confirmation(session_dir: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["recall", str(session_dir), "--revision", "2"]) == 2
    err = capsys.readouterr().err
    assert "unit 'pultec' is recalled by hand" in err and "--yes" in err
    assert _panels()["pultec"]["high_boost"] == 0.0  # nobody turned it
