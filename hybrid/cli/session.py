"""`hybrid session new|set|log|diff|show|track|delivery`: make a session, add revisions, read its history
(approvals too), set what each deliverable gets."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from hybrid.errors import ConfigError, HybridError
from hybrid.session import (
    AlbumFields,
    UnitCatalog,
    diff_revisions,
    new_session,
    open_session,
    session_lock,
    session_rig,
)
from hybrid.deliver.renders import RENDERS_DIR, print_deliverables, render_folders
from hybrid.printing.folders import prints_of
from hybrid.session.approvals import approvals_of
from hybrid.session.changelog import read_changes
from hybrid.session.commit import set_revision
from hybrid.session.diff import show_finishing
from hybrid.session.model import TARGETS, Delivery, Finishing, check_vinyl_sides
from hybrid.session.store import update_delivery, update_track

_DELIVERY = re.compile(r"^(?P<target>[A-Za-z]+)\.(?P<field>[A-Za-z_]+)=(?P<value>.+)$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("session", help="make a session, add revisions, show their history")
    sub = parser.add_subparsers(dest="session_command", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="a new session folder from mixes and a rig (revision 1 = profile defaults)")
    new.add_argument("dir", type=Path)
    new.add_argument("--rig", default=None, help="rig YAML (default: the embedded sim-studio)")
    new.add_argument("--track", action="extend", nargs="+", required=True, metavar="FILE",
                     help="the mixes, in album order (several after one --track, e.g. a shell glob, or repeat)")
    new.add_argument("--copy", action="store_true", help="copy the mixes into the session's sources/ folder")
    new.add_argument("--title", default="", help="album title (default: the folder name)")
    new.add_argument("--artist", default="")
    new.add_argument("--year", default="")
    new.add_argument("--label", default="")
    new.add_argument("--catalog", default="")
    new.add_argument("--upc", default="", help="UPC/EAN, 13 digits")
    new.add_argument("--target", action="append", choices=TARGETS, help="deliverables wanted (repeat; default streaming, cd)")
    new.add_argument("--streaming-rate", type=int, default=48000, choices=(44100, 48000))
    new.add_argument("--author", default=None, help="who made revision 1 (default user@host)")
    new.add_argument("--json", action="store_true")
    new.set_defaults(func=run_new)

    put = sub.add_parser("set", help="a new revision: UNIT.PARAM=VALUE changes on top of the latest (or --from N)")
    put.add_argument("dir", type=Path)
    put.add_argument("settings", nargs="*", metavar="UNIT.PARAM=VALUE", help="e.g. eq.high_gain_db=+1.0, comp.threshold_db-=1")
    put.add_argument("--note", required=True, help="why: the client's words")
    put.add_argument("--track", default=None, metavar="ID", help="change only this track (id or album position)")
    put.add_argument("--reset-track", action="store_true", help="drop the track's overrides first")
    put.add_argument("--finish", nargs="+", default=[], metavar="FIELD=VALUE", help="ceiling_dbtp=-1 lufs_target=-14 limiter=on dither=tpdf")
    put.add_argument("--from", dest="parent", type=int, default=None, metavar="N", help="start from revision N instead of the latest")
    put.add_argument("--author", default=None)
    put.add_argument("--json", action="store_true")
    put.set_defaults(func=run_set)

    log = sub.add_parser("log", help="every revision, delivery change and approval, oldest first")
    log.add_argument("dir", type=Path)
    log.add_argument("--json", action="store_true")
    log.set_defaults(func=run_log)

    diff = sub.add_parser("diff", help="every change from revision A to revision B")
    diff.add_argument("dir", type=Path)
    diff.add_argument("a", type=int)
    diff.add_argument("b", type=int)
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(func=run_diff)

    track = sub.add_parser("track", help="a track's metadata: title, ISRC, composer, artist, gap before it")
    track.add_argument("dir", type=Path)
    track.add_argument("track", metavar="ID", help="track id or album position")
    track.add_argument("--title", default=None)
    track.add_argument("--isrc", default=None, help="CC-XXX-YY-NNNNN")
    track.add_argument("--composer", default=None)
    track.add_argument("--artist", default=None)
    track.add_argument("--gap-frames", type=int, default=None, metavar="FRAMES",
                       help="silence before the track in CD frames (75 per second; 150 = 2 s)")
    track.set_defaults(func=run_track)

    deliver = sub.add_parser(
        "delivery", help="per-target delivery: ceilings, streaming/hi-res rate, vinyl sides and limiter, preview format",
        description="Show or change the session's per-target delivery settings (session.yaml). A ceiling set for "
                    "a target wins over the revision's finishing ceiling for that target (a track the revision "
                    "holds lower stays lower); with the limiter off a target's own ceiling is still checked. "
                    "The vinyl pre-masters follow each track's loudness decision (or vinyl.lufs_target) and are "
                    "unlimited unless vinyl.limiter=on: the album is lowered as one where its peaks need room. "
                    "Hi-res is the print's own rate unless hires.rate_hz names another; a rate above the "
                    "print's is refused (upsampled is not hi-res). VALUE 'default' puts a field back to its default.")
    deliver.add_argument("dir", type=Path)
    deliver.add_argument("settings", nargs="*", metavar="TARGET.FIELD=VALUE",
                         help="e.g. cd.ceiling_dbtp=-0.3 streaming.rate_hz=44100 hires.rate_hz=48000 "
                              "vinyl.sides=1,2/3,4 vinyl.limiter=on vinyl.lufs_target=-16 preview.format=ogg")
    deliver.add_argument("--json", action="store_true")
    deliver.set_defaults(func=run_delivery)

    show = sub.add_parser("show", help="one revision (the latest by default) with every unit's settings")
    show.add_argument("dir", type=Path)
    show.add_argument("--revision", type=int, default=None)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)


def run_new(args: argparse.Namespace) -> int:
    rig = None if args.rig in (None, "sim-studio") else args.rig
    album = AlbumFields(title=args.title, artist=args.artist, year=args.year, label=args.label,
                        catalog=args.catalog, upc_ean=args.upc, targets=args.target or ["streaming", "cd"],
                        streaming_rate_hz=args.streaming_rate)
    session = new_session(args.dir, args.track, rig_path=rig, album=album, copy=args.copy, author=args.author)
    if args.json:
        _print_json({"session": str(session.folder), "revision": 1,
                     "tracks": [t.id for t in session.info.tracks]})
    else:
        print(f"session {session.folder}: {len(session.info.tracks)} track(s) on rig {session.info.rig.name}")
        for n, track in enumerate(session.info.tracks, 1):
            print(f"  {n:2d}. {track.id}  {track.title}  ({track.source})")
        print("revision 1: every unit at its profile default")
    return 0


def run_set(args: argparse.Namespace) -> int:
    note_only = not args.settings and not args.finish and not args.reset_track
    made = set_revision(args.dir, args.settings, note=args.note, finish=args.finish, track=args.track,
                        reset_track=args.reset_track, parent=args.parent, author=args.author)
    if args.json:
        _print_json({"revision": made.number, "parent": made.parent, "notes": made.notes,
                     "changes": [str(c) for c in made.changes]})
        return 0
    for note in made.notes:
        print(f"note: {note}")
    print(f"revision {made.number} (from {made.parent}): {args.note}")
    for change in made.changes:
        print(f"  {change}")
    if note_only or not made.changes:
        print("  no setting changed (a note-only revision)")
    return 0


def run_track(args: argparse.Namespace) -> int:
    session = open_session(args.dir)
    changes = {"title": args.title, "isrc": args.isrc, "composer": args.composer, "artist": args.artist,
               "gap_before_frames": args.gap_frames}
    changes = {k: v for k, v in changes.items() if v is not None}
    with session_lock(session.folder, "session track"):
        track = update_track(session, args.track, changes)
    print(f"track {track.id}: " + ", ".join(f"{k} {v}" for k, v in track.model_dump().items()
                                            if k in ("title", "isrc", "composer", "artist", "gap_before_frames")))
    return 0


def run_delivery(args: argparse.Namespace) -> int:
    """Change the named delivery fields (if any), then show what each target gets."""
    session = open_session(args.dir)
    if args.settings:
        changes = parse_delivery(args.settings, session.file, [t.id for t in session.info.tracks])
        with session_lock(session.folder, "session delivery"):
            session = open_session(args.dir)  # read again under the lock: another command may have written
            update_delivery(session, changes)
    finishing = _latest_finishing(session)
    if args.json:
        _print_json({"file": str(session.file), "delivery": session.info.delivery.model_dump(mode="json"),
                     "target_ceilings_dbtp": _target_ceilings(session.info.delivery, finishing)})
        return 0
    print(f"{session.info.title}: delivery ({session.file}); targets wanted: {', '.join(session.info.targets)}")
    for line in _delivery_lines(session.info.delivery, finishing):
        print(f"  {line}")
    return 0


def parse_delivery(items: list[str], file: Path, track_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Read TARGET.FIELD=VALUE words into {target: {field: value}}; 'default' is None (the default)."""
    changes: dict[str, dict[str, Any]] = {}
    for text in items:
        match = _DELIVERY.match(text.strip())
        if not match:
            raise ConfigError(file, "delivery", text, "write TARGET.FIELD=VALUE, e.g. cd.ceiling_dbtp=-0.3, "
                                                      "vinyl.sides=1,2/3,4 or preview.format=ogg")
        target, name, raw = match["target"], match["field"], match["value"].strip()
        if raw.lower() == "default":
            value: Any = None
        elif (target, name) == ("vinyl", "sides"):
            value = _vinyl_sides(raw, file, track_ids)
        elif (target, name) == ("vinyl", "limiter"):
            value = _on_off(raw, file, "delivery.vinyl.limiter")
        else:
            value = _number_or_word(raw)
        changes.setdefault(target, {})[name] = value
    return changes


def _vinyl_sides(text: str, file: Path, track_ids: list[str]) -> list[list[str]]:
    """'1,2/3,4' or 'intro,night-drive/outro': sides split by '/', tracks by ',' (ids or album positions)."""
    where = "delivery.vinyl.sides"
    sides: list[list[str]] = []
    for side in text.split("/"):
        names = [n.strip() for n in side.split(",") if n.strip()]
        if not names:
            raise ConfigError(file, where, text, "every side needs at least one track: write 1,2/3,4 "
                                                 "(sides split by '/', tracks by ',')")
        sides.append([_track_id(n, file, track_ids, where) for n in names])
    try:
        check_vinyl_sides(sides, track_ids)
    except ValueError as exc:
        raise ConfigError(file, where, text, str(exc)) from None
    return sides


def _track_id(name: str, file: Path, track_ids: list[str], where: str) -> str:
    """A track named by its id or its 1-based album position, as its id."""
    if name in track_ids:
        return name
    if name.isdigit() and 1 <= int(name) <= len(track_ids):
        return track_ids[int(name) - 1]
    raise ConfigError(file, where, name, f"name a track id ({', '.join(track_ids)}) or a position 1 to {len(track_ids)}")


def _on_off(raw: str, file: Path, where: str) -> bool:
    """on/off (or yes/no, true/false), as `session set --finish limiter=on` reads it."""
    word = raw.lower()
    if word not in ("on", "off", "yes", "no", "true", "false"):
        raise ConfigError(file, where, raw, "allowed: on or off")
    return word in ("on", "yes", "true")


def _number_or_word(raw: str) -> Any:
    """44100 stays an int (a rate is one of a few exact values), -0.3 a float, anything else text."""
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def _latest_finishing(session: Any) -> Finishing:
    """The finishing of the newest revision: what a target without its own ceiling takes."""
    try:
        return session.revision().finishing
    except HybridError:  # a session with a broken history still shows what it delivers
        return Finishing()


def _target_ceilings(delivery: Delivery, finishing: Finishing) -> dict[str, float | None]:
    """Each target's album ceiling in dBTP (None: no limiter), for --json."""
    return {target: delivery.ceiling_for(target, finishing) for target in TARGETS}


def _delivery_lines(delivery: Delivery, finishing: Finishing) -> list[str]:
    """One line per target in the studio's words: its format choices and the ceiling it will get."""
    def ceiling(target: str) -> str:
        value = delivery.ceiling_for(target, finishing)
        if value is None:
            return "no limiter"
        if not delivery.limited(target, finishing):
            return f"no limiter, true peak checked against {value:+.1f} dBTP"
        whose = "its own" if getattr(delivery, target).ceiling_dbtp is not None else "the revision's"
        return f"ceiling {value:+.1f} dBTP ({whose})"

    hires_rate = "at the print's rate (never upsampled)" if delivery.hires.rate_hz is None \
        else f"{delivery.hires.rate_hz} Hz"
    vinyl_level = ("level: each track's loudness decision" if delivery.vinyl.lufs_target is None
                   else f"level {delivery.vinyl.lufs_target:.1f} LUFS")
    if not delivery.vinyl.limiter:
        vinyl_level += " (the album lowered as one where its peaks need room)"
    sides = delivery.vinyl.sides
    side_text = "sides: the album in halves" if sides is None else "sides " + "  ".join(
        f"{chr(ord('A') + n)}: {', '.join(side)}" for n, side in enumerate(sides))
    return [
        f"streaming: 24-bit {delivery.streaming.rate_hz} Hz, {ceiling('streaming')}",
        f"cd: 16-bit 44100 Hz, {ceiling('cd')}",
        f"hires: 24-bit {hires_rate}, {ceiling('hires')}",
        f"vinyl: 24-bit at the print's rate, {ceiling('vinyl')}, {vinyl_level}, {side_text}",
        f"preview: {delivery.preview.format} at {delivery.streaming.rate_hz} Hz, {ceiling('preview')}",
    ]


def run_log(args: argparse.Namespace) -> int:
    session = open_session(args.dir)
    revisions = session.revisions()
    prints = _prints_by_revision(session.prints_dir)
    approvals = approvals_of(session)
    if args.json:
        _print_json([{"number": r.number, "created_at": r.created_at, "author": r.author, "note": r.note,
                      "parent": r.parent, "prints": prints.get(r.number, []),
                      "approvals": [a.model_dump(mode="json") for a in approvals if a.revision == r.number]}
                     for r in revisions])
        return 0
    # Delivery and track-metadata changes (session.yaml, rewritten in place) in time order among the revisions.
    lines: list[tuple[str, int, str]] = []
    for r in revisions:
        parent = f" (from {r.parent})" if r.parent and r.parent != r.number - 1 else ""
        printed = f"  printed: {', '.join(prints[r.number])}" if r.number in prints else ""
        lines.append((r.created_at, 0, f"{r.number:4d}  {r.created_at}  {r.author}{parent}  {r.note}{printed}"))
    for change in read_changes(session.folder):
        said = ", ".join(str(c) for c in change.changes)
        lines.append((change.at, 1, f"{'':4}  {change.at}  {change.author}  {change.command}: {said}"))
    for approval in approvals:  # the client's word, among the revisions it approves
        lines.append((approval.at, 2, f"{'':4}  {approval.at}  {approval.by}  approved revision {approval.revision} "
                                      f"(print {approval.print_name}, manifest {approval.manifest_sha256[:12]}...)"
                                      f"{': ' + approval.note if approval.note else ''}"))
    for _, _, line in sorted(lines, key=lambda item: (item[0], item[1])):
        print(line)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    session = open_session(args.dir)
    catalog = _catalog_or_none(session)
    show = catalog.show if catalog else (lambda u, p, v: str(v))
    changes = diff_revisions(session.revision(args.a), session.revision(args.b), show)
    if args.json:
        _print_json({"a": args.a, "b": args.b, "changes": [
            {"where": c.where, "before": c.before, "after": c.after, "text": str(c)} for c in changes]})
        return 0
    if not changes:
        print(f"revisions {args.a} and {args.b} have the same settings")
    for change in changes:
        print(change)
    return 0


def run_show(args: argparse.Namespace) -> int:
    session = open_session(args.dir)
    revision = session.revision(args.revision)
    if args.json:
        data: dict[str, Any] = revision.model_dump(mode="json")
        data["tracks"] = {k: v.model_dump(mode="json", exclude_none=True) for k, v in revision.tracks.items()}
        data["session"] = {"dir": str(session.folder), "title": session.info.title,
                           "rig": session.info.rig.name, "tracks": [t.id for t in session.info.tracks]}
        data["delivery"] = session.info.delivery.model_dump(mode="json")
        data["target_ceilings_dbtp"] = _target_ceilings(session.info.delivery, revision.finishing)
        data["renders"] = [r.to_dict() for r in render_folders(session)]
        data["print_deliverables"] = [r.to_dict() for r in print_deliverables(session)]
        data["approvals"] = [a.model_dump(mode="json") for a in approvals_of(session, revision.number)]
        _print_json(data)
        return 0
    catalog = _catalog_or_none(session)
    print(f"{session.info.title}: revision {revision.number}  {revision.created_at}  {revision.author}")
    print(f"  note: {revision.note}")
    approved = approvals_of(session, revision.number)
    print(f"  {approved[-1].line()}" if approved else
          f"  not approved (`hybrid approve {session.folder} --revision {revision.number} --by NAME`)")
    for unit, params in revision.units.items():
        shown = ", ".join(f"{p} {catalog.show(unit, p, v) if catalog else v}" for p, v in params.items())
        print(f"  {unit}: {shown}")
    fin = revision.finishing
    target = "off" if fin.lufs_target is None else f"{fin.lufs_target:+.1f} LUFS"
    print(f"  finishing: ceiling {fin.ceiling_dbtp:+.1f} dBTP, loudness target {target}, "
          f"limiter {'on' if fin.limiter else 'off'}, dither {fin.dither}")
    print(f"  delivery ({', '.join(session.info.targets)} wanted):")
    for line in _delivery_lines(session.info.delivery, fin):
        print(f"    {line}")
    for track_id, override in revision.tracks.items():
        parts = [f"{u}.{p} {catalog.show(u, p, v) if catalog else v}" for u, ps in override.units.items() for p, v in ps.items()]
        parts += [f"{k} {show_finishing(k, v)}" for k, v in override.finishing.model_dump(exclude_none=True).items()]
        print(f"  track {track_id}: {', '.join(parts)}")
    renders = render_folders(session)
    if renders:
        print(f"  renders ({RENDERS_DIR}/):")
        for folder in renders:
            print(f"    {folder.line()}")
    printed = [p for p in print_deliverables(session) if p.stale]
    if printed:
        print("  prints' own deliverables made before a later change (`hybrid render` makes them afresh):")
        for folder in printed:
            print(f"    {folder.line()}")
    return 0


def _catalog_or_none(session: Any) -> UnitCatalog | None:
    """Reading the history never needs the rig; when it is readable, values get their panel markings."""
    try:
        return UnitCatalog(session_rig(session))
    except Exception:  # noqa: BLE001 - a moved rig file must not stop `log`/`diff` from working
        return None


def _prints_by_revision(prints_dir: Path) -> dict[int, list[str]]:
    """Finished print folder names per revision, oldest first (the names prints_of accepts: rNNNN-KK)."""
    found: dict[int, list[str]] = {}
    for path in prints_of(prints_dir):
        found.setdefault(int(path.name[1:5]), []).append(path.name)
    return found


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))
