"""Ctrl-C and SIGTERM at seeded random moments of print, render and report: every run ends at a step
boundary with exit 130 and one line (or finishes whole with 0 when the signal came after the work),
never a traceback, never a swallowed stop, never a leftover or a damaged earlier print."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from hybrid.printing.folders import prints_of, verify_manifest
from tests.fuzz.conftest import Tally
from tests.fuzz.faults import HANG_S, crashed, hybrid, session_with_tracks, start

SEED = 13
# (command, cases, latest moment of the signal in s): the run lengths on this machine are about
# 4 s (print, calibration stored), 1.5 s (render), 2.6 s (report with plots)
PLAN = [("print", 5, 5.0), ("render", 4, 2.0), ("report", 4, 3.0)]


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("signals")
    env = {"XDG_STATE_HOME": str(base / "state")}
    folder = session_with_tracks(base, count=2, seconds=1.0, env=env)
    first = hybrid("print", str(folder), "--yes", env=env)  # calibrates; every later run finds it stored
    assert first.returncode == 0, first.stderr
    return {"folder": folder, "env": env, "base": base}


def _argv(command: str, folder: Path, base: Path, case: int) -> list[str]:
    if command == "print":
        return ["print", str(folder), "--yes"]
    if command == "render":
        return ["render", str(folder)]
    return ["report", str(prints_of(folder / "prints")[0]), "--out", str(base / f"report-{case}")]


def _leftovers(folder: Path) -> list[str]:
    hidden = [p for p in folder.rglob(".*") if p.name != ".lock"]
    return [str(p.relative_to(folder)) for p in hidden]


def test_a_stop_signal_at_any_moment_ends_cleanly(day: dict[str, object], tally: Tally) -> None:
    folder, env, base = Path(str(day["folder"])), day["env"], Path(str(day["base"]))
    rng = np.random.default_rng(SEED)
    case = 0
    for command, count, latest_s in PLAN:
        for _ in range(count):
            case += 1
            sig = [signal.SIGINT, signal.SIGTERM][int(rng.integers(2))]
            delay_s = float(rng.uniform(0.15, latest_s))
            before = {p.name for p in prints_of(folder / "prints")}
            sealed_before = {p.name: verify_manifest(p) for p in prints_of(folder / "prints")}
            proc = start(*_argv(command, folder, base, case), env=env)  # type: ignore[arg-type]
            time.sleep(delay_s)
            finished_before = proc.poll() is not None
            sealed_at_signal = {p.name for p in prints_of(folder / "prints")} - before
            if not finished_before:
                proc.send_signal(sig)
            label = f"{command} {sig.name} at {delay_s:.2f} s"
            try:
                _, err = proc.communicate(timeout=HANG_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                tally.record(label, "hung", f"ran past {HANG_S} s")
                continue
            damage = [f"left {_leftovers(folder)}"] if _leftovers(folder) else []
            damage += [f"the earlier print {name} changed" for name, problems in sealed_before.items()
                       if verify_manifest(folder / "prints" / name) != problems]
            if crashed(err) or proc.returncode not in (0, 130):
                tally.record(label, "crashed", f"exit {proc.returncode}: {err.strip()[-300:]}")
            elif proc.returncode == 130 and not any(ln.startswith("hybrid: ") and "interrupted" in ln
                                                    for ln in err.splitlines()):
                tally.record(label, "crashed", f"exit 130 without the line saying so: {err.strip()[-200:]}")
            elif command == "print" and proc.returncode == 0 and not finished_before and not sealed_at_signal:
                # the print went on and finished after it was told to stop: a swallowed interrupt
                tally.record(label, "lost", "exit 0 after the stop signal (swallowed)")
            elif damage:
                tally.record(label, "lost", "; ".join(damage))
            else:
                tally.record(label, "refused" if proc.returncode == 130 else "accepted")
    log = hybrid("session", "log", str(folder), env=env)  # type: ignore[arg-type]
    if log.returncode != 0:
        tally.lost("session log", f"the session no longer opens: {log.stderr.strip()}")
