"""`hybrid verify`: measure the chain now, compare with the fingerprint stored at a revision's print,
and name the unit (and the control) that most likely moved."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
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
    analyse,
    excitation,
)
from devices.profile import Parameter, Profile, Value
from devices.sound import UnitSound, sound_for
from dsp.filters import sos_response_db
from hybrid.errors import SessionError
from hybrid.printing.folders import fingerprint_name, latest_fingerprint

# A candidate must explain at least this share of what moved to be named as the likely cause
MIN_EXPLAINED = 0.5
# THD readings are noisier than levels: they count for less in the fit
_THD_WEIGHT = 0.1


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


class ChainModel:
    """The rig's units as their sound models (each profile's `sim:`), in chain order, playing the
    fingerprint signal: what the chain would measure at the revision's settings, or with one move.

    A unit's level-dependent behaviour (a compressor, a driven tube) depends on what reaches it,
    so a move of such a control is played through the whole chain; the output of the units before
    it is computed once and reused for every position tried.
    """

    def __init__(self, profiles: dict[str, Profile], settings: dict[str, dict[str, Value]], rate: int) -> None:
        self.rate = rate
        self.profiles = {u: p for u, p in profiles.items() if p.sim is not None and u in settings}
        self.settings = {u: p.complete(settings[u]) for u, p in self.profiles.items()}
        self.order = list(self.profiles)
        self.signal, self.where = excitation(rate)
        self._upstream: dict[int, np.ndarray] = {}
        self.base = self.readings(self._play(0, self.signal[:, None], None, None))

    def sound(self, unit: str, settings: dict[str, Value]) -> UnitSound:
        sound = sound_for(self.profiles[unit], settings, self.rate, 1, np.random.default_rng(0))
        sound.noise_rms = 0.0  # a prediction is about the controls, not the hiss
        return sound

    def moved(self, unit: str, parameter: str, value: Value) -> np.ndarray:
        """The readings vector with one control of one unit moved (everything else as the revision)."""
        index = self.order.index(unit)
        return self.readings(self._play(index, self._before(index), unit, {**self.settings[unit], parameter: value}))

    def readings(self, output: np.ndarray) -> np.ndarray:
        fp = analyse(self.signal, output, self.rate, self.where)
        return np.concatenate([fp.response_db[0], fp.gain_db[0], [_THD_WEIGHT * fp.thd_db[0]]])

    def _before(self, index: int) -> np.ndarray:
        if index not in self._upstream:
            audio = self.signal[:, None]
            for unit in self.order[:index]:
                audio = self.sound(unit, self.settings[unit]).process(audio)
            self._upstream[index] = audio
        return self._upstream[index]

    def _play(self, index: int, audio: np.ndarray, unit: str | None, settings: dict[str, Value] | None) -> np.ndarray:
        for name in self.order[index:]:
            audio = self.sound(name, settings if name == unit and settings is not None else self.settings[name]).process(audio)
        return audio


def _response_db(sound: Any, rate: int, freqs_hz: np.ndarray) -> np.ndarray:
    """The model's filters and output gain at freqs_hz, in dB."""
    return sos_response_db(sound.sos, freqs_hz, rate) + 20 * math.log10(max(sound.output_gain, 1e-12))


def _linear_move(base: Any, moved: Any) -> bool:
    """A move that only changes the unit's filters and output gain, not how it reacts to level."""
    return (type(moved)._dynamics is UnitSound._dynamics and moved.drive_db == base.drive_db
            and moved.bias == base.bias)


def candidate_values(parameter: Parameter, value: Value) -> list[Value]:
    """Positions a control may have been moved to: every other detent, or steps of 1-20 % of a
    continuous control's travel."""
    if parameter.detents is not None:
        return [d for d in parameter.detents if d != value]
    low, high = parameter.spec.range  # type: ignore[misc]
    span = high - low
    steps = (-0.2, -0.1, -0.05, -0.02, -0.01, 0.01, 0.02, 0.05, 0.1, 0.2)
    return [v for v in (float(value) + d * span for d in steps) if low <= v <= high]


def _coarse(values: list[Value], value: Value) -> list[Value]:
    """A first pass over many positions: the two either side and every third one."""
    ordered = sorted(set(values) | {value}, key=lambda v: (isinstance(v, str), v))
    if len(ordered) <= 8:
        return [v for v in ordered if v != value]
    i = ordered.index(value)
    picked = {j for j in range(len(ordered)) if abs(j - i) <= 2 or (j - i) % 3 == 0}
    return [ordered[j] for j in sorted(picked) if ordered[j] != value]


def _refine(values: list[Value], around: Value) -> list[Value]:
    ordered = sorted(set(values), key=lambda v: (isinstance(v, str), v))
    i = ordered.index(around)
    return [ordered[j] for j in range(max(0, i - 2), min(len(ordered), i + 3))]


@dataclass(frozen=True)
class _Move:
    unit: str
    parameter: str
    was: Value
    likely: Value
    delta: np.ndarray


def predicted_moves(profiles: dict[str, Profile], settings: dict[str, dict[str, Value]], rate: int,
                    freqs_hz: np.ndarray, fit: Callable[[np.ndarray], float]) -> list[_Move]:
    """What each control move of each unit would do to the fingerprint's readings.

    A move that only changes a unit's filters is exact from its biquads (a linear chain composes
    in dB): the response changes by the filters' change and every tone reading by their change at
    the tone frequency. Any other move is played through the chain model, coarse to fine: every
    third position first, then the neighbours of the one that fits the observation best.
    """
    chain = ChainModel(profiles, settings, rate)
    at = np.concatenate([[TONE_HZ], freqs_hz])  # the tone, then the bands: one evaluation per setting
    levels = len(TONE_LEVELS_DBFS)
    moves: list[_Move] = []
    for unit in chain.order:
        profile, here = chain.profiles[unit], chain.settings[unit]
        base_sound = chain.sound(unit, here)
        base = _response_db(base_sound, rate, at)
        for name, parameter in profile.parameters.items():
            played: list[Value] = []
            for value in candidate_values(parameter, here[name]):
                sound = chain.sound(unit, {**here, name: value})
                if not _linear_move(base_sound, sound):
                    played.append(value)
                    continue
                change = _response_db(sound, rate, at) - base
                delta = np.concatenate([change[1:], np.full(levels, change[0]), [0.0]])
                moves.append(_Move(unit, name, here[name], value, delta))
            if not played:
                continue
            tried: dict[Value, np.ndarray] = {}
            for value in _coarse(played, here[name]):
                tried[value] = chain.moved(unit, name, value) - chain.base
            best = min(tried, key=lambda v: fit(tried[v]))
            for value in _refine(played + [here[name]], best):
                if value != here[name] and value not in tried:
                    tried[value] = chain.moved(unit, name, value) - chain.base
            moves += [_Move(unit, name, here[name], v, d) for v, d in tried.items()]
    return moves


def attribute(expected: Fingerprint, measured: Fingerprint, comparison: Comparison,
              settings: dict[str, dict[str, Value]], profiles: dict[str, Profile], max_moves: int = 3) -> Attribution:
    """Which control moves, on which units, best explain how the chain differs now.

    Every control move is predicted (predicted_moves); a greedy pursuit then takes the move that
    explains most of the observed difference, removes it, and looks again, up to max_moves.
    """
    result = Attribution()
    if comparison.passed:
        return result
    freqs = np.asarray(expected.freqs_hz)
    keep = (freqs >= 20.0) & (freqs <= 20000.0)
    observed = _observed(expected, measured, keep)
    kept = np.concatenate([keep, np.ones(len(TONE_LEVELS_DBFS) + 1, dtype=bool)])
    moves = [_Move(m.unit, m.parameter, m.was, m.likely, m.delta[kept])
             for m in predicted_moves(profiles, settings, expected.sample_rate, freqs,
                                      lambda delta: float(np.sum((observed - delta[kept]) ** 2)))]
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


__all__ = ["Attribution", "ChainModel", "Suspect", "VerifyResult", "attribute", "candidate_values",
           "predicted_moves", "stored_fingerprint", "summarize", "verify_revision"]


# --------------------------------------------------------------------------- the command's work


@dataclass
class VerifyResult:
    """The chain now against a revision's stored fingerprint."""

    revision: int
    print_name: str
    fingerprint_file: str  # fingerprint.json (the album settings) or fingerprint-<track id>.json
    track_id: str | None  # the track asked for (--track), whose settings were compared
    tolerance_db: float
    passed: bool
    comparison: Comparison
    attribution: Attribution
    measured: Fingerprint
    calibration_measured_at: str

    @property
    def own_settings(self) -> bool:
        """Compared with a fingerprint measured with the track's overrides (not the album settings')."""
        return self.track_id is not None and self.fingerprint_file != fingerprint_name()

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "pass": self.passed, "revision": self.revision, "print": self.print_name, "track": self.track_id,
            "fingerprint": self.fingerprint_file,
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


def verify_revision(session_dir: Any, revision: int | None = None, *, tolerance_db: float = 0.1,
                    track: str | None = None) -> VerifyResult:
    """Measure the chain as it stands (nothing is recalled) and compare with revision N's print (the
    newest printed revision when N is None, as render takes it): its album settings, or with track
    (an id or album position) the settings that track was printed with."""
    from calibration import store
    from devices.errors import CalibrationError, ConfigError
    from devices.station import open_station
    from hybrid.printing.pipeline import measure_at_rest
    from hybrid.session import open_session, session_lock, session_rig
    from hybrid.session.create import rig_ref

    if not 0.0 < tolerance_db <= 10.0:
        raise ConfigError("command line", "tolerance", tolerance_db, "a tolerance in dB above 0 and at most 10")
    session = open_session(session_dir)
    with session_lock(session.folder, "verify"):
        if revision is None:
            from hybrid.deliver.from_session import latest_printed_revision
            revision = latest_printed_revision(session)
        chosen = session.revision(revision)
        track_id = session.resolve_tracks([track])[0].id if track else None
        path, data = stored_fingerprint(session, chosen, track_id)
        expected = Fingerprint.from_dict(data)
        rig = session_rig(session)
        if expected.sample_rate in rig.interface.rates_hz():  # a print made at the mixes' own rate
            rig = rig.at_rate(expected.sample_rate)
        with open_station(rig) as station:
            interface = station.interface
            ref = rig_ref(session)
            record = store.load(store.rig_key(rig), interface.sample_rate, interface.block_size, rig_ref=ref)
            if record is None:
                raise CalibrationError(f"rig {rig.name} has no calibration at {interface.sample_rate} Hz, block "
                                       f"{interface.block_size}; run `hybrid calibrate --rig {ref}` (it "
                                       "leaves the units on bypass) and recall the revision again before verifying")
            if interface.sample_rate != expected.sample_rate:
                raise SessionError(f"{path}: measured at {expected.sample_rate} Hz; the interface now runs "
                                   f"{interface.sample_rate} Hz: verify at the rate of the print")
            measured = measure_at_rest(interface, record)  # measured as the print measured it
            profiles = {name: unit.profile for name, unit in station.units.items()}
    comparison = compare(expected, measured, tolerance_db)
    # the attribution starts from the settings the gear held when the fingerprint was measured: a
    # track's are the album's with its overrides on top
    settings = chosen.settings_for(track_id) if track_id else data.get("settings") or chosen.units
    attribution = attribute(expected, measured, comparison, settings, profiles)
    return VerifyResult(chosen.number, path.parent.name, path.name, track_id, tolerance_db, comparison.passed,
                        comparison, attribution, measured, record.measured_at)


def stored_fingerprint(session: Any, revision: Any, track_id: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The fingerprint to compare with: the album settings' (no track, or a track without overrides
    of its own in that revision), else the one measured with that track's overrides recalled."""
    own = track_id is not None and revision.settings_for(track_id) != revision.units
    found = latest_fingerprint(session.prints_dir, revision.number, track_id if own else None)
    if found is not None:
        return found
    if own and latest_fingerprint(session.prints_dir, revision.number) is not None:
        raise SessionError(f"revision {revision.number} has no fingerprint of track {track_id} with its overrides "
                           f"(its prints were made before per-track fingerprints were kept, or without that track); "
                           f"print that track again (`hybrid print {session.folder} --revision {revision.number} "
                           f"--track {track_id}`)")
    raise SessionError(f"revision {revision.number} has no print with a fingerprint; print it first "
                       f"(`hybrid print {session.folder} --revision {revision.number}`)")
