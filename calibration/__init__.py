"""calibration: measurements of the loop through an AudioInterface, stored per rig, rate and block."""

from calibration import pilot, store
from calibration.check import CheckResult, Readiness, check, ensure
from calibration.compensate import compensate
from calibration.measure import measure
from calibration.record import CalibrationRecord, ChannelCalibration, LoopResponse

__all__ = [
    "measure", "check", "ensure", "compensate", "store", "pilot",
    "CalibrationRecord", "ChannelCalibration", "LoopResponse", "CheckResult", "Readiness",
]
