"""The finishing chain fed block by block: rate conversion, true-peak limiting, dither, in flat memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsp._audio import as_frames, check_rate
from dsp.dither import Quantiser
from dsp.finishing import FinishSettings
from dsp.limiter_stream import BlockLimiter
from dsp.loudness import LoudnessMeter
from dsp.resample import Resampler, converted_frames

__all__ = ["FinishStream", "StreamedFinish", "streamable"]


@dataclass(frozen=True)
class StreamedFinish:
    """What a streamed finish measured (its audio went out block by block)."""

    rate_hz: int
    bits: int
    frames: int
    max_gain_reduction_db: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    gain_db: float = 0.0  # no loudness move: a target is finished whole (see streamable)
    lufs_unreachable_by_lu: float | None = None


def streamable(settings: FinishSettings) -> str | None:
    """None if these settings finish block by block, else why not: a loudness target is met by
    measuring whole passes, and without the limiter the reading is the whole programme's (both still
    run through dsp.finishing.finish, which holds the programme)."""
    if settings.lufs_target is not None:
        return "a loudness target is iterated over the whole programme"
    if not settings.limiter:
        return "without the limiter the reading is taken over the whole programme"
    return None


class FinishStream:
    """dsp.finishing.finish as a stream, for the settings streamable() accepts: process(block) gives
    the PCM ready (what goes into the file), finish() the rest and the readings. Shaped dither
    needs the input's length up front (`frames`, from the file's header).

    Resampler, BlockLimiter and Quantiser in a row, and a loudness meter on the limited audio:
    memory is one limiter segment (35 s at the output rate) whatever the programme's length. A
    programme of up to one segment comes out bit for bit as finish() gives it (test); a longer one
    differs only by the limiter's segment joins (see dsp.limiter_stream)."""

    def __init__(self, rate: int, channels: int, settings: FinishSettings, seed: int | None = None,
                 frames: int | None = None) -> None:
        why = streamable(settings)
        if why is not None:
            raise ValueError(f"these settings do not finish block by block: {why}")
        self.settings = settings
        self.rate_in = check_rate(rate)
        self.rate_out = int(settings.rate_hz or self.rate_in)
        self.channels = int(channels)
        self._resampler = Resampler(self.rate_in, self.rate_out, self.channels)
        self._limiter = BlockLimiter(self.rate_out, self.channels, settings.ceiling_dbtp)
        # shaped dither draws against the whole length: the input's (`frames`), converted as soxr counts
        out_frames = None if frames is None else converted_frames(frames, self.rate_in, self.rate_out)
        self._quantiser = Quantiser(settings.bits, settings.dither, self.channels, seed=seed, frames=out_frames)
        self._meter = LoudnessMeter(self.rate_out, self.channels)
        self._frames = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        """The PCM ready after this block of the input (float, full scale 1.0, finite)."""
        frames = as_frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError(f"block has {frames.shape[1]} channels; this chain takes {self.channels}")
        return self._onward(self._limiter.process(self._resampler.process_checked(frames)))

    def finish(self) -> tuple[np.ndarray, StreamedFinish]:
        """The last PCM and what the whole programme measured."""
        tail = self._limiter.process(self._resampler.finish())
        last = np.concatenate([self._onward(tail), self._onward(self._limiter.finish())])
        return last, StreamedFinish(
            rate_hz=self.rate_out,
            bits=self.settings.bits,
            frames=self._frames,
            max_gain_reduction_db=self._limiter.max_gain_reduction_db,
            integrated_lufs=self._meter.finish().integrated_lufs,
            true_peak_dbtp=self._limiter.true_peak_dbtp,
        )

    def _onward(self, limited: np.ndarray) -> np.ndarray:
        self._meter.process_checked(limited)
        self._frames += limited.shape[0]
        return self._quantiser.process_checked(limited)
