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
    text, pq, d0 = ms[:128], ms[128:256], ms[256:]  # the order cue2ddp and HOFA write
    assert d0[0:6] == b"VVVMD0" and d0[14:22] == b"00001352" and d0[38:40] == b"DA"
    # the 2 s pregap at the image's start: PRE2 (46-49) as cue2ddp, Sonoris and HOFA give it, PRE1 blank
    assert d0[42:46] == b"    " and d0[46:50] == b"0150"
    assert d0[71:74] == b"017" and d0[74:91] == b"IMAGE.DAT".ljust(17)
    assert text[55:57] == b"00"
    assert pq[30:38] == b"PQ DESCR" and pq[74:91].rstrip() == b"PQDESCR"
    assert int(pq[14:22]) == (folder / "PQDESCR").stat().st_size
    assert text[30:38] == b"CDTEXT  " and text[74:91].rstrip() == b"CDTEXT.BIN"
    packets = (folder / "PQDESCR").read_bytes()
    rows = [packets[i:i + 64] for i in range(0, len(packets), 64)]
    # lead-in, 1/0, 1/1, 2/0, 2/1, 3/1 (no gap), the lead-out twice (as the DDP tools write it)
    assert [r[4:8] for r in rows] == [b"0000", b"0100", b"0101", b"0200", b"0201", b"0301", b"AA01", b"AA01"]
    assert rows[0][32:45] == UPC.encode()
    assert rows[4][8:16] == b"00000801" and rows[4][20:32] == ISRCS[1].encode()
    assert rows[-1] == rows[-2] and rows[-1][8:16] == b"00001802"
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
    ("PQDESCR", 64 * 6 + 8, b"00001803", "a second lead-out at 00:18:02, the first at 00:18:03"),
    ("PQDESCR", 64 * 7 + 8, b"00001803", "lead-out at 00:18:03 but the audio ends at 00:18:02"),
    ("PQDESCR", 64 * 3 + 0, b"XXXX", "not 'VVVS'"),
    ("PQDESCR", 64 * 4 + 12, b"61", "is not mm:ss:ff"),
    ("DDPID", 0, b"DDP 1.01", "level 'DDP 1.01'"),
    ("DDPID", 20, b"1", "check digit"),
    ("DDPMS", 256 + 14, b"00001351", "the map says 1351 sectors"),
    ("DDPMS", 128 + 74, b"MISSING  ", "not in the folder"),
    ("DDPMS", 256 + 4, b"X9", "stream type 'X9'"),
    ("DDPMS", 256 + 46, b"0075", "PRE2 gives a 75-sector pregap but track 1 starts at 00:02:00"),
    ("DDPMS", 256 + 42, b"0150", "PRE1 (bytes 42-45) holds '0150'"),
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
    ms[256 + 14:256 + 22] = b"    1352"  # right-aligned with spaces, as some writers do
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


# ---- the reader against filesets as the DDP tools plants use write them ----
# Built here byte by byte at the offsets of "DDP 2.00 audio CD fileset" (an experiment-based public
# description of what ddptools' cue2ddp, Sonoris DDP Creator and HOFA write), not by our writer:
# numbers right-aligned with spaces (cue2ddp) or zeros (Sonoris, HOFA), the packets in the order
# CDTEXT/PQ/audio, the pregap in PRE2 with PRE1 blank, the lead-out packet written twice.

def _record(width: int, fields: dict[int, str]) -> bytes:
    out = bytearray(b" " * width)
    for offset, text in fields.items():
        out[offset:offset + len(text)] = text.encode("ascii")
    return bytes(out)


def _tool_fileset(folder: Path, *, pad: str = " ", pre1: str = "", pre2: str = "150",
                  leadouts: int = 2, leadout: str = "002200") -> None:
    """Two tracks: 1 at 00:02:00 after its index 0 at 0, 2 with a 2 s gap at 00:10:00, lead-out 00:22:00."""
    folder.mkdir()
    num = lambda value, width: str(value).rjust(width, pad)  # noqa: E731
    sectors = 22 * 75
    rng = np.random.default_rng(3)
    audio = rng.integers(-9000, 9000, size=(sectors * SAMPLES_PER_FRAME, 2), dtype="<i2")
    audio[:150 * SAMPLES_PER_FRAME] = 0
    (folder / "IMAGE.DAT").write_bytes(audio.tobytes())
    times = [("00", "00", "000000", "", UPC), ("01", "00", "000000", ISRCS[0], ""), ("01", "01", "000200", "", ""),
             ("02", "00", "001000", ISRCS[1], ""), ("02", "01", "001200", "", "")]
    times += [("AA", "01", leadout, "", "")] * leadouts
    sd = b"".join(_record(64, {0: "VVVS", 4: trk, 6: idx, 8: num(at, 8), 16: "01", 20: isrc, 32: upc})
                  for trk, idx, at, isrc, upc in times)
    (folder / "SD").write_bytes(sd)
    ms = _record(128, {0: "VVVMS0", 14: num(len(sd), 8), 30: "PQ DESCR", 71: "17".rjust(3, pad), 74: "SD"})
    ms += _record(128, {0: "VVVMD0", 14: num(sectors, 8), 38: "DA70", 42: pre1.rjust(4) if pre1 else "",
                        46: num(pre2, 4) if pre2 else "", 71: "17".rjust(3, pad), 74: "IMAGE.DAT"})
    (folder / "DDPMS").write_bytes(ms)
    (folder / "DDPID").write_bytes(_record(128, {0: "DDP 2.00", 8: UPC, 38: "CAT-9", 87: "CD"}))


@pytest.mark.parametrize("pad", [" ", "0"], ids=["cue2ddp-spaces", "sonoris-hofa-zeros"])
def test_reader_takes_a_fileset_as_the_ddp_tools_write_it(tmp_path: Path, pad: str) -> None:
    _tool_fileset(tmp_path / "DDP", pad=pad)
    ddp = read_ddp(tmp_path / "DDP")
    assert ddp.problems == []
    assert ddp.pregap_sectors == 150 and ddp.leadout_packets == 2 and ddp.leadout_frame == 1650
    assert [(t.index0_frame, t.index1_frame, t.length_frames) for t in ddp.tracks] == [(0, 150, 600), (750, 900, 750)]
    assert [t.isrc for t in ddp.tracks] == ISRCS[:2] and ddp.upc_ean == UPC


def test_reader_takes_one_lead_out_packet_too(tmp_path: Path) -> None:
    _tool_fileset(tmp_path / "DDP", leadouts=1)
    ddp = read_ddp(tmp_path / "DDP")
    assert ddp.problems == [] and ddp.leadout_packets == 1


@pytest.mark.parametrize(("fields", "expected"), [
    ({"pre1": "150", "pre2": ""}, ["DDPMS packet 2: PRE1 (bytes 42-45) holds '150'; DDP tools leave it blank and "
                                   "give track 1's pregap in PRE2 (bytes 46-49)",
                                   "DDPMS packet 2: PRE2 (bytes 46-49) is blank; it gives track 1's pregap in "
                                   "sectors (150 for the 2 s)"]),
    ({"pre2": "75"}, ["DDPMS: PRE2 gives a 75-sector pregap but track 1 starts at 00:02:00 (150 sectors) in SD"]),
    ({"leadouts": 3}, ["SD: 3 lead-out packets; DDP tools write two (one is read too)"]),
])
def test_reader_names_a_pregap_or_lead_out_the_tools_would_not_write(tmp_path: Path, fields: dict,
                                                                     expected: list[str]) -> None:
    _tool_fileset(tmp_path / "DDP", **fields)
    assert read_ddp(tmp_path / "DDP").problems == expected


def test_our_writer_agrees_with_the_tools_fileset_field_by_field(tmp_path: Path, image) -> None:
    """PRE1/PRE2 and the doubled lead-out where the tools put them, read back by the same checks."""
    folder, _files, _pcms = image
    d0 = next(p for p in ((folder / "DDPMS").read_bytes()[i:i + 128] for i in range(0, 384, 128)) if p[4:6] == b"D0")
    _tool_fileset(tmp_path / "tool")
    tool_d0 = (tmp_path / "tool" / "DDPMS").read_bytes()[128:256]
    assert d0[42:46] == tool_d0[42:46] == b"    "
    assert int(d0[46:50]) == int(tool_d0[46:50]) == 150
    ours = read_ddp(folder)
    assert ours.pregap_sectors == 150 and ours.leadout_packets == 2 and ours.problems == []
