"""Timing shared by the bench modules: wall and CPU seconds of a job, as ratios to real time."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

__all__ = ["best_of", "cpu_s", "real_time"]


def cpu_s() -> float:
    """CPU seconds used so far by this process and the children it has waited for (ffmpeg)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(job: Callable[[], Any], repeats: int = 1) -> tuple[float, float]:
    """Best (wall seconds, CPU seconds) of `repeats` runs of job(). CPU time is what the work
    costs on one core; wall time also counts waiting for a core on a shared machine."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), cpu_s()
        job()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, cpu_s() - cpu)
    return best_wall, best_cpu


def real_time(audio_s: float, wall_s: float, cpu_seconds: float) -> dict[str, float]:
    """The row cells every bench reports: wall and CPU seconds and both as x real time.

    `x_real_time_per_core` (audio seconds per CPU second) is the fairer figure when other jobs hold
    the cores; it can exceed `x_real_time` only when the job itself ran on several cores."""
    return {
        "wall_s": round(wall_s, 2),
        "x_real_time": round(audio_s / wall_s, 1),
        "cpu_s": round(cpu_seconds, 2),
        "x_real_time_per_core": round(audio_s / cpu_seconds, 1) if cpu_seconds > 0 else float("inf"),
    }
