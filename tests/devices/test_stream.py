"""The full-duplex block stream on both backends: the simulated loop against playrec, and PortAudio on JACK."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from devices.audio import open_interface, open_stream
from devices.audio.stream import Block, DuplexStream, play_blocks
from devices.errors import AudioError
from devices.rig import SimInterfaceConfig
from tests.calibration.chains import StreamingSOS
from tests.devices.test_audio_portaudio import jack_config


def _sim(**over: object) -> SimInterfaceConfig:
    base: dict[str, object] = dict(backend="sim", sample_rate=48000, block_size=256, latency_samples=100.25,
                                   gain_error_db=[0.5, -1.0], noise_dbfs=-200.0)
    base.update(over)
    return SimInterfaceConfig(**base)


def _noise(frames: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((frames, 2)) * 0.1).astype(np.float32).astype(np.float64)


def _in_blocks(audio: np.ndarray, size: int) -> list[np.ndarray]:
    return [audio[k:k + size] for k in range(0, audio.shape[0], size)]


def test_the_simulated_stream_returns_what_playrec_returns_sample_for_sample() -> None:
    send = _noise(20000 + 77, 3)  # not a multiple of the block size
    sos = signal.butter(2, 3000, fs=48000, output="sos")
    with open_interface(_sim(), StreamingSOS(sos, 2)) as interface:
        want = interface.playrec(send)
    stream = open_stream(_sim(), StreamingSOS(sos, 2), realtime=False)
    assert isinstance(stream, DuplexStream)
    # blocks of an odd size go in; stream-sized blocks come out
    got_blocks = list(play_blocks(stream, _in_blocks(send, 1000)))
    assert {b.shape for b in got_blocks[:-1]} == {(256, 2)}
    got = np.concatenate(got_blocks)
    assert got.shape[0] >= send.shape[0]
    np.testing.assert_allclose(got[:send.shape[0]], want, rtol=1e-6, atol=1e-7)  # float32 on the wire
    assert stream.glitches == [] and not stream.running


def test_the_returns_cover_the_tail_asked_for_so_the_loops_latency_comes_back_too() -> None:
    send = np.zeros((2048, 2))
    send[-1] = 0.5  # the last frame sent: it returns latency + one block later
    stream = open_stream(_sim(), realtime=False)
    got = np.concatenate(list(play_blocks(stream, [send], tail_frames=1024)))
    assert got.shape[0] >= 2048 + 1024
    peak = int(np.argmax(np.abs(got[:, 0])))
    assert abs(peak - (2047 + 100.25 + 256)) < 1.0


def test_a_block_that_misses_its_deadline_is_a_glitch_and_the_stream_goes_on() -> None:
    stream = open_stream(_sim())
    seen: list[int] = []

    def callback(block: Block) -> bool:
        seen.append(block.frame)
        if len(seen) == 5:
            time.sleep(0.05)  # ten periods of 5.3 ms: an underrun on any interface
        return len(seen) < 12

    stream.start(callback)
    assert stream.wait(5.0)
    assert seen == [256 * k for k in range(12)]  # no block skipped or repeated
    assert len(stream.glitches) == 1 and stream.glitches[0].frame == 4 * 256
    assert "late" in stream.glitches[0].what


def test_an_exception_in_the_callback_stops_the_stream_and_is_kept() -> None:
    stream = open_stream(_sim(), realtime=False)

    def callback(block: Block) -> bool:
        raise ZeroDivisionError("boom")

    stream.start(callback)
    assert stream.wait(5.0)
    assert isinstance(stream.error, ZeroDivisionError) and not stream.running


def test_a_send_generator_that_fails_is_said_not_hung() -> None:
    def sends():  # type: ignore[no-untyped-def]
        yield np.zeros((512, 2))
        raise OSError("the disk went away")

    with pytest.raises(AudioError, match="the disk went away"):
        list(play_blocks(open_stream(_sim(), realtime=False), sends()))


def test_a_loop_shorter_than_the_converter_filter_cannot_stream_and_says_what_to_give() -> None:
    with pytest.raises(AudioError, match=r"latency_samples 10.0 is too short to stream.*at least 48"):
        open_stream(_sim(latency_samples=10.0))


def test_extra_outputs_that_are_sends_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[3\] are send channels"):
        open_stream(_sim(channels_out=8, send_channels=[3, 4], return_channels=[5, 6]), extra_outputs=[3])


# ---- PortAudio on the private JACK server ----

@pytest.mark.jack
def test_portaudio_stream_sends_and_returns_through_the_jack_loop_without_a_lost_sample(jack_loop) -> None:  # type: ignore[no-untyped-def]
    send = _noise(2 * 48000 + 77, 5)
    stream = open_stream(jack_config(block_size=128))
    got = np.concatenate(list(play_blocks(stream, _in_blocks(send, 4096), tail_frames=4096)))
    shift = int(jack_loop.route(3).delay_samples) + jack_loop.server.period + 128
    np.testing.assert_allclose(got[shift:shift + send.shape[0], 0], send[:, 0] * np.float32(jack_loop.route(3).gain),
                               rtol=1e-6, atol=1e-9)
    right = jack_loop.route(4)
    shift_r = int(right.delay_samples) + jack_loop.server.period + 128
    np.testing.assert_allclose(got[shift_r:shift_r + send.shape[0], 1], send[:, 1] * np.float32(right.gain),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.jack
def test_extra_outputs_play_on_the_same_clock_as_the_sends(jack_loop) -> None:  # type: ignore[no-untyped-def]
    # output 1 (an extra output, like a monitor channel) goes through the loop's plain route back to input 1
    config = jack_config(send_channels=[7], return_channels=[1])
    stream = open_stream(config, extra_outputs=[1])
    marks: list[int] = []

    def callback(block: Block) -> bool:
        if block.frame == 1024:
            block.outputs[10, 0] = 0.5
        hit = np.flatnonzero(block.returns[:, 0])
        marks.extend(block.frame + int(k) for k in hit)
        return block.frame < 8192

    stream.start(callback)
    assert stream.wait(10.0)
    stream.close()
    assert stream.error is None
    assert marks == [1024 + 10 + jack_loop.server.period + 256]
