"""DDP 2.00: the image written from 16-bit WAVs reads back with the right times, codes, text and audio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.ddp import CdText, decode_packs, encode_packs, extract_tracks, read_ddp, write_ddp
from hybrid.ddp.cdtext import crc16
from hybrid.ddp.layout import SAMPLES_PER_FRAME, frames_to_msf, layout_album, msf_to_frames

UPC = "5012345678900"
ISRCS = ["GBAYE2600001", "GBAYE2600002", "GBAYE2600003"]
# audio lengths in samples: 5 s + 100, 4 s exactly, 6 s + 587; gaps 2 s (pregap), 1 s, 0
LENGTHS = [5 * 44100 + 100, 4 * 44100, 6 * 44100 + 587]
GAPS = [150, 75, 0]


def _album(tmp_path: Path) -> tuple[list[Path], list[np.ndarray]]:
    rng = np.random.default_rng(7)
    paths, pcms = [], []
    for n, samples in enumerate(LENGTHS, start=1):
        padded = -(-samples // SAMPLES_PER_FRAME) * SAMPLES_PER_FRAME
        pcm = np.zeros((padded, 2), dtype=np.int16)
        pcm[:samples] = rng.integers(-20000, 20000, size=(samples, 2), dtype=np.int16)
        path = tmp_path / f"{n:02d}.wav"
        sf.write(str(path), pcm, 44100, subtype="PCM_16")
        paths.append(path)
        pcms.append(pcm)
    return paths, pcms


def _layout():
    return layout_album([(f"t{n}", f"Song {n}", isrc, samples, gap)
                         for n, (isrc, samples, gap) in enumerate(zip(ISRCS, LENGTHS, GAPS), start=1)])


def _text() -> CdText:
    return CdText(disc={"title": "Night Drive", "performer": "The Band", "code": UPC},
                  tracks=[{"title": f"Song {n}", "performer": "The Band", "code": isrc}
                          for n, isrc in enumerate(ISRCS, start=1)])


@pytest.fixture
def image(tmp_path: Path):
    wavs, pcms = _album(tmp_path)
    files = write_ddp(tmp_path / "DDP", _layout(), wavs, upc_ean=UPC, master_id="CAT-001", cdtext=_text())
    return tmp_path / "DDP", files, pcms


def test_layout_places_tracks_on_frame_boundaries_with_the_gaps() -> None:
    layout = _layout()
    # track 1: index 0 at 0, index 1 after the 2 s pregap; 220600 samples = 375.17 -> 376 frames
    assert [(t.index0_frame, t.index1_frame, t.length_frames) for t in layout.tracks] == [
        (0, 150, 376), (526, 601, 300), (901, 901, 451)]
    assert layout.leadout_frame == 1352
    assert frames_to_msf(601) == "00:08:01" and msf_to_frames("00:08:01") == 601


def test_three_track_album_reads_back_times_isrcs_and_text(image) -> None:
    folder, _files, _pcms = image
    ddp = read_ddp(folder)
    assert ddp.problems == []
    assert ddp.level == "DDP 2.00" and ddp.upc_ean == UPC and ddp.master_id == "CAT-001"
    assert ddp.checksums_ok is True
    assert [t.to_dict()["start"] for t in ddp.tracks] == ["00:02:00", "00:08:01", "00:12:01"]
    assert [t.index0_frame for t in ddp.tracks] == [0, 526, None]
    assert [t.length_frames for t in ddp.tracks] == [376, 300, 451]
    assert [t.isrc for t in ddp.tracks] == ISRCS
    assert ddp.leadout_frame == 1352 and ddp.to_dict()["total"] == "00:18:02"
    assert [t.title for t in ddp.tracks] == ["Song 1", "Song 2", "Song 3"]
    assert ddp.cdtext is not None and ddp.cdtext.disc == {"title": "Night Drive", "performer": "The Band",
                                                          "code": UPC}


def test_image_audio_is_bit_identical_to_the_wavs(image, tmp_path: Path) -> None:
    folder, _files, pcms = image
    extracted = extract_tracks(read_ddp(folder), tmp_path / "out")
    for path, pcm in zip(extracted, pcms):
        back, rate = sf.read(str(path), dtype="int16", always_2d=True)
        assert rate == 44100
        assert np.array_equal(back, pcm)
    raw = np.fromfile(folder / "IMAGE.DAT", dtype="<i2").reshape(-1, 2)
    assert raw.shape[0] == 1352 * SAMPLES_PER_FRAME
    assert not raw[:150 * SAMPLES_PER_FRAME].any()  # the pregap is digital silence
    assert not raw[526 * SAMPLES_PER_FRAME:601 * SAMPLES_PER_FRAME].any()  # the 1 s gap before track 2


def test_field_layout_matches_ddp_2_00(image) -> None:
    folder, _files, _pcms = image
    ddpid = (folder / "DDPID").read_bytes()
    assert len(ddpid) == 128
    assert ddpid[0:8] == b"DDP 2.00" and ddpid[8:21] == UPC.encode() and ddpid[87:89] == b"CD"
    assert ddpid[38:45] == b"CAT-001"
    ms = (folder / "DDPMS").read_bytes()
    assert len(ms) == 3 * 128
    d0, pq, text = ms[:128], ms[128:256], ms[256:]
    assert d0[0:6] == b"VVVMD0" and d0[14:22] == b"00001352" and d0[38:40] == b"DA"
    assert d0[42:46] == b"0150"  # the pregap is in the image
    assert d0[71:74] == b"017" and d0[74:91] == b"IMAGE.DAT".ljust(17)
    assert pq[30:38] == b"PQ DESCR" and pq[74:91].rstrip() == b"PQDESCR"
    assert int(pq[14:22]) == (folder / "PQDESCR").stat().st_size
    assert text[30:38] == b"CDTEXT  " and text[74:91].rstrip() == b"CDTEXT.BIN"
    packets = (folder / "PQDESCR").read_bytes()
    rows = [packets[i:i + 64] for i in range(0, len(packets), 64)]
    # lead-in, 1/0, 1/1, 2/0, 2/1, 3/1 (no gap), lead-out
    assert [r[4:8] for r in rows] == [b"0000", b"0100", b"0101", b"0200", b"0201", b"0301", b"AA01"]
    assert rows[0][32:45] == UPC.encode()
    assert rows[4][8:16] == b"00000801" and rows[4][20:32] == ISRCS[1].encode()
    assert rows[-1][8:16] == b"00001802"
    assert all(r[0:4] == b"VVVS" and len(r) == 64 for r in rows)


def test_checksum_file_is_md5sum_compatible(image) -> None:
    folder, _files, _pcms = image
    if shutil.which("md5sum") is None:
        pytest.skip("md5sum not installed")
    out = subprocess.run(["md5sum", "-c", "CHECKSUM.MD5"], cwd=folder, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count(": OK") == 5


def test_a_flipped_audio_byte_fails_the_checksum(image) -> None:
    folder, _files, _pcms = image
    with open(folder / "IMAGE.DAT", "r+b") as handle:
        handle.seek(200_000)
        byte = handle.read(1)
        handle.seek(200_000)
        handle.write(bytes([byte[0] ^ 0x01]))
    ddp = read_ddp(folder)
    assert ddp.checksums_ok is False
    assert ddp.problems == ["CHECKSUM.MD5: IMAGE.DAT does not match its checksum"]


@pytest.mark.parametrize(("file", "offset", "value", "expected"), [
    ("PQDESCR", 64 * 2 + 20, b"GB!YE2600001", "registrant code"),
    ("PQDESCR", 64 * 6 + 8, b"00001803", "lead-out at 00:18:03 but the audio ends at 00:18:02"),
    ("PQDESCR", 64 * 3 + 0, b"XXXX", "not 'VVVS'"),
    ("PQDESCR", 64 * 4 + 12, b"61", "is not mm:ss:ff"),
    ("DDPID", 0, b"DDP 1.01", "level 'DDP 1.01'"),
    ("DDPID", 20, b"1", "check digit"),
    ("DDPMS", 14, b"00001351", "the map says 1351 sectors"),
    ("DDPMS", 128 + 74, b"MISSING  ", "not in the folder"),
    ("DDPMS", 4, b"X9", "stream type 'X9'"),
    ("CDTEXT.BIN", 18 * 2 + 6, b"Z", "bad CRC"),
])
def test_every_broken_field_is_reported(image, file: str, offset: int, value: bytes, expected: str) -> None:
    folder, _files, _pcms = image
    data = bytearray((folder / file).read_bytes())
    data[offset:offset + len(value)] = value
    (folder / file).write_bytes(bytes(data))
    (folder / "CHECKSUM.MD5").unlink()  # so only the field check speaks
    problems = read_ddp(folder).problems
    assert any(expected in p for p in problems), problems


def test_cd_text_crc_is_the_inverted_ccitt_crc() -> None:
    # CRC-16/XMODEM (poly 0x1021, init 0) of "123456789" is 0x31C3; CD-TEXT stores it inverted
    assert crc16(b"123456789") == 0x31C3 ^ 0xFFFF


def test_cd_text_packs_round_trip_and_carry_size_information() -> None:
    text = _text()
    packs = encode_packs(text)
    assert len(packs) % 18 == 0
    rows = [packs[i:i + 18] for i in range(0, len(packs), 18)]
    assert [r[2] for r in rows] == list(range(len(rows)))  # sequence numbers
    assert rows[0][0] == 0x80 and rows[0][1] == 0 and rows[0][4:16] == b"Night Drive\0"
    size = b"".join(r[4:16] for r in rows if r[0] == 0x8F)
    assert size[1:3] == bytes([1, 3]) and size[4] == sum(r[0] == 0x80 for r in rows)
    assert size[20] == len(rows) - 1 and size[28] == 0x09
    back = decode_packs(packs)
    assert back.disc == text.disc and back.tracks == text.tracks
    header = (len(packs) + 2).to_bytes(2, "big") + b"\0\0"  # READ TOC format 5 reply header
    assert decode_packs(header + packs).tracks == text.tracks


def test_cd_text_tab_repeats_the_previous_string() -> None:
    from hybrid.ddp.cdtext import _pack

    def packs(kind: int, payloads: list[tuple[int, bytes]], start: int) -> bytes:
        return b"".join(_pack(kind, track, start + i, 0, p) for i, (track, p) in enumerate(payloads))

    # performer of disc, track 1 and track 2 ("\t": same as track 1), as another writer may pack it
    body = packs(0x81, [(0, b"Duo\0Solo\0\t\0")], 0)
    size = bytes([0, 1, 2, 0]) + bytes([0, 1] + [0] * 13 + [3]) + bytes([3] + [0] * 7) + bytes([9] + [0] * 7)
    info = b"".join(_pack(0x8F, i, 1 + i, 0, size[i * 12:(i + 1) * 12]) for i in range(3))
    text = decode_packs(body + info)
    assert text.disc == {"performer": "Duo"} and text.tracks == [{"performer": "Solo"}, {"performer": "Solo"}]


def test_write_refuses_wavs_that_do_not_match_the_layout(tmp_path: Path) -> None:
    wavs, _ = _album(tmp_path)
    sf.write(str(wavs[1]), np.zeros((100, 2), dtype=np.int16), 44100, subtype="PCM_16")
    with pytest.raises(ValueError, match="the layout expects"):
        write_ddp(tmp_path / "DDP", _layout(), wavs)
    assert not (tmp_path / "DDP").exists() and not list(tmp_path.glob(".DDP*"))


def test_reader_takes_space_padded_numbers_blank_hours_and_bsd_checksums(image) -> None:
    import hashlib

    folder, _files, _pcms = image
    ms = bytearray((folder / "DDPMS").read_bytes())
    ms[14:22] = b"    1352"  # right-aligned with spaces, as some writers do
    (folder / "DDPMS").write_bytes(bytes(ms))
    pq = bytearray((folder / "PQDESCR").read_bytes())
    for start in range(0, len(pq), 64):
        pq[start + 8:start + 10] = b"  "  # hours left blank: only mm:ss:ff given
    (folder / "PQDESCR").write_bytes(bytes(pq))
    names = ["DDPID", "DDPMS", "PQDESCR", "CDTEXT.BIN", "IMAGE.DAT"]
    lines = [f"MD5 ({n}) = {hashlib.md5((folder / n).read_bytes()).hexdigest()}" for n in names]
    (folder / "CHECKSUM.MD5").write_text("\n".join(lines) + "\n")
    ddp = read_ddp(folder)
    assert ddp.problems == [] and ddp.checksums_ok is True
    assert [t.index1_frame for t in ddp.tracks] == [150, 601, 901]


def test_reader_applies_the_red_book_to_what_it_reads(tmp_path: Path) -> None:
    pcm = np.zeros((3 * 75 * SAMPLES_PER_FRAME, 2), dtype=np.int16)  # a 3 s track, written past the rules
    sf.write(str(tmp_path / "short.wav"), pcm, 44100, subtype="PCM_16")
    layout = layout_album([("s", "Short", "", pcm.shape[0], 150)])
    write_ddp(tmp_path / "DDP", layout, [tmp_path / "short.wav"])
    assert read_ddp(tmp_path / "DDP").problems == [
        "PQDESCR: track 1 lasts 00:03:00; a CD track must be at least 4 s"]
