"""The PortAudio interface through a real JACK stream (dummy driver) and a loop client of known delays."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

from devices.audio import open_interface
from devices.audio.portaudio import PortAudioInterface, _clock_gap, _Pass, captures_agree
from devices.errors import AudioError, MissingDependencyError
from devices.rig import SoundDeviceInterfaceConfig


def jack_config(**over: object) -> SoundDeviceInterfaceConfig:
    base: dict[str, object] = dict(backend="sounddevice", device="hybrid_loop", host_api="JACK", sample_rate=48000,
                                   block_size=256, channels_out=8, channels_in=8, send_channels=[3, 4],
                                   return_channels=[5, 6])
    base.update(over)
    return SoundDeviceInterfaceConfig(**base)


@pytest.mark.jack
def test_an_impulse_on_sends_3_4_comes_back_on_returns_5_6_with_the_loops_delay_and_gain(jack_loop) -> None:  # type: ignore[no-untyped-def]
    with open_interface(jack_config()) as interface:
        assert isinstance(interface, PortAudioInterface)
        send = np.zeros((8192, 2))
        send[100, 0] = 0.5
        send[200, 1] = 0.25
        capture = interface.playrec(send)
    assert capture.dtype == np.float64 and capture.shape == (8192, 2)
    # round trip through PortAudio on JACK: the client's delay + one server period + one block
    base = jack_loop.server.period + 256
    left, right = jack_loop.route(3), jack_loop.route(4)
    assert left.delay_samples % 1 == 0 and right.delay_samples % 1 == 0  # whole-sample routes
    left_at, right_at = 100 + int(left.delay_samples) + base, 200 + int(right.delay_samples) + base
    assert int(np.argmax(np.abs(capture[:, 0]))) == left_at
    assert int(np.argmax(np.abs(capture[:, 1]))) == right_at
    assert capture[left_at, 0] == pytest.approx(0.5 * left.gain, rel=1e-6)
    assert capture[right_at, 1] == pytest.approx(0.25 * right.gain, rel=1e-6)
    assert right.gain < 0
    assert np.count_nonzero(capture) == 2  # nothing else came back: no other channel leaked in


@pytest.mark.jack
def test_long_programme_streams_in_blocks_without_a_lost_or_repeated_sample(jack_loop) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(17)
    frames = 3 * 48000 + 77  # not a multiple of the block size
    send = (rng.standard_normal((frames, 2)) * 0.1).astype(np.float32).astype(np.float64)
    with open_interface(jack_config(block_size=128)) as interface:
        capture = interface.playrec(send)
    shift = int(jack_loop.route(3).delay_samples) + jack_loop.server.period + 128
    want = send[: frames - shift, 0] * np.float32(jack_loop.route(3).gain)
    np.testing.assert_allclose(capture[shift:, 0], want, rtol=1e-6, atol=1e-9)


@pytest.mark.jack
def test_a_device_that_does_not_exist_is_named_with_the_list_of_devices(jack_loop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AudioError, match=r"no audio device named 'Fireface 802'.*hybrid_loop"):
        open_interface(jack_config(device="Fireface 802"))


@pytest.mark.jack
def test_channels_beyond_the_device_are_refused(jack_loop) -> None:  # type: ignore[no-untyped-def]
    config = jack_config(channels_out=16, channels_in=16, send_channels=[11, 12], return_channels=[5, 6])
    with pytest.raises(AudioError, match=r"has 8 outputs and 8 inputs; the rig sends on \[11, 12\]"):
        open_interface(config)


@pytest.mark.jack
def test_a_rate_the_server_does_not_run_is_refused(jack_loop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AudioError, match="refuses 44100 Hz"):
        open_interface(jack_config(sample_rate=44100))


@pytest.mark.jack
def test_a_dropout_is_retried_once_then_refused(jack_loop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # JACK's dummy driver does not drop blocks on demand, so a pass is marked as flagged the way the
    # callback marks it; the audio itself is the real stream's
    interface = open_interface(jack_config(on_dropout="retry"))
    real = interface._one_pass
    calls = []

    def flaky(send):  # type: ignore[no-untyped-def]
        calls.append(1)
        result = real(send)
        result.problem = "input_overflow at frame 512" if len(calls) == 1 else ""
        return result

    monkeypatch.setattr(interface, "_one_pass", flaky)
    send = np.zeros((4096, 2))
    send[10, 0] = 0.5
    capture = interface.playrec(send)
    assert len(calls) == 2 and np.max(np.abs(capture[:, 0])) > 0.3
    stop = open_interface(jack_config(on_dropout="stop"))
    monkeypatch.setattr(stop, "_one_pass", lambda s: _Pass(np.zeros_like(s), "output_underflow at frame 0"))
    with pytest.raises(AudioError, match="dropped out: output_underflow at frame 0; nothing from it was kept"):
        stop.playrec(send)


@pytest.mark.jack
def test_flagged_passes_are_kept_only_when_two_in_a_row_agree(jack_loop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    send = rng.standard_normal((24000, 2)) * 0.1
    interface = open_interface(jack_config())
    real = interface._one_pass

    def always_flagged(s):  # type: ignore[no-untyped-def]
        result = real(s)
        result.problem = "input_overflow, output_underflow at frame 1024"
        return result

    monkeypatch.setattr(interface, "_one_pass", always_flagged)
    capture = interface.playrec(send)  # a false alarm twice: the two real captures agree
    assert interface.verified_by_repeat and np.max(np.abs(capture)) > 0.1

    passes = []

    def later_passes_lose_a_block(s):  # type: ignore[no-untyped-def]
        result = always_flagged(s)
        if passes:
            lost = result.capture.copy()
            at = 8192 + 256 * len(passes)  # a period lost, each pass somewhere else
            lost[at:] = result.capture[at - 256:-256]
            result.capture = lost
        passes.append(result)
        return result

    monkeypatch.setattr(interface, "_one_pass", later_passes_lose_a_block)
    with pytest.raises(AudioError, match=r"dropped out \(3 passes\)"):
        interface.playrec(send)
    assert len(passes) == 3

    first_lost = []

    def first_pass_loses_a_block(s):  # type: ignore[no-untyped-def]
        result = always_flagged(s)
        if not first_lost:
            result.capture = np.concatenate([np.zeros((256, 2)), result.capture[:-256]])
        first_lost.append(result)
        return result

    monkeypatch.setattr(interface, "_one_pass", first_pass_loses_a_block)
    kept = interface.playrec(send)  # passes 2 and 3 agree: the third settles it
    assert len(first_lost) == 3
    np.testing.assert_array_equal(kept, first_lost[2].capture)


def test_captures_agree_within_noise_and_not_across_a_lost_block() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((48000, 2)) * 0.1
    noisy = a + rng.standard_normal(a.shape) * 1e-5  # -80 dB of fresh noise on the second pass
    assert captures_agree(a, noisy)
    shifted = a.copy()
    shifted[30000:] = a[30000 - 128:-128]
    assert not captures_agree(a, shifted)
    assert captures_agree(np.zeros((100, 2)), np.zeros((100, 2)))
    assert not captures_agree(a, a[:-1])


def test_a_jump_in_the_stream_clock_is_described() -> None:
    rate = 48000
    steady = [k * 256 / rate for k in range(10)]
    assert _clock_gap(steady, [256] * 10, rate) == ""
    jumped = steady[:5] + [t + 512 / rate for t in steady[5:]]
    assert "jumped 768 frames where 256 were expected" in _clock_gap(jumped, [256] * 10, rate)
    assert _clock_gap([0.0] * 10, [256] * 10, rate) == ""  # a host API without a clock


def test_missing_portaudio_says_what_to_install(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(MissingDependencyError, match="apt-get install libportaudio2"):
        open_interface(jack_config())


def test_the_simulated_rig_never_imports_sounddevice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from devices.rig import load_rig

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # importing it would now fail
    interface = open_interface(load_rig().interface)
    assert interface.playrec(np.zeros((512, 2))).shape == (512, 2)
