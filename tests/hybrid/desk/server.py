"""A `hybrid desk` process for a test module: started once, its URL read from its first line, stopped at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[3]


def write_mix(path: Path, seconds: float = 1.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    sf.write(path, 0.1 * rng.standard_normal((int(48000 * seconds), 2)), 48000, subtype="FLOAT")
    return path


def make_session(folder: Path, tracks: int = 2) -> Path:
    """A small session (noise mixes) made through the CLI's own code."""
    from hybrid.cli import main

    mixes = [write_mix(folder.parent / f"{folder.name}-mix{n}.wav", seed=n) for n in range(1, tracks + 1)]
    args = ["session", "new", str(folder), "--title", "Desk EP", "--artist", "The Band", "--author", "me@desk"]
    for mix in mixes:
        args += ["--track", str(mix)]
    assert main(args) == 0
    return folder


@dataclass
class DeskProcess:
    process: subprocess.Popen[str]
    url: str

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def token(self) -> str:
        return parse_qs(urlsplit(self.url).query)["token"][0]

    @property
    def origin(self) -> str:
        return self.base

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_desk(*dirs: Path, state_dir: Path, extra: list[str] | None = None, timeout_s: float = 60.0) -> DeskProcess:
    """`python -m hybrid desk DIR... --no-browser` with its own state folder; waits for the URL line."""
    state_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, XDG_STATE_HOME=str(state_dir), PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "hybrid", "desk", *map(str, dirs), "--no-browser",
                                *(extra or [])], stdout=subprocess.PIPE, stderr=(state_dir / "desk.err").open("w"), text=True,
                               env=env, cwd=ROOT)
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("hybrid desk: http://") or time.monotonic() > deadline:
        process.kill()
        raise AssertionError(f"the desk did not start: {line!r} {(state_dir / 'desk.err').read_text()}")
    return DeskProcess(process, line.split("hybrid desk: ", 1)[1].strip())
