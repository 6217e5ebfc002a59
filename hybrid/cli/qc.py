"""`hybrid qc FILE... [--json] [--reference FILE]`: evaluate mixes before mastering, with a verdict."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybrid.progress import progress

if TYPE_CHECKING:
    from hybrid.mix_evaluation import MixEvaluation


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "qc", help="evaluate mixes before mastering: findings with timestamps and a verdict",
        description="Listen to the mix with meters: clipping, inter-sample overs, DC, phase and mono, balance,"
                    " headroom, a crushed mix bus, clicks, hum, noise, head and tail, and the tone against a"
                    " reference. Exit status 1 when a mix needs revising, 0 when every mix is ready.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="mixes to evaluate (WAV, FLAC, AIFF...)")
    parser.add_argument("--reference", type=Path, default=None, metavar="FILE",
                        help="a reference track to compare the tonal balance with")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on the Dask distributed cluster whose scheduler is at ADDRESS (tcp://HOST:PORT)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="local worker processes (default: every core; 1 evaluates in this process)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.batch import batch_executor, qc_files
    from hybrid.audiofile import probe_audio

    if args.jobs is not None and args.jobs < 1:
        from hybrid.errors import ConfigError

        raise ConfigError(None, "--jobs", str(args.jobs), "a whole number of worker processes from 1 is allowed")
    # Every header first: a typo in the last name should not cost the time of the first ones.
    if args.reference:
        probe_audio(args.reference, "--reference")
    for path in args.files:
        probe_audio(path)
    with progress("Evaluating mixes", total=len(args.files), quiet=args.json) as bar, \
            batch_executor(args.scheduler, args.jobs if len(args.files) > 1 else 1) as executor:
        outcomes = qc_files(args.files, args.reference, executor, done=lambda group: bar.advance(len(group)))
    for outcome in outcomes:
        if not outcome.ok:  # read past its header and failed (e.g. NaN samples): one line, others still evaluated
            print(f"hybrid: {outcome.error}", file=sys.stderr)
    results: list[MixEvaluation] = [o.value for o in outcomes if o.ok]
    if args.json:
        doc: dict[str, Any] = {"reference": str(args.reference) if args.reference else None,
                               "ready": all(r.ready for r in results) and len(results) == len(outcomes),
                               "files": [r.to_dict() for r in results]}
        json.dump(doc, sys.stdout, indent=2, allow_nan=False)  # to_dict() gives plain, finite JSON
        sys.stdout.write("\n")
    else:
        for result in results:
            sys.stdout.write(render(result) + "\n")
    if len(results) < len(outcomes):
        return 2
    return 0 if all(r.ready for r in results) else 1


def render(result: MixEvaluation) -> str:
    """The evaluation of one mix as the text `hybrid qc` prints."""
    from hybrid.report.formatting import clock, num  # the report package loads only to print

    loud = result.measurements.get("loudness", {})
    lines = [
        f"{result.name}  ({result.sample_rate} Hz, {result.channels} ch, {clock(result.duration_s)})",
        f"  integrated {num(loud.get('integrated_lufs'), 'LUFS')}, true peak {num(loud.get('true_peak_dbtp'), 'dBTP', 2)},"
        f" PLR {num(result.measurements.get('plr_lu'), 'LU')}, LRA {num(loud.get('lra_lu'), 'LU')}",
    ]
    for finding in result.findings:
        where = ""
        if finding.times_s:
            shown = ", ".join(clock(t) for t in finding.times_s[:5])
            more = len(finding.times_s) - 5
            where = f" (at {shown}{f' and {more} more' if more > 0 else ''})"
        lines.append(f"  [{finding.severity}] {finding.message}{where}")
    lines.append(f"  verdict: {result.verdict}")
    return "\n".join(lines)
