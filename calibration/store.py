"""Calibration records on disk: one atomic JSON file per rig, sample rate and block size."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from calibration.record import CalibrationRecord
from devices.errors import CalibrationError
from devices.paths import state_dir, write_json_atomic

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def record_path(rig: str, sample_rate: int, block_size: int) -> Path:
    """Where the record of (rig, rate, block) lives: STATE/calibration/RIG/RATE-BLOCK.json."""
    return state_dir() / "calibration" / _SAFE.sub("_", rig) / f"{int(sample_rate)}-{int(block_size)}.json"


def save(record: CalibrationRecord) -> Path:
    """Store a record atomically, replacing the previous one for the same rig, rate and block."""
    return write_json_atomic(record_path(record.rig, record.sample_rate, record.block_size), record.to_dict())


def load(rig: str, sample_rate: int, block_size: int) -> CalibrationRecord | None:
    """The stored record, or None when this rig was never calibrated at this rate and block size."""
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
            f"run `hybrid calibrate --rig {rig}` to measure it again") from exc
