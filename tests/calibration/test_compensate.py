"""Compensation: a neutral chain printed through the sim and compensated nulls 90 dB under the source."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import fft, signal

import calibration
from calibration.record import CalibrationRecord
from tests.calibration.chains import StreamingFIR, delay_taps
from tests.calibration.test_measure import sim


def programme(rate: int, seconds: float = 1.0, seed: int = 5) -> np.ndarray:
    """Stereo noise shaped like music (pink-ish, band-limited to 20 Hz-19 kHz), faded at both ends."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * rate)
    white = rng.standard_normal((frames, 2))
    pink = signal.lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                          [1, -2.494956002, 2.017265875, -0.522189400], white, axis=0)
    band = signal.butter(10, [25, 19000], "bandpass", fs=rate, output="sos")
    audio = signal.sosfilt(band, pink, axis=0) * signal.windows.tukey(frames, 0.05)[:, None]
    return 0.25 * audio / np.max(np.abs(audio))


def residual_db(got: np.ndarray, want: np.ndarray, rate: int) -> float:
    """RMS of got - want relative to want, counting only 20 Hz-20 kHz."""
    freqs = fft.rfftfreq(want.shape[0], 1 / rate)
    band = (freqs >= 20) & (freqs <= 20000)
    err = np.abs(fft.rfft(got - want, axis=0)[band]) ** 2
    ref = np.abs(fft.rfft(want, axis=0)[band]) ** 2
    return float(10 * np.log10(err.sum() / ref.sum()))


def print_through(interface, audio: np.ndarray, record: CalibrationRecord) -> np.ndarray:  # type: ignore[no-untyped-def]
    send, layout = calibration.pilot.wrap(audio, interface.sample_rate)
    capture = interface.playrec(send)
    assert calibration.pilot.check(capture, layout, record).ok
    return layout.extract(calibration.compensate(capture, record))


@pytest.mark.parametrize("rate,latency,block", [(44100, 83.37, 256), (48000, 1234.5, 64), (96000, 4999.71, 1024)])
def test_neutral_chain_printed_and_compensated_nulls_90_db_below_the_source(rate: int, latency: float, block: int) -> None:
    interface = sim(rate, block, latency, gains=(0.27, -0.18), noise_dbfs=-200)
    record = calibration.measure(interface, rig_name="null")
    audio = programme(rate)
    aligned = print_through(interface, audio, record)
    assert residual_db(aligned, audio, rate) < -90


def test_a_units_own_fractional_latency_in_the_chain_is_compensated_too() -> None:
    rate = 48000
    chain = StreamingFIR([delay_taps(80.6, gain=0.9), delay_taps(80.6, gain=-1.1)])  # inverted right side
    interface = sim(rate, 256, 83.37, gains=(0.0, 0.0), noise_dbfs=-200, analog=chain)
    record = calibration.measure(interface, rig_name="unit")
    assert record.channels[1].polarity_inverted
    audio = programme(rate)
    assert residual_db(print_through(interface, audio, record), audio, rate) < -90


def test_whole_sample_compensation_of_half_a_sample_leaves_the_expected_residual() -> None:
    # the comparison DAW inserts live with: round the latency to whole samples. With half a sample
    # left over, a 10 kHz tone cancels by only 20*log10(2*sin(pi*10000*0.5/48000)) = -3.8 dB
    rate = 48000
    interface = sim(rate, 256, 100.5, gains=(0.0, 0.0), noise_dbfs=-200)
    record = calibration.measure(interface, rig_name="half")
    assert record.latency_samples % 1 == pytest.approx(0.5, abs=0.01)
    rounded = record.model_copy(update={"channels": [
        ch.model_copy(update={"latency_samples": float(np.floor(ch.latency_samples))}) for ch in record.channels]})
    frames = 14400 * 2
    t = np.arange(frames) / rate
    for freq in (10000.0, 1000.0):
        tone = np.repeat(np.sin(2 * np.pi * freq * t)[:, None], 2, axis=1) * signal.windows.tukey(frames, 0.1)[:, None]
        send, layout = calibration.pilot.wrap(tone, rate)
        capture = interface.playrec(send)
        whole = layout.extract(calibration.compensate(capture, rounded))
        exact = layout.extract(calibration.compensate(capture, record))
        middle = slice(4800, 4800 + 14400)
        whole_db = 20 * np.log10(np.std(whole[middle] - tone[middle]) / np.std(tone[middle]))
        exact_db = 20 * np.log10(np.std(exact[middle] - tone[middle]) / np.std(tone[middle]))
        assert whole_db == pytest.approx(20 * np.log10(2 * np.sin(np.pi * freq * 0.5 / rate)), abs=0.05)
        assert exact_db < -100


def test_compensate_refuses_a_capture_with_the_wrong_channel_count() -> None:
    record = calibration.measure(sim(), rig_name="x")
    with pytest.raises(ValueError, match="frames, 2"):
        calibration.compensate(np.zeros((100, 3)), record)


def test_per_channel_skew_is_compensated_channel_by_channel() -> None:
    rate = 48000
    chain = StreamingFIR([delay_taps(64.0), delay_taps(70.3)])  # 6.3 samples of skew between the sides
    interface = sim(rate, 256, 83.37, gains=(0.1, -0.2), noise_dbfs=-200, analog=chain)
    record = calibration.measure(interface, rig_name="skew")
    assert record.channels[1].skew_samples - record.channels[0].skew_samples == pytest.approx(6.3, abs=0.01)
    audio = programme(rate)
    assert residual_db(print_through(interface, audio, record), audio, rate) < -90
