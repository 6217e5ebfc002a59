"""Words with accents in every deliverable, read back by independent readers: cuetools (cueprint,
cuebreakpoints) for the CUE sheets, mediainfo and ffprobe for the WAVs' INFO and bext chunks."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.ddp import read_ddp
from hybrid.ddp.layout import frames_to_msf
from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render
from hybrid.deliver.charset import to_ascii, to_latin1
from hybrid.deliver.riff import cset_chunk, info_chunk, insert_chunks, parse_bext, read_chunks

RATE = 48000
TITLES = [("Über die Straße", "Jörg Müller"), ("Łódź – ő ☃", "Ægir Œdipus"), ("Plain", "")]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (apt: cuetools, mediainfo, ffmpeg)")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("text")
    tracks = []
    for n, (title, composer) in enumerate(TITLES, start=1):
        t = np.arange(int(4.5 * RATE)) / RATE
        swell = np.minimum(1.0, t / 2.0)  # the loudness rises, so momentary and short-term maxima differ
        audio = (0.3 * swell * np.sin(2 * np.pi * 330 * n * t))[:, None] * np.array([[1.0, 0.9]])
        path = folder / f"c{n}.wav"
        sf.write(str(path), audio.astype(np.float32), RATE, subtype="FLOAT")
        tracks.append(TrackMaster(number=n, track_id=f"t{n}", title=title, capture_path=path, composer=composer,
                                  isrc=f"GBAYE260010{n}", gap_before_frames=150 if n == 1 else 75))
    job = RenderJob(tracks=tracks, album=AlbumInfo(title="Café Noir", artist="Björk & Co"), revision=1)
    result = render(job, ["cd", "streaming"], folder / "out")
    return result.per_target


def test_latin1_keeps_its_letters_and_spells_the_others_without_accents() -> None:
    assert to_latin1("Über die Straße, Ægir").text == "Über die Straße, Ægir"
    narrowed = to_latin1("Łódź – ő ☃")
    assert narrowed.text == "Lódz - o ?"  # ó is Latin-1; Ł, ź, ő lose their marks; the snowman cannot
    assert narrowed.note() == "Ł -> L, ź -> z, – -> -, ő -> o, ☃ -> ?"
    assert to_ascii("Jörg Müller, Straße, Œdipus").text == "Jorg Muller, Strasse, OEdipus"


def test_both_cue_sheets_are_latin1_without_a_bom_as_cueprint_reads_them(rendered: dict) -> None:
    cueprint = _tool("cueprint")
    cd = rendered["cd"]
    for sheet in (cd["cue"], cd["image_cue"]):
        raw = Path(sheet).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        out = subprocess.run([cueprint, "-d", "%T|%P\n", "-t", "%n|%t|%p|%s\n", str(sheet)],
                             capture_output=True, check=True).stdout
        lines = out.decode("latin-1").splitlines()  # cueprint passes the sheet's bytes through
        assert lines[0] == "Café Noir|Björk & Co"
        assert lines[1:] == ["1|Über die Straße|Björk & Co|Jörg Müller",
                             "2|Lódz - o ?|Björk & Co|Ægir OEdipus",
                             "3|Plain|Björk & Co|"]
    assert any(w["rule"] == "cd.latin1" and "track 2 title: Ł -> L" in w["message"]
               for w in cd["compliance"]["warnings"])
    assert [w["message"] for w in rendered["streaming"]["compliance"]["warnings"] if w["rule"] == "wav.latin1"] == [
        "streaming: the WAVs' LIST/INFO holds ISO 8859-1 only (the id3 chunk keeps every letter); "
        "track 2 title: Ł -> L, ź -> z, – -> -, ő -> o, ☃ -> ?",
        "streaming: the WAVs' LIST/INFO holds ISO 8859-1 only (the id3 chunk keeps every letter); "
        "track 2 composer: Œ -> OE"]


def test_the_image_cue_is_cue2ddp_ready_and_cuebreakpoints_finds_the_layout(rendered: dict) -> None:
    cuebreakpoints = _tool("cuebreakpoints")
    cd = rendered["cd"]
    text = Path(cd["image_cue"]).read_text(encoding="latin-1")
    assert "PREGAP" not in text and "POSTGAP" not in text and text.count("FILE ") == 1  # cue2ddp refuses them
    assert 'FILE "DDP/IMAGE.DAT" BINARY' in text
    assert (Path(cd["image_cue"]).parent / "DDP" / "IMAGE.DAT").is_file()

    def breakpoints(*options: str) -> list[str]:
        out = subprocess.run([cuebreakpoints, *options, str(cd["image_cue"])], capture_output=True, text=True,
                             check=True).stdout
        return out.split()

    def mmssff(frames: int) -> str:  # cuebreakpoints' m:ss.ff
        msf = frames_to_msf(frames)
        return f"{int(msf[:2])}:{msf[3:5]}.{msf[6:]}"

    layout = cd["layout"]
    assert breakpoints() == [mmssff(t["index1_frame"]) for t in layout[1:]]
    assert breakpoints("--prepend-gaps") == [mmssff(t["index0_frame"]) for t in layout[1:]]


def test_the_composer_is_the_songwriter_in_the_cue_and_on_the_disc(rendered: dict) -> None:
    cueprint = _tool("cueprint")
    cd = rendered["cd"]
    out = subprocess.run([cueprint, "-d", "", "-t", "%s\n", str(cd["cue"])], capture_output=True, check=True).stdout
    from_cue = out.decode("latin-1").split("\n")[:3]
    text = read_ddp(cd["ddp"]).cdtext
    assert text is not None
    assert [t.get("songwriter", "") for t in text.tracks] == from_cue == ["Jörg Müller", "Ægir OEdipus", ""]
    assert all("composer" not in t for t in text.tracks)


def _mediainfo(path: Path) -> tuple[dict, dict]:
    out = subprocess.run([_tool("mediainfo"), "--Output=JSON", str(path)], capture_output=True, text=True,
                         check=True).stdout
    general, audio = json.loads(out)["media"]["track"][:2]
    return general, audio


def test_mediainfo_reads_the_info_chunk_in_the_code_page_its_cset_names(tmp_path: Path) -> None:
    path = tmp_path / "info.wav"
    sf.write(str(path), np.zeros((4800, 2)), RATE, subtype="PCM_16")
    insert_chunks(path, [(b"CSET", cset_chunk()),
                         (b"LIST", info_chunk({"INAM": "Über die Straße", "IMUS": "Jörg Müller", "IPRD": "Café"}))])
    general, _ = _mediainfo(path)
    assert general["extra"]["CharacterSet"] == "ISO-8859-1"
    assert general["Title"] == "Über die Straße" and general["MusicBy"] == "Jörg Müller"
    assert general["OriginalSourceForm_Name"] == "Café"


def test_a_delivered_wav_reads_right_in_mediainfo_and_its_bext_in_ffprobe(rendered: dict) -> None:
    entry = rendered["streaming"]["tracks"][0]
    general, audio = _mediainfo(entry["path"])
    # these two come only from LIST/INFO (the id3 chunk has no twin for them)
    assert general["MusicBy"] == "Jörg Müller" and general["OriginalSourceForm_Name"] == "Café Noir"
    assert general["extra"]["CharacterSet"] == "ISO-8859-1"
    # bext: ASCII (EBU Tech 3285), the letters without their accents instead of "?"
    assert general["Description"] == "Bjork & Co - Uber die Strasse (ISRC GBAYE2600101)"
    loud = audio["extra"]
    assert float(loud["LoudnessValue"]) == pytest.approx(entry["integrated_lufs"], abs=0.011)
    assert float(loud["MaxMomentaryLoudness"]) == pytest.approx(entry["momentary_max_lufs"], abs=0.011)
    assert float(loud["MaxShortTermLoudness"]) == pytest.approx(entry["short_term_max_lufs"], abs=0.011)
    assert entry["momentary_max_lufs"] > entry["short_term_max_lufs"] > entry["integrated_lufs"]
    bext = parse_bext(read_chunks(entry["path"])["bext"])
    assert bext["max_momentary_lufs"] == entry["momentary_max_lufs"]
    out = subprocess.run([_tool("ffprobe"), "-v", "error", "-show_format", "-of", "json", str(entry["path"])],
                         capture_output=True, text=True, check=True).stdout
    tags = json.loads(out)["format"]["tags"]
    assert tags["originator_reference"] == "GBAYE2600101" and tags["encoded_by"] == "hybrid"
    assert tags["coding_history"].startswith("A=PCM,F=48000,W=24,M=stereo")


def test_file_names_spell_accented_titles_without_dropping_letters(rendered: dict) -> None:
    names = [Path(t["path"]).name for t in rendered["cd"]["tracks"]]
    assert names == ["01-uber-die-strasse.wav", "02-lodz-o.wav", "03-plain.wav"]
