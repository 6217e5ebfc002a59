"""`hybrid demo [--out DIR]`: a demo record made in code, a session with two client revisions, printed."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hybrid.cli._console import narrator
from hybrid.errors import SessionError
from hybrid.progress import progress

# What the client asked for, in the engineer's moves: revision 2 for the record, revision 3 for one song
ALBUM_MOVES = ["eq.low_gain_db=+1", "eq.highmid_gain_db=-0.5", "eq.high_gain_db=+1", "comp.threshold_db=-18",
               "comp.ratio=2", "comp.attack_ms=30", "color.mode=warm"]
ALBUM_FINISH = ["lufs_target=-14", "ceiling_dbtp=-1"]
TRACK_2_MOVES = ["color.air_db=+1.5"]
ISRCS = ["QZ-DEM-26-00001", "QZ-DEM-26-00002", "QZ-DEM-26-00003"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="make a demo record, a session with revisions, and print it")
    parser.add_argument("--out", type=Path, default=Path("hybrid-demo"), help="where to put it (default ./hybrid-demo)")
    parser.add_argument("--json", action="store_true", help="print the paths written as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.demo import SONGS, write_demo_mixes  # loads the audio stack only when the command runs
    from hybrid.printing.pipeline import PrintRequest, print_revision, steps
    from hybrid.session import AlbumFields, UnitCatalog, diff_revisions, new_session, open_session, session_rig
    from hybrid.session.store import update_track

    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        raise SessionError(f"{out}: already exists and is not empty; give another --out (or remove it)")
    quiet = args.json
    say = narrator(quiet)
    started = time.monotonic()
    say(f"making the demo mixes ({len(SONGS)} songs, stereo 48 kHz) in {out / 'mixes'}")
    mixes = write_demo_mixes(out / "mixes")
    folder = out / "session"
    new_session(folder, mixes, album=AlbumFields(title="Demo EP", artist="The Simulated Band", year="2026",
                                                 label="hybrid records", targets=["streaming", "cd"]),
                author="demo")
    session = open_session(folder)
    for track, isrc in zip(session.info.tracks, ISRCS):
        update_track(session, track.id, {"isrc": isrc, "composer": "hybrid demo"})
    catalog = UnitCatalog(session_rig(session))
    _revise(session, catalog, ALBUM_MOVES, ALBUM_FINISH, "client: warmer, a little glue, up to streaming level")
    second = session.info.tracks[1].id
    _revise(session, catalog, TRACK_2_MOVES, [], f"client: a touch more air on track 2 ({second})", track=second)
    say(f"session {folder}: revision 1 (defaults), 2 (the record), 3 (more air on track 2)")

    written = []
    confirm = _operator(say)
    with progress("Printing revision 2", total=steps(len(mixes)), quiet=quiet) as bar:
        whole = print_revision(PrintRequest(folder, revision=2, confirm_manual=confirm), say=say, bar=bar)
    written.append(whole)
    with progress("Printing revision 3, track 2", total=steps(1), quiet=quiet) as bar:
        again = print_revision(PrintRequest(folder, revision=3, tracks=[second], confirm_manual=confirm),
                               say=say, bar=bar)
    written.append(again)
    changes = diff_revisions(session.revision(2), session.revision(3), catalog.show)
    if args.json:
        print(json.dumps({"session": str(folder), "prints": [str(p.folder) for p in written],
                          "reports": [str(p.folder / "report.html") for p in written],
                          "paths": [str(path) for p in written for path in p.paths]}, indent=2))
        return 0
    report = json.loads((whole.folder / "report.json").read_text(encoding="utf-8"))
    print(f"demo done in {time.monotonic() - started:.0f} s")
    print(f"  mixes:    {out / 'mixes'}")
    print(f"  session:  {folder} (hybrid session log {folder})")
    print(f"  print of revision 2, every track: {whole.folder}")
    for entry in report["deliverables"]["streaming"]["tracks"]:
        print(f"    {entry['track_id']:<12} streaming {entry['integrated_lufs']:6.1f} LUFS "
              f"{entry['true_peak_dbtp']:6.2f} dBTP")
    print(f"    report: {whole.folder / 'report.html'} (and report.txt)")
    print(f"  print of revision 3, track 2 only: {again.folder}")
    print("    what changed: " + "; ".join(str(c) for c in changes))
    print(f"    report: {again.folder / 'report.html'}")
    return 0


def _revise(session, catalog, moves, finish, note, track=None) -> None:  # type: ignore[no-untyped-def]
    from hybrid.session.revisions import next_revision, parse_assignment, parse_finish

    made = next_revision(session, catalog, assignments=[parse_assignment(m) for m in moves],
                         finish=parse_finish(finish), note=note, author="demo", track_id=track)
    session.append_revision(made.data)


def _operator(say):  # type: ignore[no-untyped-def]
    """The demo's operator sets the passive EQ from each recall sheet at once (it is simulated)."""
    def confirm(sheet) -> bool:  # type: ignore[no-untyped-def]
        say(f"recall sheet for {sheet.unit}: set by the demo's operator")
        return True
    return confirm
