"""`hybrid approve DIR --revision N --by NAME [--note TEXT]`: the client's approval, in the session's history."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "approve", help="record the client's approval of a revision's print",
        description="Append an approval to the session's history (approvals.jsonl, append-only): who approved "
                    "revision N, when, why, and which print they heard: the revision's newest sealed print, by "
                    "the SHA-256 of its manifest. Refused when the revision has no sealed print or the print no "
                    "longer matches its manifest. An edited or deleted approval makes the session refuse, as an "
                    "edited revision does. `hybrid render` says whether what it renders is approved "
                    "(--approved-only refuses what is not).")
    parser.add_argument("session", type=Path, metavar="DIR", help="the session folder")
    parser.add_argument("--revision", type=int, required=True, metavar="N", help="the revision approved")
    parser.add_argument("--by", required=True, metavar="NAME", help="who approved it (the client)")
    parser.add_argument("--note", default="", metavar="TEXT", help="what they said")
    parser.add_argument("--json", action="store_true", help="print the approval entry as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.session import open_session, session_lock
    from hybrid.session.approvals import approve
    from hybrid.session.store import now_utc

    session = open_session(args.session)
    with session_lock(session.folder, "approve"):
        entry = approve(session, args.revision, args.by, args.note, now_utc())
    if args.json:
        print(json.dumps(entry.model_dump(mode="json"), indent=2))
    else:
        print(f"revision {entry.revision} {entry.line()}")
    return 0
