"""`hybrid verify DIR [--revision N] [--track K]`: is the chain on the gear now the one that printed
revision N (with track K's overrides)?"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from hybrid.progress import progress

if TYPE_CHECKING:
    from hybrid.verify import VerifyResult

FAILED = 1  # a chain that moved is an answer, not a usage error (those exit 2)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("verify", help="measure the chain now and compare with a revision's print")
    parser.add_argument("dir", type=Path, help="the session folder")
    parser.add_argument("--revision", type=int, default=None,
                        help="the revision whose print to compare with (default: the newest printed)")
    parser.add_argument("--track", default=None, metavar="K",
                        help="compare with the settings this track was printed with (id or album position)")
    parser.add_argument("--tolerance", type=float, default=0.1, metavar="DB",
                        help="largest deviation that passes, in dB (default 0.1)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.verify import verify_revision  # loads the audio stack only when the command runs

    with progress("Measuring the chain", total=None, quiet=args.json):
        result = verify_revision(args.dir, args.revision, tolerance_db=args.tolerance, track=args.track)
    data = result.to_dict()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0 if result.passed else FAILED
    printed = _printed(result)
    if result.passed:
        print(f"PASS: the chain matches {printed} within "
              f"{result.tolerance_db:g} dB (response {data['max_response_deviation_db']:.3f} dB, compression "
              f"{data['max_gain_reduction_deviation_db']:.3f} dB, THD {data['thd_deviation_db']:.2f} dB)")
        return 0
    print(f"FAIL: the chain differs from {printed} (tolerance {result.tolerance_db:g} dB):")
    for line in data["summary"]:
        print(f"  {line}")
    if data["suspects"]:
        print("most likely moved:")
        for suspect in data["suspects"]:
            print(f"  {suspect['text']}")
    else:
        print("no single control explains it: check the patch, the interface and each unit")
    return FAILED


def _printed(result: VerifyResult) -> str:
    """What the chain was compared with, in words: the revision, the track's settings, the print."""
    if result.track_id is None:
        return f"revision {result.revision} as printed in {result.print_name}"
    whose = "its overrides" if result.own_settings else "the album settings (no overrides of its own)"
    return f"revision {result.revision}, track {result.track_id} with {whose}, as printed in {result.print_name}"
