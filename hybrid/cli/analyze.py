"""`hybrid analyze FILE...`: loudness, loudness range and peaks of audio files, many in one process."""

from __future__ import annotations

import argparse
import json
import sys
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
        help="measure loudness (EBU R128), loudness range and true peak of audio files",
        description="Integrated, short-term and momentary loudness (BS.1770-5 / EBU Tech 3341), "
        "loudness range (Tech 3342), true peak and sample peak of each FILE, read in blocks (any length, "
        "flat memory). Many files are measured in one process on every core (or on a Dask cluster with "
        "--scheduler); a file that cannot be read is one line on stderr, the others are still measured, "
        "and the exit status is 2.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="WAV, FLAC or AIFF files")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (null where undefined): an object for one FILE, "
                             "a list in the order given for several (each with its \"file\", or its \"error\")")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on the Dask distributed cluster whose scheduler is at ADDRESS (tcp://HOST:PORT)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="local worker processes (default: every core; 1 measures in this process)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        from hybrid.errors import ConfigError

        raise ConfigError(None, "--jobs", str(args.jobs), "a whole number of worker processes from 1 is allowed")
    if len(args.files) == 1:
        from hybrid.analysis import analyze_file  # one file: no pool, and a bad file is the usual one line

        values = analyze_file(args.files[0]).to_dict()
        print(json.dumps(values) if args.json else _table(Path(args.files[0]), values))
        return 0
    from hybrid.batch import analyze_files, batch_executor  # a pool (or Dask) only for several files

    with batch_executor(args.scheduler, args.jobs) as executor:
        outcomes = analyze_files(args.files, executor)
    for outcome in outcomes:
        if not outcome.ok:
            print(f"hybrid: {outcome.error}", file=sys.stderr)
    if args.json:
        doc = [{"file": o.file, **o.value.to_dict()} if o.ok else {"file": o.file, "error": o.error} for o in outcomes]
        print(json.dumps(doc))
    else:
        print("\n\n".join(_table(Path(o.file), o.value.to_dict()) for o in outcomes if o.ok))
    return 0 if all(o.ok for o in outcomes) else 2
