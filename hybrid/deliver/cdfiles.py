"""The CD's album files: the DDP image, a CUE sheet and a PQ sheet (text and HTML) for the plant."""

from __future__ import annotations

import html
from pathlib import Path

from hybrid.ddp.cdtext import CdText
from hybrid.ddp.writer import write_ddp
from hybrid.ddp.layout import CdLayout, CdTrack, frames_to_msf
from hybrid.deliver.charset import to_latin1
from hybrid.deliver.job import AlbumInfo, TrackMaster

__all__ = ["cd_text_for", "cue_sheet", "image_cue_sheet", "pq_rows", "pq_sheet_html", "pq_sheet_text",
           "write_album_files"]

TWO_SECONDS = 150


def cd_text_for(album: AlbumInfo, tracks: list[TrackMaster]) -> CdText | None:
    """CD-TEXT block 0 from the session's words (ISO 8859-1, as to_latin1 spells them); None when
    there is nothing to say. The composer goes in the songwriter packs (0x82), where cue2ddp puts a
    CUE sheet's SONGWRITER, so the CUE and the disc name them the same way."""
    if not album.title and not any(t.title for t in tracks):
        return None
    text = lambda value: to_latin1(value).text  # noqa: E731
    return CdText(
        disc={"title": text(album.title), "performer": text(album.artist), "code": album.upc_ean},
        tracks=[{"title": text(t.title), "performer": text(t.artist or album.artist),
                 "songwriter": text(t.composer), "code": t.isrc} for t in tracks],
    )


def _quoted(text: str) -> str:
    return '"' + to_latin1(text).text.replace('"', "'") + '"'


def _disc_lines(album: AlbumInfo) -> list[str]:
    lines = ["REM COMMENT \"hybrid\""]
    if album.upc_ean:
        lines.append(f"CATALOG {album.upc_ean}")
    if album.artist:
        lines.append(f"PERFORMER {_quoted(album.artist)}")
    if album.title:
        lines.append(f"TITLE {_quoted(album.title)}")
    return lines


def _track_lines(cd_track: CdTrack, track: TrackMaster, album: AlbumInfo) -> list[str]:
    lines = [f"  TRACK {cd_track.number:02d} AUDIO"]
    if track.title:
        lines.append(f"    TITLE {_quoted(track.title)}")
    if track.artist or album.artist:
        lines.append(f"    PERFORMER {_quoted(track.artist or album.artist)}")
    if track.composer:
        lines.append(f"    SONGWRITER {_quoted(track.composer)}")
    if cd_track.isrc:
        lines.append(f"    ISRC {cd_track.isrc}")
    return lines


def cue_sheet(layout: CdLayout, wav_names: list[str], album: AlbumInfo, tracks: list[TrackMaster]) -> str:
    """A CUE sheet over the per-track WAVs (for burners that take one FILE per track); gaps are
    PREGAP silence the burner makes, not audio. Text is ISO 8859-1 (write it with latin-1)."""
    lines = _disc_lines(album)
    for cd_track, name, track in zip(layout.tracks, wav_names, tracks):
        lines.append(f"FILE {_quoted(name)} WAVE")
        lines += _track_lines(cd_track, track, album)
        # track 1's first 2 s of pregap are implied by every CUE reader; only extra gap is written
        gap = cd_track.gap_frames - (TWO_SECONDS if cd_track.number == 1 else 0)
        if gap > 0:
            lines.append(f"    PREGAP {frames_to_msf(gap)}")
        lines.append("    INDEX 01 00:00:00")
    return "\n".join(lines) + "\n"


def image_cue_sheet(layout: CdLayout, image_name: str, album: AlbumInfo, tracks: list[TrackMaster]) -> str:
    """A CUE sheet over the DDP's IMAGE.DAT as cue2ddp takes it: one FILE (BINARY, the raw 16-bit
    little-endian audio), absolute INDEX 00/01 times with the gaps in the audio, no PREGAP/POSTGAP
    (cue2ddp refuses them), no byte-order mark, ISO 8859-1 text."""
    lines = _disc_lines(album) + [f"FILE {_quoted(image_name)} BINARY"]
    for cd_track, track in zip(layout.tracks, tracks):
        lines += _track_lines(cd_track, track, album)
        if cd_track.gap_frames:
            lines.append(f"    INDEX 00 {frames_to_msf(cd_track.index0_frame)}")
        lines.append(f"    INDEX 01 {frames_to_msf(cd_track.index1_frame)}")
    return "\n".join(lines) + "\n"


def pq_rows(layout: CdLayout, tracks: list[TrackMaster]) -> list[dict[str, str]]:
    """One row per index, then the lead-out: what the PQ sheet lists."""
    rows = []
    for cd_track, track in zip(layout.tracks, tracks):
        if cd_track.gap_frames:
            rows.append({"track": f"{cd_track.number:02d}", "index": "00",
                         "start": frames_to_msf(cd_track.index0_frame), "length": frames_to_msf(cd_track.gap_frames),
                         "isrc": "", "title": "(pause)"})
        rows.append({"track": f"{cd_track.number:02d}", "index": "01",
                     "start": frames_to_msf(cd_track.index1_frame), "length": frames_to_msf(cd_track.length_frames),
                     "isrc": cd_track.isrc, "title": track.title})
    rows.append({"track": "AA", "index": "01", "start": frames_to_msf(layout.leadout_frame), "length": "",
                 "isrc": "", "title": "lead-out"})
    return rows


def _header(album: AlbumInfo, layout: CdLayout) -> list[tuple[str, str]]:
    return [("Title", album.title), ("Artist", album.artist), ("UPC/EAN", album.upc_ean or "(none)"),
            ("Catalogue", album.catalog), ("Tracks", str(len(layout.tracks))),
            ("Total time", frames_to_msf(layout.leadout_frame))]


def pq_sheet_text(layout: CdLayout, album: AlbumInfo, tracks: list[TrackMaster]) -> str:
    lines = ["PQ SHEET (times in mm:ss:ff, 75 frames per second)", ""]
    lines += [f"{k + ':':<12}{v}" for k, v in _header(album, layout) if v]
    lines += ["", f"{'Trk':<4}{'Idx':<4}{'Start':<10}{'Length':<10}{'ISRC':<14}Title"]
    for row in pq_rows(layout, tracks):
        lines.append(f"{row['track']:<4}{row['index']:<4}{row['start']:<10}{row['length']:<10}"
                     f"{row['isrc']:<14}{row['title']}")
    return "\n".join(lines) + "\n"


def pq_sheet_html(layout: CdLayout, album: AlbumInfo, tracks: list[TrackMaster]) -> str:
    esc = html.escape
    head = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _header(album, layout) if v)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(row[k])}</td>" for k in ("track", "index", "start", "length", "isrc", "title"))
        + "</tr>" for row in pq_rows(layout, tracks))
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>PQ sheet"
        f"{' - ' + esc(album.title) if album.title else ''}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 8px;text-align:left}</style></head><body>"
        "<h1>PQ sheet</h1><p>Times in mm:ss:ff (75 frames per second).</p>"
        f"<table>{head}</table><h2>Tracks</h2><table><tr><th>Track</th><th>Index</th><th>Start</th>"
        f"<th>Length</th><th>ISRC</th><th>Title</th></tr>{body}</table></body></html>\n"
    )


def write_album_files(folder: Path, layout: CdLayout, wav_paths: list[Path], album: AlbumInfo,
                      tracks: list[TrackMaster], cdtext: CdText | None) -> dict[str, Path]:
    """DDP/ (the image, with `cdtext` when given), album.cue, image.cue, pq-sheet.txt and pq-sheet.html."""
    master_id = album.catalog or album.upc_ean or album.title
    ddp_files = write_ddp(folder / "DDP", layout, wav_paths, upc_ean=album.upc_ean,
                          master_id=master_id, cdtext=cdtext)
    written: dict[str, Path] = {"ddp": folder / "DDP"}
    written.update({f"ddp_{key}": path for key, path in ddp_files.items()})
    texts = {
        "cue": ("album.cue", cue_sheet(layout, [p.name for p in wav_paths], album, tracks)),
        "image_cue": ("image.cue", image_cue_sheet(layout, f"DDP/{ddp_files['image_dat'].name}", album, tracks)),
        "pq_sheet_txt": ("pq-sheet.txt", pq_sheet_text(layout, album, tracks)),
        "pq_sheet_html": ("pq-sheet.html", pq_sheet_html(layout, album, tracks)),
    }
    for key, (name, text) in texts.items():
        # the CUE sheets are ISO 8859-1 as cue2ddp and CD-TEXT take them; the PQ sheets are UTF-8
        (folder / name).write_text(text, encoding="latin-1" if name.endswith(".cue") else "utf-8")
        written[key] = folder / name
    return written
