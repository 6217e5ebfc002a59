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
    gain_db: float = 0.0  # the loudness move before the limiter
    lufs_unreachable_by_lu: float | None = None


def streamable(settings: FinishSettings) -> str | None:
    """None if these settings finish block by block, else why not: without the limiter the reading
    is the whole programme's (that still runs through dsp.finishing.finish, which holds it)."""
    if not settings.limiter:
        return "without the limiter the reading is taken over the whole programme"
    return None


class FinishStream:
    """dsp.finishing.finish as a stream, for the settings streamable() accepts: process(block) gives
    the PCM ready (what goes into the file), finish() the rest and the readings. Shaped dither
    needs the input's length up front (`frames`, from the file's header).

    Resampler, a gain (`gain_db`: the loudness move), BlockLimiter and Quantiser in a row, and a
    loudness meter on the limited audio (a loudness target is met by passes of these: see
    dsp.finishing.loudness_passes):
    memory is one limiter segment (35 s at the output rate) whatever the programme's length. A
    programme of up to one segment comes out bit for bit as finish() gives it (test); a longer one
    differs only by the limiter's segment joins (see dsp.limiter_stream)."""

    def __init__(self, rate: int, channels: int, settings: FinishSettings, seed: int | None = None,
                 frames: int | None = None, gain_db: float = 0.0) -> None:
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
        self.gain_db = float(gain_db)
        self._scale = 10.0 ** (self.gain_db / 20.0)

    def process(self, block: np.ndarray) -> np.ndarray:
        """The PCM ready after this block of the input (float, full scale 1.0, finite)."""
        frames = as_frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError(f"block has {frames.shape[1]} channels; this chain takes {self.channels}")
        return self._onward(self._limiter.process(self._gained(self._resampler.process_checked(frames))))

    def finish(self) -> tuple[np.ndarray, StreamedFinish]:
        """The last PCM and what the whole programme measured."""
        tail = self._limiter.process(self._gained(self._resampler.finish()))
        last = np.concatenate([self._onward(tail), self._onward(self._limiter.finish())])
        return last, StreamedFinish(
            rate_hz=self.rate_out,
            bits=self.settings.bits,
            frames=self._frames,
            max_gain_reduction_db=self._limiter.max_gain_reduction_db,
            integrated_lufs=self._meter.finish().integrated_lufs,
            true_peak_dbtp=self._limiter.true_peak_dbtp,
            gain_db=self.gain_db,
        )

    def _gained(self, converted: np.ndarray) -> np.ndarray:
        # the loudness move before the limiter, sample by sample as finish() makes it (audio * scale)
        return converted * self._scale if self.gain_db != 0.0 else converted

    def _onward(self, limited: np.ndarray) -> np.ndarray:
        self._meter.process_checked(limited)
        self._frames += limited.shape[0]
        return self._quantiser.process_checked(limited)
