"""SIGKILL at seeded moments of print and render: the next command notices what the killed one left
(a hidden print or render folder), says so and removes it, never one a live process still builds;
render.json is never older than the files it describes."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest

from hybrid.printing.folders import prints_of, verify_manifest
from tests.fuzz.conftest import Tally
from tests.fuzz.faults import HANG_S, crashed, hybrid, session_with_tracks, start


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("leftovers")
    env = {"XDG_STATE_HOME": str(base / "state")}
    folder = session_with_tracks(base, count=2, seconds=1.0, env=env)
    assert hybrid("print", str(folder), "--yes", env=env).returncode == 0
    assert hybrid("render", str(folder), env=env).returncode == 0
    return {"folder": folder, "env": env}


def _hidden(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.name != ".lock"]


def _render_json_fresh(folder: Path) -> str | None:
    """None when every render.json is at least as new as the files it lists, else what is wrong."""
    for summary in folder.rglob("render.json"):
        listed = [Path(p) for p in json.loads(summary.read_text())["paths"] if Path(p).name != "render.json"]
        newer = [p for p in listed if p.exists() and p.stat().st_mtime_ns > summary.stat().st_mtime_ns]
        if newer:
            return f"{summary} is older than {newer[0]}"
    return None


def _wait_for_hidden(folder: Path, proc, timeout_s: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not _hidden(folder):
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_what_a_killed_command_leaves_is_said_and_removed(day: dict[str, object], tally: Tally) -> None:
    folder, env = Path(str(day["folder"])), day["env"]
    rng = random.Random(99)
    for case in range(6):
        command = ["print", str(folder), "--yes"] if case % 2 == 0 else ["render", str(folder)]
        sealed = {p.name: verify_manifest(p) for p in prints_of(folder / "prints")}
        proc = start(*command, env=env)  # type: ignore[arg-type]
        started = _wait_for_hidden(folder, proc)
        time.sleep(rng.uniform(0.0, 1.5 if case % 2 == 0 else 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=HANG_S)
        label = f"{command[0]} killed (case {case})"
        left = _hidden(folder)
        nxt = hybrid("session", "log", str(folder), env=env)  # type: ignore[arg-type]
        if nxt.returncode != 0 or crashed(nxt.stderr):
            tally.record(label, "crashed", f"the next command: exit {nxt.returncode}: {nxt.stderr[-300:]}")
        elif _hidden(folder):
            tally.record(label, "lost", f"still there after the next command: {_hidden(folder)}")
        elif left and not all(f"removed {p.relative_to(folder)}" in nxt.stderr for p in left
                              if not any(p.is_relative_to(q) and p != q for q in left)):
            tally.record(label, "lost", f"removed without a word: {nxt.stderr[-300:]}")
        elif any(verify_manifest(folder / "prints" / n) != problems for n, problems in sealed.items()):
            tally.record(label, "lost", "an earlier print changed")
        elif (stale := _render_json_fresh(folder)) is not None:
            tally.record(label, "lost", stale)
        else:
            tally.record(label, "refused" if started and left else "accepted")


def test_a_live_print_keeps_its_folder_while_other_commands_run(day: dict[str, object], tally: Tally) -> None:
    folder, env = Path(str(day["folder"])), day["env"]
    for case in range(1):
        proc = start("print", str(folder), "--yes", env=env)  # type: ignore[arg-type]
        assert _wait_for_hidden(folder, proc), "the print never started"
        building = _hidden(folder)
        nxt = hybrid("session", "log", str(folder), env=env)  # type: ignore[arg-type]
        still = all(p.exists() for p in building)
        proc.wait(timeout=HANG_S)
        label = f"session log during a print ({case})"
        if not still:
            tally.record(label, "lost", "the live print's folder was removed")
        elif proc.returncode != 0:
            tally.record(label, "crashed", f"the print failed: {proc.stderr.read() if proc.stderr else ''}")
        elif nxt.returncode != 0:
            tally.record(label, "crashed", nxt.stderr[-300:])
        else:
            tally.record(label, "accepted")
