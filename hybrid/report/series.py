"""The measurements behind the report's plots, over time and frequency, decimated for a small JSON."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from devices.errors import AudioFileError
from dsp import loudness
from dsp import qc as qc_measure
from dsp.spectrum import fractional_octave
from dsp.truepeak import interval_peaks, to_db
from hybrid.audiofile import read_audio
from hybrid.report.formatting import get
from hybrid.report.summary import deliverable_entry, targets

__all__ = ["MAX_POINTS", "chain_series", "decimate", "finite", "master_target", "read_stage", "reduction_curve",
           "track_series"]

MAX_POINTS = 800  # per curve: about a plot's width in pixels, small enough for report.json

# Which deliverable stands for "the master" in the plots: what most listeners will hear.
_MASTER_PREFERENCE = ("streaming", "hires", "cd", "vinyl", "preview")


def finite(values: Any, digits: int = 2) -> list[float | None]:
    """A JSON-safe list: rounded, with None for -inf/NaN (silence) rather than invalid JSON."""
    return [round(float(v), digits) if math.isfinite(float(v)) else None for v in np.asarray(values).ravel()]


def decimate(times_s: np.ndarray, values: np.ndarray, how: str = "max", max_points: int = MAX_POINTS
             ) -> tuple[np.ndarray, np.ndarray]:
    """At most max_points (time, value) pairs: buckets keep their max, min or mean, so a short
    peak or a deep gain reduction still shows after decimation."""
    times_s, values = np.asarray(times_s, dtype=float), np.asarray(values, dtype=float)
    if len(values) <= max_points:
        return times_s, values
    step = int(math.ceil(len(values) / max_points))
    count = len(values) // step
    shaped = values[: count * step].reshape(count, step)
    reducers: dict[str, Callable[..., Any]] = {"max": np.nanmax, "min": np.nanmin, "mean": np.nanmean}
    reduce = reducers[how]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN buckets are silence: NaN, a gap
        reduced = reduce(shaped, axis=1)
    return times_s[: count * step].reshape(count, step)[:, 0], reduced


def master_target(data: dict[str, Any]) -> str | None:
    """The deliverable the plots call 'master'."""
    available = targets(data)
    for name in _MASTER_PREFERENCE:
        if name in available:
            return name
    return available[0] if available else None


def _resolve(path: Any, base_dir: Path) -> Path | None:
    if not path:
        return None
    p = Path(str(path))
    return p if p.is_absolute() else base_dir / p


def _read(path: Path | None) -> tuple[np.ndarray, int] | None:
    """Read an audio file for plotting; a missing or unreadable one leaves its curve out."""
    if path is None:
        return None
    try:
        return read_audio(path, what="plot")
    except AudioFileError:
        return None


def read_stage(path: Any, base_dir: Path) -> tuple[np.ndarray, int] | None:
    """One stage's audio (a path from the report data, relative to base_dir), or None."""
    return _read(_resolve(path, base_dir))


def _loudness(audio: np.ndarray, rate: int) -> dict[str, Any]:
    t_m, momentary = loudness.momentary(audio, rate, step_s=0.1)
    t_s, short = loudness.short_term(audio, rate, step_s=0.1)
    t_m, momentary = decimate(t_m, momentary, "mean")
    t_s, short = decimate(t_s, short, "mean")
    return {"momentary": {"times_s": finite(t_m, 2), "lufs": finite(momentary)},
            "short_term": {"times_s": finite(t_s, 2), "lufs": finite(short)},
            "integrated_lufs": loudness.measure(audio, rate).integrated_lufs}


def _true_peak(audio: np.ndarray, rate: int, block_s: float = 0.05) -> dict[str, Any]:
    peaks = interval_peaks(audio, rate)
    n = max(1, int(round(block_s * rate)))
    count = max(1, len(peaks) // n)
    blocks = peaks[: count * n].reshape(count, n).max(axis=1) if len(peaks) >= n else peaks[:1]
    dbtp = np.array([to_db(b) for b in blocks])
    times, dbtp = decimate(np.arange(len(dbtp)) * n / rate, dbtp, "max")
    return {"times_s": finite(times, 2), "dbtp": finite(dbtp)}


def _correlation(audio: np.ndarray, rate: int) -> dict[str, Any] | None:
    if audio.shape[1] != 2:
        return None
    times, corr = qc_measure.correlation_over_time(audio, rate, 0.4, 0.1)
    times, corr = decimate(times, corr, "min")
    return {"times_s": finite(times, 2), "values": finite(corr, 3)}


def reduction_curve(reduction_db: np.ndarray, rate_hz: int) -> dict[str, list[float | None]]:
    """The limiter's per-frame gain reduction (dB, >= 0) decimated for the deliverable entry and
    the report: at most MAX_POINTS points, each bucket's deepest reduction kept."""
    reduction = np.abs(np.asarray(reduction_db, dtype=float).ravel())
    times, reduction = decimate(np.arange(len(reduction)) / float(rate_hz), reduction, "max")
    return {"times_s": finite(times, 2), "db": finite(reduction)}


def _gain_reduction(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The limiter's gain reduction over time as the renderer recorded it in the deliverable entry."""
    curve = entry.get("gain_reduction")
    if not isinstance(curve, dict) or not curve.get("db"):
        return None
    return {"times_s": curve.get("times_s") or [], "db": curve["db"], "how": "recorded by the renderer"}

def track_series(data: dict[str, Any], track: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Curves for one track: loudness, true peak, gain reduction, spectra, correlation.

    Reads the track's source, capture and master files (paths relative to base_dir, the print
    folder); a missing file just leaves its curves out.
    """
    target = master_target(data)
    entry = deliverable_entry(data, target, str(track.get("track_id", ""))) if target else {}
    stages = {
        "source": _read(_resolve(track.get("source"), base_dir)),
        "capture": _read(_resolve(track.get("capture"), base_dir)),
        "master": _read(_resolve(entry.get("path") or (entry.get("paths") or [None])[0], base_dir)),
    }
    present = {k: v for k, v in stages.items() if v is not None}
    out: dict[str, Any] = {"master_target": target if stages["master"] is not None else None}
    if not present:
        return out
    # the capture too: the chain's gain on the programme (capture against source) is read from it
    out["loudness"] = {k: _loudness(*v) for k, v in present.items() if k in ("source", "capture", "master")}
    if not out["loudness"]:
        out["loudness"] = {k: _loudness(*v) for k, v in present.items()}
    last = next(present[k] for k in ("master", "capture", "source") if k in present)
    last_name = next(k for k in ("master", "capture", "source") if k in present)
    out["true_peak"] = {"stage": last_name, **_true_peak(*last)}
    if entry.get("ceiling_dbtp") is not None:
        out["true_peak"]["ceiling_dbtp"] = entry["ceiling_dbtp"]
    reduction = _gain_reduction(entry)
    if reduction is not None:
        out["gain_reduction"] = reduction
    spectra: dict[str, Any] = {}
    for name, (audio, rate) in present.items():
        centres, level = fractional_octave(audio, rate, 3, 20.0, 20000.0)
        spectra.setdefault("centres_hz", finite(centres, 1))
        spectra[name] = finite(level[: len(spectra["centres_hz"])], 1)
    out["spectrum"] = spectra
    correlation = _correlation(*last)
    if correlation is not None:
        out["correlation"] = {"stage": last_name, **correlation}
    return out


def chain_series(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """The analog chain's response: the calibration loop (units on bypass) and the fingerprint with the
    revision's settings, when the print kept its fingerprint file."""
    out: dict[str, Any] = {}
    response = get(data, "calibration", "response")
    if isinstance(response, dict) and response.get("freqs_hz") and response.get("channels"):
        out["calibration"] = {"freqs_hz": response["freqs_hz"], "channels_db": response["channels"]}
    fingerprint = data.get("fingerprint")
    if isinstance(fingerprint, dict):
        full = fingerprint if fingerprint.get("response_db") else None
        path = _resolve(fingerprint.get("file"), base_dir)
        if full is None and path is not None and path.is_file():
            import json

            try:
                full = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                full = None
        if isinstance(full, dict) and full.get("freqs_hz") and full.get("response_db"):
            out["fingerprint"] = {"freqs_hz": full["freqs_hz"], "channels_db": full["response_db"]}
            if full.get("levels_dbfs") and full.get("gain_reduction_db"):
                out["compression"] = {"levels_dbfs": full["levels_dbfs"], "gain_reduction_db": full["gain_reduction_db"]}
    return out
