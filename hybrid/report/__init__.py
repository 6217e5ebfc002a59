"""Reports a client can read: report.json (the data), report.txt and a self-contained report.html."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from hybrid.paths import json_text, write_files_atomic
from hybrid.report.formatting import section
from hybrid.report.html import Figure, render_html
from hybrid.report.summary import stage_rows, targets, track_label
from hybrid.report.text import render_text

__all__ = ["Figure", "build_figures", "render_html", "render_text", "with_qc", "with_series", "write_report"]

REPORT_FORMAT = 1


def write_report(print_dir: Path, data: dict[str, Any], *, plots: bool = True,
                 audio_dir: Path | None = None) -> dict[str, Path]:
    """Write report.json, report.txt and report.html into print_dir; returns {"json", "text", "html"}.

    `data` follows docs/DESIGN.md "The print -> report hand-off"; every key is optional. Relative
    paths in it (captures, deliverables, the fingerprint file) are read against print_dir (or
    audio_dir, when the report is written elsewhere) to draw
    the curves, which report.json keeps under "series" so the report can be drawn again without
    the audio. The incoming mixes get a mix evaluation (hybrid.mix_evaluation) unless data brings one under
    "qc". plots=False leaves the PNGs out of the HTML (the curves stay in the JSON). All three documents are made in memory before the first is written, so a failure
    leaves nothing half-made, and each file is replaced atomically.
    """
    print_dir = Path(print_dir)
    base_dir = Path(audio_dir) if audio_dir is not None else print_dir
    doc = with_qc(with_series(data, base_dir), base_dir)
    doc["report"] = {**(section(doc, "report")),
                     "format": REPORT_FORMAT,
                     "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    from hybrid.mix_evaluation import json_safe  # loads dsp only when a report is made

    doc = json_safe(doc)
    figures = build_figures(doc) if plots else []
    text = render_text(doc)
    html = render_html(doc, figures)
    paths = {"json": print_dir / "report.json", "text": print_dir / "report.txt", "html": print_dir / "report.html"}
    # the three as one: a full disk leaves the earlier report whole (or none), never half of each
    write_files_atomic({paths["json"]: json_text(doc).encode(), paths["text"]: text.encode(),
                        paths["html"]: html.encode()})
    return paths


def with_series(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """data plus "series": the curves of every track and of the chain, measured from the files
    under base_dir; curves stored by an earlier report stay where their audio is gone."""
    from hybrid.report.series import chain_series, track_series

    doc = dict(data)
    old = section(doc, "series")
    old_tracks = section(old, "tracks")
    tracks: dict[str, Any] = {}
    for track in doc.get("tracks") or []:
        if not isinstance(track, dict):
            continue
        track_id = str(track.get("track_id", ""))
        fresh = track_series(doc, track, base_dir)
        stored = old_tracks.get(track_id)
        # Drawn again away from its audio (a copied report.json), keep the curves that were richer.
        keep_old = isinstance(stored, dict) and not _stages(stored) <= _stages(fresh)
        tracks[track_id] = stored if keep_old else fresh
    chain = chain_series(doc, base_dir) or old.get("chain") or {}
    doc["series"] = {"tracks": tracks, "chain": chain}
    return doc


def with_qc(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """data plus "qc": the mix evaluation of every track's source that can be read (what the
    mastering engineer was given), unless data already has one."""
    if isinstance(data.get("qc"), dict) and data["qc"]:
        return data
    from hybrid.mix_evaluation import evaluate
    from hybrid.report.series import read_stage

    found: dict[str, Any] = {}
    for track in data.get("tracks") or []:
        if not isinstance(track, dict):
            continue
        source = read_stage(track.get("source"), base_dir)
        if source is not None:
            label = track_label(track)
            found[label] = evaluate(source[0], source[1], name=label).to_dict()
    return {**data, "qc": found} if found else dict(data)


def _stages(series: dict[str, Any]) -> set[str]:
    """Which files (source, capture, master) a track's curves were measured from."""
    spectrum = section(series, "spectrum")
    return set(spectrum) - {"centres_hz"}


def build_figures(doc: dict[str, Any]) -> list[Figure]:
    """Every plot of the report, from doc["series"] and the tables."""
    from hybrid.report import plots

    series = section(doc, "series")
    figures = []
    per_track = section(series, "tracks")
    for track in doc.get("tracks") or []:
        if not isinstance(track, dict):
            continue
        track_series = per_track.get(str(track.get("track_id", "")))
        if not isinstance(track_series, dict) or len(track_series) <= 1:
            continue
        label = track_label(track)
        figures.append(Figure(f"track:{track.get('track_id')}",
                              f"{label}: loudness, true peak and limiter, spectrum, stereo correlation",
                              plots.track_png(label, track_series)))
    chain = series.get("chain")
    if isinstance(chain, dict) and (chain.get("calibration") or chain.get("fingerprint")):
        programme = {track_label(t): per_track[str(t.get("track_id"))].get("loudness") or {}
                     for t in doc.get("tracks") or [] if isinstance(t, dict)
                     and isinstance(per_track.get(str(t.get("track_id"))), dict)}
        figures.append(Figure("chain", "The analog chain: response and compression", plots.chain_png(chain, programme)))
    rows = [{"track": str(t.get("track_id")), **r} for t in doc.get("tracks") or [] if isinstance(t, dict)
            for r in stage_rows(doc, t) if r["stage"] in targets(doc) or r["stage"] in ("source", "capture")]
    if targets(doc) and rows:
        figures.append(Figure("album", "Loudness and true peak per track and stage", plots.album_png(rows)))
    return figures
