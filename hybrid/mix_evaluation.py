"""Mix evaluation: measurements from dsp.qc turned into findings in mastering language, and a verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dsp import qc as measure
from dsp import loudness
from dsp.meter import Analysis
from dsp.spectrum import spectral_balance
from dsp.truepeak import db_or_none, interval_peaks
from hybrid.audiofile import read_audio

__all__ = ["Finding", "MixEvaluation", "SEVERITIES", "evaluate", "evaluate_file", "json_safe"]

# "problem": ask the mix engineer for a revised mix; "warning": worth a listen and a word; "info": noted.
SEVERITIES = ("problem", "warning", "info")

_MAX_TIMES = 10  # timestamps kept per finding: enough to find them, not a wall of numbers
_ABRUPT_END_DB = -30.0  # last 10 ms of sound against the loud parts: above this, the tail was cut


@dataclass(frozen=True)
class Finding:
    """One thing heard in the measurements, said the way a mastering engineer would say it."""

    code: str  # stable identifier: clipping, intersample_overs, dc_offset, ...
    severity: str  # one of SEVERITIES
    message: str
    times_s: tuple[float, ...] = ()  # where in the track (seconds), first few
    value: float | None = None  # the figure behind it, in the unit the message states
    request: str = ""  # what to ask of the mix engineer, when anything

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["times_s"] = [round(t, 3) for t in self.times_s]
        return data


@dataclass
class MixEvaluation:
    """Everything `hybrid qc` says about one file."""

    name: str
    sample_rate: int
    channels: int
    duration_s: float
    measurements: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Ready for mastering: nothing that needs a revised mix."""
        return not any(f.severity == "problem" for f in self.findings)

    @property
    def verdict(self) -> str:
        """One line: ready for mastering, or what to ask of the mix engineer."""
        requests = [f.request for f in self.findings if f.severity == "problem" and f.request]
        if requests:
            return "Ask the mix engineer for a revised mix: " + "; ".join(_unique(requests)) + "."
        notes = [f.code.replace("_", " ") for f in self.findings if f.severity == "warning"]
        if notes:
            return "Ready for mastering, with notes: " + ", ".join(_unique(notes)) + "."
        return "Ready for mastering."

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only: numpy numbers become floats, non-finite ones None."""
        return json_safe({
            "file": self.name, "sample_rate": self.sample_rate, "channels": self.channels,
            "duration_s": round(self.duration_s, 3), "ready": self.ready, "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings], "measurements": self.measurements,
        })


def json_safe(value: Any) -> Any:
    """Plain JSON: non-finite numbers become None (valid JSON for browsers and other tools),
    numpy scalars and arrays become numbers and lists, paths become strings."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def evaluate_file(path: str | Path, reference: str | Path | None = None) -> MixEvaluation:
    """Read and evaluate one mix, optionally against a reference track."""
    audio, rate = read_audio(path)
    ref = read_audio(reference, "reference") if reference is not None else None
    return evaluate(audio, rate, reference=ref, name=str(path))


def evaluate(audio: np.ndarray, rate: int, *, reference: tuple[np.ndarray, int] | None = None,
             name: str = "") -> MixEvaluation:
    """Measure a mix and list what a mastering engineer would raise before starting."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    shared = _measure_shared(x, rate)
    result = MixEvaluation(name, int(rate), int(x.shape[1]), x.shape[0] / rate, {"loudness": shared.loudness})
    m, add = result.measurements, result.findings.append
    for check in (_clipping, _overs_and_headroom, _dc, _stereo, _dynamics, _clicks, _hum, _noise, _edges):
        for finding in check(x, rate, m, shared):
            add(finding)
    if reference is not None:
        for finding in _against_reference(x, rate, reference, m):
            add(finding)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    result.findings.sort(key=lambda f: (order[f.severity], f.times_s[:1] or (0.0,)))
    return result


@dataclass(frozen=True)
class _Shared:
    """Measurements more than one check needs, made once."""

    loudness: dict[str, Any]  # the keys of `hybrid analyze --json`
    peaks: np.ndarray  # true peak per sample interval, linear (dsp.truepeak.interval_peaks)
    runs: list[measure.ClipRun]
    edges: measure.Edges


def _measure_shared(x: np.ndarray, rate: int) -> _Shared:
    # One oversampled pass gives both the overs' positions and the true peak of the meter reading.
    peaks = interval_peaks(x, rate)
    top = float(peaks.max()) if len(peaks) else 0.0
    readings = loudness.measure(x, rate)
    sample_peak = float(np.max(np.abs(x)))
    loud = Analysis(
        integrated_lufs=readings.integrated_lufs, short_term_max_lufs=readings.short_term_max_lufs,
        momentary_max_lufs=readings.momentary_max_lufs, lra_lu=readings.lra_lu,
        true_peak_dbtp=db_or_none(top), sample_peak_dbfs=db_or_none(sample_peak),
        duration_s=x.shape[0] / rate, sample_rate=int(rate), channels=int(x.shape[1])).to_dict()
    return _Shared(loud, peaks, measure.clipped_runs(x), measure.edges(x, rate))


def _times(frames: list[int] | np.ndarray, rate: int, merge_s: float = 0.05) -> tuple[float, ...]:
    """Event start times in seconds, events closer than merge_s counted once, first few kept."""
    out: list[float] = []
    for frame in frames:
        t = float(frame) / rate
        if not out or t - out[-1] > merge_s:
            out.append(t)
        if len(out) >= _MAX_TIMES:
            break
    return tuple(out)


def _side(channel: int, channels: int) -> str:
    return {0: "left", 1: "right"}.get(channel, f"channel {channel + 1}") if channels == 2 else f"channel {channel + 1}"


# --- the checks: each returns findings and records its figures in m ---------------------------

def _clipping(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    runs = shared.runs
    m["clipped_runs"] = len(runs)
    m["longest_clipped_run_samples"] = max((r.length_samples for r in runs), default=0)
    if not runs:
        return []
    longest = m["longest_clipped_run_samples"]
    severity = "problem" if len(runs) >= 3 or longest >= 8 else "warning"
    return [Finding(
        "clipping", severity,
        f"Clipping: {len(runs)} run(s) of consecutive full-scale samples, the longest {longest} samples.",
        _times([r.start_frame for r in runs], rate), float(len(runs)),
        "bounce it again without clipping on the mix bus or the master fader")]


def _overs_and_headroom(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    peaks, loud = shared.peaks, shared.loudness
    true_peak = loud.get("true_peak_dbtp")
    sample_peak = loud.get("sample_peak_dbfs")
    over = np.flatnonzero(peaks > 1.0)
    m["intersample_overs"] = int(len(_times(over, rate, 0.01))) if len(over) else 0
    m["headroom_db"] = None if true_peak is None else -true_peak
    out = []
    if len(over):
        out.append(Finding(
            "intersample_overs", "warning",
            f"Inter-sample overs: the true peak reaches {true_peak:+.2f} dBTP between samples;"
            " a converter or an encoder will clip there.",
            _times(over, rate, 0.01), true_peak,
            "turn the mix down (not with a limiter) so the true peak stays below about -3 dBTP"))
    elif true_peak is not None and true_peak > -1.0:
        out.append(Finding(
            "headroom", "warning",
            f"Little headroom: the true peak is at {true_peak:.2f} dBTP; mastering works best from a mix"
            " peaking around -6 to -3 dBFS.", (), true_peak,
            "turn the mix down (not with a limiter) to peak around -6 to -3 dBFS"))
    if sample_peak is not None and sample_peak < -30.0:
        out.append(Finding("low_level", "info",
                           f"Very low level: the peak is at {sample_peak:.1f} dBFS. Fine in 24-bit or float;"
                           " in 16-bit it costs resolution.", (), sample_peak))
    return out


def _dc(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    dc = measure.dc_offset_dbfs(x)
    m["dc_offset_dbfs"] = [round(float(v), 1) for v in dc]
    worst = int(np.argmax(dc))
    if dc[worst] <= -50.0:
        return []
    severity = "problem" if dc[worst] > -35.0 else "warning"
    where = "every channel" if x.shape[1] > 1 and np.all(dc > -50.0) else f"the {_side(worst, x.shape[1])}"
    return [Finding("dc_offset", severity,
                    f"DC offset of {dc[worst]:.1f} dBFS on {where}: it steals headroom"
                    " and thumps at edits and fades.", (), float(dc[worst]),
                    "remove the DC offset (a DC filter on the bus or the offending track)")]


def _stereo(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    corr = measure.correlation(x)
    m["correlation"] = corr
    m["mono_fold_loss_db"] = loss = measure.mono_fold_loss_db(x)
    m["balance_db"] = balance = measure.balance_db(x)
    if corr is None:
        return []
    out = []
    # With equal channel levels, folding to mono loses (1 + correlation) / 2 in power: 3 dB for
    # unrelated channels, more only when they are partly out of phase.
    if corr < -0.2:
        out.append(Finding("phase", "problem",
                           f"Left and right are out of phase (correlation {corr:+.2f}): the mix loses"
                           f" {loss:.1f} dB and its centre in mono.", (), corr,
                           "check the polarity of the stereo bus or a channel; the mix collapses in mono"))
        return out + _balance(balance)
    if corr < 0.1:
        out.append(Finding("mono_fold_down", "warning",
                           f"Left and right are nearly unrelated (correlation {corr:+.2f}): folding to mono"
                           f" loses {loss:.1f} dB and wide elements will drop on mono playback.", (), loss,
                           "check the widest elements in mono"))
    times, series = measure.correlation_over_time(x, rate, 0.4, 0.1)
    negative = np.nan_to_num(series, nan=1.0) < -0.3
    starts, lengths = measure.runs(negative)
    # Windows 0.1 s apart: 10 in a row is a second of out-of-phase sound.
    long_runs = [(s, n) for s, n in zip(starts, lengths) if n >= 10]
    if long_runs:
        out.append(Finding("phase", "warning",
                           f"Out-of-phase passages: {len(long_runs)} stretch(es) of a second or more with"
                           " correlation below -0.3; they thin out or vanish in mono.",
                           tuple(max(0.0, float(times[s] - 0.2)) for s, _ in long_runs[:_MAX_TIMES]),
                           float(np.nanmin(series)),
                           "check those passages for polarity-flipped or over-widened parts"))
    return out + _balance(balance)


def _balance(balance: float | None) -> list[Finding]:
    out = []
    if balance is not None and abs(balance) > 1.5:
        side = "left" if balance > 0 else "right"
        out.append(Finding("balance", "problem" if abs(balance) > 3.0 else "warning",
                           f"The mix leans {side} by {abs(balance):.1f} dB.", (), balance,
                           f"re-centre the mix (it leans {side} by {abs(balance):.1f} dB)"))
    return out


def _dynamics(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    crest = measure.crest_factor_db(x)
    pinned = measure.peaks_at_ceiling_per_min(x, rate)
    integrated, true_peak = shared.loudness.get("integrated_lufs"), shared.loudness.get("true_peak_dbtp")
    plr = None if integrated is None or true_peak is None else true_peak - integrated
    m.update(crest_factor_db=crest, plr_lu=plr, peaks_at_ceiling_per_min=pinned)
    if plr is None:
        return []
    # A bus limiter pins peaks to one ceiling over and over; natural peaks reach their top rarely
    # (a programmed kick at 120 bpm: 120 times a minute, so the bar sits well above that).
    flattened = pinned >= 300.0
    detail = f" and its peaks hit the same ceiling {pinned:.0f} times a minute" if flattened else ""
    if plr < 7.0 or (plr < 11.0 and flattened):
        return [Finding("crushed_mix_bus", "problem",
                        f"The mix bus is crushed: peak-to-loudness ratio {plr:.1f} LU, crest factor"
                        f" {crest:.1f} dB{detail}. Little is left for mastering to shape.", (), plr,
                        "send a version without the mix-bus limiter or clipper")]
    if plr < 9.0:
        return [Finding("dense_dynamics", "warning",
                        f"Dense dynamics: peak-to-loudness ratio {plr:.1f} LU, crest factor {crest:.1f} dB;"
                        " check that the bus compression is a choice.", (), plr)]
    return []


def _clicks(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    found = measure.clicks(x, rate)
    # A clipped top has sharp corners the predictor cannot follow; those are the clipping's, not clicks.
    clipped = np.zeros(x.shape[0] + 1, dtype=np.int64)
    for run in shared.runs:
        clipped[max(0, run.start_frame - rate // 1000)] += 1
        clipped[min(x.shape[0], run.start_frame + run.length_samples + rate // 1000)] -= 1
    near_clip = np.cumsum(clipped)[:-1] > 0
    found = [c for c in found if not near_clip[min(x.shape[0] - 1, int(round(c.time_s * rate)))]]
    # A cut-off ending is a discontinuity too; it is reported once, as the abrupt end.
    e = shared.edges
    if e.end_level_db > _ABRUPT_END_DB:
        end_s = x.shape[0] / rate - e.tail_silence_s
        found = [c for c in found if abs(c.time_s - end_s) > 0.01]
    m["clicks"] = len(found)
    if not found:
        return []
    return [Finding("clicks", "problem",
                    f"{len(found)} click(s) or pop(s): impulsive events the music around them does not"
                    f" explain (strongest {max(c.strength_db for c in found):.0f} dB above the local"
                    " prediction error).",
                    _times([int(c.time_s * rate) for c in found], rate, 0.005), float(len(found)),
                    "fix the clicks (crossfade the edits, check for dropouts)")]


def _hum(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    found = measure.hum(x, rate)
    m["hum"] = None if found is None else {"mains_hz": found.mains_hz, "harmonics": list(found.harmonics),
                                            "level_dbfs": round(found.level_dbfs, 1)}
    if found is None:
        return []
    harmonics = ", ".join(f"{int(k * found.mains_hz)} Hz" for k in found.harmonics)
    return [Finding("hum", "problem" if found.level_dbfs > -60.0 else "warning",
                    f"Mains hum at {found.mains_hz:.0f} Hz ({harmonics}) at {found.level_dbfs:.1f} dBFS,"
                    " through the whole track.", (), found.level_dbfs,
                    "find the hum's source (a ground loop, a guitar amp) or clean that track")]


def _noise(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    floor = measure.noise_floor(x, rate)
    m["noise_floor_dbfs"] = None if floor is None else round(floor.floor_dbfs, 1)
    if floor is None:
        return []
    exposed = floor.programme_dbfs - floor.floor_dbfs >= 20.0
    if exposed and floor.hiss_dbfs > -60.0 and floor.flatness > 0.3:
        return [Finding("noise", "warning",
                        f"Hiss: the quiet passages sit on a noise floor of {floor.hiss_dbfs:.0f} dBFS (1-16 kHz),"
                        f" {floor.programme_dbfs - floor.hiss_dbfs:.0f} dB below the loud parts.",
                        floor.quiet_times_s, floor.hiss_dbfs,
                        "check the quiet passages for hiss (gate or clean the noisy tracks)")]
    return []


def _edges(x: np.ndarray, rate: int, m: dict, shared: _Shared) -> list[Finding]:
    e = shared.edges
    m["head_silence_s"], m["tail_silence_s"] = round(e.head_silence_s, 3), round(e.tail_silence_s, 3)
    duration = x.shape[0] / rate
    if e.head_silence_s >= duration:
        return [Finding("silence", "problem", "The file is silent.", (), None, "send the file again: it is silent")]
    out = []
    if e.starts_on_sound and e.start_level_db > -20.0:
        out.append(Finding("cut_start", "warning",
                           "The file starts on full sound at its first sample: the first transient may be cut.",
                           (0.0,), e.start_level_db, "bounce it again with a little silence before the downbeat"))
    # A natural ending decays to the -60 dBFS line; a cut stops while still near full level,
    # whether the file ends there or silence was pasted after it.
    if e.end_level_db > _ABRUPT_END_DB:
        end_s = duration - e.tail_silence_s
        out.append(Finding("abrupt_end", "problem",
                           f"The mix ends abruptly: its last 10 ms still sound at {e.end_level_db:+.0f} dB against the"
                           " loud parts, with no decay: the tail was cut off.", (end_s,), e.end_level_db,
                           "bounce it again with the full decay of the last note and the reverb"))
    if e.head_silence_s > 2.0:
        out.append(Finding("head_silence", "info", f"{e.head_silence_s:.1f} s of silence before the music.",
                           (0.0,), e.head_silence_s))
    if e.tail_silence_s > 5.0:
        out.append(Finding("tail_silence", "info", f"{e.tail_silence_s:.1f} s of silence after the music.",
                           (duration - e.tail_silence_s,), e.tail_silence_s))
    return out


_REGION_WORDS = {"low": ("low end", "heavier", "lighter"), "low_mid": ("low mids", "fuller", "thinner"),
                 "high_mid": ("upper mids", "more forward", "more recessed"),
                 "high": ("top end", "brighter", "darker")}


def _against_reference(x: np.ndarray, rate: int, reference: tuple[np.ndarray, int], m: dict) -> list[Finding]:
    ref_audio, ref_rate = reference
    balance = spectral_balance(x, rate, ref_audio, ref_rate)
    m["spectral_balance_db"] = {k: round(v, 1) for k, v in balance.regions_db.items()}
    m["spectral_tilt_db_per_octave"] = round(balance.tilt_db_per_octave, 2)
    words = []
    for region, diff in balance.regions_db.items():
        if abs(diff) >= 3.0:
            name, more, less = _REGION_WORDS[region]
            words.append(f"the {name} {abs(diff):.1f} dB {more if diff > 0 else less}")
    if not words:
        return [Finding("spectral_balance", "info",
                        "Tonal balance within 3 dB of the reference in every region.", (), None)]
    biggest = max(abs(v) for v in balance.regions_db.values())
    return [Finding("spectral_balance", "warning" if biggest >= 4.0 else "info",
                    "Against the reference: " + ", ".join(words) + ".", (), biggest)]
