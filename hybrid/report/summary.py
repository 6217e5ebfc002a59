"""The report's tables as plain rows, shared by the text and HTML renderings."""

from __future__ import annotations

import re
from typing import Any

from hybrid.report.formatting import get, section

# Stages a track passes through, in the order a reader follows the signal.
_FIRST_STAGES = ("source", "capture")


def track_label(track: dict[str, Any]) -> str:
    """A track as a heading: its position and title ('2. Ballad'), the id only where the title does
    not already say it ('2. Night Drive (nd-final)'); a track with no title goes by its id."""
    track_id = str(track.get("track_id", "?"))
    title = str(track.get("title") or "")
    position = track.get("position")
    number = f"{position}. " if isinstance(position, int) and not isinstance(position, bool) else ""
    if not title:
        return number + track_id
    said = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
    if said == track_id.casefold() or said.startswith(track_id.casefold()):
        return number + title
    return f"{number}{title} ({track_id})"


def deliverable_entry(data: dict[str, Any], target: str, track_id: str) -> dict[str, Any]:
    """The renderer's per-track result for one target, or {} when that target has no such track."""
    for entry in get(data, "deliverables", target, "tracks", default=[]) or []:
        if isinstance(entry, dict) and str(entry.get("track_id")) == str(track_id):
            return entry
    return {}


def targets(data: dict[str, Any]) -> list[str]:
    """Deliverable targets in the order the renderer reported them."""
    delivered = data.get("deliverables")
    return [str(t) for t in delivered] if isinstance(delivered, dict) else []


def stage_rows(data: dict[str, Any], track: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per stage of one track: source, capture, then every deliverable target.

    Each row has stage, integrated_lufs, true_peak_dbtp, lra_lu, gain_db, max_gain_reduction_db
    (None where the pipeline did not measure it).
    """
    measurements = section(track, "measurements")
    stages = [s for s in _FIRST_STAGES if s in measurements]
    stages += [s for s in measurements if s not in stages]
    stages += [t for t in targets(data) if t not in stages]
    rows = []
    for stage in stages:
        merged: dict[str, Any] = {}
        if isinstance(measurements.get(stage), dict):
            merged.update(measurements[stage])
        merged.update({k: v for k, v in deliverable_entry(data, stage, track.get("track_id", "")).items()
                       if v is not None})
        as_played = merged.get("measured_as")  # a mono mix, measured as it plays on both sends
        rows.append({
            "stage": f"{stage} ({as_played})" if as_played else stage,
            "integrated_lufs": merged.get("integrated_lufs"),
            "true_peak_dbtp": merged.get("true_peak_dbtp"),
            "lra_lu": merged.get("lra_lu"),
            "gain_db": merged.get("gain_db"),
            "max_gain_reduction_db": merged.get("max_gain_reduction_db"),
        })
    return rows


def compliance_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per target: pass/fail and the errors and warnings the renderer's checks gave."""
    rows = []
    for target in targets(data):
        compliance = get(data, "deliverables", target, "compliance", default={}) or {}
        errors = [_finding(e) for e in compliance.get("errors", []) or []]
        warnings = [_finding(w) for w in compliance.get("warnings", []) or []]
        rows.append({"target": target, "ok": not errors, "errors": errors, "warnings": warnings,
                     "checked": _checked(get(data, "deliverables", target, "tracks", default=[]) or [])})
    return rows


def _checked(entries: list[Any]) -> str:
    """What a target's files measure against its rules: format, true peak against the ceiling,
    loudness; the line a pass stands on."""
    from hybrid.report.formatting import num

    tracks = [e for e in entries if isinstance(e, dict)]
    if not tracks:
        return ""
    parts = [f"{len(tracks)} file(s)"]
    formats = sorted({f"{e['bits']}-bit {num(e['rate_hz'] / 1000, digits=1).rstrip('0').rstrip('.')} kHz"
                      for e in tracks if e.get("bits") and e.get("rate_hz")})
    if formats:
        parts.append(", ".join(formats))
    peaks = [e["true_peak_dbtp"] for e in tracks if isinstance(e.get("true_peak_dbtp"), (int, float))]
    ceilings = {e["ceiling_dbtp"] for e in tracks if isinstance(e.get("ceiling_dbtp"), (int, float))}
    if peaks:
        ceiling = f" (ceiling {num(min(ceilings), 'dBTP', 1)})" if ceilings else ""
        parts.append(f"true peak up to {num(max(peaks), 'dBTP', 2)}{ceiling}")
    lufs = [e["integrated_lufs"] for e in tracks if isinstance(e.get("integrated_lufs"), (int, float))]
    if lufs:
        span = num(min(lufs), "LUFS") if num(min(lufs)) == num(max(lufs)) else f"{num(min(lufs))} to {num(max(lufs), 'LUFS')}"
        parts.append(f"integrated {span}")
    return "; ".join(parts)


def recall_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per unit: the settings of the revision and what the recall reported."""
    units = get(data, "revision", "units", default={}) or {}
    recall = section(data, "recall")
    by_hand = section(data, "recall_sheets")
    names = list(units) + [n for n in recall if n not in units]
    rows = []
    for name in names:
        report = section(recall, name)
        rows.append({
            "unit": name,
            "settings": units.get(name, {}),
            "sent": report.get("sent"),
            "read_back": report.get("read_back"),
            "notes": [str(n) for n in report.get("notes", []) or []],
            "by_hand": name in by_hand,  # set from its recall sheet: nothing was sent over a wire
        })
    return rows


def recall_words(row: dict[str, Any]) -> str:
    """How a unit got its settings, in words: over its wire (and read back), or by hand."""
    if row.get("by_hand"):
        return "set by hand from the recall sheet (confirmed by the operator)"
    said = []
    if row.get("sent") is not None:
        said.append(f"sent over the wire ({len(row['sent']) if isinstance(row['sent'], (dict, list)) else row['sent']} controls)")
    if row.get("read_back") is not None:
        said.append("read back")
    return ", ".join(said)


def _finding(item: Any) -> str:
    """A compliance finding as text: the renderer gives {level, rule, message, track} dicts."""
    return str(item.get("message", item)) if isinstance(item, dict) else str(item)


def album_parts(album: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, tuple[list[str], list[list[str]]]]]:
    """The album view as (label, text) lines plus tables for lists of records (one row per track)."""
    from hybrid.report.formatting import shown

    lines: list[tuple[str, str]] = []
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    for key, value in album.items():
        if key in ("partial", "printed_tracks"):
            continue  # said once below, in words
        label = key.replace("_", " ")
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            tables[label] = ([c.replace("_", " ") for c in columns],
                             [[shown(row.get(c, "")) if row.get(c, "") != "" else "-" for c in columns] for row in value])
        else:
            lines.append((label, shown(value)))
    printed = album.get("printed_tracks")
    if album.get("partial") and printed:
        lines.append(("printed in this print", shown(printed)))
    return lines, tables


def override_settings(override: Any) -> dict[str, Any]:
    """A track's overrides as one settings dict: its units' controls by unit.control, then finishing."""
    if not isinstance(override, dict):
        return {}
    out: dict[str, Any] = dict(override.get("units") or {})
    if override.get("finishing"):
        out["finishing"] = override["finishing"]
    return out
