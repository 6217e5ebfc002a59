"""`hybrid calibrate`: measures the sim studio on bypass, stores the record, prints JSON, a table, a plot."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calibration import store
from devices.profile import load_profile
from devices.rig import load_rig
from hybrid.cli import main


def test_json_gives_latency_confidence_polarity_and_channels_and_stores_the_record(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["calibrate", "--json", "--yes"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)  # exactly one JSON document on stdout
    rig = load_rig()
    # the converters' latency, one block of driver buffering, and each unit's own latency
    units_samples = sum((load_profile(u.profile).sim.latency_ms if load_profile(u.profile).sim else 0.0)
                        for u in rig.units) * 48000 / 1000
    assert data["latency_samples"] == pytest.approx(83.37 + 256 + units_samples, abs=0.05)
    assert isinstance(data["latency_samples"], float)
    assert data["confidence"] > 0.99 and data["polarity_inverted"] is False
    assert [(c["send"], c["return"]) for c in data["channels"]] == [(3, 5), (4, 6)]
    assert [c["gain_db"] for c in data["channels"]] == pytest.approx([0.27, -0.18], abs=0.05)
    assert data["units_left_at"] == "bypass"
    assert store.load(store.rig_key(rig), 48000, 256).latency_samples == data["latency_samples"]
    assert Path(data["stored"]).is_file()


def test_the_table_and_the_plot(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rig = tmp_path / "bare.yaml"
    rig.write_text("spec: 1\nname: bare\ninterface: {backend: sim, latency_samples: 10.5, gain_error_db: [-1.0, 2.0],"
                   " send_channels: [1, 2], return_channels: [7, 8]}\n")
    plot = tmp_path / "loop.png"
    assert main(["calibrate", "--rig", str(rig), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "latency 266.500 samples" in out
    assert re.search(r"^\s+1\s+7\s+-1\.000 dB\s+266\.500\s", out, re.M)
    assert re.search(r"^\s+2\s+8\s+\+2\.000 dB\s+266\.500\s", out, re.M)
    assert "left on bypass" not in out  # no units in this rig
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10000


def test_a_manual_unit_needs_yes_when_nobody_is_at_the_terminal(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["calibrate"]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("hybrid: unit 'pultec'") and "--yes" in last
    assert store.load(store.rig_key(load_rig()), 48000, 256) is None  # nothing measured, nothing stored


def test_bad_rig_and_bad_plot_name_are_one_clear_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rig = tmp_path / "bad.yaml"
    rig.write_text("spec: 1\nname: bad\ninterface: {backend: sim, latency_samples: -3, gain_error_db: [0, 0]}\n")
    assert main(["calibrate", "--rig", str(rig)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: interface.latency_samples: -3" in err
    assert main(["calibrate", "--plot", str(tmp_path / "x.jpg")]) == 2
    assert "--plot" in capsys.readouterr().err
    assert not (tmp_path / "x.jpg").exists()


@pytest.mark.jack
def test_calibrate_a_real_interface_through_jack(jack_loop, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rig = tmp_path / "jack.yaml"
    rig.write_text("spec: 1\nname: jack-desk\ninterface: {backend: sounddevice, device: hybrid_loop, host_api: JACK,"
                   " block_size: 256, channels_out: 8, channels_in: 8, send_channels: [3, 4],"
                   " return_channels: [5, 6]}\n")
    assert main(["calibrate", "--rig", str(rig), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    base = jack_loop.server.period + 256
    assert [c["latency_samples"] for c in data["channels"]] == pytest.approx([1000 + base, 1003 + base], abs=0.01)
    assert [c["gain_db"] for c in data["channels"]] == pytest.approx([-3.0, 1.5], abs=0.02)
    assert [c["polarity_inverted"] for c in data["channels"]] == [False, True]
    assert data["units_left_at"] is None
    assert store.load(store.rig_key(load_rig(rig)), 48000, 256) is not None
