"""`hybrid recall DIR [--revision N]`: put a revision on the gear, verified where the wire reads back."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hybrid.cli._console import confirm_manual


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("recall", help="put a revision's settings on the gear (recall sheets for manual units)")
    parser.add_argument("dir", type=Path, help="the session folder")
    parser.add_argument("--revision", type=int, default=None, help="revision number (default: the latest)")
    parser.add_argument("--track", default=None, metavar="K", help="with this track's overrides (id or position)")
    parser.add_argument("--yes", action="store_true", help="confirm recall sheets of manual units without asking")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.recall import recall_revision  # loads the audio stack only when the command runs

    say = (lambda _text: None) if args.json else (lambda text: print(text))
    outcome = recall_revision(args.dir, args.revision, track=args.track, confirm_manual=confirm_manual(args.yes, say))
    if args.json:
        print(json.dumps({"revision": outcome.revision, "track": outcome.track_id,
                          "units": {name: rep.to_dict() for name, rep in outcome.reports.items()}}, indent=2))
        return 0
    where = f" with the overrides of track {outcome.track_id}" if outcome.track_id else ""
    print(f"revision {outcome.revision} recalled{where}:")
    for name, report in outcome.reports.items():
        if report.sheet is not None:
            state = "set by hand from the recall sheet (check it with `hybrid verify`)"
        elif report.verified:
            state = f"{len(report.sent)} controls sent and read back"
        else:
            state = f"{len(report.sent)} controls sent (this wire cannot read back)"
        print(f"  {name}: {state}")
        for note in report.notes:
            print(f"    note: {note}")
    return 0
