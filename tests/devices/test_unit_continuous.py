"""Continuous controls and log laws: values travel as floats (OSC) or scaled 14-bit numbers (MIDI) and verify
within the wire's resolution."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from devices.errors import RecallError
from devices.profile import load_profile
from devices.rig import MidiWire, OscWire, UnitConfig
from devices.sim.midi_twin import MidiTwin
from devices.sim.osc_twin import OscTwin
from devices.sim.panel import Panel
from devices.unit import Unit

SWEEP = {
    "spec": 1, "model": "Sweep box",
    "parameters": {
        "freq_hz": {"unit": "Hz", "law": "log", "range": [20, 20000], "default": 1000},
        "gain_db": {"unit": "dB", "range": [-12, 12], "default": 0},
        "steps_hz": {"unit": "Hz", "law": "log", "range": [20, 20000], "count": 11, "default": 632.5},
    },
    "wires": {
        "osc": {"query_address": "/get", "parameters": {"freq_hz": {"address": "/f"}, "gain_db": {"address": "/g"},
                                                        "steps_hz": {"address": "/s", "arg": "int"}}},
        "midi": {"sysex": {}, "parameters": {"freq_hz": {"nrpn": 5, "sysex_address": [0, 0, 1]},
                                             "gain_db": {"cc14": 3, "sysex_address": [0, 0, 2]},
                                             "steps_hz": {"cc": 30, "sysex_address": [0, 0, 3]}}},
    },
}


@pytest.fixture()
def sweep(tmp_path: Path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(SWEEP))
    return load_profile(path)


def test_log_detents_and_continuous_controls(sweep) -> None:
    steps = sweep.parameters["steps_hz"].detents
    assert steps[0] == 20.0 and steps[-1] == 20000.0 and len(steps) == 11
    ratios = [b / a for a, b in zip(steps, steps[1:])]
    assert max(ratios) / min(ratios) < 1.001  # evenly spaced on a log scale (to 4 significant digits)
    assert sweep.coerce("freq_hz", 1234.5678) == (1234.5678, None)  # continuous: no snapping
    freq = sweep.parameters["freq_hz"]
    assert freq.to_fraction(math.sqrt(20 * 20000)) == pytest.approx(0.5)
    assert freq.from_fraction(freq.to_fraction(777.7)) == pytest.approx(777.7)


@pytest.mark.parametrize("kind", ["osc", "midi"])
def test_continuous_values_recall_and_verify_within_the_wires_resolution(sweep, kind: str) -> None:
    panel = Panel("sweep", sweep, None)
    if kind == "osc":
        twin = OscTwin("sweep", sweep, panel).start()
        config = UnitConfig(name="sweep", profile="x.yaml", wire=OscWire(kind="osc"))
    else:
        twin = MidiTwin("sweep", sweep, panel, channel=5).start()
        config = UnitConfig(name="sweep", profile="x.yaml", wire=MidiWire(kind="midi", channel=5))
    try:
        with Unit.connect(config, address=twin.address, profile=sweep) as unit:
            report = unit.recall({"freq_hz": 1234.5678, "gain_db": 3.21, "steps_hz": 632.5})
            assert report.verified
            held = twin.panel.settings()
            step_hz = 1234.5678 * math.log(1000) / 16383  # one 14-bit step of a log law, here
            tolerance = {"osc": 1e-3, "midi": step_hz}[kind]
            assert held["freq_hz"] == pytest.approx(1234.5678, abs=tolerance)
            assert held["gain_db"] == pytest.approx(3.21, abs={"osc": 1e-6, "midi": 24 / 16383}[kind])
            assert held["steps_hz"] == 632.5
            twin.fault = "wrong_value"
            with pytest.raises(RecallError, match="parameter 'freq_hz': sent 1.235 kHz, read"):
                unit.recall({"freq_hz": 1234.5678, "gain_db": 3.21, "steps_hz": 632.5})
    finally:
        twin.close()
