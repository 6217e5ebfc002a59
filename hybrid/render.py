"""Deliverables from a session's stored prints, checked, without touching the gear: what `hybrid
render` and the desk's render button both call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybrid.progress import Progress


def render_session(session_dir: str | Path, revision: int | None = None, targets: list[str] | None = None,
                   out_dir: Path | None = None, bar: Progress | None = None, *,
                   approved_only: bool = False) -> dict[str, Any]:
    """Render the targets (default: the session's) from the newest prints of a revision into a folder
    of its own (default DIR/deliverables/rNNNN-KK, the next unused; `out_dir` must not exist yet),
    with render.json, render.txt and a SHA-256 manifest.json; the document (render.json's content).

    The folder is built hidden beside its final name and sealed (manifest, then rename) as a print
    is, so an earlier render is never touched and a failed one leaves nothing. It holds the session's
    lock: no render runs during a print of the session. The document records the client's approval
    the render was made from (approvals.render_approval), or that there was none; with approved_only
    an unapproved revision is refused before anything is written."""
    from hybrid.session import open_session, session_lock

    session = open_session(session_dir)
    with session_lock(session.folder, "render"):
        return _render_locked(session, revision, targets, out_dir, bar, approved_only)


def _render_locked(session: Any, revision: int | None, targets: list[str] | None, out_dir: Path | None,
                   bar: Progress | None, approved_only: bool) -> dict[str, Any]:
    from devices.paths import refuse_sealed
    from hybrid.deliver import render
    from hybrid.deliver.from_session import job_from_session
    from hybrid.deliver.renders import RENDER_FILE, next_render_dir, release_metadata, renders_dir
    from hybrid.errors import ConfigError, SessionError
    from hybrid.paths import write_json_atomic, write_text_atomic
    from hybrid.mix_evaluation import json_safe
    from hybrid.printing.folders import discard, seal, staging_dir
    from hybrid.session.approvals import render_approval

    job = job_from_session(session, revision)
    newest_print = max(Path(t.capture_path).parent.parent.name for t in job.tracks)
    approval, approval_line = render_approval(session, job.revision, newest_print)
    if approved_only and approval is None:
        raise SessionError(f"{session.folder}: --approved-only, and revision {job.revision} is {approval_line}; "
                           "nothing was rendered")
    targets = targets or list(session.info.targets)
    if out_dir is not None and Path(out_dir).exists() and any(Path(out_dir).iterdir()):
        raise ConfigError(None, "--out", str(out_dir), "a folder that does not exist yet (renders are never "
                                                      "overwritten; leave --out out for the next deliverables/rNNNN-KK)")
    final = Path(out_dir) if out_dir is not None else next_render_dir(renders_dir(session), job.revision)
    refuse_sealed(final)  # before the first folder is made: nothing is written inside a sealed print
    final.parent.mkdir(parents=True, exist_ok=True)
    if bar is not None:
        bar.describe(f"Rendering {', '.join(targets)} for revision {job.revision} into {final.name}")
    staging: Path | None = None
    try:
        staging = staging_dir(final.parent, final)  # made inside the try that removes it
        result = render(job, targets, staging)
        # what was rendered and checked, kept beside the files so it travels with them
        moved = lambda path: str(final / Path(path).relative_to(staging))  # noqa: E731
        paths = [moved(p) for p in result.paths] + [str(final / RENDER_FILE), str(final / "render.txt")]
        document = {"revision": job.revision, "session": str(session.folder), "out_dir": str(final),
                    "captures": {t.track_id: str(t.capture_path) for t in job.tracks},  # which print each came from
                    "paths": paths, "targets": _relocated(json_safe(result.per_target), staging, final),
                    "made_from": release_metadata(session),  # what `session show` checks for staleness
                    "approval": approval.record() if approval else None, "approval_line": approval_line}
        write_text_atomic(staging / "render.txt", summary(document) + "\n")
        write_json_atomic(staging / RENDER_FILE, document)  # last: never older than a file it describes
        seal(staging, final)
    finally:
        if staging is not None:
            discard(staging)
    if bar is not None:
        bar.advance()
    return document


def _relocated(value: Any, staging: Path, final: Path) -> Any:
    """The per-target details with their paths as they are once the staging folder is sealed."""
    if isinstance(value, str) and value.startswith(str(staging)):
        return str(final) + value[len(str(staging)):]
    if isinstance(value, dict):
        return {k: _relocated(v, staging, final) for k, v in value.items()}
    if isinstance(value, list):
        return [_relocated(v, staging, final) for v in value]
    return value


def summary(document: dict[str, Any]) -> str:
    lines = [f"revision {document['revision']} -> {document['out_dir']}"]
    by_print: dict[str, list[str]] = {}
    for number, capture in enumerate(document["captures"].values(), start=1):
        by_print.setdefault(Path(capture).parent.parent.name, []).append(str(number))
    lines.append(f"approval: {document.get('approval_line', 'not recorded (rendered before approvals)')}")
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
    from hybrid.deliver.rates import delivered_rate_lines

    conversions = delivered_rate_lines(document["targets"])
    if conversions:  # every sample-rate conversion a file went through, mix to file
        lines += ["sample rates:"] + [f"  {line}" for line in conversions]
    lines.append(f"{len(document['paths'])} files written")
    return "\n".join(lines)
