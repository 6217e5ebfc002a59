"""Calibration records on disk: per rig, rate and block, atomic, and refused clearly when broken."""

from __future__ import annotations

import json

import pytest

import calibration
from calibration.record import CalibrationRecord
from calibration.store import load, record_path, save
from devices.errors import CalibrationError
from devices.paths import state_dir
from tests.calibration.test_measure import sim


def test_a_record_round_trips_through_json_with_the_contract_keys() -> None:
    record = calibration.measure(sim(), rig_name="sim-studio")
    path = save(record)
    assert path == state_dir() / "calibration" / "sim-studio" / "48000-256.json"
    data = json.loads(path.read_text())
    for key in ("rig", "sample_rate", "block_size", "measured_at", "latency_samples", "confidence",
                "polarity_inverted", "channels", "response"):
        assert key in data
    assert set(data["channels"][0]) >= {"send", "return", "gain_db", "latency_samples", "polarity_inverted"}
    assert data["measured_at"].endswith("+00:00")
    assert load("sim-studio", 48000, 256) == record
    assert CalibrationRecord.from_dict(record.to_dict()) == record
    assert [p.name for p in path.parent.iterdir()] == ["48000-256.json"]  # no temp files left behind


def test_records_are_kept_apart_by_rate_and_block_size() -> None:
    save(calibration.measure(sim(block=256), rig_name="a"))
    assert load("a", 48000, 512) is None
    assert load("a", 44100, 256) is None
    assert load("b", 48000, 256) is None
    assert load("a", 48000, 256) is not None


def test_an_unreadable_record_names_the_file_and_the_fix() -> None:
    path = record_path("a", 48000, 256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"rig": "a", "latency_samples": "lots"}')
    with pytest.raises(CalibrationError, match=r"48000-256\.json.*hybrid calibrate --rig a"):
        load("a", 48000, 256)
    path.write_text("{not json")
    with pytest.raises(CalibrationError, match="unreadable"):
        load("a", 48000, 256)
