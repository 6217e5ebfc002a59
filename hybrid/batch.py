"""Jobs over many files in one process: on every local core, or on a Dask cluster, with the same
results and the same error lines either way."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybrid.errors import HybridError

__all__ = ["FileOutcome", "analyze_files", "batch_executor", "qc_files", "render_sessions", "run_per_file"]

# Files per task: enough that a task's overhead (a pickle each way, a scheduler round trip) is small
# against 500 one-second files, few enough that both cores stay busy to the end.
_TASKS_PER_WORKER = 4


@dataclass(frozen=True)
class FileOutcome:
    """One file's result, or the one line saying why it has none."""

    file: str
    value: Any = None  # the job's result (an Analysis, a MixEvaluation) when it worked
    error: str | None = None  # "FILE: problem; what is allowed", as the command prints it

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def batch_executor(scheduler: str | None = None, workers: int | None = None) -> Iterator[Executor | None]:
    """Where a batch runs: None (this process) for one worker, local processes for more (default
    every core), or the Dask cluster whose scheduler is at `scheduler` (e.g. tcp://10.0.0.5:8786)."""
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - dask.distributed is a dependency
            raise HybridError("--scheduler needs dask.distributed installed") from exc
        try:
            client = Client(scheduler, timeout=10, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise HybridError(f"--scheduler {scheduler}: no Dask scheduler answered ({exc}); "
                              "the address of a running scheduler (tcp://HOST:PORT) is allowed") from exc
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=count) as pool:
        yield pool


def _one(job: Callable[..., Any], path: str, args: tuple[Any, ...]) -> FileOutcome:
    try:
        return FileOutcome(file=path, value=job(path, *args))
    except HybridError as exc:  # the file's own problem: the others are still measured
        return FileOutcome(file=path, error=str(exc))


def _chunk(job: Callable[..., Any], paths: list[str], args: tuple[Any, ...]) -> list[FileOutcome]:
    return [_one(job, path, args) for path in paths]


def run_per_file(job: Callable[..., Any], paths: Sequence[str | Path], executor: Executor | None = None,
                 args: tuple[Any, ...] = (), done: Callable[[list[FileOutcome]], None] | None = None,
                 ) -> list[FileOutcome]:
    """job(path, *args) for every path, outcomes in the order given; HybridError becomes the outcome's
    error line. `job` must be importable by name (a module-level function) to run in other processes.
    `done`, if given, hears each group of outcomes as it completes (a progress bar)."""
    names = [str(p) for p in paths]
    if executor is None or len(names) <= 1:
        outcomes = []
        for name in names:
            outcomes.append(_one(job, name, args))
            if done is not None:
                done(outcomes[-1:])
        return outcomes
    share = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    size = max(1, -(-len(names) // (share * _TASKS_PER_WORKER)))
    futures = [executor.submit(_chunk, job, names[i : i + size], args) for i in range(0, len(names), size)]
    if done is not None:
        for future in as_completed(futures):
            done(future.result())
    return [outcome for future in futures for outcome in future.result()]


def _analyze(path: str) -> Any:
    from hybrid.analysis import analyze_file

    return analyze_file(path)


def _evaluate(path: str, reference: str | None) -> Any:
    from hybrid.mix_evaluation import evaluate_file

    return evaluate_file(path, reference)


def analyze_files(paths: Sequence[str | Path], executor: Executor | None = None) -> list[FileOutcome]:
    """`hybrid analyze`'s readings (dsp.meter.Analysis) of every file, in the order given."""
    return run_per_file(_analyze, paths, executor)


def qc_files(paths: Sequence[str | Path], reference: str | Path | None = None, executor: Executor | None = None,
             done: Callable[[list[FileOutcome]], None] | None = None) -> list[FileOutcome]:
    """`hybrid qc`'s evaluation (hybrid.mix_evaluation.MixEvaluation) of every mix, in the order given."""
    return run_per_file(_evaluate, paths, executor, args=(str(reference) if reference else None,), done=done)


def _render(session_dir: str, revision: int | None, targets: list[str] | None) -> Any:
    from hybrid.render import render_session

    return render_session(session_dir, revision, targets)


def render_sessions(session_dirs: Sequence[str | Path], revision: int | None = None, targets: list[str] | None = None,
                    executor: Executor | None = None, done: Callable[[list[FileOutcome]], None] | None = None,
                    ) -> list[FileOutcome]:
    """`hybrid render` of every session (its render document as the value), in the order given: a
    catalogue's deliverables on local cores or a cluster whose workers see the same file system."""
    return run_per_file(_render, session_dirs, executor, args=(revision, targets), done=done)
