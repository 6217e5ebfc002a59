"""The plain-text report: what a client or assistant reads in an e-mail or a terminal."""

from __future__ import annotations

from typing import Any

from hybrid.report.formatting import clock, get, num, settings_line
from hybrid.report.summary import album_parts, compliance_rows, recall_rows, override_settings, recall_words, stage_rows, track_label


def render_text(data: dict[str, Any]) -> str:
    """The whole report as text; every section is skipped when the data does not have it."""
    out: list[str] = []
    title = get(data, "session", "title") or get(data, "file", "name") or "untitled"
    heading = f"Mastering report: {title}"
    out += [heading, "=" * len(heading)]
    _revision(data, out)
    # An analysed file is read for its evaluation first; a print for its masters.
    if data.get("file"):
        _qc(data, out)
    _since(data, out)
    _tracks(data, out)
    _compliance(data, out)
    _rates(data, out)
    _album(data, out)
    if not data.get("file"):
        _qc(data, out)
    _settings(data, out)
    _calibration(data, out)
    _sheets(data, out)
    software = data.get("software")
    if isinstance(software, dict) and software:
        out += ["", "Software: " + ", ".join(f"{k} {v}" for k, v in software.items())]
    return "\n".join(out) + "\n"


def _section(out: list[str], name: str) -> None:
    out += ["", name, "-" * len(name)]


def _revision(data: dict[str, Any], out: list[str]) -> None:
    rev = data.get("revision")
    if isinstance(rev, dict) and rev:
        line = f"Revision {rev.get('number', '?')}"
        if rev.get("author"):
            line += f" by {rev['author']}"
        if rev.get("created_at"):
            line += f", {rev['created_at']}"
        out.append(line)
        if rev.get("note"):
            out.append(f"Note: {rev['note']}")
    if data.get("rig"):
        rig = data["rig"]
        out.append(f"Rig: {rig.get('name', rig) if isinstance(rig, dict) else rig}")
    if get(data, "session", "dir"):
        out.append(f"Session: {data['session']['dir']}")


def _since(data: dict[str, Any], out: list[str]) -> None:
    since = data.get("since_last_print")
    if not isinstance(since, dict) or not since:
        return
    _section(out, f"What changed since the last print ({since.get('print')}, revision {since.get('revision')})")
    out += [f"  {c}" for c in since.get("changes") or []] or ["  no setting changed"]
    printed = since.get("printed_again") or []
    if printed:
        out.append(f"printed again: {', '.join(str(t) for t in printed)}")


def _tracks(data: dict[str, Any], out: list[str]) -> None:
    tracks = [t for t in data.get("tracks", []) or [] if isinstance(t, dict)]
    if not tracks:
        return
    _section(out, "Loudness and true peak per track and deliverable")
    for track in tracks:
        rows = stage_rows(data, track)
        width = max([12] + [len(row["stage"]) + 2 for row in rows])
        header = f"{'stage':<{width}}{'integrated':>14}{'true peak':>13}{'LRA':>9}{'gain':>10}{'limiter GR':>13}"
        out += ["", track_label(track), header]
        for row in rows:
            out.append(
                f"{row['stage']:<{width}}{num(row['integrated_lufs'], 'LUFS'):>14}"
                f"{num(row['true_peak_dbtp'], 'dBTP', 2):>13}{num(row['lra_lu'], 'LU'):>9}"
                f"{num(row['gain_db'], 'dB'):>10}{num(row['max_gain_reduction_db'], 'dB'):>13}"
            )


def _compliance(data: dict[str, Any], out: list[str]) -> None:
    rows = compliance_rows(data)
    if not rows:
        return
    _section(out, "Compliance per deliverable")
    for row in rows:
        out.append(f"{row['target']}: {'pass' if row['ok'] else 'FAIL'}" + (f" ({row['checked']})" if row["checked"] else ""))
        out += [f"  error: {e}" for e in row["errors"]]
        out += [f"  warning: {w}" for w in row["warnings"]]


def _rates(data: dict[str, Any], out: list[str]) -> None:
    """Every sample-rate conversion from the mix to each delivered file (nothing converts unsaid)."""
    from hybrid.deliver.rates import delivered_rate_lines

    lines = delivered_rate_lines(data.get("deliverables") or {})
    if lines:
        _section(out, "Sample rates (mix -> print -> file)")
        out += lines


def _album(data: dict[str, Any], out: list[str]) -> None:
    album = data.get("album")
    if not isinstance(album, dict) or not album:
        return
    _section(out, "Album")
    lines, tables = album_parts(album)
    out += [f"{label}: {text}" for label, text in lines]
    for name, (columns, rows) in tables.items():
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        out += ["", name, "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]


def _qc(data: dict[str, Any], out: list[str]) -> None:
    qc = data.get("qc")
    if not isinstance(qc, dict) or not qc:
        return
    _section(out, "Mix evaluation (the incoming mix)" if not data.get("file") else "Mix evaluation")
    for name, result in qc.items():
        if not isinstance(result, dict):
            continue
        out.append(f"{name}: {result.get('verdict', '')}")
        for finding in result.get("findings", []) or []:
            times = finding.get("times_s") or []
            where = f" (at {', '.join(clock(t) for t in times[:5])})" if times else ""
            out.append(f"  [{finding.get('severity', '?')}] {finding.get('message', '')}{where}")


def _settings(data: dict[str, Any], out: list[str]) -> None:
    rows = recall_rows(data)
    finishing = get(data, "revision", "finishing")
    per_track = get(data, "revision", "tracks", default={}) or {}
    if not rows and not finishing and not per_track:
        return
    _section(out, "Settings of this revision")
    for row in rows:
        out.append(f"{row['unit']}: {settings_line(row['settings'])}")
        if recall_words(row):
            out.append("  recall: " + recall_words(row))
        out += [f"  note: {n}" for n in row["notes"]]
    if finishing:
        out.append(f"finishing: {settings_line(finishing)}")
    if isinstance(per_track, dict):
        for track_id, override in per_track.items():
            out.append(f"track {track_id} overrides the album with: {settings_line(override_settings(override))}")


def _calibration(data: dict[str, Any], out: list[str]) -> None:
    cal = data.get("calibration")
    if not isinstance(cal, dict) or not cal:
        return
    _section(out, "Calibration")
    out.append(
        f"measured {cal.get('measured_at', 'n/a')} at {cal.get('sample_rate', '?')} Hz,"
        f" block {cal.get('block_size', '?')}: latency {num(cal.get('latency_samples'), 'samples', 3)},"
        f" confidence {num(cal.get('confidence'), '', 3)}"
    )
    for ch in cal.get("channels", []) or []:
        if isinstance(ch, dict):
            out.append(
                f"  send {ch.get('send')} -> return {ch.get('return')}: gain {num(ch.get('gain_db'), 'dB', 2)},"
                f" latency {num(ch.get('latency_samples'), 'samples', 3)}"
                + (", polarity inverted" if ch.get("polarity_inverted") else "")
            )
    fingerprint = data.get("fingerprint")
    if isinstance(fingerprint, dict) and fingerprint:
        verdict = fingerprint.get("ok", fingerprint.get("verdict"))
        if verdict is not None:
            out.append(f"chain verification: {verdict}")
        else:
            # a print stores the chain as it was; `hybrid verify` compares the gear against it later
            bands = fingerprint.get("bands")
            bands = len(bands) if isinstance(bands, list) else bands
            thd = fingerprint.get("thd_pct_at_1khz")
            thd = [thd] if isinstance(thd, (int, float)) else thd  # one value per return channel
            parts = [f"{bands} bands" if isinstance(bands, int) else "",
                     "THD at 1 kHz " + " / ".join(f"{v:.3f} %" for v in thd) if isinstance(thd, list) and thd else ""]
            shown = ", ".join(p for p in parts if p)
            out.append("chain fingerprint stored for `hybrid verify`" + (f" ({shown})" if shown else ""))
            tracks = fingerprint.get("tracks")
            if isinstance(tracks, dict) and tracks:
                # tracks printed with their own overrides: `hybrid verify --track ID` proves each
                out.append("tracks with their own fingerprint: "
                           + ", ".join(f"{track} ({name})" for track, name in tracks.items()))


def _sheets(data: dict[str, Any], out: list[str]) -> None:
    sheets = data.get("recall_sheets")
    if not isinstance(sheets, dict) or not sheets:
        return
    _section(out, "Recall sheets (units set by hand)")
    for unit, sheet in sheets.items():
        out += ["", f"[{unit}]", str(sheet).rstrip()]
