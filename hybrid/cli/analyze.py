"""`hybrid analyze FILE`: loudness, loudness range and peaks of an audio file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


__all__ = ["register", "run"]

def _fmt(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:+.1f} {unit}" if unit != "LU" else f"{value:.1f} {unit}"


def _table(path: Path, values: dict) -> str:
    minutes, seconds = divmod(values["duration_s"], 60.0)
    rows = [
        ("file", str(path)),
        (
            "format",
            f"{int(minutes)}:{seconds:06.3f} ({values['duration_s']:.3f} s), "
            f"{values['sample_rate']} Hz, {values['channels']} ch",
        ),
        ("integrated", _fmt(values["integrated_lufs"], "LUFS")),
        ("short-term max", _fmt(values["short_term_max_lufs"], "LUFS")),
        ("momentary max", _fmt(values["momentary_max_lufs"], "LUFS")),
        ("loudness range", _fmt(values["lra_lu"], "LU")),
        ("true peak", _fmt(values["true_peak_dbtp"], "dBTP")),
        ("sample peak", _fmt(values["sample_peak_dbfs"], "dBFS")),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="measure loudness (EBU R128), loudness range and true peak of an audio file",
        description="Integrated, short-term and momentary loudness (BS.1770-5 / EBU Tech 3341), "
        "loudness range (Tech 3342), true peak and sample peak of FILE.",
    )
    parser.add_argument("file", metavar="FILE", help="WAV, FLAC or AIFF file")
    parser.add_argument("--json", action="store_true", help="print one JSON object (null where undefined)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.audiofile import read_audio  # numpy loads only when a command reads audio

    audio, rate = read_audio(args.file, dtype="float32")  # a meter needs no more, and reads 4x faster
    from dsp.meter import analyze  # the kernels load only once there is audio to measure

    values = analyze(audio, rate).to_dict()
    if args.json:
        print(json.dumps(values))
    else:
        print(_table(Path(args.file), values))
    return 0
