"""A control moved while audio streams: the unit goes on from its state (no restart from rest, no click)."""

from __future__ import annotations

import numpy as np
import pytest

from devices.profile import load_profile
from devices.sound import sound_for

RATE = 48000


def _run(profile_name: str, before: dict, after: dict, carry: bool) -> tuple[np.ndarray, np.ndarray]:
    """A tone through the unit for 0.5 s at `before`, then 0.1 s at `after` (the state carried or not),
    and the same 0.1 s from a unit that was at `after` all along (the steady state to compare with)."""
    profile = load_profile(profile_name)
    t = np.arange(int(0.6 * RATE)) / RATE
    tone = 0.3 * np.stack([np.sin(2 * np.pi * 997 * t), np.sin(2 * np.pi * 3001 * t)], axis=1)
    first = sound_for(profile, {**profile.neutral(), **before}, RATE, 2, np.random.default_rng(1))
    steady = sound_for(profile, {**profile.neutral(), **after}, RATE, 2, np.random.default_rng(1))
    split = int(0.5 * RATE)
    for k in range(0, split, 256):
        first.process(tone[k:k + 256])
        steady.process(tone[k:k + 256])
    second = sound_for(profile, {**profile.neutral(), **after}, RATE, 2, np.random.default_rng(1))
    if carry:
        second.carry_from(first)
    moved = np.concatenate([second.process(tone[k:k + 256]) for k in range(split, tone.shape[0], 256)])
    settled = np.concatenate([steady.process(tone[k:k + 256]) for k in range(split, tone.shape[0], 256)])
    return moved, settled


def _error_db(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(np.mean((a - b) ** 2) / np.mean(b ** 2)))


@pytest.mark.parametrize("profile,before,after", [
    ("stepped-eq-4band", {}, {"high_gain_db": 3.0}),
    ("stepped-eq-4band", {"lowmid_gain_db": 2.0}, {"lowmid_gain_db": 3.0}),
    ("tube-color", {}, {"air_db": 1.5}),
    ("vca-bus-comp", {"threshold_db": -20.0}, {"threshold_db": -21.0}),
])
def test_a_control_moved_mid_stream_goes_on_from_the_units_state(profile: str, before: dict, after: dict) -> None:
    moved, settled = _run(profile, before, after, carry=True)
    fresh, _ = _run(profile, before, after, carry=False)
    # carried over, the unit is at its new steady state at once (only a section switched in settles)
    with np.errstate(divide="ignore"):
        assert _error_db(moved, settled) < -45.0
        assert _error_db(moved, settled) <= _error_db(fresh, settled) + 0.5


def test_the_tube_restarted_from_rest_clicks_and_carried_over_does_not() -> None:
    moved, settled = _run("tube-color", {}, {"air_db": 1.5}, carry=True)
    fresh, _ = _run("tube-color", {}, {"air_db": 1.5}, carry=False)
    first_10_ms = slice(0, 480)
    assert _error_db(fresh[first_10_ms], settled[first_10_ms]) > -20.0  # what the sim did before
    assert _error_db(moved[first_10_ms], settled[first_10_ms]) < -45.0
