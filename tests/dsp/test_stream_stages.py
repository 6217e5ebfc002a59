"""The resampler and the quantiser fed block by block give, bit for bit, what the whole-programme
functions give."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.dither import Quantiser, to_pcm
from dsp.resample import Resampler, converted_frames, resample


def _blocks(rng: np.random.Generator, audio: np.ndarray, largest: int) -> list[np.ndarray]:
    out, at = [], 0
    while at < audio.shape[0]:
        size = int(rng.integers(1, largest))
        out.append(audio[at : at + size])
        at += size
    return out


def _programme(rng: np.random.Generator, frames: int, channels: int) -> np.ndarray:
    audio = rng.standard_normal((frames, channels)) * 0.3
    audio[frames // 3 : frames // 3 + 20] = 1.4  # clipped at the integers' range
    return audio


@pytest.mark.parametrize(("rate_in", "rate_out", "channels"), [(48000, 44100, 2), (44100, 96000, 1),
                                                               (96000, 48000, 3), (48000, 48000, 2)])
def test_resampler_in_blocks_is_resample_of_the_whole(rate_in: int, rate_out: int, channels: int) -> None:
    rng = np.random.default_rng(rate_in + rate_out + channels)
    audio = _programme(rng, 3 * rate_in + 17, channels)
    whole = resample(audio, rate_in, rate_out)
    for largest in (300, 20000, 400000):
        converter = Resampler(rate_in, rate_out, channels)
        pieces = [converter.process(block) for block in _blocks(rng, audio, largest)]
        pieces.append(converter.finish())
        np.testing.assert_array_equal(np.concatenate(pieces), whole)


@pytest.mark.parametrize("bits", [16, 24, 32])
@pytest.mark.parametrize("dither", ["tpdf", "shaped", "none"])
def test_quantiser_in_blocks_is_to_pcm_of_the_whole(bits: int, dither: str) -> None:
    rng = np.random.default_rng(bits)
    audio = _programme(rng, 50_001, 2)
    whole = to_pcm(audio, bits, dither, seed=7)
    for largest in (2, 999, 70_000):
        quantiser = Quantiser(bits, dither, 2, seed=7, frames=audio.shape[0])
        pcm = np.concatenate([quantiser.process(block) for block in _blocks(rng, audio, largest)])
        assert pcm.dtype == whole.dtype
        np.testing.assert_array_equal(pcm, whole)


def test_shaped_dither_needs_the_length_up_front_and_blocks_their_channels() -> None:
    with pytest.raises(ValueError, match="length"):
        Quantiser(16, "shaped", 2, seed=1)
    with pytest.raises(ValueError, match="3 channels"):
        Quantiser(16, "tpdf", 2, seed=1).process(np.zeros((4, 3)))
    converter = Resampler(48000, 44100, 2)
    converter.finish()
    with pytest.raises(ValueError, match="ended"):
        converter.process(np.zeros((4, 2)))


def test_converted_frames_is_soxrs_count() -> None:
    rates = [(48000, 44100), (96000, 44100), (44100, 48000), (44100, 96000), (96000, 48000), (8000, 44100),
             (384000, 48000), (48000, 48000)]
    for rate_in, rate_out in rates:
        for frames in [*range(1, 40), 1001, 4799, 123457, 777777]:
            assert resample(np.zeros((frames, 1)), rate_in, rate_out).shape[0] == converted_frames(frames, rate_in, rate_out)
