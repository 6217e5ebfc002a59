"""Word-length reduction for delivery: TPDF or noise-shaped dither to 16/24-bit integers."""

from __future__ import annotations

from typing import cast

import numpy as np

from dsp._audio import as_frames
from dsp._dither_kernel import shaped_quantise, tpdf_quantise

__all__ = ["BITS", "DITHERS", "Quantiser", "check_word_length", "to_pcm"]

BITS = (16, 24, 32)
DITHERS = ("tpdf", "shaped", "none")

# Error-feedback filter of the "shaped" option: Wannamaker's 3-tap modified-E-weighted shaper
# (designed at 44.1 kHz): it lowers the noise around 2-5 kHz where the ear is keenest and moves
# it above 15 kHz, for about 10 dB less audible noise than flat TPDF.
_SHAPER = np.array([1.623, -0.982, 0.109])


def check_word_length(bits: int, dither: str) -> None:
    """ValueError unless bits is 16, 24 or 32 and dither one of tpdf, shaped, none."""
    if bits not in BITS:
        raise ValueError(f"bits {bits!r} is not allowed; one of 16, 24, 32 is")
    if dither not in DITHERS:
        raise ValueError(f"dither {dither!r} is not allowed; one of tpdf, shaped, none is")


def to_pcm(audio: np.ndarray, bits: int, dither: str = "tpdf", seed: int | None = None) -> np.ndarray:
    """Quantise float audio (full scale 1.0) for a `bits`-bit file.

    16 -> int16; 24 -> int32 holding the 24-bit value in its top 24 bits (soundfile's PCM_24
    convention, so writing it is bit-exact); 32 -> float32 with no dither. `dither` is "tpdf"
    (triangular, 2 LSB peak to peak: the quantisation error becomes a steady noise independent of
    the signal), "shaped" (TPDF through an error-feedback noise shaper) or "none" (plain
    rounding, which distorts quiet signals). Samples beyond full scale clip to the integer range.
    """
    return _to_pcm(as_frames(audio), bits, dither, seed)


def _to_pcm(frames: np.ndarray, bits: int, dither: str = "tpdf", seed: int | None = None) -> np.ndarray:
    """to_pcm() of (frames, channels) float audio already checked (each check reads all of it)."""
    quantiser = Quantiser(bits, dither, frames.shape[1], seed=seed, frames=frames.shape[0])
    return quantiser.process_checked(frames)


class Quantiser:
    """to_pcm fed block by block: process(block) gives the block's PCM. The dither generator and the
    noise shaper's error memory carry across blocks, so any split gives, bit for bit, what to_pcm of
    the whole gives (tests). Shaped dither draws its two uniform streams as to_pcm does, the second
    after the whole first one, so it needs the programme's length in `frames` up front."""

    def __init__(self, bits: int, dither: str, channels: int, seed: int | None = None, frames: int | None = None) -> None:
        check_word_length(bits, dither)
        self.bits = bits
        self.dither = dither
        self.channels = int(channels)
        self._full_scale = float(2 ** (bits - 1))
        self._lowest, self._highest = -self._full_scale, self._full_scale - 1.0
        if dither == "tpdf" and bits != 32:
            # The kernel's generator is seeded from numpy's: `seed` (or None: fresh entropy) decides.
            draw = int(np.random.default_rng(seed).integers(1, 2**63 - 1))
            self._state = np.uint64(draw) | np.uint64(1)  # xorshift must not start at 0
        if dither == "shaped" and bits != 32:
            if frames is None:
                raise ValueError("shaped dither needs the programme's length (frames) before its first block")
            self._first = np.random.default_rng(seed)
            generator = cast(np.random.PCG64, np.random.default_rng(seed).bit_generator)  # default_rng's is a PCG64
            generator.advance(int(frames) * self.channels)  # one 64-bit step per uniform double
            self._second = np.random.Generator(generator)
            self._errors = np.zeros((self.channels, _SHAPER.shape[0]))

    def process(self, block: np.ndarray) -> np.ndarray:
        """The PCM of the next block (int16, int32 holding 24 bits at the top, or float32)."""
        frames = as_frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError(f"block has {frames.shape[1]} channels; this quantiser takes {self.channels}")
        return self.process_checked(frames)

    def process_checked(self, frames: np.ndarray) -> np.ndarray:
        """process() of a (frames, channels) float block already checked."""
        if self.bits == 32:
            return np.ascontiguousarray(frames, dtype=np.float32)
        source = np.ascontiguousarray(frames, dtype=np.float64)
        if self.dither == "tpdf":
            pcm = np.empty(source.shape, dtype=np.int16 if self.bits == 16 else np.int32)
            self._state = np.uint64(tpdf_quantise(source, self._full_scale, self._state, self._lowest, self._highest,
                                                  0 if self.bits == 16 else 8, pcm))
            return pcm
        scaled = source * self._full_scale
        if self.dither == "none":
            values = np.rint(scaled)
        else:
            # Sum of two independent uniform [-0.5, 0.5) LSB: triangular over +-1 LSB.
            noise = self._first.random(scaled.shape) + self._second.random(scaled.shape) - 1.0
            values = shaped_quantise(scaled, noise, _SHAPER, self._lowest, self._highest, self._errors)
        np.clip(values, self._lowest, self._highest, out=values)
        if self.bits == 16:
            return values.astype(np.int16)
        return values.astype(np.int32) << 8
