"""`hybrid devices ports|profiles|read`."""

from __future__ import annotations

import json

import pytest

from devices.station import open_station
from hybrid.cli import main


def test_ports_lists_midi_serial_and_audio_and_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "ports", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"midi", "serial", "audio"}
    assert report["midi"]["available"] is True
    assert "jack" in report["midi"]["apis"]  # python-rtmidi here is built with ALSA and JACK
    for api in report["midi"]["apis"].values():
        assert ("outputs" in api and "inputs" in api) or api["error"]
    assert isinstance(report["serial"]["ports"], list)
    if not report["audio"]["available"]:
        assert "apt-get install libportaudio2" in report["audio"]["why"]
    assert main(["devices", "ports"]) == 0
    text = capsys.readouterr().out
    assert "MIDI:" in text and "Serial:" in text and "Audio:" in text


def test_a_running_twins_pty_shows_among_the_serial_ports(capsys: pytest.CaptureFixture[str]) -> None:
    with open_station(audio=False) as st:
        main(["devices", "ports", "--json"])
        links = json.loads(capsys.readouterr().out)["serial"]["simulated_links"]
        assert any(link.endswith("sim-studio/comp.tty") for link in links)
        assert st.sim.address("comp").startswith("/dev/pts/")


def test_profiles_lists_every_control_with_what_it_allows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "profiles", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["vca-bus-comp"]["parameters"]["release_s"] == "allowed steps: 0.1, 0.3, 0.6, 1.2, auto (s)"
    assert out["tube-color"]["wires"] == ["midi", "manual"]


def test_read_reports_what_each_unit_says(capsys: pytest.CaptureFixture[str]) -> None:
    with open_station(audio=False) as st:
        st.recall({"color": {"mode": "warm", "drive_db": 5}})
    assert main(["devices", "read", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["units"]["color"]["mode"] == "warm" and out["units"]["color"]["drive_db"] == 5.0
    assert out["units"]["pultec"] is None
