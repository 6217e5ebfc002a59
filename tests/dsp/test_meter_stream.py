"""Meters fed block by block read exactly what the whole programme read at once does."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.loudness import LoudnessMeter, measure_with_blocks
from dsp.meter import ProgrammeMeter, analyze
from dsp.truepeak import PeakMeter, peak_readings


def _programme(rng: np.random.Generator, seconds: float, rate: int, channels: int, dtype: type) -> np.ndarray:
    """Noise with level moves and a few bursts (peaks, maxima and gates all land somewhere)."""
    frames = int(seconds * rate)
    level = np.repeat(10.0 ** (rng.uniform(-40, 0, size=frames // rate + 1) / 20.0), rate)[:frames]
    audio = rng.standard_normal((frames, channels)) * 0.2 * level[:, None]
    for at in rng.integers(0, frames - 10, size=5):
        audio[at : at + 3] *= 6.0
    return audio.astype(dtype)


def _splits(rng: np.random.Generator, frames: int, largest: int) -> list[int]:
    cuts, at = [], 0
    while at < frames:
        size = int(rng.integers(1, largest))
        cuts.append(min(size, frames - at))
        at += size
    return cuts


@pytest.mark.parametrize(("rate", "channels", "dtype"), [(48000, 2, np.float32), (44100, 1, np.float64),
                                                         (96000, 6, np.float32), (8000, 3, np.float64)])
def test_any_split_reads_the_whole_programme_exactly(rate: int, channels: int, dtype: type) -> None:
    rng = np.random.default_rng(rate + channels)
    audio = _programme(rng, 12.5, rate, channels, dtype)
    whole = analyze(audio, rate)
    _, whole_blocks = measure_with_blocks(audio, rate)
    for largest in (2, 300, 70000, 400000):  # single frames, less than the detector's reach, longer
        if largest == 2 and rate > 8000:
            continue  # a frame at a time is slow in Python; 8 kHz covers it
        meter = ProgrammeMeter(rate, channels)
        loudness = LoudnessMeter(rate, channels)
        at = 0
        for size in _splits(rng, audio.shape[0], largest):
            meter.process(audio[at : at + size])
            loudness.process(audio[at : at + size])
            at += size
        assert meter.finish() == whole  # every reading equal, not close
        np.testing.assert_array_equal(loudness.block_powers(), whole_blocks)


def test_programmes_shorter_than_the_windows_and_the_context() -> None:
    rng = np.random.default_rng(7)
    for frames in (1, 5, 80, 200, 19199, 19200, 19201):
        audio = rng.standard_normal((frames, 2)) * 0.3
        meter = ProgrammeMeter(48000, 2)
        meter.process(audio[:0])  # an empty block changes nothing
        at = 0
        for size in _splits(rng, frames, 50):
            meter.process(audio[at : at + size])
            at += size
        assert meter.finish() == analyze(audio, 48000)


def test_true_peak_held_back_frames_are_read_at_the_end() -> None:
    # the loudest sample is the last one: the meter holds it back for context, finish reads it
    audio = np.zeros((5000, 1))
    audio[-1] = 0.9
    meter = PeakMeter(1)
    meter.process(audio)
    assert meter.true_peak_dbtp() == peak_readings(audio, 48000)[0]
    assert meter.true_peak_dbtp() > 20 * np.log10(0.9) - 0.01
    with pytest.raises(ValueError, match="finish"):
        meter.process(audio)


def test_a_block_with_other_channels_or_nan_is_refused() -> None:
    meter = ProgrammeMeter(48000, 2)
    with pytest.raises(ValueError, match="3 channels"):
        meter.process(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        meter.process(np.full((10, 2), np.nan))
