"""calibration.measure on the simulated loop: latency to 0.01 sample, level to 0.02 dB, polarity, skew."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

import calibration
from devices.audio import open_interface
from devices.errors import CalibrationError
from devices.rig import SimInterfaceConfig
from dsp.transfer import response_freqs_hz
from tests.calibration.chains import StreamingFIR, StreamingSOS, delay_taps


def sim(rate: int = 48000, block: int = 256, latency: float = 83.37, gains: tuple[float, float] = (0.27, -0.18),
        noise_dbfs: float = -90.0, analog=None, seed: int = 0):  # type: ignore[no-untyped-def]
    config = SimInterfaceConfig(backend="sim", sample_rate=rate, block_size=block, latency_samples=latency,
                                gain_error_db=list(gains), noise_dbfs=noise_dbfs,
                                send_channels=[3, 4], return_channels=[5, 6])
    return open_interface(config, analog=analog, seed=seed)


# rates x latencies, each at two block sizes (the grid in bench/calibration.py is wider)
GRID = [(rate, latency, block)
        for rate in (44100, 48000, 96000)
        for latency, block in ((0.0, 16), (0.5, 4096), (1234.567, 64), (4999.99, 1024), (2500.25, 256), (37.125, 8192))]


@pytest.mark.parametrize("rate,latency,block", GRID)
def test_latency_is_within_a_hundredth_of_a_sample_with_a_minus_90_dbfs_noise_floor(
        rate: int, latency: float, block: int) -> None:
    interface = sim(rate, block, latency, seed=rate + block)
    record = calibration.measure(interface, rig_name="grid")
    for channel in record.channels:
        assert abs(channel.latency_samples - interface.loop_latency_samples) < 0.01
        assert not channel.polarity_inverted
    assert abs(record.latency_samples - (latency + block)) < 0.01
    assert record.confidence > 0.99
    assert (record.sample_rate, record.block_size, record.rig) == (rate, block, "grid")


@pytest.mark.parametrize("rate", [44100, 96000])
def test_level_at_1khz_and_the_response_are_within_0_02_db(rate: int) -> None:
    record = calibration.measure(sim(rate, gains=(0.27, -3.5)), rig_name="lvl")
    assert [ch.gain_db for ch in record.channels] == pytest.approx([0.27, -3.5], abs=0.02)
    assert [(ch.send, ch.return_) for ch in record.channels] == [(3, 5), (4, 6)]
    freqs = np.asarray(record.response.freqs_hz)
    assert freqs[0] <= 20.0 * 2 ** (1 / 24) and freqs[-1] >= 20000 * 2 ** (-1 / 24)
    assert np.max(np.diff(np.log2(freqs))) <= 1 / 6 + 1e-9
    for c, want in enumerate((0.27, -3.5)):
        assert np.max(np.abs(np.asarray(record.response.channels[c]) - want)) < 0.02
    noise = [ch.noise_floor_dbfs for ch in record.channels]
    assert noise == pytest.approx([-90.0, -90.0], abs=1.0)


def test_the_response_of_a_known_filter_matches_its_analytic_curve() -> None:
    rate = 48000
    # a peaking EQ (+6 dB at 1 kHz, Q 1) and a 30 Hz high-pass: a bell and a real low-end phase turn
    bell = signal.tf2sos(*_peaking(rate, 1000.0, 6.0, 1.0))
    hp = signal.butter(2, 30, "highpass", fs=rate, output="sos")
    sos = np.vstack([bell, hp])
    record = calibration.measure(sim(rate, noise_dbfs=-110, gains=(0.0, 0.0), analog=StreamingSOS(sos, 2)),
                                 rig_name="eq")
    freqs = np.asarray(record.response.freqs_hz)
    for k, centre in enumerate(freqs):
        f = np.geomspace(max(20.0, centre * 2 ** (-1 / 24)), min(20000.0, centre * 2 ** (1 / 24)), 64)
        _, h = signal.sosfreqz(sos, worN=f, fs=rate)
        want_db = 10 * np.log10(np.mean(np.abs(h) ** 2))
        assert record.response.channels[0][k] == pytest.approx(want_db, abs=0.05), centre
    _, h_1k = signal.sosfreqz(sos, worN=[1000.0], fs=rate)
    assert record.channels[0].gain_db == pytest.approx(20 * np.log10(abs(h_1k[0])), abs=0.02)


def _peaking(rate: int, freq: float, gain_db: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    # RBJ cookbook peaking EQ: an independent reference for the bell
    amp = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq / rate
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * amp, -2 * np.cos(w0), 1 - alpha * amp])
    a = np.array([1 + alpha / amp, -2 * np.cos(w0), 1 - alpha / amp])
    return b / a[0], a / a[0]


def test_an_inverted_return_is_reported_not_mistaken_for_a_delay() -> None:
    plain = calibration.measure(sim(analog=None), rig_name="p")
    flipped = calibration.measure(sim(analog=StreamingFIR([np.array([1.0]), np.array([-1.0])])), rig_name="p")
    assert [ch.polarity_inverted for ch in flipped.channels] == [False, True]
    assert flipped.polarity_inverted
    assert flipped.channels[1].latency_samples == pytest.approx(plain.channels[1].latency_samples, abs=0.01)
    assert flipped.channels[1].gain_db == pytest.approx(plain.channels[1].gain_db, abs=0.02)


def test_per_channel_skew_from_a_unit_with_its_own_fractional_latency() -> None:
    # the right channel's unit adds 70.3 samples, the left 64 (e.g. a linear-phase stage)
    chain = StreamingFIR([delay_taps(64.0), delay_taps(70.3)])
    interface = sim(rate=96000, block=512, latency=1000.0, analog=chain)
    record = calibration.measure(interface, rig_name="skew")
    left, right = record.channels
    assert left.latency_samples == pytest.approx(1000 + 512 + 64.0, abs=0.01)
    assert right.latency_samples == pytest.approx(1000 + 512 + 70.3, abs=0.01)
    assert right.skew_samples - left.skew_samples == pytest.approx(6.3, abs=0.01)
    assert record.latency_samples == pytest.approx((left.latency_samples + right.latency_samples) / 2)


def test_a_dead_return_is_a_calibration_error_naming_the_channels() -> None:
    dead = StreamingFIR([np.array([1.0]), np.array([0.0])])
    with pytest.raises(CalibrationError, match="return 6 from send 4"):
        calibration.measure(sim(analog=dead), rig_name="dead")


def test_a_clipping_return_is_refused() -> None:
    hot = StreamingFIR([np.array([8.0]), np.array([1.0])])
    with pytest.raises(CalibrationError, match="return 5 clipped"):
        calibration.measure(sim(analog=hot), rig_name="hot")


def test_response_bands_are_twelfth_octaves_over_the_audio_band() -> None:
    freqs = response_freqs_hz()
    assert freqs[0] * 2 ** (-1 / 24) <= 20.0 <= freqs[0] * 2 ** (1 / 24)
    assert freqs[-1] * 2 ** (-1 / 24) <= 20000.0 <= freqs[-1] * 2 ** (1 / 24)
    assert 1000.0 in list(freqs)
    np.testing.assert_allclose(np.diff(np.log2(freqs)), 1 / 12)


def test_crossed_patch_cables_are_caught_and_named() -> None:
    swapped = lambda audio, rate: audio[:, ::-1].copy()  # noqa: E731 - the patch, crossed
    with pytest.raises(CalibrationError, match="return 5 carries send 4, return 6 carries send 3"):
        calibration.measure(sim(analog=swapped), rig_name="crossed")


def test_a_rotated_three_channel_patch_is_caught() -> None:
    config = SimInterfaceConfig(backend="sim", latency_samples=50.0, gain_error_db=[0, 0, 0], noise_dbfs=-100,
                                send_channels=[1, 2, 3], return_channels=[1, 2, 3])
    rotated = lambda audio, rate: np.roll(audio, 1, axis=1)  # noqa: E731
    with pytest.raises(CalibrationError, match="return 1 carries send 3, return 2 carries send 1, return 3 carries send 2"):
        calibration.measure(open_interface(config, analog=rotated), rig_name="rotated")


def test_crosstalk_is_measured_and_does_not_move_the_latency() -> None:
    # the left return hears the right send at -40 dB, the right return the left at -60 dB
    leaky = lambda audio, rate: audio + audio[:, ::-1] * np.array([0.01, 0.001])  # noqa: E731
    interface = sim(analog=leaky)
    record = calibration.measure(interface, rig_name="leaky")
    for channel in record.channels:
        assert abs(channel.latency_samples - interface.loop_latency_samples) < 0.01
    assert [ch.gain_db for ch in record.channels] == pytest.approx([0.27, -0.18], abs=0.03)
    # the leak and the return's own send share the return's gain error: the ratio is the leak's
    assert [ch.crosstalk_db for ch in record.channels] == pytest.approx([-40.0, -60.0], abs=0.3)


def test_a_clean_loop_reports_crosstalk_below_minus_100_db() -> None:
    record = calibration.measure(sim(), rig_name="clean")
    assert all(ch.crosstalk_db is not None and ch.crosstalk_db < -100 for ch in record.channels)


def test_the_longest_latency_a_rig_file_allows_is_still_measured() -> None:
    interface = sim(rate=44100, block=8192, latency=20000.0, noise_dbfs=-90)
    record = calibration.measure(interface, rig_name="far")
    assert record.latency_samples == pytest.approx(28192.0, abs=0.01)
