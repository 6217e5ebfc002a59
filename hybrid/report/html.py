"""The HTML report: one self-contained file (styles inline, plots as base64 PNG) that opens offline."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape
from typing import Any

from hybrid.report.formatting import clock, get, num, settings_line
from hybrid.report.summary import album_parts, compliance_rows, recall_rows, override_settings, recall_words, stage_rows, track_label


@dataclass(frozen=True)
class Figure:
    """A rendered plot: which section it belongs to, its caption and the PNG bytes."""

    section: str  # "track:<track_id>", "chain" or "album"
    caption: str
    png: bytes


_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.ok{color:#176a2c;font-weight:600}
.fail{color:#b00020;font-weight:600}.warn{color:#9a6700}.info{color:#555}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:.9em}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto}.note{font-style:italic}
"""


def render_html(data: dict[str, Any], figures: list[Figure] | tuple[Figure, ...] = ()) -> str:
    """The whole report as one HTML document; sections are left out when the data lacks them."""
    title = get(data, "session", "title") or get(data, "file", "name") or "untitled"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Mastering report: {escape(str(title))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Mastering report: {escape(str(title))}</h1>",
    ]
    parts += _revision(data)
    # An analysed file is read for its evaluation first; a print for its masters.
    if data.get("file"):
        parts += _qc(data)
    parts += _since(data)
    parts += _tracks(data, figures)
    parts += _compliance(data)
    parts += _rates(data)
    parts += _album(data, figures)
    if not data.get("file"):
        parts += _qc(data)
    parts += _settings(data)
    parts += _chain(data, figures)
    parts += _sheets(data)
    software = data.get("software")
    if isinstance(software, dict) and software:
        parts.append("<p class='info'>Software: "
                     + escape(", ".join(f"{k} {v}" for k, v in software.items())) + "</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _img(figure: Figure) -> str:
    encoded = base64.b64encode(figure.png).decode("ascii")
    caption = escape(figure.caption)
    return (f'<figure><img alt="{caption}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _figures(figures: list[Figure] | tuple[Figure, ...], section: str) -> list[str]:
    return [_img(f) for f in figures if f.section == section]


def _revision(data: dict[str, Any]) -> list[str]:
    out = []
    rev = data.get("revision")
    if isinstance(rev, dict) and rev:
        line = f"Revision {escape(str(rev.get('number', '?')))}"
        if rev.get("author"):
            line += f" by {escape(str(rev['author']))}"
        if rev.get("created_at"):
            line += f", {escape(str(rev['created_at']))}"
        out.append(f"<p>{line}</p>")
        if rev.get("note"):
            out.append(f"<p class='note'>{escape(str(rev['note']))}</p>")
    rig = data.get("rig")
    if rig:
        out.append(f"<p>Rig: {escape(str(rig.get('name', rig) if isinstance(rig, dict) else rig))}</p>")
    return out


def _since(data: dict[str, Any]) -> list[str]:
    since = data.get("since_last_print")
    if not isinstance(since, dict) or not since:
        return []
    out = [f"<h2>What changed since the last print ({escape(str(since.get('print')))}, "
           f"revision {escape(str(since.get('revision')))})</h2><ul>"]
    out += [f"<li>{escape(str(c))}</li>" for c in since.get("changes") or []] or ["<li>no setting changed</li>"]
    out.append("</ul>")
    printed = since.get("printed_again") or []
    if printed:
        out.append(f"<p>Printed again: {escape(', '.join(str(t) for t in printed))}</p>")
    return out


def _tracks(data: dict[str, Any], figures: list[Figure] | tuple[Figure, ...]) -> list[str]:
    tracks = [t for t in data.get("tracks", []) or [] if isinstance(t, dict)]
    if not tracks:
        return []
    out = ["<h2>Tracks</h2>"]
    for track in tracks:
        out.append(f"<h3>{escape(track_label(track))}</h3>")
        out.append("<table><tr><th class='l'>stage</th><th>integrated</th><th>true peak</th>"
                   "<th>LRA</th><th>gain</th><th>limiter GR</th></tr>")
        for row in stage_rows(data, track):
            out.append(
                f"<tr><td class='l'>{escape(row['stage'])}</td><td>{num(row['integrated_lufs'], 'LUFS')}</td>"
                f"<td>{num(row['true_peak_dbtp'], 'dBTP', 2)}</td><td>{num(row['lra_lu'], 'LU')}</td>"
                f"<td>{num(row['gain_db'], 'dB')}</td><td>{num(row['max_gain_reduction_db'], 'dB')}</td></tr>"
            )
        out.append("</table>")
        out += _figures(figures, f"track:{track.get('track_id')}")
    return out


def _compliance(data: dict[str, Any]) -> list[str]:
    rows = compliance_rows(data)
    if not rows:
        return []
    out = ["<h2>Compliance per deliverable</h2><table>",
           "<tr><th class='l'>target</th><th class='l'>result</th><th class='l'>details</th></tr>"]
    for row in rows:
        result = "<span class='ok'>pass</span>" if row["ok"] else "<span class='fail'>FAIL</span>"
        details = [escape(row["checked"])] if row["checked"] else []
        details += [f"<span class='fail'>{escape(e)}</span>" for e in row["errors"]]
        details += [f"<span class='warn'>{escape(w)}</span>" for w in row["warnings"]]
        out.append(f"<tr><td class='l'>{escape(row['target'])}</td><td class='l'>{result}</td>"
                   f"<td class='l'>{'<br>'.join(details) or '&nbsp;'}</td></tr>")
    out.append("</table>")
    return out


def _rates(data: dict[str, Any]) -> list[str]:
    """Every sample-rate conversion from the mix to each delivered file."""
    from hybrid.deliver.rates import delivered_rate_lines

    lines = delivered_rate_lines(data.get("deliverables") or {})
    if not lines:
        return []
    return ["<h2>Sample rates (mix &rarr; print &rarr; file)</h2><ul>"] + [f"<li>{escape(line)}</li>" for line in lines] + ["</ul>"]


def _album(data: dict[str, Any], figures: list[Figure] | tuple[Figure, ...]) -> list[str]:
    album = data.get("album")
    out = []
    if isinstance(album, dict) and album:
        lines, tables = album_parts(album)
        out += ["<h2>Album</h2><table>"]
        out += [f"<tr><th class='l'>{escape(label)}</th><td class='l'>{escape(text)}</td></tr>" for label, text in lines]
        out.append("</table>")
        for name, (columns, rows) in tables.items():
            out.append(f"<h3>{escape(name)}</h3><table><tr>"
                       + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows]
            out.append("</table>")
    album_figs = _figures(figures, "album")
    if album_figs and not out:
        out.append("<h2>Album</h2>")
    return out + album_figs


def _qc(data: dict[str, Any]) -> list[str]:
    qc = data.get("qc")
    if not isinstance(qc, dict) or not qc:
        return []
    out = ["<h2>Mix evaluation</h2>" if data.get("file") else "<h2>Mix evaluation of the incoming mixes</h2>"]
    for name, result in qc.items():
        if not isinstance(result, dict):
            continue
        out.append(f"<h3>{escape(str(name))}</h3><p><b>{escape(str(result.get('verdict', '')))}</b></p><ul>")
        for finding in result.get("findings", []) or []:
            severity = str(finding.get("severity", "info"))
            times = finding.get("times_s") or []
            where = f" (at {', '.join(clock(t) for t in times[:5])})" if times else ""
            out.append(f"<li class='{escape(severity)}'>[{escape(severity)}] "
                       f"{escape(str(finding.get('message', '')))}{escape(where)}</li>")
        out.append("</ul>")
    return out


def _settings(data: dict[str, Any]) -> list[str]:
    rows = recall_rows(data)
    finishing = get(data, "revision", "finishing")
    per_track = get(data, "revision", "tracks", default={}) or {}
    if not rows and not finishing and not per_track:
        return []
    out = ["<h2>Settings of this revision</h2><table>",
           "<tr><th class='l'>unit</th><th class='l'>settings</th><th class='l'>recall</th></tr>"]
    for row in rows:
        recall = ([recall_words(row)] if recall_words(row) else []) + row["notes"]
        out.append(f"<tr><td class='l'>{escape(row['unit'])}</td>"
                   f"<td class='l'>{escape(settings_line(row['settings']))}</td>"
                   f"<td class='l'>{escape('; '.join(recall)) or '&nbsp;'}</td></tr>")
    if finishing:
        out.append(f"<tr><td class='l'>finishing</td><td class='l'>{escape(settings_line(finishing))}</td>"
                   "<td class='l'>digital</td></tr>")
    if isinstance(per_track, dict):
        for track_id, override in per_track.items():
            out.append(f"<tr><td class='l'>track {escape(str(track_id))}</td>"
                       f"<td class='l'>{escape(settings_line(override_settings(override)))}</td><td class='l'>override</td></tr>")
    out.append("</table>")
    return out


def _chain(data: dict[str, Any], figures: list[Figure] | tuple[Figure, ...]) -> list[str]:
    cal = data.get("calibration")
    figs = _figures(figures, "chain")
    if not (isinstance(cal, dict) and cal) and not figs:
        return []
    out = ["<h2>The analog chain: calibration and verification</h2>"]
    if isinstance(cal, dict) and cal:
        out.append(
            f"<p>Measured {escape(str(cal.get('measured_at', 'n/a')))} at {escape(str(cal.get('sample_rate', '?')))} Hz,"
            f" block {escape(str(cal.get('block_size', '?')))}: latency {num(cal.get('latency_samples'), 'samples', 3)},"
            f" confidence {num(cal.get('confidence'), '', 3)}.</p>"
        )
        channels = [c for c in cal.get("channels", []) or [] if isinstance(c, dict)]
        if channels:
            out.append("<table><tr><th>send</th><th>return</th><th>gain</th><th>latency</th><th>polarity</th></tr>")
            for ch in channels:
                out.append(f"<tr><td>{escape(str(ch.get('send')))}</td><td>{escape(str(ch.get('return')))}</td>"
                           f"<td>{num(ch.get('gain_db'), 'dB', 2)}</td><td>{num(ch.get('latency_samples'), 'samples', 3)}</td>"
                           f"<td>{'inverted' if ch.get('polarity_inverted') else 'normal'}</td></tr>")
            out.append("</table>")
    return out + figs


def _sheets(data: dict[str, Any]) -> list[str]:
    sheets = data.get("recall_sheets")
    if not isinstance(sheets, dict) or not sheets:
        return []
    out = ["<h2>Recall sheets (units set by hand)</h2>"]
    for unit, sheet in sheets.items():
        out.append(f"<h3>{escape(str(unit))}</h3><pre>{escape(str(sheet))}</pre>")
    return out
