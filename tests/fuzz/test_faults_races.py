"""Races, seeded: many `session new` on one folder at once (one wins, the others are one line, no
temporary folder left), `render` while a print holds the session (refused, naming the holder), and
two rigs that share a name (each has its own calibration record; a refusal names the right rig)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from calibration import store
from devices.rig import default_rig_path, load_rig
from hybrid.printing.folders import prints_of
from tests.fuzz.conftest import Tally
from tests.fuzz.faults import HANG_S, crashed, hybrid, mix, session_with_tracks, start

SEED = 4242


def _popen(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return start(*args, env=env)


def test_parallel_session_new_on_one_folder(tmp_path: Path, tally: Tally) -> None:
    rng = random.Random(SEED)
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    song = mix(tmp_path / "song.wav", 0.3, 1)
    for round_ in range(2):
        count = rng.randrange(3, 7)
        folder = tmp_path / f"race{round_}"
        if rng.random() < 0.5:
            folder.mkdir()  # an empty folder the user made for it
        procs = [_popen("session", "new", str(folder), "--track", str(song), env=env) for _ in range(count)]
        results = [(p.wait(timeout=HANG_S), p.stderr.read() if p.stderr else "") for p in procs]
        for status, err in results:
            label = f"round {round_}: {count} at once"
            if crashed(err) or status not in (0, 2):
                tally.record(label, "crashed", f"exit {status}: {err.strip()[-300:]}")
            elif status == 2 and len([ln for ln in err.splitlines() if ln.startswith("hybrid: ")]) != 1:
                tally.record(label, "crashed", f"not one line: {err.strip()[-300:]}")
            else:
                tally.record(label, "accepted" if status == 0 else "refused")
        winners = sum(1 for status, _ in results if status == 0)
        if winners != 1:
            tally.lost(f"round {round_}", f"{winners} processes said they made the session")
        left = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".race{round_}.")]
        if left:
            tally.lost(f"round {round_}", f"temporary folders left: {left}")
        if hybrid("session", "log", str(folder), env=env).returncode != 0:
            tally.lost(f"round {round_}", "the session that won does not open")


def test_render_waits_for_no_print_it_is_refused_while_one_runs(tmp_path: Path, tally: Tally) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    folder = session_with_tracks(tmp_path, count=2, seconds=1.0, env=env)
    assert hybrid("print", str(folder), "--yes", env=env).returncode == 0
    rng = random.Random(SEED + 1)
    for case in range(2):
        printing = _popen("print", str(folder), "--yes", env=env)
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".") for p in (folder / "prints").iterdir()):
            assert printing.poll() is None and time.monotonic() < deadline, "the print never started"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
        during = hybrid("render", str(folder), env=env)
        printing.wait(timeout=HANG_S)
        label = f"render during print {case}"
        if printing.returncode != 0:
            tally.record(label, "crashed", f"the print failed: {printing.stderr.read() if printing.stderr else ''}")
        elif during.returncode == 0:
            tally.record(label, "lost", "render ran while the print held the session")
        elif "in use by another hybrid process (pid" not in during.stderr or crashed(during.stderr):
            tally.record(label, "crashed", during.stderr.strip()[-300:])
        else:
            tally.record(label, "refused")
    after = hybrid("render", str(folder), env=env)
    tally.record("render after the print", "accepted" if after.returncode == 0 else "crashed", after.stderr[-300:])


def _namesake(tmp_path: Path, latency: float) -> Path:
    """A rig file named sim-studio like the embedded one, with another interface latency."""
    data = yaml.safe_load(default_rig_path().read_text())
    data["interface"]["latency_samples"] = latency
    data["calibration"] = {**data.get("calibration", {}), "on_drift": "refuse"}
    for unit in data["units"]:
        profile = unit["profile"]
        if profile.endswith((".yaml", ".yml")) and not Path(profile).is_absolute():
            unit["profile"] = str((default_rig_path().parent / profile).resolve())
    path = tmp_path / f"studio-{latency:g}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_two_rigs_that_share_a_name_keep_their_own_calibration(tmp_path: Path, tally: Tally) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    rng = random.Random(SEED + 2)
    latencies = sorted(rng.sample([53.25, 97.5, 140.0, 211.75], 2))
    rigs = [_namesake(tmp_path, latency) for latency in latencies]
    assert len({store.rig_key(load_rig(r)) for r in rigs}) == 2
    for rig in rigs:
        done = hybrid("calibrate", "--rig", str(rig), "--json", "--yes", env=env)
        tally.record(f"calibrate {rig.name}", "accepted" if done.returncode == 0 else "crashed", done.stderr[-300:])
    # each print finds its own rig's record: no drift, nothing re-measured, nothing refused
    for rig in rigs:
        base = tmp_path / rig.stem
        mixes = [mix(base.with_suffix(".wav"), 0.5, 3)]
        folder = base / "s"
        made = hybrid("session", "new", str(folder), "--rig", str(rig), "--track", str(mixes[0]), "--target",
                      "streaming", env=env)
        assert made.returncode == 0, made.stderr
        done = hybrid("print", str(folder), "--yes", env=env)
        label = f"print on {rig.name}"
        if done.returncode != 0:
            # the old way: one record for both names, the second rig's loop "drifted" from the first's
            tally.record(label, "lost" if "no longer matches" in done.stderr else "crashed", done.stderr[-300:])
            continue
        record = json.loads((prints_of(folder / "prints")[0] / "print.json").read_text())["calibration"]
        if record["recalibrated"]:
            tally.record(label, "lost", "the print measured again: the record it found was another rig's")
        else:
            tally.record(label, "accepted")
    # a record that cannot be read names the rig file to calibrate, not the shared name
    key = store.rig_key(load_rig(rigs[1]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", env["XDG_STATE_HOME"])
        record = store.record_path(key, 48000, 256)
    record.write_text("{ not json")
    done = hybrid("print", str(tmp_path / rigs[1].stem / "s"), "--yes", env=env)
    ok = done.returncode == 2 and f"--rig {rigs[1]}" in done.stderr and not crashed(done.stderr)
    tally.record("an unreadable record names its rig", "refused" if ok else "crashed", done.stderr[-300:])
