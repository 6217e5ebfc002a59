"""Units on the sim studio's real wires: recall, read-back proof, refusals before sending, failures named."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devices.errors import ConfigError, RecallError, TransportError
from devices.profile import SettingError
from devices.recall_sheet import RecallSheet
from devices.rig import load_rig
from devices.station import Station, open_station

APPROVED = {
    "eq": {"low_shape": "shelf", "low_freq_hz": 40, "low_gain_db": 1.0, "lowmid_freq_hz": 220,
           "lowmid_gain_db": -1.5, "lowmid_q": 1.0, "highmid_freq_hz": 3300, "highmid_gain_db": 0.5,
           "highmid_q": 0.7, "high_shape": "shelf", "high_freq_hz": 12000, "high_gain_db": 1.5, "output_db": -0.4,
           "bypass": "off"},
    "comp": {"threshold_db": -14, "ratio": 2, "attack_ms": 10, "release_s": "auto", "makeup_db": 2,
             "sidechain_hpf_hz": 90, "mix_pct": 100, "bypass": "off"},
    "color": {"drive_db": 4, "tilt_db": 0.5, "air_db": 1.25, "output_db": -1.2, "mode": "warm", "bypass": "off"},
    "pultec": {"low_freq_hz": 60, "low_boost": 3, "low_atten": 2, "high_freq_hz": 10000, "high_boost": 2,
               "bandwidth": 6, "atten_freq_hz": 20000, "high_atten": 1, "bypass": "in"},
}


@pytest.fixture()
def station() -> Iterator[Station]:
    sheets: list[RecallSheet] = []
    with open_station(load_rig(), confirm_manual=lambda sheet: sheets.append(sheet) or True, audio=False) as st:
        st.sheets = sheets  # type: ignore[attr-defined]
        yield st


def _impatient(station: Station, unit: str) -> None:
    """A short timeout for a test that expects a unit to stay silent (the default 0.5 s would only slow it).

    Only silence: a garbled or wrong answer must still arrive in time on a loaded machine.
    """
    station.units[unit].remote.transport.timeout_s = 0.05


def _float_or_name(settings: dict) -> dict:
    return {k: (float(v) if not isinstance(v, str) else v) for k, v in settings.items()}


def test_recall_sends_every_parameter_and_reads_each_back(station: Station) -> None:
    reports = station.recall(APPROVED)
    assert list(reports) == ["eq", "comp", "color", "pultec"]  # the operator is asked last
    for name in ("eq", "comp", "color"):
        report = reports[name]
        assert report.verified
        assert report.sent == _float_or_name(APPROVED[name])
        assert report.read_back == report.sent
        assert station.sim.twins[name].panel.settings() == report.sent
    assert reports["pultec"].read_back is None and not reports["pultec"].verified
    # the operator turned the simulated knobs when confirming the sheet
    assert station.sim.twins["pultec"].panel.settings() == _float_or_name(APPROVED["pultec"])
    assert "LOW BOOST           step 4 of 11 (3)" in station.sheets[0].text()


def test_a_unit_that_reports_the_wrong_value_fails_the_recall_naming_what_was_sent_and_read(station: Station) -> None:
    station.sim.twins["comp"].fault = "wrong_value"
    with pytest.raises(RecallError) as caught:
        station.recall({"comp": APPROVED["comp"]})
    message = str(caught.value)
    assert message.startswith(f"unit 'comp' on serial {station.sim.address('comp')} (38400 8N1) did not take "
                              "the recall: parameter 'threshold_db': sent -14 dB, read -13.5 dB (and 7 more: ")
    assert "parameter 'release_s': sent auto, read 1.2 s" in message


@pytest.mark.parametrize("unit", ["eq", "comp", "color"])
def test_a_silent_unit_gives_one_error_naming_unit_and_port(station: Station, unit: str) -> None:
    station.sim.twins[unit].fault = "silent"
    _impatient(station, unit)
    with pytest.raises(TransportError) as caught:
        station.recall({unit: APPROVED[unit]})
    assert str(caught.value).startswith(f"unit {unit!r} on {station.units[unit].remote.transport.address}: "
                                        "no answer within 0.05 s")
    assert "after 3 tries" in str(caught.value)


@pytest.mark.parametrize("unit", ["eq", "comp", "color"])
def test_a_garbled_reply_is_an_error_naming_the_unit(station: Station, unit: str) -> None:
    station.sim.twins[unit].fault = "garbled"
    with pytest.raises(TransportError, match=rf"^unit '{unit}' on .*garbled"):
        station.recall({unit: APPROVED[unit]})


@pytest.mark.parametrize(
    ("settings", "error", "text"),
    [
        ({"eq": {"high_gain_db": 7.0}}, SettingError,
         "unit 'eq', parameter 'high_gain_db': 7.0 is not allowed; allowed: -6 to 6 dB in 0.5 dB steps"),
        ({"comp": {"ratio": "infinite"}}, SettingError, "unit 'comp', parameter 'ratio': 'infinite' is not allowed"),
        ({"color": {"sparkle": 3}}, SettingError, "unit 'color', parameter 'sparkle'"),
        ({"pultec": {"low_boost": 11}}, SettingError, "unit 'pultec', parameter 'low_boost': 11"),
        ({"delay": {"time_ms": 3}}, ConfigError, "units: 'delay' is not allowed; rig 'sim-studio' has units: eq, comp"),
    ],
)
def test_wrong_settings_are_refused_before_anything_is_sent(station: Station, settings: dict, error: type,
                                                            text: str) -> None:
    everything = {name: dict(values) for name, values in APPROVED.items()}
    everything.update(settings) if "delay" in settings else [everything[u].update(s) for u, s in settings.items()]
    before = {name: twin.received for name, twin in station.sim.twins.items()}
    with pytest.raises(error) as caught:
        station.recall(everything)
    assert text in str(caught.value)
    assert {name: twin.received for name, twin in station.sim.twins.items()} == before
    assert station.sheets == []


def test_a_manual_unit_needs_a_confirmation() -> None:
    with open_station(load_rig(), confirm_manual=None, audio=False) as st:
        with pytest.raises(RecallError, match="unit 'pultec' is recalled by hand: .* or pass --yes"):
            st.recall({"pultec": APPROVED["pultec"]})
    with open_station(load_rig(), confirm_manual=lambda sheet: False, audio=False) as st:
        with pytest.raises(RecallError, match="the operator did not confirm the recall sheet"):
            st.recall({"pultec": APPROVED["pultec"]})
        assert st.sim.twins["pultec"].panel.settings()["low_boost"] == 0.0  # nobody turned a knob


def test_values_between_detents_are_snapped_and_noted(station: Station) -> None:
    report = station.recall({"eq": {**APPROVED["eq"], "high_freq_hz": 11000}})["eq"]
    assert report.sent["high_freq_hz"] == 10000.0
    assert any("11000 is between the detents 10 kHz and 12 kHz; snapped to 10 kHz" in note for note in report.notes)


def test_an_interrupted_recall_puts_the_unit_back_where_it_was(station: Station, monkeypatch) -> None:
    station.recall({"comp": APPROVED["comp"]})
    unit = station.units["comp"]
    real_set = unit.remote.set
    calls = {"n": 0}

    def set_then_ctrl_c(param, value):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:  # Ctrl-C arrives in the middle of the recall
            raise KeyboardInterrupt
        real_set(param, value)

    monkeypatch.setattr(unit.remote, "set", set_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        unit.recall({"threshold_db": -3, "ratio": 10, "attack_ms": 0.1, "release_s": 0.1, "makeup_db": 9,
                     "sidechain_hpf_hz": "off", "mix_pct": 30})
    assert station.sim.twins["comp"].panel.settings() == _float_or_name(APPROVED["comp"])


def test_a_failed_recall_is_undone_on_close(station: Station) -> None:
    station.recall({"eq": APPROVED["eq"]})
    twin = station.sim.twins["eq"]
    twin.fault = "wrong_value"
    with pytest.raises(RecallError):
        station.recall({"eq": {**APPROVED["eq"], "high_gain_db": 6.0}})
    assert twin.panel.get("high_gain_db") == 6.0  # the unit took it, but could not prove it
    twin.fault = None
    station.units["eq"].close()
    # OSC sets are not acknowledged: give the twin a moment to take the datagrams already sent
    deadline = time.monotonic() + 2
    while twin.panel.settings() != _float_or_name(APPROVED["eq"]) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert twin.panel.settings() == _float_or_name(APPROVED["eq"])


def test_read_returns_what_the_unit_reports(station: Station) -> None:
    station.recall({"color": APPROVED["color"]})
    assert station.units["color"].read() == _float_or_name(APPROVED["color"])
    with pytest.raises(RecallError, match="unit 'pultec' .* cannot be read back"):
        station.units["pultec"].read()


def test_the_traffic_log_shows_what_went_out_and_came_back(station: Station) -> None:
    station.recall({"comp": {"ratio": 4}})
    lines = station.units["comp"].traffic()
    assert any("comp -> 'SET RAT 4\\r'" in line for line in lines)
    assert any("comp <- 'OK' (" in line and " ms)" in line for line in lines)
    assert any("comp <- 'RAT=4'" in line for line in lines)


def test_neutral_settings_cover_every_unit_and_recall_quickly(station: Station) -> None:
    neutral = station.neutral_settings()
    assert list(neutral) == ["eq", "comp", "color", "pultec"]
    assert neutral["comp"]["mix_pct"] == 0.0 and neutral["eq"]["high_gain_db"] == 0.0
    reports = station.recall_neutral()
    assert all(reports[name].verified for name in ("eq", "comp", "color"))
    assert station.sim.twins["pultec"].panel.settings() == neutral["pultec"]
