"""Read a DDP 2.00 image back, check every field and the checksums, list and extract its tracks."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from devices.errors import ConfigError
from devices.paths import write_atomic
from hybrid.ddp.cdtext import CdText, decode_packs
from hybrid.ddp.fields import DDPID_FIELDS, MAP_FIELDS, PQ_FIELDS, unpack
from hybrid.ddp.layout import (
    FRAMES_PER_SECOND,
    RED_BOOK_MAX_TOTAL_FRAMES,
    RED_BOOK_MAX_TRACKS,
    RED_BOOK_MIN_TRACK_S,
    SAMPLES_PER_FRAME,
    SECTOR_BYTES,
    frames_to_msf,
    red_book_violations,
)
from hybrid.deliver.encode import write_audio
from hybrid.errors import DeliverableError
from hybrid.metadata import normalize_isrc, normalize_upc_ean

__all__ = ["DdpImage", "DdpTrack", "extract_tracks", "read_ddp"]

# lead-in/lead-out/fill data and text streams: legal in an image, not needed to play or check it
_OTHER_STREAMS = ("D2", "D3", "D4", "T0", "T1", "T2", "T3")


@dataclass
class DdpTrack:
    number: int
    isrc: str
    index0_frame: int | None
    index1_frame: int
    length_frames: int = 0
    title: str = ""
    performer: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number, "isrc": self.isrc, "title": self.title, "performer": self.performer,
            "index0": None if self.index0_frame is None else frames_to_msf(self.index0_frame),
            "start": frames_to_msf(self.index1_frame), "start_frame": self.index1_frame,
            "length": frames_to_msf(self.length_frames), "length_frames": self.length_frames,
            "length_s": round(self.length_frames / FRAMES_PER_SECOND, 3),
        }


@dataclass
class DdpImage:
    """What a DDP folder says, and every problem found reading it (empty: the image is sound)."""

    folder: Path
    level: str = ""
    upc_ean: str = ""
    master_id: str = ""
    image_path: Path | None = None
    image_sectors: int = 0
    pregap_sectors: int | None = None  # the D0 packet's PRE2: track 1's pregap at the start of the image
    leadout_frame: int = 0
    leadout_packets: int = 0  # AA 01 packets in the PQ descriptor (the DDP tools write two)
    tracks: list[DdpTrack] = field(default_factory=list)
    cdtext: CdText | None = None
    checksums_ok: bool | None = None  # None: no checksum file
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "folder": str(self.folder), "ok": self.ok, "level": self.level, "upc_ean": self.upc_ean,
            "master_id": self.master_id, "image": str(self.image_path) if self.image_path else None,
            "total": frames_to_msf(self.leadout_frame), "total_frames": self.leadout_frame,
            "pregap_sectors": self.pregap_sectors, "leadout_packets": self.leadout_packets,
            "checksums_ok": self.checksums_ok, "cdtext": None if self.cdtext is None else
            {"disc": self.cdtext.disc, "tracks": self.cdtext.tracks},
            "tracks": [t.to_dict() for t in self.tracks], "problems": self.problems,
        }


def _number(text: str, name: str, problems: list[str], where: str) -> int | None:
    text = text.strip()  # some writers right-align numbers with spaces instead of zeros
    if not text.isdigit():
        problems.append(f"{where}: {name} {text!r} is not a number")
        return None
    return int(text)


def _read_ddpid(image: DdpImage) -> None:
    path = image.folder / "DDPID"
    data = path.read_bytes()
    if len(data) != 128:
        image.problems.append(f"DDPID: {len(data)} bytes; DDP 2.00 has 128")
        return
    fields = unpack(DDPID_FIELDS, data)
    image.level, image.master_id = fields["level"], fields["master_id"]
    if image.level != "DDP 2.00":
        image.problems.append(f"DDPID: level {image.level!r}; this reader takes 'DDP 2.00'")
    if fields["disc_type"] not in ("CD", ""):
        image.problems.append(f"DDPID: disc type {fields['disc_type']!r} is not CD")
    if fields["upc_ean"]:
        try:
            image.upc_ean = normalize_upc_ean(fields["upc_ean"], field="DDPID.upc_ean")
        except ConfigError as exc:
            image.problems.append(str(exc))


def _read_map(image: DdpImage) -> dict[str, Path]:
    data = (image.folder / "DDPMS").read_bytes()
    streams: dict[str, Path] = {}
    if not data or len(data) % 128:
        image.problems.append(f"DDPMS: {len(data)} bytes, not a whole number of 128-byte map packets")
        return streams
    for number in range(len(data) // 128):
        where = f"DDPMS packet {number + 1}"
        packet = unpack(MAP_FIELDS, data[number * 128:(number + 1) * 128])
        if packet["valid"] != "VVVM":
            image.problems.append(f"{where}: starts {packet['valid']!r}, not 'VVVM'")
            continue
        if packet["name_size"] and _number(packet["name_size"], "name size", image.problems, where) is None:
            continue
        name = packet["name"]
        path = image.folder / name
        if not name or not path.is_file():
            image.problems.append(f"{where}: names {name!r}, which is not in the folder")
            continue
        length = _number(packet["stream_length"], "stream length", image.problems, where)
        size = path.stat().st_size
        if packet["stream_type"] == "D0":
            if packet["cd_mode"] != "DA":
                image.problems.append(f"{where}: CD mode {packet['cd_mode']!r}; an audio CD is 'DA'")
            if length is not None and length * SECTOR_BYTES != size:
                image.problems.append(f"{where}: {name} is {size} bytes; the map says {length} sectors "
                                      f"of {SECTOR_BYTES}")
            image.image_path, image.image_sectors = path, size // SECTOR_BYTES
            streams["audio"] = path
            _read_pregap(image, packet, where)
        elif packet["stream_type"] == "S0":
            if length is not None and length != size:
                image.problems.append(f"{where}: {name} is {size} bytes; the map says {length}")
            kind = {"PQ DESCR": "pq", "CDTEXT": "cdtext"}.get(packet["subcode"])
            if kind is None:
                image.problems.append(f"{where}: unknown subcode {packet['subcode']!r}")
            else:
                streams[kind] = path
        elif packet["stream_type"] not in _OTHER_STREAMS:
            image.problems.append(f"{where}: stream type {packet['stream_type']!r}; DDP 2.00 knows "
                                  f"D0, S0 and {', '.join(_OTHER_STREAMS)}")
    for needed in ("audio", "pq"):
        if needed not in streams:
            image.problems.append(f"DDPMS: no {'D0 audio' if needed == 'audio' else 'PQ DESCR'} stream")
    return streams


def _read_pregap(image: DdpImage, packet: dict[str, str], where: str) -> None:
    """PRE1 blank and PRE2 = track 1's pregap sectors, as cue2ddp, Sonoris and HOFA write the D0
    packet; an image with the pregap in PRE1 (and PRE2 blank) is what some plants' tools misread."""
    if packet["pregap1"].strip():
        image.problems.append(f"{where}: PRE1 (bytes 42-45) holds {packet['pregap1'].strip()!r}; DDP tools "
                              "leave it blank and give track 1's pregap in PRE2 (bytes 46-49)")
    if not packet["pregap2"].strip():
        image.problems.append(f"{where}: PRE2 (bytes 46-49) is blank; it gives track 1's pregap in sectors "
                              "(150 for the 2 s)")
        return
    image.pregap_sectors = _number(packet["pregap2"], "PRE2", image.problems, where)


def _read_pq(image: DdpImage, path: Path) -> None:
    data = path.read_bytes()
    if len(data) % 64:
        image.problems.append(f"{path.name}: {len(data)} bytes, not a whole number of 64-byte packets")
        return
    leadout: int | None = None
    last_frame = -1
    for number in range(len(data) // 64):
        where = f"{path.name} packet {number + 1}"
        p = unpack(PQ_FIELDS, data[number * 64:(number + 1) * 64])
        if p["valid"] != "VVVS":
            image.problems.append(f"{where}: starts {p['valid']!r}, not 'VVVS'")
            continue
        p["hours"] = p["hours"].strip() or "0"  # left blank by writers that give only mm:ss:ff
        parts = [_number(p[k], k, image.problems, where) for k in ("index", "hours", "minutes", "seconds", "frames")]
        numbers = [v for v in parts if v is not None]
        if len(numbers) != len(parts):
            continue
        index, hours, minutes, seconds, frames = numbers
        if seconds >= 60 or frames >= FRAMES_PER_SECOND:
            image.problems.append(f"{where}: time {minutes:02d}:{seconds:02d}:{frames:02d} is not mm:ss:ff")
            continue
        at = ((hours * 60 + minutes) * 60 + seconds) * FRAMES_PER_SECOND + frames
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", p["control1"]):
            image.problems.append(f"{where}: control byte {p['control1']!r} is not two hex digits")
        isrc = ""
        if p["isrc"]:
            try:
                isrc = normalize_isrc(p["isrc"], field=f"{where}.isrc")
            except ConfigError as exc:
                image.problems.append(str(exc))
        if p["upc_ean"] and p["track"] == "00":
            try:
                upc = normalize_upc_ean(p["upc_ean"], field=f"{where}.upc_ean")
                if image.upc_ean and upc != image.upc_ean:
                    image.problems.append(f"{where}: UPC/EAN {upc} differs from DDPID's {image.upc_ean}")
                image.upc_ean = image.upc_ean or upc
            except ConfigError as exc:
                image.problems.append(str(exc))
        if p["track"] == "00":
            continue
        if at < last_frame:
            image.problems.append(f"{where}: {frames_to_msf(at)} comes before the previous index")
        last_frame = at
        if p["track"] == "AA":
            image.leadout_packets += 1
            if leadout is not None and at != leadout:
                image.problems.append(f"{where}: a second lead-out at {frames_to_msf(at)}, the first at "
                                      f"{frames_to_msf(leadout)}")
            leadout = at
            continue
        if leadout is not None:
            image.problems.append(f"{where}: track {p['track']} after the lead-out")
            continue
        track_no = _number(p["track"], "track", image.problems, where)
        if track_no is None:
            continue
        if not image.tracks or image.tracks[-1].number != track_no:
            if track_no != len(image.tracks) + 1:
                image.problems.append(f"{where}: track {track_no} follows track {len(image.tracks)}")
            image.tracks.append(DdpTrack(track_no, isrc, None, -1))
        track = image.tracks[-1]
        track.isrc = track.isrc or isrc
        if index == 0:
            track.index0_frame = at
        elif index == 1:
            track.index1_frame = at
    if leadout is None:
        image.problems.append(f"{path.name}: no lead-out (track AA)")
        leadout = image.image_sectors
    image.leadout_frame = leadout
    if image.leadout_packets > 2:
        image.problems.append(f"{path.name}: {image.leadout_packets} lead-out packets; DDP tools write two "
                              "(one is read too)")
    if image.image_sectors and leadout != image.image_sectors:
        image.problems.append(f"{path.name}: lead-out at {frames_to_msf(leadout)} but the audio ends at "
                              f"{frames_to_msf(image.image_sectors)}")
    for i, track in enumerate(image.tracks):
        if track.index1_frame < 0:
            image.problems.append(f"{path.name}: track {track.number} has no index 01")
            continue
        nxt = image.tracks[i + 1] if i + 1 < len(image.tracks) else None
        end = leadout if nxt is None else (nxt.index0_frame if nxt.index0_frame is not None else nxt.index1_frame)
        track.length_frames = max(0, end - track.index1_frame)
    first = image.tracks[0].index1_frame if image.tracks else -1
    if image.pregap_sectors is not None and first >= 0 and image.pregap_sectors != first:
        image.problems.append(f"DDPMS: PRE2 gives a {image.pregap_sectors}-sector pregap but track 1 starts at "
                              f"{frames_to_msf(first)} ({first} sectors) in {path.name}")
    _red_book(image, path.name)


def _red_book(image: DdpImage, name: str) -> None:
    """The Red Book rules a plant checks on arrival: pregap, track count, shortest track, total time."""
    tracks = image.tracks
    found = red_book_violations([t.index1_frame for t in tracks], [t.length_frames for t in tracks],
                                image.leadout_frame)
    for v in sorted(found, key=lambda v: v.rule != "pregap"):
        if v.rule == "pregap" and tracks[0].index1_frame >= 0:
            image.problems.append(f"{name}: track 1 starts at {frames_to_msf(tracks[0].index1_frame)}; "
                                  "Red Book needs the 2 s pregap")
        elif v.rule == "track_count":
            image.problems.append(f"{name}: {len(tracks)} tracks; a CD holds at most {RED_BOOK_MAX_TRACKS}")
        elif v.rule == "min_track_length" and v.value > 0 and v.track is not None:
            track = tracks[v.track - 1]
            image.problems.append(f"{name}: track {track.number} lasts {frames_to_msf(track.length_frames)}; "
                                  f"a CD track must be at least {RED_BOOK_MIN_TRACK_S:.0f} s")
        elif v.rule == "total_length":
            image.problems.append(f"{name}: the disc runs {frames_to_msf(image.leadout_frame)}; a CD holds "
                                  f"at most {frames_to_msf(RED_BOOK_MAX_TOTAL_FRAMES)}")


def _checksum_entry(line: str) -> tuple[str, str] | None:
    """(md5, file name) from md5sum's "HASH *NAME" / "HASH  NAME" or BSD's "MD5 (NAME) = HASH"."""
    gnu = re.fullmatch(r"([0-9a-fA-F]{32}) [ *](.+)", line)
    if gnu:
        return gnu.group(1).lower(), gnu.group(2)
    bsd = re.fullmatch(r"MD5 \((.+)\) = ([0-9a-fA-F]{32})", line)
    if bsd:
        return bsd.group(2).lower(), bsd.group(1)
    return None


def _check_sums(image: DdpImage) -> None:
    listing = image.folder / "CHECKSUM.MD5"
    if not listing.is_file():
        return
    image.checksums_ok = True
    for line in listing.read_text(encoding="ascii", errors="replace").splitlines():
        if not line.strip():
            continue
        entry = _checksum_entry(line.strip())
        if entry is None:
            image.problems.append(f"CHECKSUM.MD5: cannot read the line {line!r}")
            image.checksums_ok = False
            continue
        expected, name = entry
        target = image.folder / name
        if not target.is_file():
            image.problems.append(f"CHECKSUM.MD5: {name} is missing")
            image.checksums_ok = False
            continue
        digest = hashlib.md5()
        with open(target, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            image.problems.append(f"CHECKSUM.MD5: {name} does not match its checksum")
            image.checksums_ok = False


def read_ddp(folder: str | Path) -> DdpImage:
    """Read and check a DDP 2.00 image; problems are listed, not raised, so all are seen at once."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliverableError(f"{folder}: not a folder; a DDP image is a folder holding DDPID and DDPMS")
    for name in ("DDPID", "DDPMS"):
        if not (folder / name).is_file():
            raise DeliverableError(f"{folder}: no {name} file; this is not a DDP image")
    image = DdpImage(folder)
    _read_ddpid(image)
    streams = _read_map(image)
    if "pq" in streams:
        _read_pq(image, streams["pq"])
    if "cdtext" in streams:
        try:
            image.cdtext = decode_packs(streams["cdtext"].read_bytes())
        except ValueError as exc:
            image.problems.append(f"{streams['cdtext'].name}: {exc}")
    if image.cdtext is not None:
        for track, text in zip(image.tracks, image.cdtext.tracks):
            track.title, track.performer = text.get("title", ""), text.get("performer", "")
    _check_sums(image)
    return image


def extract_tracks(image: DdpImage, out_dir: str | Path) -> list[Path]:
    """Write each track (index 01 to the next track's first index) as a 16-bit 44.1 kHz WAV."""
    if image.image_path is None:
        raise DeliverableError(f"{image.folder}: no audio stream to extract")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = np.memmap(image.image_path, dtype="<i2", mode="r").reshape(-1, 2)
    written = []
    for track in image.tracks:
        start = track.index1_frame * SAMPLES_PER_FRAME
        stop = start + track.length_frames * SAMPLES_PER_FRAME
        path = out_dir / f"{track.number:02d}.wav"
        wav = io.BytesIO()
        write_audio(wav, np.asarray(samples[start:stop]), 44100, format="WAV", subtype="PCM_16")
        write_atomic(path, wav.getvalue())
        written.append(path)
    return written
