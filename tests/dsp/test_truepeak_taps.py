"""The true-peak detector's stored half-band tables are its remez design, bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from dsp._halfband_taps import STAGE1_DESIGN, STAGE1_TAPS, STAGE2_DESIGN, STAGE2_TAPS, halfband_unique_taps


def test_stored_tables_are_the_design() -> None:
    np.testing.assert_array_equal(STAGE1_TAPS, halfband_unique_taps(*STAGE1_DESIGN))
    np.testing.assert_array_equal(STAGE2_TAPS, halfband_unique_taps(*STAGE2_DESIGN))
    assert STAGE1_TAPS.dtype == STAGE2_TAPS.dtype == np.float32


def test_metering_imports_no_scipy() -> None:
    # scipy.signal pulls in scipy.stats: half a second of start-up for a table of 81 numbers
    code = "import sys, dsp.meter; print(sorted(m for m in sys.modules if m in ('scipy.signal', 'scipy.stats')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
