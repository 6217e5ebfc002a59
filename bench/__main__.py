"""Run the bench modules (each defines `run() -> list[dict]`) and print their rows as tables.

    python -m bench                 every module in bench/
    python -m bench dsp_speed ...   only those named
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def modules() -> list[str]:
    """Bench modules in this folder that define run()."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found.append(info.name)
    return found


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return "-" if value is None else str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as an aligned text table; columns are the union of keys in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(columns, widths))]
    lines.append("  ".join("-" * width for width in widths))
    lines.extend("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in cells)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    available = modules()
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"bench: {', '.join(unknown)} not found; available: {', '.join(available)}", file=sys.stderr)
        return 2
    for name in names or available:
        started = time.perf_counter()
        rows = importlib.import_module(f"bench.{name}").run()
        print(f"\n== {name} ({time.perf_counter() - started:.0f} s)")
        print(table(rows) if rows else "(no rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
