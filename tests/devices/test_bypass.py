"""Hard bypass: each unit's bypass control travels on its own wire, reads back, and takes the circuit out
(the unit then nulls against a plain delay); calibration settings put every unit on bypass."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from scipy import signal

from devices.errors import RecallError
from devices.recall_sheet import RecallSheet
from devices.rig import load_rig
from devices.sound import sound_for
from devices.station import Station, open_station
from dsp.delay import fractional_delay

RATE = 48000
SETTLE = RATE // 2  # the engaged units' coupling capacitors settle well within this
# the tube colour unit's converters (0.52 ms) stay in the path when it is bypassed; no other unit has latency
CHAIN_LATENCY_SAMPLES = 0.52 * RATE / 1000

# settings that colour the sound a lot, so that "bypassed" cannot pass by accident
COLOUR = {
    "eq": {"high_gain_db": 6.0, "low_gain_db": -6.0, "output_db": 2.0},
    "comp": {"mix_pct": 100.0, "threshold_db": -30.0, "ratio": 10.0, "makeup_db": 6.0},
    "color": {"drive_db": 12.0, "mode": "hot", "tilt_db": 3.0},
    "pultec": {"low_boost": 10.0, "high_boost": 6.0},
}
# what each wire carries for "bypass on", as its traffic log shows it
WIRE_MESSAGES = {
    "eq": ["-> /eq/bypass 1", "<- /eq/bypass 1"],  # OSC int, read back through /eq/get
    "comp": ["-> 'SET BYP ON\\r'", "-> 'GET BYP\\r'", "<- 'BYP=ON'"],  # ASCII serial
    "color": ["-> control_change channel=2 control=22 value=1",  # CC 22 on MIDI channel 3
              "-> sysex F0 41 10 00 6A 11 10 00 0A 00 00 02 64 F7",  # RQ1 for address 10 00 0A
              "<- sysex F0 41 10 00 6A 12 10 00 0A 00 01 65 F7"],  # DT1: position 1 (on)
}


def _programme(seconds: float = 1.5, seed: int = 11) -> np.ndarray:
    """Stereo noise, 20 Hz-20 kHz, at -18 dBFS RMS: loud enough that a saturating stage would show."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(seconds * RATE), 2))
    x = signal.sosfiltfilt(signal.butter(8, [20, 20000], "bandpass", fs=RATE, output="sos"), x, axis=0)
    return x * 10 ** (-18 / 20) / np.sqrt(np.mean(x ** 2))


AUDIO = _programme()


def null_db(got: np.ndarray, want: np.ndarray) -> float:
    """RMS of got - want relative to want, after the start-up and before the end (the delay's tail)."""
    middle = slice(SETTLE, -4800)
    return float(10 * np.log10(np.mean((got - want)[middle] ** 2) / np.mean(want[middle] ** 2)))


@pytest.fixture(scope="module")
def station() -> Iterator[Station]:
    sheets: list[RecallSheet] = []
    with open_station(load_rig(), confirm_manual=lambda sheet: sheets.append(sheet) or True, audio=False,
                      persist=False) as st:
        st.sheets = sheets  # type: ignore[attr-defined]
        yield st


def _chain(station: Station, unit: str, bypassed: bool) -> np.ndarray:
    """One unit coloured (bypassed or not) over its wire, every other unit bypassed; AUDIO through the chain."""
    settings = station.bypass_settings()
    settings[unit].update(COLOUR[unit])
    if not bypassed:
        settings[unit]["bypass"] = station.units[unit].profile.defaults()["bypass"]
    station.recall(settings)
    station.sim.reset()
    return station.sim.process(AUDIO, RATE)


def test_bypass_settings_put_every_unit_on_bypass_and_the_rest_at_neutral(station: Station) -> None:
    settings = station.bypass_settings()
    assert {name: s["bypass"] for name, s in settings.items()} == {
        "eq": "on", "comp": "on", "color": "on", "pultec": "out"}
    for name, unit in station.units.items():
        assert {k: v for k, v in settings[name].items() if k != "bypass"} == {
            k: v for k, v in unit.profile.neutral().items() if k != "bypass"}
        # out of the box every unit is in circuit
        assert unit.profile.defaults()["bypass"] in ("off", "in")
        assert not unit.profile.is_bypassed(unit.profile.defaults())
        assert unit.profile.is_bypassed(settings[name])


@pytest.mark.parametrize("unit", ["eq", "comp", "color"])
def test_bypass_travels_on_each_wire_and_reads_back(station: Station, unit: str) -> None:
    reports = station.recall_bypass()
    assert reports[unit].verified and reports[unit].read_back["bypass"] == "on"
    assert station.sim.twins[unit].panel.get("bypass") == "on"  # the twin holds only what the wire carried
    traffic = "\n".join(station.units[unit].traffic())
    for message in WIRE_MESSAGES[unit]:
        assert message in traffic
    assert station.units[unit].read()["bypass"] == "on"


@pytest.mark.parametrize("unit", ["eq", "comp", "color"])
def test_a_unit_that_misreports_its_bypass_fails_the_recall(station: Station, unit: str) -> None:
    twin = station.sim.twins[unit]
    twin.fault = "wrong_value"
    try:
        with pytest.raises(RecallError, match="parameter 'bypass': sent on, read off"):
            station.recall({unit: {**station.bypass_settings()[unit]}})
    finally:
        twin.fault = None


def test_the_manual_units_in_out_toggle_is_on_its_recall_sheet(station: Station) -> None:
    station.recall_bypass()
    sheet = station.sheets[-1].text()  # type: ignore[attr-defined]
    line = next(line for line in sheet.splitlines() if "IN/OUT" in line)
    assert line.split()[-1] == "out"
    assert station.sim.twins["pultec"].panel.get("bypass") == "out"  # the operator flipped it


@pytest.mark.parametrize("unit", ["eq", "comp", "color", "pultec"])
def test_a_bypassed_unit_nulls_against_a_plain_delay_and_an_engaged_one_does_not(station: Station,
                                                                                 unit: str) -> None:
    plain = fractional_delay(AUDIO, CHAIN_LATENCY_SAMPLES)
    # the same coloured settings, relay in: only the tube unit's converter latency is left
    assert null_db(_chain(station, unit, bypassed=True), plain) < -100.0
    # relay out: the unit's filters, dynamics and saturation are in the path
    assert null_db(_chain(station, unit, bypassed=False), plain) > -35.0


@pytest.mark.parametrize("unit", ["eq", "comp", "pultec"])
def test_a_bypassed_analog_unit_passes_the_samples_untouched_and_adds_no_noise(station: Station, unit: str) -> None:
    profile = station.sim.twins[unit].profile
    settings = {**profile.neutral(), **COLOUR[unit], "bypass": profile.bypass_position()}
    sound = sound_for(profile, settings, RATE, 2, np.random.default_rng(1))
    assert np.array_equal(sound.process(AUDIO), AUDIO)
    assert not np.any(sound.process(np.zeros((RATE, 2))))  # an engaged unit hisses at -110..-118 dBFS


def test_the_tube_units_converters_stay_when_it_is_bypassed(station: Station) -> None:
    profile = station.sim.twins["color"].profile
    sound = sound_for(profile, {**profile.neutral(), "bypass": "on"}, RATE, 2, np.random.default_rng(1))
    assert sound.latency_samples == pytest.approx(24.96)
    impulse = np.zeros((256, 2))
    impulse[0] = 1.0
    response = sound.process(impulse)[:, 0]
    # a fractional delay: the energy centred 24.96 samples late, unity gain at DC, nothing before it
    centre = np.sum(np.arange(256) * response ** 2) / np.sum(response ** 2)
    assert centre == pytest.approx(24.96, abs=0.05)
    assert np.sum(response) == pytest.approx(1.0, abs=1e-4)
    assert not np.any(sound.process(np.zeros((RATE, 2))))


def test_a_revision_without_a_bypass_key_takes_the_unit_out_of_bypass(station: Station) -> None:
    station.recall_bypass()
    # a revision written before units had a bypass control names only its knobs
    report = station.recall({"eq": {"high_gain_db": 3.0}})["eq"]
    assert report.read_back["bypass"] == "off" and report.verified
    assert any("bypass" in note for note in report.notes)
    station.sim.reset()
    y = station.sim.process(AUDIO, RATE)
    assert null_db(y, fractional_delay(AUDIO, CHAIN_LATENCY_SAMPLES)) > -35.0  # the shelf is in the path


def test_hybrid_calibrate_leaves_the_units_on_bypass_and_says_so(capsys) -> None:  # type: ignore[no-untyped-def]
    from hybrid.cli import main

    assert main(["calibrate", "--yes"]) == 0
    captured = capsys.readouterr()
    assert "recalling 4 unit(s) to bypass" in captured.err
    assert "units left on bypass" in captured.out
    # a later command finds them there, and asks them over their wires
    with open_station(load_rig(), audio=False) as st:
        assert {name: st.units[name].read()["bypass"] for name in ("eq", "comp", "color")} == {
            "eq": "on", "comp": "on", "color": "on"}
        assert st.sim.twins["pultec"].panel.get("bypass") == "out"
