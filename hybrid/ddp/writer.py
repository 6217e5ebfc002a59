"""Write a DDP 2.00 image from the CD WAVs: IMAGE.DAT, DDPID, DDPMS, PQDESCR, CDTEXT.BIN, CHECKSUM.MD5."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from devices.paths import make_staging_dir
from hybrid.ddp.cdtext import CdText, encode_packs
from hybrid.ddp.fields import DDPID_FIELDS, MAP_FIELDS, PQ_FIELDS, pack
from hybrid.ddp.layout import FRAMES_PER_SECOND, SAMPLES_PER_FRAME, SECTOR_BYTES, CdLayout

__all__ = ["CDTEXT_NAME", "CHECKSUM_NAME", "IMAGE_NAME", "LEADOUT_PACKETS", "PQ_NAME", "write_ddp"]

IMAGE_NAME = "IMAGE.DAT"
PQ_NAME = "PQDESCR"
CDTEXT_NAME = "CDTEXT.BIN"
CHECKSUM_NAME = "CHECKSUM.MD5"
AUDIO_CONTROL = "01"  # Q-channel control 0 (2-channel audio, no pre-emphasis, copy not permitted), ADR 1
_BLOCK_FRAMES = 75 * 30  # copy 30 s of audio at a time into IMAGE.DAT
LEADOUT_PACKETS = 2  # the AA 01 packet, written twice as the DDP tools plants use write it


def _pq_time(frames: int) -> dict[str, int]:
    minutes, rest = divmod(frames, 60 * FRAMES_PER_SECOND)
    seconds, frame = divmod(rest, FRAMES_PER_SECOND)
    return {"hours": 0, "minutes": minutes, "seconds": seconds, "frames": frame}


def pq_descriptor(layout: CdLayout, upc_ean: str) -> bytes:
    """Lead-in (with the UPC/EAN), index 0 and 1 of every track (with its ISRC), lead-out."""
    packets = [pack(PQ_FIELDS, {"valid": "VVVS", "track": "00", "index": "00", **_pq_time(0),
                                "control1": AUDIO_CONTROL, "control2": "00", "upc_ean": upc_ean})]
    for track in layout.tracks:
        indexes = ([(0, track.index0_frame)] if track.gap_frames else []) + [(1, track.index1_frame)]
        for index, frame in indexes:
            packets.append(pack(PQ_FIELDS, {
                "valid": "VVVS", "track": f"{track.number:02d}", "index": f"{index:02d}", **_pq_time(frame),
                "control1": AUDIO_CONTROL, "control2": "00", "isrc": track.isrc,
            }))
    leadout = pack(PQ_FIELDS, {"valid": "VVVS", "track": "AA", "index": "01", **_pq_time(layout.leadout_frame),
                               "control1": AUDIO_CONTROL, "control2": "00"})
    # cue2ddp, Sonoris and HOFA all end the descriptor with the lead-out packet twice (why is not
    # documented; a plant's reader may expect it), so this writer does too
    packets += [leadout] * LEADOUT_PACKETS
    return b"".join(packets)


def _map_packet(**values: str | int) -> bytes:
    return pack(MAP_FIELDS, {"valid": "VVVM", "name_size": "017", **values})


def _write_image(path: Path, layout: CdLayout, wav_paths: list[Path]) -> str:
    """IMAGE.DAT: the pregap, then each track's samples with the gaps as digital silence; its MD5."""
    digest = hashlib.md5()
    with open(path, "wb") as image:
        def put(data: bytes) -> None:
            digest.update(data)
            image.write(data)

        for track, wav in zip(layout.tracks, wav_paths):
            put(bytes(track.gap_frames * SECTOR_BYTES))
            info = sf.info(str(wav))
            if (info.samplerate, info.channels, info.subtype) != (44100, 2, "PCM_16"):
                raise ValueError(f"{wav.name}: DDP audio must be 16-bit stereo at 44100 Hz, "
                                 f"got {info.subtype} x{info.channels} at {info.samplerate} Hz")
            if info.frames != track.length_frames * SAMPLES_PER_FRAME:
                raise ValueError(f"{wav.name}: {info.frames} samples; the layout expects "
                                 f"{track.length_frames * SAMPLES_PER_FRAME}")
            for block in sf.blocks(str(wav), blocksize=_BLOCK_FRAMES * SAMPLES_PER_FRAME, dtype="int16",
                                   always_2d=True):
                put(np.ascontiguousarray(block, dtype="<i2").tobytes())
    return digest.hexdigest()


def write_ddp(folder: Path, layout: CdLayout, wav_paths: list[Path], *, upc_ean: str = "",
              master_id: str = "", cdtext: CdText | None = None) -> dict[str, Path]:
    """Write a DDP 2.00 image of `layout` (audio from the 16-bit CD WAVs) into `folder`.

    The image is built in a hidden sibling folder and renamed into place, so a failure leaves
    nothing. Returns the path of each file by its role.
    """
    if len(wav_paths) != len(layout.tracks):
        raise ValueError(f"{len(wav_paths)} WAVs for {len(layout.tracks)} tracks")
    folder = Path(folder)
    staging = make_staging_dir(folder.parent, prefix=f".{folder.name}-")
    try:
        sums: dict[str, str] = {}
        sums[IMAGE_NAME] = _write_image(staging / IMAGE_NAME, layout, wav_paths)
        pq = pq_descriptor(layout, upc_ean)
        text = encode_packs(cdtext) if cdtext is not None else b""
        sectors = layout.leadout_frame
        pregap = layout.tracks[0].gap_frames if layout.tracks else 0
        # in the order cue2ddp and HOFA write them: CD-TEXT, PQ, audio (readers go by the packets' kinds)
        maps = [_map_packet(stream_type="S0", stream_length=len(text), subcode="CDTEXT", track="00",
                            name=CDTEXT_NAME)] if text else []
        maps += [_map_packet(stream_type="S0", stream_length=len(pq), subcode="PQ DESCR", name=PQ_NAME),
                 _map_packet(stream_type="D0", stream_length=sectors, stream_start=0, cd_mode="DA",
                             storage_mode="7", scrambled="0", pregap2=pregap, name=IMAGE_NAME)]
        ascii_id = master_id.encode("ascii", "replace").decode()[:48]
        ddpid = pack(DDPID_FIELDS, {"level": "DDP 2.00", "upc_ean": upc_ean, "master_id": ascii_id,
                                    "disc_type": "CD"})
        small = {"DDPID": ddpid, "DDPMS": b"".join(maps), PQ_NAME: pq}
        if text:
            small[CDTEXT_NAME] = text
        for name, data in small.items():
            (staging / name).write_bytes(data)
            sums[name] = hashlib.md5(data).hexdigest()
        order = ["DDPID", "DDPMS", PQ_NAME] + ([CDTEXT_NAME] if text else []) + [IMAGE_NAME]
        # md5sum's binary-mode format, so `md5sum -c CHECKSUM.MD5` checks the image anywhere
        (staging / CHECKSUM_NAME).write_text("".join(f"{sums[n]} *{n}\n" for n in order), encoding="ascii")
        for path in staging.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {name.lower().replace(".", "_"): folder / name for name in order + [CHECKSUM_NAME]}
