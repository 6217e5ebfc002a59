"""The hybrid command itself: help, errors as one line, a closed pipe is not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _hybrid(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hybrid", *args], capture_output=True, text=True, **kwargs)


def test_every_documented_command_is_there() -> None:
    # the sub-commands themselves, not words of the description ("print through it, finish")
    from hybrid.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    # the README's command table is what a user reads: each row's command, and nothing it lacks
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = {line.split()[2].rstrip("`") for line in readme.splitlines() if line.startswith("| `hybrid ")}
    assert set(commands) == documented
    assert {"analyze", "print", "listen", "desk"} <= documented


def test_no_command_prints_help_and_exits_2() -> None:
    result = _hybrid()
    assert result.returncode == 2
    assert "usage: hybrid" in result.stdout


def test_a_reader_that_goes_away_is_not_a_traceback() -> None:
    # `hybrid devices profiles --json | head -c 10`: the pipe closes before hybrid is done writing
    pipeline = subprocess.run(
        f"{sys.executable} -m hybrid devices profiles --json | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", capture_output=True, text=True,
    )
    assert "Traceback" not in pipeline.stderr
    assert pipeline.stdout.strip() in {"0", "141"}


def test_print_takes_several_tracks_after_one_option() -> None:
    # `--track 1 3` was refused with the top-level usage; repeating --track still works
    from hybrid.cli import build_parser

    args = build_parser("print").parse_args(["print", "album", "--track", "1", "3", "--track", "ballad"])
    assert args.track == ["1", "3", "ballad"]
    args = build_parser("session").parse_args(["session", "new", "album", "--track", "a.wav", "b.wav", "--title", "T"])
    assert args.track == ["a.wav", "b.wav"] and args.title == "T"
