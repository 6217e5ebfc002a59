"""Metadata embedded where each format carries it: ID3 (MP3, WAV), Vorbis comments (FLAC, Ogg), BWF bext."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hybrid.deliver.job import AlbumInfo, TrackMaster
from hybrid.deliver.riff import Bext, cset_chunk, info_chunk, insert_chunks

__all__ = ["tag_file", "text_fields"]


def text_fields(track: TrackMaster, album: AlbumInfo, total_tracks: int | None = None) -> dict[str, str]:
    """The release's words for one track, empty where the session does not say."""
    number = f"{track.number}/{total_tracks}" if total_tracks else str(track.number)
    return {
        "title": track.title, "artist": track.artist or album.artist, "album": album.title,
        "album_artist": album.artist, "year": album.year, "composer": track.composer,
        "track": number, "isrc": track.isrc, "upc_ean": album.upc_ean, "label": album.label,
        "catalog": album.catalog,
    }


def tag_file(path: Path, track: TrackMaster, album: AlbumInfo, *, total_tracks: int | None = None,
             measured: dict[str, Any] | None = None) -> None:
    """Embed the metadata in `path` by its format; `measured` fills bext's loudness fields (WAV)."""
    fields = text_fields(track, album, total_tracks)
    suffix = path.suffix.lower()
    if suffix == ".mp3":
        _tag_id3_mp3(path, fields)
    elif suffix == ".wav":
        _tag_wav(path, fields, measured or {})
    elif suffix == ".flac":
        from mutagen.flac import FLAC

        _vorbis(FLAC(str(path)), fields)
    elif suffix == ".ogg":
        from mutagen.oggvorbis import OggVorbis

        _vorbis(OggVorbis(str(path)), fields)
    else:
        raise ValueError(f"no tagging for {suffix} files")


def _id3_frames(fields: dict[str, str]) -> list[Any]:
    from mutagen.id3 import TALB, TCOM, TDRC, TIT2, TPE1, TPE2, TPUB, TRCK, TSRC, TXXX

    wanted = [
        (TIT2, "title"), (TPE1, "artist"), (TALB, "album"), (TPE2, "album_artist"), (TDRC, "year"),
        (TCOM, "composer"), (TRCK, "track"), (TSRC, "isrc"), (TPUB, "label"),
    ]
    frames = [frame(encoding=3, text=[fields[key]]) for frame, key in wanted if fields[key]]
    if fields["upc_ean"]:
        frames.append(TXXX(encoding=3, desc="BARCODE", text=[fields["upc_ean"]]))
    if fields["catalog"]:
        frames.append(TXXX(encoding=3, desc="CATALOGNUMBER", text=[fields["catalog"]]))
    return frames


def _tag_id3_mp3(path: Path, fields: dict[str, str]) -> None:
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(str(path))
    except ID3NoHeaderError:
        tags = ID3()
    for frame in _id3_frames(fields):
        tags.add(frame)
    tags.save(str(path))


def _tag_wav(path: Path, fields: dict[str, str], measured: dict[str, Any]) -> None:
    """bext (with loudness) and LIST/INFO by our chunk writer, then an `id3 ` chunk by mutagen."""
    now = datetime.now(timezone.utc)
    description = " - ".join(x for x in (fields["artist"], fields["title"]) if x)
    if fields["isrc"]:
        description += f" (ISRC {fields['isrc']})"
    bext = Bext(
        description=description,
        originator="hybrid",
        originator_reference=fields["isrc"] or fields["upc_ean"],
        origination_date=now.strftime("%Y-%m-%d"),
        origination_time=now.strftime("%H:%M:%S"),
        loudness_value_lufs=measured.get("integrated_lufs"),
        loudness_range_lu=measured.get("lra_lu"),
        max_true_peak_dbtp=measured.get("true_peak_dbtp"),
        max_momentary_lufs=measured.get("momentary_max_lufs"),
        max_short_term_lufs=measured.get("short_term_max_lufs"),
        coding_history=_coding_history(measured),
    )
    info = info_chunk(_info_fields(fields))
    insert_chunks(path, [(b"bext", bext.to_bytes()), (b"CSET", cset_chunk()), (b"LIST", info)])
    from mutagen.wave import WAVE

    wave = WAVE(str(path))
    if wave.tags is None:
        wave.add_tags()
    tags = wave.tags
    if tags is not None:  # add_tags() made them
        for frame in _id3_frames(fields):
            tags.add(frame)
    wave.save()


def _info_fields(fields: dict[str, str]) -> dict[str, str]:
    """LIST/INFO's fields, in ISO 8859-1 as the CSET chunk beside them says (see riff.cset_chunk)."""
    return {
        "INAM": fields["title"], "IART": fields["artist"], "IPRD": fields["album"], "ICRD": fields["year"],
        "ITRK": fields["track"], "IMUS": fields["composer"], "ICMT": f"ISRC {fields['isrc']}" if fields["isrc"] else "",
    }


def _coding_history(measured: dict[str, Any]) -> str:
    rate, bits = measured.get("rate_hz"), measured.get("bits")
    if not rate:
        return ""
    word = f",W={bits}" if bits else ""
    mode = {1: "mono", 2: "stereo"}.get(measured.get("channels", 2), "multichannel")
    return f"A=PCM,F={rate}{word},M={mode},T=hybrid"


def _vorbis(audio: Any, fields: dict[str, str]) -> None:
    names = {
        "title": "TITLE", "artist": "ARTIST", "album": "ALBUM", "album_artist": "ALBUMARTIST",
        "year": "DATE", "composer": "COMPOSER", "track": "TRACKNUMBER", "isrc": "ISRC",
        "upc_ean": "BARCODE", "label": "LABEL", "catalog": "CATALOGNUMBER",
    }
    if audio.tags is None:
        audio.add_tags()
    for key, name in names.items():
        if fields[key]:
            audio[name] = [fields[key]]
    audio.save()
