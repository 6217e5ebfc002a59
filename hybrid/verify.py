"""`hybrid verify`: measure the chain now, compare with the fingerprint stored at a revision's print,
and name the unit (and the control) that most likely moved."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from calibration.fingerprint import (
    TONE_HZ,
    TONE_LEVELS_DBFS,
    Comparison,
    Deviation,
    compare,
    Fingerprint,
    band_name,
    tone_readings,
    tone_steps,
)
from devices.profile import Parameter, Profile, Value
from devices.sim.sound import UnitSound, sound_for

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


def predict(profile: Profile, settings: dict[str, Value], rate: int, freqs_hz: np.ndarray,
            base: tuple[Any, Prediction] | None = None) -> Prediction:
    """Run a unit's sound model (the profile's sim section) at settings, as the fingerprint would see it.

    With base (the model and prediction at the revision's settings), a move that leaves the unit's
    level-dependent parts alone (no dynamics, same drive and bias) is predicted from its filters
    alone: the tone readings shift by the filters' change at the tone frequency, THD stays.
    """
    sound = sound_for(profile, settings, rate, 1, np.random.default_rng(0))
    response = _response_db(sound, rate, freqs_hz)
    if base is not None and _linear_move(base[0], sound):
        shift = float(_response_db(sound, rate, np.array([TONE_HZ]))[0] - _response_db(base[0], rate, np.array([TONE_HZ]))[0])
        return Prediction(response, base[1].gain_db + shift, base[1].thd_db)
    tones, step = tone_steps(rate)
    sound.noise_rms = 0.0  # a prediction is about the controls, not the hiss
    out = sound.process(tones[:, None])
    gains, thd = tone_readings(out, rate, step)
    return Prediction(response, gains[0], float(thd[0]))


def model_of(profile: Profile, settings: dict[str, Value], rate: int, freqs_hz: np.ndarray) -> tuple[Any, Prediction]:
    """A unit's sound model at settings and its full prediction: the base its moves are compared with."""
    return sound_for(profile, settings, rate, 1, np.random.default_rng(0)), predict(profile, settings, rate, freqs_hz)


def _response_db(sound: Any, rate: int, freqs_hz: np.ndarray) -> np.ndarray:
    """The model's filters and output gain at freqs_hz, in dB (each biquad evaluated on the unit circle)."""
    sos = np.asarray(sound.sos)
    z1 = np.exp(-2j * math.pi * np.asarray(freqs_hz, dtype=np.float64) / rate)[None, :]
    z2 = z1 * z1
    num = sos[:, 0:1] + sos[:, 1:2] * z1 + sos[:, 2:3] * z2
    den = sos[:, 3:4] + sos[:, 4:5] * z1 + sos[:, 5:6] * z2
    h = np.prod(num / den, axis=0)
    return 20 * np.log10(np.maximum(np.abs(h), 1e-12)) + 20 * math.log10(max(sound.output_gain, 1e-12))


def _linear_move(base: Any, moved: Any) -> bool:
    return (type(moved)._dynamics is UnitSound._dynamics and moved.drive_db == base.drive_db
            and moved.bias == base.bias)


def candidate_values(parameter: Parameter, value: Value) -> list[Value]:
    """Positions a control may have been moved to: every detent, or steps of 1-20 % of its travel."""
    if parameter.detents is not None:
        return [d for d in parameter.detents if d != value]
    low, high = parameter.spec.range  # type: ignore[misc]
    span = high - low
    steps = (-0.2, -0.1, -0.05, -0.02, -0.01, 0.01, 0.02, 0.05, 0.1, 0.2)
    return [v for v in (float(value) + d * span for d in steps) if low <= v <= high]


@dataclass(frozen=True)
class _Move:
    unit: str
    parameter: str
    was: Value
    likely: Value
    delta: np.ndarray


def attribute(expected: Fingerprint, measured: Fingerprint, comparison: Comparison,
              settings: dict[str, dict[str, Value]], profiles: dict[str, Profile], max_moves: int = 3) -> Attribution:
    """Which control moves, on which units, best explain how the chain differs now.

    For every unit and every control, the unit's sound model predicts what moving that control
    from the revision's setting to each other position does to the fingerprint (moves compose in
    dB through a chain of mostly linear units). A greedy pursuit then takes the move that explains
    most of the observed difference, removes it, and looks again, up to max_moves.
    """
    result = Attribution()
    if comparison.passed:
        return result
    rate = expected.sample_rate
    freqs = np.asarray(expected.freqs_hz)
    keep = (freqs >= 20.0) & (freqs <= 20000.0)
    observed = _observed(expected, measured, keep)
    moves: list[_Move] = []
    for unit, profile in profiles.items():
        if profile.sim is None or unit not in settings:
            continue
        here = profile.complete(settings[unit])
        base = model_of(profile, here, rate, freqs)
        for name, parameter in profile.parameters.items():
            for value in candidate_values(parameter, here[name]):
                moved = predict(profile, {**here, name: value}, rate, freqs, base)
                moves.append(_Move(unit, name, here[name], value, _vector(moved, base[1], keep)))
    total = float(np.sum(observed ** 2)) or 1e-30
    residual = observed.copy()
    chosen: list[tuple[_Move, float]] = []
    for _ in range(max_moves):
        left = float(np.sum(residual ** 2))
        taken = {(m.unit, m.parameter) for m, _ in chosen}
        options = [m for m in moves if (m.unit, m.parameter) not in taken]
        if not options or left <= 1e-12:
            break
        best = min(options, key=lambda m: float(np.sum((residual - m.delta) ** 2)))
        after = float(np.sum((residual - best.delta) ** 2))
        gain = (left - after) / total
        # a further move must earn its place: most of what is left, or a clear share of the whole
        if after > 0.5 * left and gain < MIN_EXPLAINED / 2 or gain <= 0:
            break
        chosen.append((best, gain))
        residual = residual - best.delta
    explained_total = 1.0 - float(np.sum(residual ** 2)) / total
    for move, gain in chosen:
        if explained_total < MIN_EXPLAINED:
            break
        parameter = profiles[move.unit].parameters[move.parameter]
        result.suspects.append(Suspect(move.unit, move.parameter, move.was, move.likely, round(gain, 3),
                                       f"{move.unit}.{move.parameter} looks like {parameter.marking(move.likely)} "
                                       f"instead of {parameter.marking(move.was)} (explains {gain:.0%})"))
    named = [m for m, _ in chosen] if result.suspects else []
    result.deviations = [_deviation_row(d, named, expected, keep) for d in comparison.deviations]
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


def _deviation_row(dev: Deviation, moves: list[_Move], expected: Fingerprint, keep: np.ndarray) -> dict[str, Any]:
    """One deviation for the report and --json, with the unit whose move accounts for most of it."""
    index = _index_in_vector(dev, expected, keep)
    unit = None
    if index is not None and moves:
        observed = dev.measured - dev.expected
        best = max(moves, key=lambda m: _predicted_at(m, dev, index, keep) * observed)
        # named only when that move pushes this reading the way it went, by at least a third
        if _predicted_at(best, dev, index, keep) * observed >= observed ** 2 / 3:
            unit = best.unit
    return {
        "unit": unit, "what": dev.what, "kind": dev.kind, "channel": dev.channel,
        "expected": round(dev.expected, 3), "measured": round(dev.measured, 3),
        "deviation": round(dev.delta, 3), "unit_of_measure": dev.unit,
        "freq_hz": dev.freq_hz, "level_dbfs": dev.level_dbfs,
    }


def _predicted_at(move: _Move, dev: Deviation, index: int, keep: np.ndarray) -> float:
    """What a move does to one deviation's reading, in that reading's own terms."""
    if dev.kind == "thd":
        return float(move.delta[index]) / _THD_WEIGHT
    if dev.kind == "gain_reduction":
        # gain reduction is the gain at the quietest tone minus the gain at this level
        first = int(np.sum(keep))
        return float(move.delta[first] - move.delta[index])
    return float(move.delta[index])


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


__all__ = ["Attribution", "Prediction", "Suspect", "VerifyResult", "attribute", "candidate_values", "predict",
           "summarize", "verify_revision"]


# --------------------------------------------------------------------------- the command's work


@dataclass
class VerifyResult:
    """The chain now against a revision's stored fingerprint."""

    revision: int
    print_name: str
    tolerance_db: float
    passed: bool
    comparison: Comparison
    attribution: Attribution
    measured: Fingerprint
    calibration_measured_at: str

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "pass": self.passed, "revision": self.revision, "print": self.print_name,
            "tolerance_db": self.tolerance_db,
            "max_response_deviation_db": round(c.max_response_deviation_db, 4),
            "max_gain_reduction_deviation_db": round(c.max_gain_reduction_deviation_db, 4),
            "thd_deviation_db": round(c.thd_deviation_db, 3),
            "deviations": self.attribution.deviations,
            "suspects": [{"unit": s.unit, "parameter": s.parameter, "expected": s.expected, "likely": s.likely,
                          "explained": s.explained, "text": s.text} for s in self.attribution.suspects],
            "summary": summarize(self.attribution.deviations),
            "calibration_measured_at": self.calibration_measured_at,
            "measured_at": self.measured.measured_at,
        }


def verify_revision(session_dir: Any, revision: int, *, tolerance_db: float = 0.1) -> VerifyResult:
    """Measure the chain as it stands (nothing is recalled) and compare with revision N's print."""
    from calibration import store
    from calibration.fingerprint import measure_fingerprint
    from devices.errors import CalibrationError, ConfigError, SessionError
    from devices.station import open_station
    from hybrid.session import open_session, session_lock, session_rig
    from hybrid.session.prints import latest_fingerprint

    if not 0.0 < tolerance_db <= 10.0:
        raise ConfigError("command line", "tolerance", tolerance_db, "a tolerance in dB above 0 and at most 10")
    session = open_session(session_dir)
    with session_lock(session.folder, "verify"):
        chosen = session.revision(revision)
        stored = latest_fingerprint(session.prints_dir, chosen.number)
        if stored is None:
            raise SessionError(f"revision {chosen.number} has no print with a fingerprint; print it first "
                               f"(`hybrid print {session.folder} --revision {chosen.number}`)")
        path, data = stored
        expected = Fingerprint.from_dict(data)
        rig = session_rig(session)
        with open_station(rig) as station:
            interface = station.interface
            record = store.load(rig.name, interface.sample_rate, interface.block_size)
            if record is None:
                raise CalibrationError(f"rig {rig.name} has no calibration at {interface.sample_rate} Hz, block "
                                       f"{interface.block_size}; run `hybrid calibrate --rig {rig.name}` (it "
                                       "recalls neutral) and recall the revision again before verifying")
            if interface.sample_rate != expected.sample_rate:
                raise SessionError(f"{path}: measured at {expected.sample_rate} Hz; the interface now runs "
                                   f"{interface.sample_rate} Hz: verify at the rate of the print")
            measured = measure_fingerprint(interface, record)
            profiles = {name: unit.profile for name, unit in station.units.items()}
    comparison = compare(expected, measured, tolerance_db)
    settings = data.get("settings") or chosen.units
    attribution = attribute(expected, measured, comparison, settings, profiles)
    return VerifyResult(chosen.number, path.parent.name, tolerance_db, comparison.passed, comparison, attribution,
                        measured, record.measured_at)
