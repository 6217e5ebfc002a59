"""`python -m dsp._aot [FOLDER]`: compile the meters' kernels ahead of time for this machine's CPU.

The result (dsp/_aot_kernels.*.so and its fingerprint) spares `hybrid analyze` numba's import and
its cache loading; dsp/_kernels.py uses it only while the fingerprint still matches."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["SIGNATURES", "build"]

_STATE = "i8, i8, i8, i8, f8[:, :], f8[:], i8[:], f8[:], f8[:]"
# Exported name -> (kernel module, function, numba signature). Blocks come as float32 (what the
# meters read files as) or float64 (what finishing measures), in any layout.
SIGNATURES = {
    "loudness_block_f4": ("dsp._loudness_kernel", "loudness_block", f"i8(f4[:, :], f8[:, :], f8[:], {_STATE})"),
    "loudness_block_f8": ("dsp._loudness_kernel", "loudness_block", f"i8(f8[:, :], f8[:, :], f8[:], {_STATE})"),
    "max_peak_between_f4": ("dsp._truepeak_kernel", "max_peak_between", "f8(f4[:, :], i8, i8, f4[:], f4[:])"),
    "max_peak_between_f8": ("dsp._truepeak_kernel", "max_peak_between", "f8(f8[:, :], i8, i8, f4[:], f4[:])"),
}


def build(folder: Path | None = None) -> Path:
    """Compile SIGNATURES into FOLDER (default: the dsp package) and write the fingerprint last."""
    import importlib
    import warnings

    with warnings.catch_warnings():  # numba marks pycc for deprecation without a successor yet
        warnings.simplefilter("ignore")
        from numba.pycc import CC

    from dsp import _kernels

    out = Path(folder) if folder is not None else Path(_kernels.__file__).resolve().parent
    marker = _kernels.fingerprint_path(out)
    marker.unlink(missing_ok=True)  # a half-built module is never taken for a fresh one
    cc = CC(_kernels.AOT_MODULE)
    cc.output_dir = str(out)
    cc.target_cpu = "host"  # the JIT's choice too: the same vector code, results bit for bit
    cc.verbose = False
    for name, (module, function, signature) in SIGNATURES.items():
        dispatcher = getattr(importlib.import_module(module), function)
        cc.export(name, signature)(dispatcher.py_func)
    cc.compile()
    marker.write_text(_kernels.fingerprint() + "\n")
    return out


if __name__ == "__main__":  # pragma: no cover
    where = build(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"dsp kernels compiled ahead of time in {where}")
