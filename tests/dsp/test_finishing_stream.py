"""finish() in blocks: a programme within one limiter segment comes out bit for bit as finish() of the
whole; settings that need the whole programme are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.finishing import FinishSettings, finish
from dsp.finishing_stream import FinishStream, streamable
from tests.dsp.test_limiter_programmes import PROGRAMMES, _driven


@pytest.mark.parametrize(("rate_in", "settings"), [
    (48000, FinishSettings(rate_hz=44100, bits=16)),
    (44100, FinishSettings(ceiling_dbtp=-2.0, bits=24)),
    (96000, FinishSettings(rate_hz=48000, bits=32)),
    (48000, FinishSettings(rate_hz=96000, bits=24, dither="none")),
    (96000, FinishSettings(rate_hz=44100, bits=16, dither="shaped")),
])
def test_a_short_programme_in_blocks_is_finish_of_the_whole(rate_in: int, settings: FinishSettings) -> None:
    audio = _driven(PROGRAMMES["song3-in-C"](rate_in), 9.0)
    whole = finish(audio, rate_in, settings, seed=3)
    chain = FinishStream(rate_in, 2, settings, seed=3, frames=audio.shape[0])
    rng = np.random.default_rng(rate_in)
    pieces, at = [], 0
    while at < audio.shape[0]:
        size = int(rng.integers(1, 6000))
        pieces.append(chain.process(audio[at : at + size]))
        at += size
    last, readings = chain.finish()
    pcm = np.concatenate([*pieces, last])
    assert pcm.dtype == whole.pcm.dtype
    np.testing.assert_array_equal(pcm, whole.pcm)
    assert readings.frames == whole.pcm.shape[0] and readings.rate_hz == whole.rate_hz
    assert readings.true_peak_dbtp == whole.true_peak_dbtp
    assert readings.integrated_lufs == whole.integrated_lufs
    assert readings.max_gain_reduction_db == whole.max_gain_reduction_db


def test_settings_that_need_the_whole_programme_are_named() -> None:
    assert streamable(FinishSettings()) is None
    assert streamable(FinishSettings(lufs_target=-14.0)) is None  # met by passes over the file
    assert "limiter" in str(streamable(FinishSettings(limiter=False)))
    with pytest.raises(ValueError, match="length"):
        FinishStream(48000, 2, FinishSettings(dither="shaped"))  # shaped dither needs the length
    with pytest.raises(ValueError, match="limiter"):
        FinishStream(48000, 2, FinishSettings(limiter=False))
