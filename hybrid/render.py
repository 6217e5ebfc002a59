"""Deliverables from a session's stored prints, checked, without touching the gear: what `hybrid
render` and the desk's render button both call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybrid.progress import Progress


def render_session(session_dir: str | Path, revision: int | None = None, targets: list[str] | None = None,
                   out_dir: Path | None = None, bar: Progress | None = None) -> dict[str, Any]:
    """Render the targets (default: the session's) from the newest prints of a revision into out_dir
    (default DIR/deliverables/rNNNN), with render.json and render.txt beside them; the document."""
    from hybrid.deliver import render
    from hybrid.deliver.from_session import job_from_session
    from hybrid.paths import write_json_atomic, write_text_atomic
    from hybrid.qc import json_safe
    from hybrid.session import open_session

    session = open_session(session_dir)
    job = job_from_session(session, revision)
    targets = targets or list(session.info.targets)
    out_dir = out_dir or session.folder / "deliverables" / f"r{job.revision:04d}"
    if bar is not None:
        bar.describe(f"Rendering {', '.join(targets)} for revision {job.revision}")
    result = render(job, targets, out_dir)
    # what was rendered and checked, kept beside the files so it travels with them
    summary_json, summary_txt = out_dir / "render.json", out_dir / "render.txt"
    paths = [str(p) for p in result.paths] + [str(summary_json), str(summary_txt)]
    document = {"revision": job.revision, "session": str(session.folder), "out_dir": str(out_dir),
                "captures": {t.track_id: str(t.capture_path) for t in job.tracks},  # which print each track came from
                "paths": paths, "targets": json_safe(result.per_target)}
    write_json_atomic(summary_json, document)
    write_text_atomic(summary_txt, summary(document) + "\n")
    if bar is not None:
        bar.advance()
    return document


def summary(document: dict[str, Any]) -> str:
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
