"""Reports a client can read: report.json (the data), report.txt and a self-contained report.html."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from hybrid.paths import write_json_atomic, write_text_atomic
from hybrid.report.html import Figure, render_html
from hybrid.report.text import render_text

__all__ = ["Figure", "render_html", "render_text", "write_report"]


def write_report(print_dir: Path, data: dict[str, Any]) -> dict[str, Path]:
    """Write report.json, report.txt and report.html into print_dir; returns {"json", "text", "html"}.

    `data` follows docs/DESIGN.md "The print -> report hand-off"; every key is optional. All three
    documents are rendered in memory before the first one is written, so a failure leaves nothing
    half-made, and each file is replaced atomically.
    """
    print_dir = Path(print_dir)
    doc = dict(data)
    doc.setdefault("report", {})
    doc["report"] = {**doc["report"], "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(
        timespec="seconds")}
    text = render_text(doc)
    html = render_html(doc, ())
    paths = {
        "json": write_json_atomic(print_dir / "report.json", doc),
        "text": write_text_atomic(print_dir / "report.txt", text),
        "html": write_text_atomic(print_dir / "report.html", html),
    }
    return paths
