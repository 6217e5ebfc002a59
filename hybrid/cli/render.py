"""`hybrid render DIR`: deliverables from a session's stored prints, checked, without touching the gear."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render", help="render deliverables from stored prints",
        description="Render the session's targets (or --target ...) from the newest prints of a revision, "
                    "check them, and write them into a folder of their own, DIR/deliverables/rNNNN-KK/TARGET/, "
                    "with render.json, render.txt (measurements and compliance) and manifest.json (SHA-256 of "
                    "every file); an earlier render is never touched. Nothing is written if a target breaks "
                    "a hard rule. render.json and render.txt record the client's approval the render was made "
                    "from (`hybrid approve`), or that it is not approved. `hybrid session show` names renders "
                    "made before a metadata change as stale.")
    parser.add_argument("session", type=Path, metavar="DIR", help="the session folder")
    parser.add_argument("--revision", type=int, metavar="N", help="revision to render (default: newest printed)")
    parser.add_argument("--target", action="append", metavar="T", dest="targets",
                        help="streaming, cd, hires, vinyl or preview; repeat for several (default: the session's)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="a new folder to write (default: the next DIR/deliverables/rNNNN-KK)")
    parser.add_argument("--approved-only", action="store_true",
                        help="refuse (exit 2, nothing written) unless the client approved the print rendered "
                             "(`hybrid approve`); without it an unapproved render is made and says so")
    parser.add_argument("--json", action="store_true", help="print one JSON document with every path written")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.progress import progress
    from hybrid.render import render_session, summary

    with progress("Rendering", total=None, quiet=args.json) as bar:
        document = render_session(args.session, args.revision, args.targets, args.out, bar,
                                  approved_only=args.approved_only)
    if document["approval"] is None:  # made, but the person at the desk should know before it ships
        print(f"hybrid: revision {document['revision']} is {document['approval_line']}", file=sys.stderr)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(summary(document))
    return 0
