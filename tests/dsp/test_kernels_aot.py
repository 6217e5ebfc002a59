"""The ahead-of-time build of the meters' kernels computes what numba's JIT does, bit for bit, and is
never used once its sources changed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dsp import _kernels
from dsp._aot import SIGNATURES, build
from dsp._halfband_taps import CONTEXT_FRAMES, STAGE1_TAPS, STAGE2_TAPS
from dsp._loudness_kernel import loudness_block
from dsp._truepeak_kernel import max_peak_between
from dsp.loudness import channel_weights, k_weighting_sos


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("aot"))  # about 10 s: once for the module


def _loudness_state(channels: int, hop: int) -> tuple[Any, ...]:
    ring = 30 * hop + 1
    return (np.zeros((channels, 4)), np.zeros(ring), np.array([0, ring - 4 * hop, ring - 30 * hop, hop]),
            np.array([0.0, -1.0, -1.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_build_matches_the_jit_bit_for_bit(built: Path, dtype: type) -> None:
    module = _kernels.load_aot(built)
    assert module is not None
    suffix = "f4" if dtype is np.float32 else "f8"
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal((150_000, 2)) * 0.3).astype(dtype)
    audio[77_777] = 1.7
    hop = 4800
    sos, weights = k_weighting_sos(48000), channel_weights(2)
    results = []
    for kernel in (getattr(module, f"loudness_block_{suffix}"), loudness_block):
        state = _loudness_state(2, hop)
        grid = np.empty(audio.shape[0] // hop + 1)
        written = kernel(audio, sos, weights, hop, 4 * hop, 30 * hop, 0, *state, grid)
        results.append((written, grid[:written].copy(), *[s.copy() for s in state]))
    for ours, jit in zip(*results, strict=True):
        np.testing.assert_array_equal(ours, jit)
    stop = audio.shape[0] - CONTEXT_FRAMES
    aot_peak = getattr(module, f"max_peak_between_{suffix}")(audio, CONTEXT_FRAMES, stop, STAGE1_TAPS, STAGE2_TAPS)
    assert aot_peak == max_peak_between(audio, CONTEXT_FRAMES, stop, STAGE1_TAPS, STAGE2_TAPS)
    assert set(SIGNATURES) <= set(dir(module))


def test_a_stale_or_foreign_build_is_not_used(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    assert _kernels.load_aot(copy) is not None
    _kernels.fingerprint_path(copy).write_text("built from other sources\n")  # an edited kernel
    assert _kernels.load_aot(copy) is None
    _kernels.fingerprint_path(copy).unlink()  # a build that stopped half-way writes none
    assert _kernels.load_aot(copy) is None
