"""The pre-print check: a short re-measure, drift against the rig's policy, recalibrate or refuse."""

from __future__ import annotations

import numpy as np
import pytest

import calibration
from devices.errors import CalibrationError
from devices.rig import CalibrationPolicy
from tests.calibration.chains import StreamingFIR
from tests.calibration.test_measure import sim


class CountingInterface:
    """Passes everything to a real interface and counts the frames it was asked to play."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.sample_rate, self.block_size, self.channels = inner.sample_rate, inner.block_size, inner.channels
        self.send_channels, self.return_channels = inner.send_channels, inner.return_channels
        self.frames_played = 0

    def playrec(self, send: np.ndarray) -> np.ndarray:
        self.frames_played += send.shape[0]
        return self.inner.playrec(send)

    def close(self) -> None:
        self.inner.close()


def test_an_unchanged_loop_passes_with_well_under_a_second_of_audio() -> None:
    record = calibration.measure(sim(latency=4000.0), rig_name="r")
    interface = CountingInterface(sim(latency=4000.0, seed=9))
    result = calibration.check(interface, record)
    assert result.ok
    assert result.latency_drift_samples < 0.01 and result.level_drift_db < 0.02
    assert interface.frames_played / interface.sample_rate < 0.5


@pytest.mark.parametrize("moved,ok", [(0.03, True), (0.2, False), (-1.0, False)])
def test_a_latency_change_is_measured_and_judged_against_0_05_samples(moved: float, ok: bool) -> None:
    record = calibration.measure(sim(latency=500.0), rig_name="r")
    result = calibration.check(sim(latency=500.0 + moved, seed=3), record, CalibrationPolicy())
    assert result.latency_drift_samples == pytest.approx(abs(moved), abs=0.01)
    assert result.ok is ok


@pytest.mark.parametrize("moved_db,ok", [(0.05, True), (0.3, False)])
def test_a_level_change_is_measured_and_judged_against_0_1_db(moved_db: float, ok: bool) -> None:
    record = calibration.measure(sim(gains=(0.0, 0.0)), rig_name="r")
    result = calibration.check(sim(gains=(0.0, moved_db), seed=4), record)
    assert result.level_drift_db == pytest.approx(moved_db, abs=0.02)
    assert result.ok is ok
    assert "level moved" in result.describe()


def test_a_flipped_polarity_fails_the_check() -> None:
    record = calibration.measure(sim(), rig_name="r")
    flipped = StreamingFIR([np.array([1.0]), np.array([-1.0])])
    result = calibration.check(sim(analog=flipped), record)
    assert result.polarity_changed and not result.ok


def test_a_record_for_another_block_size_is_refused() -> None:
    record = calibration.measure(sim(block=256), rig_name="r")
    with pytest.raises(CalibrationError, match="block 256"):
        calibration.check(sim(block=512), record)


def test_ensure_measures_when_there_is_no_record_then_reuses_it() -> None:
    first = calibration.ensure(sim(), "studio")
    assert first.recalibrated and first.check is None
    assert calibration.store.load("studio", 48000, 256) == first.record
    second = calibration.ensure(sim(seed=2), "studio")
    assert not second.recalibrated and second.check is not None and second.check.ok
    assert second.record == first.record


def test_ensure_recalibrates_on_drift_when_the_policy_says_so() -> None:
    calibration.ensure(sim(latency=100.0), "studio")
    again = calibration.ensure(sim(latency=100.4), "studio", CalibrationPolicy(on_drift="recalibrate"))
    assert again.recalibrated and not again.check.ok  # type: ignore[union-attr]
    assert again.record.latency_samples == pytest.approx(356.4, abs=0.01)
    assert calibration.store.load("studio", 48000, 256).latency_samples == pytest.approx(356.4, abs=0.01)


def test_ensure_refuses_on_drift_when_the_policy_says_so_and_keeps_the_old_record() -> None:
    old = calibration.ensure(sim(latency=100.0), "studio").record
    with pytest.raises(CalibrationError, match=r"no longer matches.*hybrid calibrate --rig studio"):
        calibration.ensure(sim(latency=101.0), "studio", CalibrationPolicy(on_drift="refuse"))
    assert calibration.store.load("studio", 48000, 256) == old
