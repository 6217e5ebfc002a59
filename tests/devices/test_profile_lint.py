"""`hybrid devices lint`: each kind of mistake, in a profile made to have it, is found in one line naming it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from devices.profile import shipped_profiles
from devices.profile_lint import lint


def _clean() -> dict:
    """A profile that lints clean: two controls on MIDI, OSC and ASCII serial, all labelled."""
    return {
        "spec": 1, "model": "Lint box",
        "parameters": {
            "gain_db": {"label": "GAIN", "unit": "dB", "range": [-10, 10], "step": 0.5, "default": 0, "neutral": 0},
            "mode": {"label": "MODE", "positions": ["a", "b"], "default": "a"},
        },
        "wires": {
            "midi": {"parameters": {"gain_db": {"cc": 20}, "mode": {"cc": 21}}},
            "osc": {"query_address": "/get", "parameters": {"gain_db": {"address": "/gain"},
                                                             "mode": {"address": "/mode", "arg": "string"}}},
            "serial": {"parameters": {"gain_db": {"code": "GAIN"}, "mode": {"code": "MODE"}}},
        },
    }


def _lint(tmp_path: Path, change: Callable[[dict], object]) -> list[str]:
    data = _clean()
    change(data)
    path = tmp_path / "unit.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return [f.line() for f in lint(path)]


def test_the_reference_profile_and_the_shipped_profiles_lint_clean(tmp_path: Path) -> None:
    assert _lint(tmp_path, lambda d: None) == []
    for name in shipped_profiles():
        assert lint(name) == [], name


def _midi(d: dict) -> dict:
    return d["wires"]["midi"]["parameters"]


def _param(d: dict, name: str = "gain_db") -> dict:
    return d["parameters"][name]


MISTAKES = [
    # (what is wrong, the change that makes it, the field named, the words that say what is wrong)
    ("no encoding on a declared wire", lambda d: d["wires"]["osc"]["parameters"].pop("mode"),
     "profile", "profile: wires.osc does not say how to send mode"),
    ("300 detents on a 7-bit CC", lambda d: _param(d).update(range=[0, 300], step=1, default=0, neutral=0),
     "wires.midi.parameters.gain_db", "a 7-bit MIDI value carries at most 128 positions; use cc14 or nrpn"),
    ("a default outside the range", lambda d: _param(d).update(default=12),
     "parameters.gain_db.default", "allowed: -10 to 10 dB in 0.5 dB steps"),
    ("a default between detents", lambda d: _param(d).update(default=0.3),
     "parameters.gain_db.default", "0.3 is not on a detent; it would be set to +0.5 dB"),
    ("a neutral value between detents", lambda d: _param(d).update(neutral=-0.2),
     "parameters.gain_db.neutral", "-0.2 is not on a detent; it would be set to 0"),
    ("two parameters on one CC", lambda d: _midi(d)["mode"].update(cc=20),
     "wires.midi.parameters.mode", "CC 20 is also used by gain_db"),
    ("a 14-bit CC whose LSB is another's CC", lambda d: _midi(d).update(gain_db={"cc14": 1}, mode={"cc": 33}),
     "wires.midi.parameters.mode", "CC 33 is also used by gain_db"),
    ("two parameters on one NRPN", lambda d: _midi(d).update(gain_db={"nrpn": 300}, mode={"nrpn": 300}),
     "wires.midi.parameters.gain_db", "NRPN 300 is also used by mode"),
    ("a CC that NRPN messages use", lambda d: _midi(d).update(gain_db={"nrpn": 300}, mode={"cc": 6}),
     "wires.midi.parameters.mode.cc", "CC 6 is part of every NRPN message"),
    ("two parameters on one SysEx address",
     lambda d: d["wires"]["midi"].update(sysex={}) or _midi(d)["gain_db"].update(sysex_address=[1, 2])
     or _midi(d)["mode"].update(sysex_address=[1, 2]),
     "wires.midi.parameters.mode.sysex_address", "SysEx address 01 02 is also used by gain_db"),
    ("a SysEx address with no SysEx header", lambda d: _midi(d)["mode"].update(sysex_address=[1, 3]),
     "wires.midi.parameters.mode.sysex_address", "wires.midi.sysex (maker, device, model) is not given"),
    ("a SysEx address on some parameters only",
     lambda d: d["wires"]["midi"].update(sysex={}) or _midi(d)["mode"].update(sysex_address=[1, 3]),
     "wires.midi.parameters.gain_db.sysex_address", "the unit cannot be read back at all"),
    ("two parameters on one OSC address", lambda d: d["wires"]["osc"]["parameters"]["mode"].update(address="/gain"),
     "wires.osc.parameters.mode.address", "address /gain is also used by gain_db"),
    ("an OSC address that is the query address",
     lambda d: d["wires"]["osc"]["parameters"]["gain_db"].update(address="/get"),
     "wires.osc.parameters.gain_db.address", "/get is the query_address"),
    ("an OSC int for a continuous value",
     lambda d: _param(d).pop("step") and d["wires"]["osc"]["parameters"]["gain_db"].update(arg="int"),
     "wires.osc.parameters.gain_db.arg", "an OSC int carries whole numbers: allowed: -10 to 10 dB would be rounded"),
    ("two parameters on one serial code", lambda d: d["wires"]["serial"]["parameters"]["mode"].update(code="GAIN"),
     "wires.serial.parameters.mode.code", "code GAIN is also used by gain_db"),
    ("two parameters on one binary id",
     lambda d: d["wires"]["serial"].update(framing="binary", parameters={"gain_db": {"id": 4}, "mode": {"id": 4}}),
     "wires.serial.parameters.gain_db.id", "id 4 is also used by mode"),
    ("a detent number sent for a continuous value",
     lambda d: _param(d).pop("step") and d["wires"]["serial"]["parameters"]["gain_db"].update(send="index")
     or d["wires"].pop("midi"),
     "wires.serial.parameters.gain_db.send", "'index' sends the detent number, and this control has no detents"),
    ("no panel marking", lambda d: _param(d, "mode").pop("label"),
     "parameters.mode.label", "missing: a recall sheet shows the panel's marking"),
    ("a sheet counting steps of a continuous knob", lambda d: _param(d).pop("step") and _param(d).update(sheet="step"),
     "parameters.gain_db.sheet", "'step' needs detents"),
]


@pytest.mark.parametrize(("change", "field", "problem"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_kind_of_mistake_is_one_line_naming_the_file_the_field_and_what_is_wrong(
        tmp_path: Path, change: Callable[[dict], object], field: str, problem: str) -> None:
    lines = _lint(tmp_path, change)
    path = tmp_path / "unit.yaml"
    matching = [line for line in lines if line.startswith(f"{path}: {field}") and problem in line]
    assert matching, lines
    assert all("\n" not in line for line in lines)


def test_300_detents_fit_on_an_nrpn(tmp_path: Path) -> None:
    assert _lint(tmp_path, lambda d: _param(d).update(range=[0, 300], step=1, default=0, neutral=0)
                 or _midi(d).update(gain_db={"nrpn": 300})) == []


def test_the_command_prints_every_finding_and_exits_2(tmp_path: Path) -> None:
    data = _clean()
    _midi(data)["mode"].update(cc=20)
    _param(data, "mode").pop("label")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "hybrid", "devices", "lint", str(bad), "tube-color"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    lines = run.stdout.splitlines()
    assert f"{bad}: wires.midi.parameters.mode: CC 20 is also used by gain_db" in lines
    assert f"{bad}: wires.midi.parameters.gain_db: CC 20 is also used by mode" in lines
    assert any(line.startswith(f"{bad}: parameters.mode.label: missing") for line in lines)
    assert "tube-color: clean" in lines
    as_json = subprocess.run([sys.executable, "-m", "hybrid", "devices", "lint", "--json", str(bad)],
                             capture_output=True, text=True, timeout=60)
    assert as_json.returncode == 2
    found = json.loads(as_json.stdout)[str(bad)]
    assert {"file": str(bad), "field": "wires.midi.parameters.mode", "problem": "CC 20 is also used by gain_db"} in found
    ok = subprocess.run([sys.executable, "-m", "hybrid", "devices", "lint", *shipped_profiles()],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_every_refusal_of_the_loader_is_listed_not_only_the_first(tmp_path: Path) -> None:
    lines = _lint(tmp_path, lambda d: _param(d).update(default=12, neutral=-11)
                  or _param(d, "mode").update(positions=[f"p{i}" for i in range(200)], default="p0")
                  or d["wires"]["serial"].update(framing="binary"))
    path = tmp_path / "unit.yaml"
    for field in ("parameters.gain_db.default", "parameters.gain_db.neutral", "wires.midi.parameters.mode",
                  "wires.serial.parameters.gain_db.id", "wires.serial.parameters.mode.id"):
        assert any(line.startswith(f"{path}: {field}: ") for line in lines), (field, lines)
