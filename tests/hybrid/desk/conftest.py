"""One demo session (made by `hybrid demo`, with its prints) for the desk's browser tests; each test
module copies it and starts its own desk and browser once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hybrid.desk.server import ROOT


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`hybrid demo --out DIR`: three songs, a session with two prints, its calibration in DIR/state."""
    out = tmp_path_factory.mktemp("desk-demo")
    env = dict(os.environ, XDG_STATE_HOME=str(out / "state"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "hybrid", "demo", "--out", str(out / "demo"), "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    json.loads(done.stdout)
    return out


def copy_demo(demo_out: Path, into: Path) -> tuple[Path, Path]:
    """A private copy of the demo (session, mixes and state), so a module's commits stay its own."""
    shutil.copytree(demo_out, into, symlinks=True)
    session = into / "demo" / "session"
    text = (session / "session.yaml").read_text().replace(str(demo_out), str(into))
    os.chmod(session / "session.yaml", 0o644)
    (session / "session.yaml").write_text(text)
    return session, into / "state"
