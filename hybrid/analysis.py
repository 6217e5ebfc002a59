"""`hybrid analyze`'s reading of one file: read and metered block by block, in flat memory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hybrid.audiofile import audio_blocks, probe_audio

if TYPE_CHECKING:
    from dsp.meter import Analysis

__all__ = ["analyze_file"]


def analyze_file(path: str | Path) -> Analysis:
    """Every reading of `hybrid analyze` for one file; AudioFileError in one line if it cannot be read.

    The same readings as dsp.meter.analyze of the whole file read as float32 (the meter's blocks
    carry their state: tests compare), in memory that does not grow with the programme."""
    info = probe_audio(path)  # refused at the door before the kernels load
    from dsp.meter import ProgrammeMeter
    from hybrid.interrupts import checkpoint

    meter = ProgrammeMeter(info.rate_hz, info.channels)
    for block in audio_blocks(info):
        checkpoint()  # Ctrl-C stops between blocks, not after three hours
        meter.process(block)
    return meter.finish()
