"""Profiles: the shipped models load, values snap to detents and say so, bad values and files are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devices.errors import ConfigError
from devices.profile import SettingError, load_profile, shipped_profiles
from devices.profile_schema import PROFILE_SPEC

SHIPPED = ["passive-eq-manual", "stepped-eq-4band", "tube-color", "vca-bus-comp"]


def test_the_four_profiles_of_the_sim_studio_are_shipped_with_their_wires() -> None:
    assert shipped_profiles() == SHIPPED
    assert load_profile("stepped-eq-4band").wire_kinds() == ["osc", "manual"]
    assert load_profile("vca-bus-comp").wire_kinds() == ["serial", "manual"]
    assert load_profile("tube-color").wire_kinds() == ["midi", "manual"]
    assert load_profile("passive-eq-manual").wire_kinds() == ["manual"]


@pytest.mark.parametrize("name", SHIPPED)
def test_defaults_and_neutral_settings_are_positions_of_every_control(name: str) -> None:
    profile = load_profile(name)
    for settings in (profile.defaults(), profile.neutral()):
        assert list(settings) == list(profile.parameters)
        for param, value in settings.items():
            assert profile.coerce(param, value) == (value, None)


def test_a_value_between_detents_snaps_to_the_nearest_and_says_so() -> None:
    eq = load_profile("stepped-eq-4band")
    value, note = eq.coerce("high_freq_hz", 11000, "eq")
    assert value == 10000.0
    assert note is not None and "'eq'" in note and "high_freq_hz" in note and "11000" in note and "10 kHz" in note
    assert eq.coerce("high_gain_db", 1.3, "eq")[0] == 1.5
    assert eq.coerce("high_gain_db", 1.5, "eq") == (1.5, None)
    # 0.1 dB steps come out as the panel prints them, not as float noise
    assert eq.coerce("output_db", 0.3)[0] == 0.3


def test_named_positions_and_mixed_steps() -> None:
    comp = load_profile("vca-bus-comp")
    assert comp.coerce("release_s", "auto") == ("auto", None)
    assert comp.coerce("release_s", 0.5)[0] == 0.6
    # YAML 1.1 reads a bare `off` as False: it means the position "off"
    assert comp.coerce("sidechain_hpf_hz", False) == ("off", None)


@pytest.mark.parametrize(
    ("param", "value", "allowed"),
    [
        ("low_gain_db", 9.0, "allowed: -6 to 6 dB in 0.5 dB steps"),
        ("low_gain_db", -6.5, "allowed: -6 to 6 dB in 0.5 dB steps"),
        ("high_freq_hz", 40000, "allowed steps: 2200, 3300"),
        ("high_shape", "notch", "allowed positions: shelf, bell"),
        ("low_gain_db", "loud", "allowed: -6 to 6 dB"),
        ("low_gain_db", True, "allowed: -6 to 6 dB"),
        ("low_gain_db", float("nan"), "allowed: -6 to 6 dB"),
        ("no_such_knob", 1.0, "no such parameter; profile 'stepped-eq-4band' has: low_shape"),
    ],
)
def test_refusals_name_unit_parameter_value_and_what_is_allowed(param: str, value: object, allowed: str) -> None:
    eq = load_profile("stepped-eq-4band")
    with pytest.raises(SettingError) as caught:
        eq.coerce(param, value, "eq")
    message = str(caught.value)
    assert message.startswith(f"unit 'eq', parameter '{param}': ")
    assert allowed in message
    assert isinstance(caught.value, ConfigError)


def test_validate_checks_every_setting_before_returning() -> None:
    eq = load_profile("stepped-eq-4band")
    settings, notes = eq.validate({"low_gain_db": 1.2, "high_shape": "bell"}, "eq")
    assert settings == {"low_gain_db": 1.0, "high_shape": "bell"}
    assert len(notes) == 1
    with pytest.raises(SettingError, match="'high_shape'"):
        eq.validate({"low_gain_db": 1.0, "high_shape": "peak"}, "eq")


def test_markings_read_like_the_panel() -> None:
    eq = load_profile("stepped-eq-4band")
    assert eq.parameters["high_freq_hz"].marking(2200.0) == "2.2 kHz"
    assert eq.parameters["low_freq_hz"].marking(60.0) == "60 Hz"
    assert eq.parameters["high_gain_db"].marking(1.5) == "+1.5 dB"
    assert load_profile("vca-bus-comp").parameters["ratio"].marking(4.0) == "4:1"
    boost = load_profile("passive-eq-manual").parameters["low_boost"]
    assert boost.sheet_marking(6.0) == "step 7 of 11 (6)"


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _minimal() -> dict:
    return {"spec": 1, "model": "Test box",
            "parameters": {"gain_db": {"unit": "dB", "range": [-10, 10], "step": 1, "default": 0}},
            "wires": {"osc": {"parameters": {"gain_db": {"address": "/gain"}}},
                      "midi": {"parameters": {"gain_db": {"cc": 7}}}}}


def test_a_newer_profile_spec_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data = _minimal()
    data["spec"] = PROFILE_SPEC + 1
    data["future_field"] = {"anything": 1}  # a newer file may say things this version cannot read
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert str(caught.value) == (f"{path}: spec: {PROFILE_SPEC + 1} is not allowed; this hybrid reads profile "
                                 f"spec {PROFILE_SPEC} or older; update hybrid to use it")


@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        (lambda d: d["parameters"]["gain_db"].update(colour="red"), "parameters.gain_db.colour", "unknown key"),
        (lambda d: d["parameters"]["gain_db"].update(steps=[1, 2]), "parameters.gain_db",
         "give exactly one of range, steps or positions"),
        (lambda d: d["parameters"]["gain_db"].update(default=11), "parameters.gain_db.default",
         "allowed: -10 to 10 dB in 1 dB steps"),
        (lambda d: d["wires"]["osc"]["parameters"].pop("gain_db"), "", "wires.osc does not say how to send gain_db"),
        (lambda d: d["parameters"]["gain_db"].update(step=3), "parameters.gain_db.range",
         "not a whole number of 3.0 steps"),
        (lambda d: d["parameters"]["gain_db"].update(step=0.1), "wires.midi.parameters.gain_db",
         "a 7-bit MIDI value carries at most 128 positions; use cc14 or nrpn"),
        (lambda d: d["parameters"].update(shape={"positions": ["a", "b"], "default": "a"}) or
         d["wires"]["osc"]["parameters"].update(shape={"address": "/shape"}) or
         d["wires"]["midi"]["parameters"].update(shape={"program": True}), "wires.osc.parameters.shape.arg",
         "named positions travel as arg: string or arg: int"),
        (lambda d: d["parameters"]["gain_db"].pop("step") and
         d["wires"]["midi"]["parameters"]["gain_db"].update(cc=None, program=True), "wires.midi.parameters.gain_db",
         "program change carries stepped controls only"),
    ],
)
def test_a_broken_profile_names_the_file_and_the_field(tmp_path: Path, change, field: str, allowed: str) -> None:
    data = _minimal()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert field in message
    assert allowed in message


def test_an_unknown_shipped_name_lists_the_shipped_profiles() -> None:
    with pytest.raises(ConfigError, match="shipped profiles: passive-eq-manual, stepped-eq-4band"):
        load_profile("la-2a")


def test_a_profile_that_does_not_speak_the_rigs_wire_says_which_it_speaks() -> None:
    with pytest.raises(ConfigError, match="profile 'vca-bus-comp' speaks: serial, manual"):
        load_profile("vca-bus-comp").encoding("osc")


def test_the_manual_wire_is_declared_as_manual_empty(tmp_path: Path) -> None:
    data = _minimal()
    data["wires"] = {"manual": {}}
    assert load_profile(_write(tmp_path, data)).wire_kinds() == ["manual"]
    data["wires"] = {"osc": {"parameters": {"gain_db": {"address": "/gain"}}}, "manual": {}}
    other = tmp_path / "other"
    other.mkdir()
    assert load_profile(_write(other, data)).wire_kinds() == ["osc", "manual"]
    # the shipped hand-recalled unit says so in its file
    assert load_profile("passive-eq-manual").data.wires.manual is not None


def test_the_manual_wire_takes_no_settings(tmp_path: Path) -> None:
    data = _minimal()
    data["wires"] = {"manual": {"parameters": {}}}
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: wires.manual.parameters")
    assert "unknown key" in str(caught.value)
