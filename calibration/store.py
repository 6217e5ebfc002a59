"""Calibration records on disk: one atomic JSON file per rig (by its identity), rate and block size."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from calibration.record import CalibrationRecord
from devices.errors import CalibrationError
from devices.paths import state_dir, write_json_atomic

if TYPE_CHECKING:
    from devices.rig import Rig

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def rig_key(rig: Rig) -> str:
    """A rig's identity for its records: its name and a digest of the loop it describes (the
    interface, its routing, the units in order with their wires). Two rigs that share a name never
    share a record; an edited routing or chain is calibrated anew; a new description is not."""
    loop = {"interface": rig.interface.model_dump(mode="json"), "units": [u.model_dump(mode="json") for u in rig.units]}
    digest = hashlib.sha256(json.dumps(loop, sort_keys=True).encode()).hexdigest()[:12]
    return f"{rig.name}-{digest}"


def record_path(rig: str, sample_rate: int, block_size: int) -> Path:
    """Where the record of (rig key, rate, block) lives: STATE/calibration/KEY/RATE-BLOCK.json."""
    return state_dir() / "calibration" / _SAFE.sub("_", rig) / f"{int(sample_rate)}-{int(block_size)}.json"


def save(record: CalibrationRecord, key: str | None = None) -> Path:
    """Store a record atomically under key (rig_key(rig); the record's rig name when None),
    replacing the previous one for the same rig, rate and block."""
    return write_json_atomic(record_path(key or record.rig, record.sample_rate, record.block_size), record.to_dict())


def load(rig: str, sample_rate: int, block_size: int, *, rig_ref: str | None = None) -> CalibrationRecord | None:
    """The stored record of rig (a rig_key), or None when it was never calibrated at this rate and
    block size; rig_ref is how the user names the rig to `hybrid calibrate --rig` (its file)."""
    path = record_path(rig, sample_rate, block_size)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return CalibrationRecord.from_dict(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise CalibrationError(
            f"{path}: the calibration record is unreadable ({str(exc).splitlines()[0]}); "
            f"run `hybrid calibrate --rig {rig_ref or rig}` to measure it again") from exc
