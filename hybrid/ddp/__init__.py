"""DDP 2.00: write the image a CD plant takes, read it back and check it."""

from hybrid.ddp.cdtext import CdText, decode_packs, encode_packs
from hybrid.ddp.reader import DdpImage, DdpTrack, extract_tracks, read_ddp
from hybrid.ddp.writer import write_ddp

__all__ = ["CdText", "DdpImage", "DdpTrack", "decode_packs", "encode_packs", "extract_tracks", "read_ddp",
           "write_ddp"]
