"""The limiter fed block by block: the ceiling still proven by the independent 16x reference, through
segments far shorter than the programmes (many joins), and a short programme exactly as limit() does it."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.limiter import limit
from dsp.limiter_stream import BlockLimiter
from tests.dsp.reference import reference_true_peak_dbtp
from tests.dsp.test_limiter_programmes import CEILING_DBTP, PROGRAMMES, _driven


def _stream(audio: np.ndarray, rate: int, sizes: list[int], **kwargs: float) -> tuple[np.ndarray, BlockLimiter]:
    limiter = BlockLimiter(rate, audio.shape[1], CEILING_DBTP, **kwargs)
    pieces, at = [], 0
    for size in sizes:
        pieces.append(limiter.process(audio[at : at + size]))
        at += size
    pieces.append(limiter.process(audio[at:]))
    pieces.append(limiter.finish())
    return np.concatenate(pieces), limiter


@pytest.mark.parametrize("rate", [44100, 96000])
@pytest.mark.parametrize("name", sorted(PROGRAMMES))
def test_segments_hold_the_ceiling_by_the_16x_reference(name: str, rate: int) -> None:
    rng = np.random.default_rng(rate)
    for drive_db in (0.0, 12.0):
        audio = _driven(PROGRAMMES[name](rate), drive_db)
        sizes = [int(s) for s in rng.integers(1, 9000, size=60)]
        # 40 ms segments with 60 ms of pre-roll: a dozen joins in half a second of programme
        out, limiter = _stream(audio, rate, sizes, segment_s=0.04, preroll_s=0.06)
        assert out.shape == audio.shape
        over_db = reference_true_peak_dbtp(out) - CEILING_DBTP
        assert over_db <= 0.1, (name, rate, drive_db, over_db)
        assert limiter.true_peak_dbtp is not None and limiter.true_peak_dbtp >= CEILING_DBTP + over_db - 0.1
        assert limiter.max_gain_reduction_db > drive_db


def test_a_programme_within_one_segment_is_limit_of_the_whole_bit_for_bit() -> None:
    rate = 48000
    audio = _driven(PROGRAMMES["song1-in-C#-fast"](rate), 9.0)
    whole = limit(audio, rate, ceiling_dbtp=CEILING_DBTP)
    out, limiter = _stream(audio, rate, [1, 4000, 17, 30000])
    np.testing.assert_array_equal(out, whole.audio)
    assert limiter.true_peak_dbtp == whole.true_peak_dbtp
    assert limiter.max_gain_reduction_db == whole.max_gain_reduction_db


def test_the_blocks_do_not_change_the_segments() -> None:
    rate = 44100
    audio = _driven(PROGRAMMES["dense-bright"](rate), 6.0)
    a, _ = _stream(audio, rate, [5000] * 4, segment_s=0.05, preroll_s=0.05)
    b, _ = _stream(audio, rate, [1, 2, 3, 70, 999, 12345], segment_s=0.05, preroll_s=0.05)
    np.testing.assert_array_equal(a, b)


def test_long_segments_differ_from_the_whole_only_by_the_settling() -> None:
    # past its pre-roll a segment's gain is the whole-programme limiter's, within the release's
    # settling: 0.68 dB after 0.7 s of pre-roll, 0.018 dB after 2 s, nothing measurable after 5 s
    rate = 44100
    audio = np.concatenate([_driven(PROGRAMMES["song2-in-G-slow"](rate), 8.0)] * 12)
    whole = limit(audio, rate, ceiling_dbtp=CEILING_DBTP)
    out, limiter = _stream(audio, rate, [50000] * 9, segment_s=2.0, preroll_s=5.0)
    nonzero = np.abs(whole.audio) > 1e-3
    ratio_db = 20 * np.log10(np.abs(out[nonzero] / whole.audio[nonzero]))
    assert np.max(np.abs(ratio_db)) < 1e-3
    assert limiter.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=1e-3)
