"""`hybrid render DIR`: deliverables from a session's stored prints, checked, without touching the gear."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render", help="render deliverables from stored prints",
        description="Render the session's targets (or --target ...) from the newest prints of a revision, "
                    "check them, and write them under DIR/deliverables/rNNNN/TARGET/ with render.json and "
                    "render.txt (measurements and compliance). Nothing is written if a target breaks a "
                    "hard rule.")
    parser.add_argument("session", type=Path, metavar="DIR", help="the session folder")
    parser.add_argument("--revision", type=int, metavar="N", help="revision to render (default: newest printed)")
    parser.add_argument("--target", action="append", metavar="T", dest="targets",
                        help="streaming, cd, hires, vinyl or preview; repeat for several (default: the session's)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where to write (default: DIR/deliverables/rNNNN)")
    parser.add_argument("--json", action="store_true", help="print one JSON document with every path written")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.deliver import render
    from hybrid.paths import write_json_atomic, write_text_atomic
    from hybrid.deliver.from_session import job_from_session
    from hybrid.progress import progress
    from hybrid.qc import json_safe
    from hybrid.session import open_session

    session = open_session(args.session)
    job = job_from_session(session, args.revision)
    targets = args.targets or list(session.info.targets)
    out_dir = args.out or session.folder / "deliverables" / f"r{job.revision:04d}"
    with progress("Rendering", total=None, quiet=args.json) as bar:
        bar.describe(f"Rendering {', '.join(targets)} for revision {job.revision}")
        result = render(job, targets, out_dir)
    # what was rendered and checked, kept beside the files so it travels with them
    summary_json, summary_txt = out_dir / "render.json", out_dir / "render.txt"
    paths = [str(p) for p in result.paths] + [str(summary_json), str(summary_txt)]
    document = {"revision": job.revision, "session": str(session.folder), "out_dir": str(out_dir),
                "captures": {t.track_id: str(t.capture_path) for t in job.tracks},  # which print each track came from
                "paths": paths, "targets": json_safe(result.per_target)}
    write_json_atomic(summary_json, document)
    write_text_atomic(summary_txt, _summary(document) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(_summary(document))
    return 0


def _summary(document: dict[str, Any]) -> str:
    lines = [f"revision {document['revision']} -> {document['out_dir']}"]
    by_print: dict[str, list[str]] = {}
    for number, capture in enumerate(document["captures"].values(), start=1):
        by_print.setdefault(Path(capture).parent.parent.name, []).append(str(number))
    lines.append("from prints: " + ", ".join(f"{name} (track{'s' if len(numbers) > 1 else ''} {', '.join(numbers)})" for name, numbers in by_print.items()))
    for target, details in document["targets"].items():
        lines.append(f"{target}: {details['folder']}")
        for t in details["tracks"]:
            lufs = "-" if t["integrated_lufs"] is None else f"{t['integrated_lufs']:.1f} LUFS"
            peak = "-" if t["true_peak_dbtp"] is None else f"{t['true_peak_dbtp']:+.2f} dBTP"
            lines.append(f"  {t['number']:02d} {t['title'][:32]:<32} {lufs:>11} {peak:>11}  {Path(t['path']).name}")
        for side in details.get("sides", []):  # vinyl: what the cutting engineer plans the lacquer by
            minutes, seconds = divmod(round(side["minutes"] * 60.0), 60)
            lines.append(f"  side {side['side']}: {minutes}:{seconds:02d} ({', '.join(side['tracks'])})")
        for w in details["compliance"]["warnings"]:
            lines.append(f"  warning: {w['message']}")
        if "ddp" in details:
            lines.append(f"  DDP image: {details['ddp']}")
    lines.append(f"{len(document['paths'])} files written")
    return "\n".join(lines)
