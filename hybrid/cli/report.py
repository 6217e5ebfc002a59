"""`hybrid report FILE_OR_PRINT_DIR [--out DIR]`: the client report of a print, or of one mix."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

from hybrid import __version__
from hybrid.errors import ConfigError
from hybrid.progress import progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write report.json/.txt/.html for a print folder or an audio file",
        description="For a print folder: draw its report again from its report.json (the print itself is"
                    " never changed; the report goes to --out). For an audio file: measure it (loudness"
                    " over time, true peak, spectrum, correlation) and evaluate it as a mix.")
    parser.add_argument("target", type=Path, metavar="FILE_OR_PRINT_DIR")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="where to write (default: NAME-report/ beside an audio file; ./PRINT-report/ for a print)")
    parser.add_argument("--reference", type=Path, default=None, metavar="FILE",
                        help="for an audio file: a reference track for the tonal balance")
    parser.add_argument("--no-plots", action="store_true", help="leave the PNG plots out of the HTML")
    parser.add_argument("--json", action="store_true", help="print the paths written as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.report import write_report

    target: Path = args.target
    if target.is_dir():
        data, out, audio_dir = _print_data(target, args.out)
    elif target.is_file():
        data, out, audio_dir = _file_data(target, args.out, args.reference), args.out or _beside(target), None
    else:
        raise ConfigError(None, "FILE_OR_PRINT_DIR", str(target), "an audio file or a print folder that exists")
    with progress("Writing the report", total=None, quiet=args.json):
        paths = write_report(out, data, plots=not args.no_plots, audio_dir=audio_dir)
    if args.json:
        json.dump({k: str(v) for k, v in paths.items()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"report: {paths['html']} (and report.txt, report.json)")
    return 0


def _beside(audio: Path) -> Path:
    return audio.parent / f"{audio.stem}-report"


def _print_data(folder: Path, out: Path | None) -> tuple[dict[str, Any], Path, Path]:
    from hybrid.printing.folders import check_sealed

    source = folder / "report.json"
    if not source.is_file():
        raise ConfigError(folder, "report.json", str(source), "a print folder made by `hybrid print` (it has report.json)")
    check_sealed(folder)  # report.json and the audio the curves are drawn from, as they were sealed
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(source, "", source.name, f"readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(source, "", type(data).__name__, "a JSON object")
    destination = out or Path.cwd() / f"{folder.name}-report"
    if destination.resolve() == folder.resolve():
        raise ConfigError(None, "--out", str(destination), "a folder other than the print: a print is never changed")
    return data, destination, folder


def _file_data(audio_path: Path, out: Path | None, reference: Path | None) -> dict[str, Any]:
    from dsp.meter import analyze
    from hybrid.audiofile import read_audio
    from hybrid.mix_evaluation import evaluate

    audio, rate = read_audio(audio_path)
    ref = read_audio(reference, "--reference") if reference else None
    name = audio_path.name
    return {
        "file": {"name": name, "path": str(audio_path.resolve())},
        "tracks": [{"track_id": audio_path.stem, "title": name, "source": str(audio_path.resolve()),
                    "measurements": {"source": analyze(audio, rate).to_dict()}}],
        "qc": {name: evaluate(audio, rate, reference=ref, name=name).to_dict()},
        "software": {"hybrid": __version__, "python": platform.python_version()},
    }
