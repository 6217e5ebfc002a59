"""Issue 5's null test through the real simulated studio: units recalled over their wires onto hard
bypass, the loop measured, a programme printed and compensated, 90 dB under the source; and, for the
record, the same print with the units engaged at neutral, as deep as their modelled response allows."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from scipy import fft

import calibration
from calibration.record import CalibrationRecord
from devices.rig import load_rig
from devices.station import Station, open_station
from tests.calibration.test_compensate import print_through, programme, residual_db

# The simulated units' electronics each have one series coupling capacitor: a one-pole high-pass
# at 1 Hz (devices/sound.py). At neutral nothing else of theirs is linear colour.
COUPLING_HZ = 1.0
INTERFACE_LATENCY_SAMPLES = 83.37 + 256  # converters plus one block of driver buffering (sim-studio)
TUBE_CONVERTERS_SAMPLES = 24.96  # the tube colour unit's own latency, in the path even when bypassed


@pytest.fixture(scope="module")
def station() -> Iterator[Station]:
    """The embedded sim studio with the interface's noise floor off (-200 dBFS: no noise is drawn)."""
    rig = load_rig()
    rig = rig.model_copy(update={"interface": rig.interface.model_copy(update={"noise_dbfs": -200.0})})
    with open_station(rig, confirm_manual=lambda sheet: True, persist=False, seed=7) as st:
        yield st


@pytest.fixture(scope="module")
def bypass_record(station: Station) -> CalibrationRecord:
    reports = station.recall_bypass()
    assert all(r.verified for name, r in reports.items() if name != "pultec")  # read back over each wire
    return calibration.measure(station.interface, rig_name=station.rig.name)


def test_the_loop_on_bypass_is_the_interface_plus_the_tube_units_converters(bypass_record: CalibrationRecord) -> None:
    expected = INTERFACE_LATENCY_SAMPLES + TUBE_CONVERTERS_SAMPLES
    for channel in bypass_record.channels:
        assert channel.latency_samples == pytest.approx(expected, abs=0.01)
    assert [c.gain_db for c in bypass_record.channels] == pytest.approx([0.27, -0.18], abs=0.02)
    # on bypass the loop is flat: no coupling capacitors rolling off the bottom octave
    for levels in bypass_record.response.channels:
        assert max(abs(v - levels[len(levels) // 2]) for v in levels) < 0.05


def test_a_print_on_bypass_compensated_nulls_90_db_below_the_source(station: Station,
                                                                    bypass_record: CalibrationRecord) -> None:
    station.recall_bypass()
    audio = programme(station.interface.sample_rate, seed=21)
    aligned = print_through(station.interface, audio, bypass_record)
    depth = residual_db(aligned, audio, station.interface.sample_rate)
    print(f"null through the sim studio on bypass: {depth:.1f} dB")
    assert depth < -90.0


def _coupling_null_db(audio: np.ndarray, rate: int, couplings: int) -> float:
    """The residual the coupling capacitors alone leave after gain correction at 1 kHz (20 Hz-20 kHz)."""
    freqs = fft.rfftfreq(audio.shape[0], 1 / rate)
    band = (freqs >= 20) & (freqs <= 20000)
    f = freqs[band]
    response = (1j * f / (1j * f + COUPLING_HZ)) ** couplings
    at_1k = abs((1j * 1000 / (1j * 1000 + COUPLING_HZ)) ** couplings)
    error = np.abs(response / at_1k - 1.0) ** 2
    power = np.abs(fft.rfft(audio, axis=0)[band]) ** 2
    return float(10 * np.log10((error[:, None] * power).sum() / power.sum()))


def test_engaged_at_neutral_the_null_is_what_the_coupling_capacitors_predict(
        station: Station, bypass_record: CalibrationRecord) -> None:
    station.recall_neutral()
    rate = station.interface.sample_rate
    audio = programme(rate, seed=21)
    # calibrated on bypass, printed engaged: the units' latency is the same, their colour is not
    depth = residual_db(print_through(station.interface, audio, bypass_record), audio, rate)
    predicted = _coupling_null_db(audio, rate, couplings=len(station.sim.twins))
    print(f"null through the sim studio engaged at neutral: {depth:.2f} dB (coupling capacitors predict "
          f"{predicted:.2f} dB)")
    assert depth == pytest.approx(predicted, abs=0.1)
    assert depth > -30.0


def test_calibrating_at_neutral_finds_the_same_latency_and_level_as_on_bypass(
        station: Station, bypass_record: CalibrationRecord) -> None:
    """So a record made on bypass passes the pre-print check however the units sit (0.05 samples, 0.1 dB)."""
    station.recall_neutral()
    neutral = calibration.measure(station.interface, rig_name=station.rig.name)
    for a, b in zip(neutral.channels, bypass_record.channels):
        assert a.latency_samples == pytest.approx(b.latency_samples, abs=0.05)
        assert a.gain_db == pytest.approx(b.gain_db, abs=0.1)
