"""Metadata lands where each format carries it, and an independent reader (ffprobe) finds it there."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.deliver.job import AlbumInfo, TrackMaster
from hybrid.deliver.riff import Bext, insert_chunks, parse_bext, parse_info, read_chunks
from hybrid.deliver.tags import tag_file

ALBUM = AlbumInfo(title="Night Drive", artist="The Band", year="2026", label="Label", upc_ean="4006381333931")
TRACK = TrackMaster(number=2, track_id="t2", title="Second Song", capture_path=Path("unused.wav"),
                    composer="A. Writer", isrc="GBAYE2600002")


def _signal() -> np.ndarray:
    rng = np.random.default_rng(11)
    return rng.uniform(-0.5, 0.5, size=(4410, 2))


def _ffprobe_tags(path: Path) -> dict[str, str]:
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe not installed")
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    tags = dict(doc["format"].get("tags", {}))
    for stream in doc.get("streams", []):
        tags.update(stream.get("tags", {}))
    return {k.lower(): v for k, v in tags.items()}


def test_wav_gets_bext_with_loudness_info_and_id3_and_keeps_its_audio(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    audio = _signal()
    sf.write(str(path), audio, 44100, subtype="PCM_24")
    before, _ = sf.read(str(path), dtype="int32")
    tag_file(path, TRACK, ALBUM, total_tracks=3,
             measured={"integrated_lufs": -14.25, "lra_lu": 6.5, "true_peak_dbtp": -1.03, "rate_hz": 44100,
                       "bits": 24})
    after, _ = sf.read(str(path), dtype="int32")
    assert np.array_equal(before, after)
    chunks = read_chunks(path)
    assert list(chunks)[:2] == ["fmt ", "bext"] and "LIST" in chunks and "id3 " in chunks
    bext = parse_bext(chunks["bext"])
    assert bext["version"] == 2 and bext["originator"] == "hybrid"
    assert bext["originator_reference"] == "GBAYE2600002"
    assert bext["loudness_value_lufs"] == -14.25 and bext["loudness_range_lu"] == 6.5
    assert bext["max_true_peak_dbtp"] == -1.03 and bext["max_momentary_lufs"] is None
    assert bext["coding_history"] == "A=PCM,F=44100,W=24,M=stereo,T=hybrid\r\n"
    info = parse_info(chunks["LIST"])
    assert info["INAM"] == "Second Song" and info["IPRD"] == "Night Drive" and info["ITRK"] == "2/3"
    from mutagen.wave import WAVE

    id3 = WAVE(str(path)).tags
    assert str(id3["TSRC"]) == "GBAYE2600002" and str(id3["TCOM"]) == "A. Writer"
    assert str(id3["TXXX:BARCODE"]) == "4006381333931"
    probed = _ffprobe_tags(path)
    assert probed["encoded_by"] == "hybrid" and probed["originator_reference"] == "GBAYE2600002"
    assert probed["title"] == "Second Song" and probed["album"] == "Night Drive"
    assert "A=PCM,F=44100" in probed["coding_history"]


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_compressed_formats_carry_title_isrc_and_barcode(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"t.{fmt}"
    kinds = {"flac": ("FLAC", "PCM_24"), "ogg": ("OGG", "VORBIS"), "mp3": ("MP3", "MPEG_LAYER_III")}
    sf.write(str(path), _signal(), 44100, format=kinds[fmt][0], subtype=kinds[fmt][1])
    tag_file(path, TRACK, ALBUM, total_tracks=3)
    probed = _ffprobe_tags(path)
    assert probed["title"] == "Second Song" and probed["album"] == "Night Drive"
    assert probed["composer"] == "A. Writer"
    assert probed.get("isrc", probed.get("tsrc")) == "GBAYE2600002"
    assert probed["barcode"] == "4006381333931"
    assert sf.info(str(path)).frames >= 4410  # still decodes


def test_insert_chunks_replaces_an_old_bext_and_is_read_by_libsndfile(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    sf.write(str(path), _signal(), 48000, subtype="PCM_16")
    insert_chunks(path, [(b"bext", Bext(description="first").to_bytes())])
    insert_chunks(path, [(b"bext", Bext(description="second", time_reference_samples=2**33 + 5).to_bytes())])
    chunks = read_chunks(path)
    assert sum(1 for k in chunks if k.startswith("bext")) == 1
    bext = parse_bext(chunks["bext"])
    assert bext["description"] == "second" and bext["time_reference_samples"] == 2**33 + 5
    assert sf.info(str(path)).frames == 4410
    size = int.from_bytes(path.read_bytes()[4:8], "little")
    assert size == path.stat().st_size - 8
