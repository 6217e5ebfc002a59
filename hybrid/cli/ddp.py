"""`hybrid ddp verify PATH`: read a DDP 2.00 image, check every field and checksum, list or extract tracks."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ddp", help="check a DDP 2.00 image", description=__doc__)
    commands = parser.add_subparsers(dest="ddp_command", metavar="COMMAND", required=True)
    verify = commands.add_parser("verify", help="check an image and list its tracks",
                                 description="Read a DDP image, check its fields and CHECKSUM.MD5, list "
                                             "tracks with start times, lengths and ISRCs. Exit 1 if a "
                                             "problem is found.")
    verify.add_argument("path", type=Path, help="the DDP folder (holding DDPID, DDPMS, ...)")
    verify.add_argument("--json", action="store_true", help="print one JSON document")
    verify.add_argument("--extract", type=Path, metavar="DIR", help="also write each track as a 16-bit WAV")
    verify.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.ddp.reader import extract_tracks, read_ddp

    image = read_ddp(args.path)
    extracted = extract_tracks(image, args.extract) if args.extract and image.image_path else []
    if args.json:
        document = image.to_dict()
        document["extracted"] = [str(p) for p in extracted]
        print(json.dumps(document, indent=2))
    else:
        print(_text(image, extracted))
    return 0 if image.ok else 1


def _text(image, extracted: list[Path]) -> str:  # type: ignore[no-untyped-def]
    data = image.to_dict()
    lines = [f"{data['folder']}: {data['level'] or '?'}, {len(image.tracks)} tracks, total {data['total']}"]
    if image.upc_ean:
        lines.append(f"UPC/EAN {image.upc_ean}")
    if image.cdtext is not None and image.cdtext.disc:
        lines.append("CD-TEXT " + " / ".join(v for v in image.cdtext.disc.values() if v))
    lines.append(f"{'Trk':<4}{'Start':<10}{'Length':<10}{'ISRC':<14}Title")
    for t in image.tracks:
        row = t.to_dict()
        lines.append(f"{t.number:02d}  {row['start']:<10}{row['length']:<10}{t.isrc or '-':<14}{t.title}")
    sums = {None: "no CHECKSUM.MD5", True: "checksums match", False: "CHECKSUMS DO NOT MATCH"}
    lines.append(sums[image.checksums_ok])
    lines += [f"extracted {p}" for p in extracted]
    lines += [f"problem: {p}" for p in image.problems] or ["no problems found"]
    return "\n".join(lines)
