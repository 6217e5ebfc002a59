"""A simulated unit whose profile has no sound model says so: at `hybrid sim serve` and in the print."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from devices.profile import PASS_THROUGH
from devices.rig import default_rig_path, load_rig
from devices.station import open_station
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session


def _rig(folder: Path) -> Path:
    """The sim studio with one more unit: a custom box whose profile has no sim: section."""
    profile = {"spec": 1, "model": "My own box",
               "parameters": {"drive": {"label": "DRIVE", "unit": "mark", "range": [0, 10], "step": 1, "default": 0}},
               "wires": {"manual": {}}}
    (folder / "my-box.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    rig = yaml.safe_load(default_rig_path().read_text(encoding="utf-8"))
    rig["name"] = "gear-pass-through"
    rig["units"] = [u for u in rig["units"] if u["name"] == "color"] + [
        {"name": "mybox", "profile": "my-box.yaml", "wire": {"kind": "manual"}}]
    path = folder / "rig.yaml"
    path.write_text(yaml.safe_dump(rig), encoding="utf-8")
    return path


def test_the_station_names_the_units_that_pass_audio_unchanged(tmp_path: Path) -> None:
    with open_station(load_rig(_rig(tmp_path)), audio=False) as station:
        assert station.pass_through() == ["mybox"]
    with open_station(audio=False) as station:  # every unit of the sim studio has its sound model
        assert station.pass_through() == []


def test_sim_serve_says_pass_through_at_start(tmp_path: Path) -> None:
    rig = _rig(tmp_path)
    for extra in ([], ["--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "hybrid", "sim", "serve", "--rig", str(rig), *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
        try:
            if extra:
                units = {row["unit"]: row for row in json.loads(proc.stdout.readline())["units"]}
                assert units["mybox"]["sound"] == PASS_THROUGH
                assert units["color"]["sound"] == "tube_color"
            else:
                lines = []
                while not (lines and lines[-1].startswith("panels saved in")):
                    lines.append(proc.stdout.readline().rstrip("\n"))
                mybox = next(i for i, line in enumerate(lines) if line.strip().startswith("mybox"))
                assert lines[mybox + 1].strip().startswith(f"{PASS_THROUGH}: its profile has no sim: section")
                assert not any(PASS_THROUGH in line for line in lines[:mybox])  # the colour unit has its model
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        assert proc.returncode == 0


def test_the_print_says_it_and_its_report_names_the_unit(tmp_path: Path) -> None:
    rig = _rig(tmp_path)
    rng = np.random.default_rng(1)
    mix = tmp_path / "01 One.wav"
    sf.write(mix, 0.05 * rng.standard_normal((int(48000 * 0.5), 2)), 48000, subtype="FLOAT")
    folder = tmp_path / "album"
    new_session(folder, [mix], rig_path=rig, album=AlbumFields(title="Pass", targets=["streaming"]))
    said: list[str] = []
    outcome = print_revision(PrintRequest(folder, revision=1, confirm_manual=lambda _sheet: True), say=said.append)
    line = f"unit 'mybox': {PASS_THROUGH}; its profile has no sim: section, so the simulated rig passes its audio unchanged"
    assert f"note: {line}" in said
    assert line in json.loads((outcome.folder / "print.json").read_text(encoding="utf-8"))["notes"]
    report = (outcome.folder / "report.txt").read_text(encoding="utf-8").splitlines()
    mybox = next(i for i, text in enumerate(report) if text.startswith("mybox:"))
    assert f"  note: {PASS_THROUGH}" in report[mybox:mybox + 4]
    assert not any(PASS_THROUGH in text for text in report if text.startswith("color"))
