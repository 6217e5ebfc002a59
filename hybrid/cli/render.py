"""`hybrid render DIR`: deliverables from a session's stored prints, checked, without touching the gear."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render", help="render deliverables from stored prints",
        description="Render the session's targets (or --target ...) from the newest prints of a revision, "
                    "check them, and write them into a folder of their own, DIR/deliverables/rNNNN-KK/TARGET/, "
                    "with render.json, render.txt (measurements and compliance) and manifest.json (SHA-256 of "
                    "every file); an earlier render is never touched. Nothing is written if a target breaks "
                    "a hard rule. `hybrid session show` names renders made before a metadata change as stale.")
    parser.add_argument("session", type=Path, metavar="DIR", help="the session folder")
    parser.add_argument("--revision", type=int, metavar="N", help="revision to render (default: newest printed)")
    parser.add_argument("--target", action="append", metavar="T", dest="targets",
                        help="streaming, cd, hires, vinyl or preview; repeat for several (default: the session's)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="a new folder to write (default: the next DIR/deliverables/rNNNN-KK)")
    parser.add_argument("--json", action="store_true", help="print one JSON document with every path written")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.progress import progress
    from hybrid.render import render_session, summary

    with progress("Rendering", total=None, quiet=args.json) as bar:
        document = render_session(args.session, args.revision, args.targets, args.out, bar)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(summary(document))
    return 0
