"""`hybrid print DIR`: print a revision of a session through the rig into a new prints/ folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hybrid.cli._console import confirm_manual, narrator
from hybrid.progress import progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("print", help="print a revision through the chain: capture, deliverables, report")
    parser.add_argument("dir", type=Path, help="the session folder")
    parser.add_argument("--revision", type=int, default=None, help="revision number (default: the latest)")
    parser.add_argument("--track", action="extend", nargs="+", default=None, metavar="K",
                        help="print only these tracks (ids or album positions; several, or repeat)")
    parser.add_argument("--yes", action="store_true", help="confirm recall sheets of manual units without asking")
    parser.add_argument("--allow-changed-sources", action="store_true",
                        help="print even if a mix changed since the session was made (said in print.json)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse to print a mix whose check finds a problem (clipping, clicks, a cut ending...)")
    parser.add_argument("--json", action="store_true", help="print the paths written as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.printing.pipeline import PrintRequest, print_revision, steps  # loads the audio stack only when the command runs
    from hybrid.session import open_session

    session = open_session(args.dir)
    count = len(session.resolve_tracks(args.track))
    say = narrator(quiet=args.json)
    request = PrintRequest(args.dir, revision=args.revision, tracks=args.track,
                           allow_changed_sources=args.allow_changed_sources, strict=args.strict,
                           confirm_manual=confirm_manual(args.yes, say))
    with progress("Printing", total=steps(count), quiet=args.json) as bar:
        outcome = print_revision(request, say=say, bar=bar)
    if args.json:
        print(json.dumps({"print": str(outcome.folder), "revision": outcome.revision, "tracks": outcome.track_ids,
                          "paths": [str(p) for p in outcome.paths], "notes": outcome.notes}, indent=2))
        return 0
    for note in outcome.notes:
        print(f"note: {note}")
    print(f"printed revision {outcome.revision}: {outcome.folder}")
    print(f"  report:       {outcome.folder / 'report.html'} (and report.txt, report.json)")
    print(f"  captures:     {outcome.folder / 'capture'}")
    print(f"  deliverables: {outcome.folder / 'deliverables'}")
    print(f"  provenance:   {outcome.folder / 'print.json'}, manifest.json")
    return 0


