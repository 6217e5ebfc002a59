"""Print figures: a whole print of the demo record on the sim rig (x real time, and where the time
goes), and `hybrid verify` (measure + attribution), measured in a private state folder."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import soundfile as sf

from hybrid.demo import write_demo_mixes
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session


def run() -> list[dict[str, Any]]:
    """Rows: the print (all stages), each stage's share, and verify."""
    previous = os.environ.get("XDG_STATE_HOME")
    with tempfile.TemporaryDirectory(prefix="hybrid-bench-print-") as tmp:
        os.environ["XDG_STATE_HOME"] = str(Path(tmp) / "state")  # never the studio's panels or calibration
        try:
            return _measure(Path(tmp))
        finally:
            if previous is None:
                os.environ.pop("XDG_STATE_HOME", None)
            else:
                os.environ["XDG_STATE_HOME"] = previous


def _measure(tmp: Path) -> list[dict[str, Any]]:
    from hybrid.verify import verify_revision

    mixes = write_demo_mixes(tmp / "mixes")
    audio_s = sum(sf.info(str(m)).duration for m in mixes)
    folder = tmp / "session"
    new_session(folder, mixes, album=AlbumFields(title="bench", targets=["streaming", "cd"]))
    yes = lambda sheet: True  # noqa: E731
    print_revision(PrintRequest(folder, confirm_manual=yes))  # warm-up: calibration measured, kernels compiled
    marks: list[tuple[float, str]] = []
    started = time.perf_counter()
    print_revision(PrintRequest(folder, confirm_manual=yes), say=lambda text: marks.append((time.perf_counter(), text)))
    total = time.perf_counter() - started
    marks.append((started + total, "sealed"))
    rows = [{"task": f"print {len(mixes)} tracks ({audio_s:.1f} s of audio), streaming + cd",
             "seconds": round(total, 2), "x_real_time": round(audio_s / total, 2)}]
    stages: dict[str, float] = {}
    for (t0, text), (t1, _) in zip(marks, marks[1:]):
        stage = _stage(text)
        stages[stage] = stages.get(stage, 0.0) + (t1 - t0)
    rows += [{"task": f"  {stage}", "seconds": round(sec, 2), "share": f"{sec / total:.0%}"} for stage, sec in stages.items()]
    t0 = time.perf_counter()
    result = verify_revision(folder, 1)
    rows.append({"task": "verify (measure + compare)", "seconds": round(time.perf_counter() - t0, 2),
                 "readings": "pass" if result.passed else "fail"})
    return rows


def _stage(text: str) -> str:
    for key, name in (("neutral", "recall neutral + calibration check"), ("calibration", "recall neutral + calibration check"),
                      ("over the wires", "recall the revision"), ("fingerprint", "fingerprint"),
                      ("playing", "captures (through the sim chain)"), ("overrides", "captures (through the sim chain)"),
                      ("rendering", "deliverables (finish, resample, dither, DDP, checks)"),
                      ("report", "report (measurements, album view, QC, plots)"), ("sealing", "manifest + rename"),
                      ("printing", "start")):
        if key in text:
            return name
    return text
