"""A print from the desk is the pipeline's print: stopping the server mid-print keeps nothing
half-written (no partial folder, the session and earlier prints intact, the gear free again)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.hybrid.desk.conftest import copy_demo
from tests.hybrid.desk.server import ROOT, start_desk

pytestmark = pytest.mark.slow


def test_stopping_the_server_mid_print_keeps_nothing_half_written(demo_out: Path, tmp_path: Path) -> None:
    session, state = copy_demo(demo_out, tmp_path / "copy")
    before = sorted(p.name for p in (session / "prints").iterdir())
    revisions = sorted(p.name for p in (session / "revisions").iterdir())
    server = start_desk(session, state_dir=state)
    headers = {"x-desk-token": server.token, "origin": server.origin}
    job = httpx.post(f"{server.base}/api/sessions/0/jobs", headers=headers, timeout=30,
                     json={"kind": "print", "revision": 2, "confirmed_units": ["pultec"]}).json()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        jobs = {j["id"]: j for j in httpx.get(f"{server.base}/api/jobs", headers=headers, timeout=30).json()}
        if jobs[job["id"]]["fraction"] > 0.2 or jobs[job["id"]]["state"] != "running":
            break
        time.sleep(0.1)
    assert jobs[job["id"]]["state"] == "running", jobs[job["id"]]
    assert any(p.name.endswith(".partial") for p in (session / "prints").iterdir()), "the print was not under way"
    assert server.stop(signal.SIGINT, timeout_s=60) == 0
    assert sorted(p.name for p in (session / "prints").iterdir()) == before
    assert sorted(p.name for p in (session / "revisions").iterdir()) == revisions
    env = dict(os.environ, XDG_STATE_HOME=str(state), PYTHONPATH=str(ROOT))
    log = subprocess.run([sys.executable, "-m", "hybrid", "session", "log", str(session), "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert [r["number"] for r in json.loads(log.stdout)] == [1, 2, 3]
    read = subprocess.run([sys.executable, "-m", "hybrid", "devices", "read"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)
    assert read.returncode == 0, read.stderr  # the print's child let go of the simulated units
