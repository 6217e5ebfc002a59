"""What the fault fuzzers share: `hybrid` run as its own process, a small session to print (the
tally of cases is the `tally` fixture of tests/fuzz/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000
HANG_S = 120.0  # a command that has not ended by then has hung


def crashed(stderr: str) -> bool:
    """A traceback or Python's own complaint where one line was due."""
    return any(mark in stderr for mark in ("Traceback", "Exception ignored", "SystemError"))


def refused_in_one_line(result: subprocess.CompletedProcess[str], status: int = 2) -> bool:
    """Exit `status` and one `hybrid: ...` line, no traceback (narration before it is allowed)."""
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("hybrid: ")]
    return result.returncode == status and len(lines) == 1 and not crashed(result.stderr)


def mix(path: Path, seconds: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    sf.write(path, 0.1 * rng.standard_normal((int(RATE * seconds), 2)), RATE, subtype="FLOAT")
    return path


def hybrid(*args: str, env: dict[str, str] | None = None, timeout: float = HANG_S,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m hybrid ARGS` as the user would (its own process, its own signals)."""
    return subprocess.run([sys.executable, "-m", "hybrid", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, cwd=cwd)


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "hybrid", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def session_with_tracks(base: Path, count: int = 2, seconds: float = 1.0, env: dict[str, str] | None = None) -> Path:
    """A session of `count` short noise mixes (streaming target), not printed yet."""
    base.mkdir(parents=True, exist_ok=True)
    mixes = [mix(base / f"m{n}.wav", seconds, n) for n in range(1, count + 1)]
    folder = base / "s"
    args = ["session", "new", str(folder), "--target", "streaming"]
    for m in mixes:
        args += ["--track", str(m)]
    done = hybrid(*args, env=env)
    assert done.returncode == 0, done.stderr
    return folder
