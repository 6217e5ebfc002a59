"""The simulated interface: its latency, gains, noise and low-pass, block by block like a stream."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from devices.audio import AudioInterface, open_interface
from devices.errors import AudioError
from devices.rig import SimInterfaceConfig, load_rig
from tests.calibration.chains import StreamingFIR, StreamingSOS


def _config(**over: object) -> SimInterfaceConfig:
    base: dict[str, object] = dict(backend="sim", sample_rate=48000, block_size=256, latency_samples=100.25,
                                   gain_error_db=[0.5, -1.0], noise_dbfs=-200.0)
    base.update(over)
    return SimInterfaceConfig(**base)


def _tone(rate: int, freq: float, frames: int, delay: float = 0.0) -> np.ndarray:
    return np.sin(2 * np.pi * freq * (np.arange(frames) - delay) / rate)


def test_the_embedded_rig_opens_a_simulated_interface_that_meets_the_protocol() -> None:
    with open_interface(load_rig().interface) as interface:
        assert isinstance(interface, AudioInterface)
        assert (interface.sample_rate, interface.block_size, interface.channels) == (48000, 256, 2)
        assert interface.send_channels == [3, 4] and interface.return_channels == [5, 6]
        assert interface.playrec(np.zeros((1000, 2))).shape == (1000, 2)


@pytest.mark.parametrize("rate,block,latency", [(44100, 64, 0.0), (48000, 256, 100.25), (96000, 1024, 4321.7)])
def test_a_tone_comes_back_delayed_by_latency_plus_one_block_and_scaled_by_the_gain_error(
        rate: int, block: int, latency: float) -> None:
    interface = open_interface(_config(sample_rate=rate, block_size=block, latency_samples=latency))
    assert interface.loop_latency_samples == latency + block
    frames = 16384
    send = np.stack([_tone(rate, 1000.0, frames), _tone(rate, 15000.0, frames)], axis=1)
    capture = interface.playrec(send)
    loop = latency + block
    middle = slice(int(loop) + 2048, frames - 1024)
    want0 = 10 ** (0.5 / 20) * _tone(rate, 1000.0, frames, loop)
    want1 = 10 ** (-1.0 / 20) * _tone(rate, 15000.0, frames, loop)
    assert np.max(np.abs(capture[middle, 0] - want0[middle])) < 1e-5
    assert np.max(np.abs(capture[middle, 1] - want1[middle])) < 1e-5


def test_the_analog_chain_is_fed_block_by_block_and_its_state_carries_over() -> None:
    rate = 48000
    sos = signal.butter(4, 2000, fs=rate, output="sos")
    # band-limited well inside the converters' pass band, so only the chain shapes it
    x = signal.sosfilt(signal.butter(12, 8000, fs=rate, output="sos"),
                       np.random.default_rng(3).standard_normal((5000, 2)) * 0.1, axis=0)
    results = []
    for block in (16, 256, 4096):
        chain = StreamingFIR([np.array([0.0, 1.0])] * 2)  # a one-sample cable, counts the blocks
        filt = StreamingSOS(sos, 2)
        interface = open_interface(_config(block_size=block, latency_samples=10.0),
                                   analog=lambda a, r, c=chain, f=filt: f(c(a, r), r))
        capture = interface.playrec(x)
        assert set(chain.block_lengths[:-1]) == {block} and sum(chain.block_lengths) == 5000
        results.append((block, capture))
    reference = signal.sosfilt(sos, x, axis=0)  # the whole array at once, independently
    for block, capture in results:
        shift = 10 + block + 1
        want = reference[: 5000 - shift] * 10 ** (np.array([0.5, -1.0]) / 20)
        # the last frames would need programme after the end of the send (the converter filter's reach)
        assert np.max(np.abs(capture[shift:-128] - want[:-128])) < 1e-7


def test_noise_floor_has_the_configured_rms_and_is_reproducible_from_the_seed() -> None:
    config = _config(noise_dbfs=-60.0, gain_error_db=[0.0, 0.0])
    a = open_interface(config, seed=11).playrec(np.zeros((96000, 2)))
    b = open_interface(config, seed=11).playrec(np.zeros((96000, 2)))
    c = open_interface(config, seed=12).playrec(np.zeros((96000, 2)))
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(a ** 2, axis=0)))
    np.testing.assert_allclose(rms_dbfs, -60.0, atol=0.05)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_converter_low_pass_is_flat_in_the_audio_band_and_stops_near_nyquist() -> None:
    rate = 48000
    interface = open_interface(_config(gain_error_db=[0.0, 0.0], latency_samples=0.0))
    impulse = np.zeros((4096, 2))
    impulse[0] = 1.0
    h = interface.playrec(impulse)[:, 0]
    freqs = np.fft.rfftfreq(4096, 1 / rate)
    mag_db = 20 * np.log10(np.abs(np.fft.rfft(h)) + 1e-300)
    band = (freqs >= 20) & (freqs <= 20000)
    assert np.max(np.abs(mag_db[band])) < 0.0001
    assert np.max(mag_db[freqs >= 23900]) < -100


def test_a_lower_corner_rolls_off_the_top() -> None:
    interface = open_interface(_config(gain_error_db=[0.0, 0.0], lowpass_hz=8000.0))
    frames = 16384
    capture = interface.playrec(np.stack([_tone(48000, 1000.0, frames), _tone(48000, 12000.0, frames)], axis=1))
    middle = slice(4096, 4096 + 48 * 200)  # 200 whole periods of 1 kHz
    assert np.sqrt(np.mean(capture[middle, 0] ** 2)) == pytest.approx(np.sqrt(0.5), rel=1e-5)
    assert np.std(capture[middle, 1]) < 1e-4


def test_a_send_with_nan_is_refused_before_anything_plays() -> None:
    interface = open_interface(_config())
    bad = np.zeros((100, 2))
    bad[5, 1] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        interface.playrec(bad)
    with pytest.raises(ValueError, match="frames, 2"):
        interface.playrec(np.zeros((100, 3)))
