"""Calibration and a print through a real PortAudio stream on JACK, against the loop's known answers."""

from __future__ import annotations

import pytest

import calibration
from devices.audio import open_interface
from tests.calibration.test_compensate import programme, residual_db
from tests.devices.test_audio_portaudio import jack_config

pytestmark = pytest.mark.jack


@pytest.mark.parametrize("block", [256, 128])
def test_calibration_through_jack_finds_the_loops_delay_gain_and_polarity(jack_loop, block: int) -> None:  # type: ignore[no-untyped-def]
    with open_interface(jack_config(block_size=block)) as interface:
        record = calibration.measure(interface, rig_name="jack")
    base = jack_loop.server.period + block  # PortAudio on JACK: one server period + one block
    left, right = jack_loop.route(3), jack_loop.route(4)
    assert [(ch.send, ch.return_) for ch in record.channels] == [(3, 5), (4, 6)]
    assert record.channels[0].latency_samples == pytest.approx(left.delay_samples + base, abs=0.01)
    assert record.channels[1].latency_samples == pytest.approx(right.delay_samples + base, abs=0.01)
    assert record.channels[0].gain_db == pytest.approx(-3.0, abs=0.02)
    assert record.channels[1].gain_db == pytest.approx(1.5, abs=0.02)
    assert [ch.polarity_inverted for ch in record.channels] == [False, True]
    assert record.channels[1].skew_samples - record.channels[0].skew_samples == pytest.approx(3.0, abs=0.01)
    assert record.confidence > 0.99 and record.block_size == block


def test_a_print_through_jack_is_aligned_checked_and_nulls_against_the_source(jack_loop) -> None:  # type: ignore[no-untyped-def]
    with open_interface(jack_config()) as interface:
        record = calibration.measure(interface, rig_name="jack")
        assert calibration.check(interface, record).ok
        audio = programme(48000, 1.0)
        send, layout = calibration.pilot.wrap(audio, 48000, tail_s=0.1)
        capture = interface.playrec(send)
    pilot = calibration.pilot.check(capture, layout, record)
    assert pilot.ok and pilot.drift_samples < 0.01
    aligned = layout.extract(calibration.compensate(capture, record))
    # float32 on the wire bounds the null; the alignment and gain are exact
    assert residual_db(aligned, audio, 48000) < -90


def test_the_plain_route_has_exactly_one_period_and_one_block_of_latency(jack_loop) -> None:  # type: ignore[no-untyped-def]
    config = jack_config(send_channels=[1, 2], return_channels=[1, 2])
    with open_interface(config) as interface:
        record = calibration.measure(interface, rig_name="jack-plain")
    assert record.channels[0].latency_samples == pytest.approx(512.0, abs=0.01)
    assert record.channels[1].latency_samples == pytest.approx(512.0 + 37, abs=0.01)
    assert record.channels[1].gain_db == pytest.approx(-6.0, abs=0.02)


def test_a_fractional_delay_in_the_loop_is_measured_to_a_hundredth_of_a_sample(jack_loop) -> None:  # type: ignore[no-untyped-def]
    # route 7 delays by 480.375 samples through the loop client's own windowed sinc; route 8 by 480
    config = jack_config(send_channels=[7, 8], return_channels=[7, 8])
    with open_interface(config) as interface:
        record = calibration.measure(interface, rig_name="jack-fraction")
    base = jack_loop.server.period + 256
    assert record.channels[0].latency_samples == pytest.approx(480.375 + base, abs=0.01)
    assert record.channels[1].latency_samples == pytest.approx(480.0 + base, abs=0.01)
    assert record.channels[0].skew_samples - record.channels[1].skew_samples == pytest.approx(0.375, abs=0.01)
    assert [ch.gain_db for ch in record.channels] == pytest.approx([-1.0, -1.0], abs=0.02)
