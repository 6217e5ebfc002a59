"""The compiled kernels the meters call: the ahead-of-time build when it is fresh, else numba's JIT.

Importing numba costs 0.15-0.2 s and loading each cached kernel about 0.05 s more, which is most of
`hybrid analyze` on a short file. `python -m dsp._aot` compiles the same kernel functions once into
an extension module for this machine's CPU; it is used only while its fingerprint (the kernels'
source, the CPU's features, Python and numpy) matches, so an edited kernel is never run stale."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["AOT_MODULE", "fingerprint", "fingerprint_path", "load_aot", "loudness_block", "max_peak_between", "using_aot"]

AOT_MODULE = "_aot_kernels"  # dsp/_aot_kernels.*.so
_HERE = Path(__file__).resolve().parent
# Every file whose text decides what the compiled code does.
_SOURCES = ("_loudness_kernel.py", "_truepeak_kernel.py", "_halfband_taps.py", "_aot.py")


def _cpu_features() -> bytes:
    # The build targets this CPU's instruction set: another CPU must not run it (SIGILL).
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return b"unknown"
    lines = [line for line in text.splitlines() if line.startswith(("flags", "model name", "vendor_id"))]
    return "\n".join(sorted(set(lines))).encode()


def fingerprint() -> str:
    """What the ahead-of-time build must have been built from to be used now."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((_HERE / name).read_bytes())
    digest.update(_cpu_features())
    digest.update(f"{sys.version_info[:2]} numpy {np.__version__}".encode())
    return digest.hexdigest()


def fingerprint_path(folder: Path = _HERE) -> Path:
    return folder / f"{AOT_MODULE}.fingerprint"


def load_aot(folder: Path = _HERE) -> Any | None:
    """The ahead-of-time build in `folder` if its fingerprint matches these sources on this CPU, else None."""
    try:
        if fingerprint_path(folder).read_text().strip() != fingerprint():
            return None
        built = sorted(folder.glob(f"{AOT_MODULE}.*.so"))
        if not built:
            return None
        spec = importlib.util.spec_from_file_location(f"dsp.{AOT_MODULE}", built[0])
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except (OSError, ImportError):
        return None


@cache
def _aot() -> Any | None:
    return load_aot()


def using_aot() -> bool:
    """Whether the meters run the ahead-of-time build (False: numba's JIT and its cache)."""
    return _aot() is not None


_SUFFIX = {np.dtype(np.float32): "f4", np.dtype(np.float64): "f8"}


def _kernel(name: str, dtype: np.dtype) -> Callable[..., Any]:
    built = _aot()
    suffix = _SUFFIX.get(np.dtype(dtype))
    if built is not None and suffix is not None:
        return getattr(built, f"{name}_{suffix}")
    # numba's JIT (and its cache): imported only when there is no fresh build
    if name == "loudness_block":
        from dsp import _loudness_kernel

        return _loudness_kernel.loudness_block  # type: ignore[no-any-return]
    from dsp import _truepeak_kernel

    return _truepeak_kernel.max_peak_between  # type: ignore[no-any-return]


def loudness_block(audio: np.ndarray, *state: Any) -> int:
    """dsp._loudness_kernel.loudness_block, from the ahead-of-time build where it is fresh."""
    return int(_kernel("loudness_block", audio.dtype)(audio, *state))


def max_peak_between(audio: np.ndarray, start: int, stop: int, h1: np.ndarray, h2: np.ndarray) -> float:
    """dsp._truepeak_kernel.max_peak_between, from the ahead-of-time build where it is fresh."""
    return float(_kernel("max_peak_between", audio.dtype)(audio, start, stop, h1, h2))
