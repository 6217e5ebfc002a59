"""Recall figures: recalling and verifying every unit of devices/rigs/sim-studio.yaml (goal under 1 s), and the sim chain's speed."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

import numpy as np

from devices.rig import load_rig
from devices.station import open_station

# A revision as a client would approve it: every control of every unit named
APPROVED = {
    "eq": {"low_shape": "shelf", "low_freq_hz": 40, "low_gain_db": 1.0, "lowmid_freq_hz": 220,
           "lowmid_gain_db": -1.5, "lowmid_q": 1.0, "highmid_freq_hz": 3300, "highmid_gain_db": 0.5,
           "highmid_q": 0.7, "high_shape": "shelf", "high_freq_hz": 12000, "high_gain_db": 1.5, "output_db": -0.4},
    "comp": {"threshold_db": -14, "ratio": 2, "attack_ms": 10, "release_s": "auto", "makeup_db": 2,
             "sidechain_hpf_hz": 90, "mix_pct": 100},
    "color": {"drive_db": 4, "tilt_db": 0.5, "air_db": 1.25, "output_db": -1.2, "mode": "warm"},
    "pultec": {"low_freq_hz": 60, "low_boost": 3, "low_atten": 2, "high_freq_hz": 10000, "high_boost": 2,
               "bandwidth": 6, "atten_freq_hz": 20000, "high_atten": 1},
}
REPEATS = 20


def run() -> list[dict[str, Any]]:
    """Rows: recall+verify time (median and worst of 20), neutral recall, station start, chain speed."""
    previous = os.environ.get("XDG_STATE_HOME")
    with tempfile.TemporaryDirectory(prefix="hybrid-bench-") as state:
        os.environ["XDG_STATE_HOME"] = state  # the bench's twins must not touch the studio's panels
        try:
            return _measure()
        finally:
            if previous is None:
                os.environ.pop("XDG_STATE_HOME", None)
            else:
                os.environ["XDG_STATE_HOME"] = previous


def _measure() -> list[dict[str, Any]]:
    rig = load_rig()
    started = time.perf_counter()
    station = open_station(rig, confirm_manual=lambda sheet: True, audio=False)
    open_s = time.perf_counter() - started
    rows: list[dict[str, Any]] = []
    try:
        station.recall(APPROVED)  # warm-up: first use of each wire
        other = {unit: dict(values) for unit, values in APPROVED.items()}
        other["eq"]["high_gain_db"] = 2.0
        times, neutral_times = [], []
        for i in range(REPEATS):
            t0 = time.perf_counter()
            reports = station.recall(APPROVED if i % 2 else other)
            times.append(time.perf_counter() - t0)
            assert all(reports[u].verified for u in ("eq", "comp", "color"))
            t0 = time.perf_counter()
            station.recall_neutral()
            neutral_times.append(time.perf_counter() - t0)
        messages = sum(len(u.remote.transport.log.entries) for u in station.units.values())
        per_unit = {name: round(r.elapsed_s * 1000, 2) for name, r in station.recall(APPROVED).items()}
        rows.append({"bench": "recall", "what": "recall + read-back of every control of the 4 sim-studio units",
                     "median_s": round(statistics.median(times), 4), "worst_s": round(max(times), 4),
                     "goal_s": 1.0, "meets_goal": max(times) < 1.0, "repeats": REPEATS,
                     "controls": sum(len(v) for v in APPROVED.values()), "per_unit_ms": per_unit,
                     "wire_log_entries": messages})
        rows.append({"bench": "recall", "what": "recall of neutral (before calibration)",
                     "median_s": round(statistics.median(neutral_times), 4), "worst_s": round(max(neutral_times), 4)})
        rows.append({"bench": "recall", "what": "open_station: start 4 twins and connect (first, includes imports)",
                     "seconds": round(open_s, 3)})
        rows.extend(_chain_speed(station))
    finally:
        station.close()
    return rows


def _chain_speed(station: Any) -> list[dict[str, Any]]:
    rate = 48000
    audio = np.random.default_rng(0).standard_normal((rate * 10, 2)) * 0.1
    rows = []
    for block in (256, 4096):
        station.sim.reset()
        station.sim.process(audio[:block], rate)  # build the sound models first
        t0 = time.perf_counter()
        for i in range(0, audio.shape[0], block):
            station.sim.process(audio[i:i + block], rate)
        seconds = time.perf_counter() - t0
        rows.append({"bench": "recall", "what": f"simulated analog chain (4 units, stereo 48 kHz), block {block}",
                     "x_real_time": round(10.0 / seconds, 1)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
