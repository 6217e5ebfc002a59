"""The print pilot: pre- and post-roll chirps that catch a latency change during a capture."""

from __future__ import annotations

import numpy as np
import pytest

import calibration
from tests.calibration.chains import LatencyJump
from tests.calibration.test_compensate import programme
from tests.calibration.test_measure import sim


def test_wrap_lays_out_pilot_gap_programme_gap_pilot_tail() -> None:
    audio = programme(48000, 0.5)
    send, layout = calibration.pilot.wrap(audio, 48000, tail_s=0.2)
    assert send.shape == (layout.total_frames, 2)
    np.testing.assert_array_equal(layout.extract(send), audio)
    pre = send[layout.pre_pilot_start:layout.pre_pilot_start + layout.pilot_frames, 0]
    post = send[layout.post_pilot_start:layout.post_pilot_start + layout.pilot_frames, 1]
    np.testing.assert_array_equal(pre, post)
    assert np.max(np.abs(pre)) == pytest.approx(0.1, rel=1e-3)  # -20 dBFS
    assert layout.total_frames - layout.post_pilot_start - layout.pilot_frames == int(0.2 * 48000)


def test_a_steady_loop_passes_and_agrees_with_the_calibration() -> None:
    interface = sim(latency=321.123, noise_dbfs=-90)
    record = calibration.measure(interface, rig_name="p")
    send, layout = calibration.pilot.wrap(programme(48000, 1.0), 48000)
    result = calibration.pilot.check(interface.playrec(send), layout, record)
    assert result.ok
    assert result.drift_samples < 0.005 and result.offset_from_record_samples < 0.01
    assert result.pre_latency_samples == pytest.approx(record.channel_latencies(), abs=0.01)


@pytest.mark.parametrize("jump", [0.25, 3.0])
def test_a_latency_jump_during_the_programme_is_caught_and_sized(jump: float) -> None:
    rate = 48000
    audio = programme(rate, 1.0)
    send, layout = calibration.pilot.wrap(audio, rate)
    halfway = layout.audio_start + layout.audio_frames // 2
    steady = sim(latency=200.0, noise_dbfs=-90, analog=LatencyJump(70.0, 70.0, 0, 2))
    record = calibration.measure(steady, rig_name="p")
    jumpy = sim(latency=200.0, noise_dbfs=-90, analog=LatencyJump(70.0, 70.0 + jump, halfway, 2))
    result = calibration.pilot.check(jumpy.playrec(send), layout, record)
    assert not result.ok
    assert result.drift_samples == pytest.approx(jump, abs=0.01)
    assert "moved" in result.describe()


def test_a_capture_of_the_wrong_shape_is_refused() -> None:
    record = calibration.measure(sim(), rig_name="p")
    _, layout = calibration.pilot.wrap(np.zeros((100, 2)), 48000)
    with pytest.raises(ValueError, match="capture must be shaped"):
        calibration.pilot.check(np.zeros((10, 2)), layout, record)
