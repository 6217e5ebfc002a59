"""`hybrid verify`: measure the chain now, compare with the fingerprint stored at a revision's print,
and name the unit (and the control) that most likely moved."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import sosfreqz

from calibration.fingerprint import (
    THD_LEVEL_DBFS,
    TONE_LEVELS_DBFS,
    Comparison,
    Deviation,
    Fingerprint,
    band_name,
    tone_readings,
    tone_steps,
)
from devices.profile import Parameter, Profile, Value
from devices.sim.sound import sound_for

# A candidate must explain at least this share of what moved to be named as the likely cause
MIN_EXPLAINED = 0.5
# THD readings are noisier than levels: they count for less in the fit
_THD_WEIGHT = 0.1


@dataclass(frozen=True)
class Prediction:
    """What one unit alone does to the fingerprint's readings at given settings (its sound model)."""

    response_db: np.ndarray  # (bands,)
    gain_db: np.ndarray  # (levels,) at the tone frequency
    thd_db: float


@dataclass(frozen=True)
class Suspect:
    """A control whose move best explains the measured difference."""

    unit: str
    parameter: str
    expected: Value  # the revision's setting
    likely: Value  # where the measurement says it is
    explained: float  # share of the deviation this move explains, 0..1
    text: str


@dataclass
class Attribution:
    """Every deviation with the unit held responsible, and the suspects in order of likelihood."""

    deviations: list[dict[str, Any]] = field(default_factory=list)
    suspects: list[Suspect] = field(default_factory=list)


def predict(profile: Profile, settings: dict[str, Value], rate: int, freqs_hz: np.ndarray) -> Prediction:
    """Run a unit's sound model (the profile's sim section) at settings, as the fingerprint would see it."""
    sound = sound_for(profile, settings, rate, 1, np.random.default_rng(0))
    _, h = sosfreqz(sound.sos, worN=freqs_hz, fs=rate)
    response = 20 * np.log10(np.maximum(np.abs(h), 1e-12)) + 20 * math.log10(max(sound.output_gain, 1e-12))
    tones, step = tone_steps(rate)
    sound.noise_rms = 0.0  # a prediction is about the controls, not the hiss
    out = sound.process(tones[:, None])
    gains, thd = tone_readings(out, rate, step)
    return Prediction(response, gains[0], float(thd[0]))


def candidate_values(parameter: Parameter, value: Value) -> list[Value]:
    """Positions a control may have been moved to: every named position, or 1-3 detents either way."""
    if parameter.detents is not None:
        detents = list(parameter.detents)
        if all(isinstance(d, str) for d in detents) or len(detents) <= 8:
            return [d for d in detents if d != value]
        i = detents.index(value)
        return [detents[j] for j in (i - 3, i - 2, i - 1, i + 1, i + 2, i + 3) if 0 <= j < len(detents)]
    low, high = parameter.spec.range  # type: ignore[misc]
    span = high - low
    return [v for v in (float(value) + d * span for d in (-0.1, -0.05, -0.02, 0.02, 0.05, 0.1)) if low <= v <= high]


def attribute(expected: Fingerprint, measured: Fingerprint, comparison: Comparison,
              settings: dict[str, dict[str, Value]], profiles: dict[str, Profile]) -> Attribution:
    """Which single control move, on which unit, best explains how the chain differs now.

    For every unit and every control, the unit's sound model predicts the fingerprint at the
    revision's setting and at nearby positions; the difference is what that move would do to the
    chain (moves compose in dB through a chain of mostly linear units). The observed difference
    is fitted against each prediction; the best fits are the suspects.
    """
    result = Attribution()
    if comparison.passed:
        return result
    rate = expected.sample_rate
    freqs = np.asarray(expected.freqs_hz)
    keep = (freqs >= 20.0) & (freqs <= 20000.0)
    observed = _observed(expected, measured, keep)
    fits: list[tuple[float, str, str, Value, Value, np.ndarray]] = []
    for unit, profile in profiles.items():
        if profile.sim is None or unit not in settings:
            continue
        here = profile.complete(settings[unit])
        base = predict(profile, here, rate, freqs)
        for name, parameter in profile.parameters.items():
            for value in candidate_values(parameter, here[name]):
                moved = predict(profile, {**here, name: value}, rate, freqs)
                delta = _vector(moved, base, keep)
                residual = float(np.sum((observed - delta) ** 2))
                fits.append((residual, unit, name, here[name], value, delta))
    total = float(np.sum(observed ** 2)) or 1e-30
    fits.sort(key=lambda f: f[0])
    best_per_unit: dict[str, tuple[float, str, str, Value, Value, np.ndarray]] = {}
    for fit in fits:
        best_per_unit.setdefault(fit[1], fit)
    for residual, unit, name, was, likely, _delta in sorted(best_per_unit.values(), key=lambda f: f[0]):
        explained = max(0.0, 1.0 - residual / total)
        if explained < MIN_EXPLAINED:
            continue
        parameter = profiles[unit].parameters[name]
        result.suspects.append(Suspect(unit, name, was, likely, round(explained, 3),
                                       f"{unit}.{name} looks like {parameter.marking(likely)} "
                                       f"instead of {parameter.marking(was)} (explains {explained:.0%})"))
    result.deviations = [_deviation_row(d, result.suspects, best_per_unit, expected, keep) for d in comparison.deviations]
    return result


def _observed(expected: Fingerprint, measured: Fingerprint, keep: np.ndarray) -> np.ndarray:
    """The measured change as one vector: response bands, compression curve, THD (channels averaged)."""
    resp = np.mean(np.asarray(measured.response_db) - np.asarray(expected.response_db), axis=0)[keep]
    gains = np.mean(np.asarray(measured.gain_db) - np.asarray(expected.gain_db), axis=0)
    thd = float(np.mean(np.asarray(measured.thd_db) - np.asarray(expected.thd_db)))
    if max(max(measured.thd_db), max(expected.thd_db)) < -90.0:
        thd = 0.0  # both in the noise: nothing to explain
    return np.concatenate([resp, gains, [_THD_WEIGHT * thd]])


def _vector(moved: Prediction, base: Prediction, keep: np.ndarray) -> np.ndarray:
    thd = moved.thd_db - base.thd_db if max(moved.thd_db, base.thd_db) >= -90.0 else 0.0
    return np.concatenate([(moved.response_db - base.response_db)[keep], moved.gain_db - base.gain_db,
                           [_THD_WEIGHT * thd]])


def _deviation_row(dev: Deviation, suspects: list[Suspect], fits: dict[str, Any], expected: Fingerprint,
                   keep: np.ndarray) -> dict[str, Any]:
    """One deviation for the report and --json, with the suspect whose move predicts it best."""
    index = _index_in_vector(dev, expected, keep)
    unit = None
    if index is not None and suspects:
        observed = dev.measured - dev.expected
        scale = _THD_WEIGHT if dev.kind == "thd" else 1.0
        named = {s.unit for s in suspects}
        unit = min(named, key=lambda u: abs(fits[u][5][index] / scale - observed))
    return {
        "unit": unit, "what": dev.what, "kind": dev.kind, "channel": dev.channel,
        "expected": round(dev.expected, 3), "measured": round(dev.measured, 3),
        "deviation": round(dev.delta, 3), "unit_of_measure": dev.unit,
        "freq_hz": dev.freq_hz, "level_dbfs": dev.level_dbfs,
    }


def _index_in_vector(dev: Deviation, expected: Fingerprint, keep: np.ndarray) -> int | None:
    bands = int(np.sum(keep))
    if dev.kind == "response" and dev.freq_hz is not None:
        kept = [f for f, k in zip(expected.freqs_hz, keep) if k]
        return kept.index(dev.freq_hz) if dev.freq_hz in kept else None
    if dev.kind == "gain_reduction" and dev.level_dbfs is not None:
        return bands + list(TONE_LEVELS_DBFS).index(dev.level_dbfs)
    if dev.kind == "thd":
        return bands + len(TONE_LEVELS_DBFS)
    return None


def summarize(deviations: list[dict[str, Any]]) -> list[str]:
    """Deviations grouped into readable lines: one per unit and run of neighbouring bands."""
    lines: list[str] = []
    response = [d for d in deviations if d["kind"] == "response"]
    by_key: dict[tuple[Any, int], list[dict[str, Any]]] = {}
    for d in response:
        by_key.setdefault((d["unit"], d["channel"]), []).append(d)
    for (unit, channel), rows in by_key.items():
        rows.sort(key=lambda d: d["freq_hz"])
        worst = max(rows, key=lambda d: abs(d["deviation"]))
        lo, hi = band_name(rows[0]["freq_hz"]), band_name(rows[-1]["freq_hz"])
        span = lo if lo == hi else f"{lo} to {hi}"
        lines.append(f"{unit or 'unknown unit'}: response {span} on return {channel}, up to "
                     f"{worst['deviation']:+.2f} dB at {band_name(worst['freq_hz'])}")
    for d in deviations:
        if d["kind"] != "response":
            lines.append(f"{d['unit'] or 'unknown unit'}: {d['what']} on return {d['channel']}: "
                         f"{d['expected']:.2f} -> {d['measured']:.2f} dB")
    return lines


__all__ = ["Attribution", "Prediction", "Suspect", "attribute", "candidate_values", "predict", "summarize",
           "THD_LEVEL_DBFS"]
