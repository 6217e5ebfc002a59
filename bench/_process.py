"""Whole processes, measured from outside: wall and CPU seconds and peak resident memory of a child."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ChildRun", "best_child", "hybrid_argv", "run_child"]


@dataclass(frozen=True)
class ChildRun:
    """One child process: seconds on the clock and on the CPU, its peak RSS, how it exited."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    status: int


def hybrid_argv(*args: str) -> list[str]:
    """The command line of `hybrid ARGS` as the bench runs it (this interpreter, this checkout)."""
    return [sys.executable, "-m", "hybrid", *args]


def run_child(argv: Sequence[str]) -> ChildRun:
    """Run argv to the end (output thrown away) under GNU time, which reports the child's own peak RSS.

    Not wait4 from here: a child forked from this (large) Python process starts with this process's
    resident pages counted in its ru_maxrss until it execs, so every child would read as big as us."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        command = ["/usr/bin/time", "-q", "-f", "%e %U %S %M", "-o", report.name, *argv]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, user, system, peak_kb = report.read().split()[-4:]
    return ChildRun(float(wall), float(user) + float(system), float(peak_kb) / 1024.0, done.returncode)


def best_child(argv: Sequence[str], repeats: int) -> ChildRun:
    """The least wall time, least CPU time and largest peak RSS over `repeats` runs (timings on a
    shared machine only ever get worse than the work's own cost; memory does not vary much)."""
    runs = [run_child(argv) for _ in range(repeats)]
    return ChildRun(min(r.wall_s for r in runs), min(r.cpu_s for r in runs), max(r.peak_rss_mb for r in runs),
                    max(r.status for r in runs))
