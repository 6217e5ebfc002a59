"""Before a print: a short re-measure against the stored record, and what to do when it drifted."""

from __future__ import annotations

from dataclasses import dataclass, field


from calibration import store
from calibration.measure import measure, run_sweep
from calibration.record import CalibrationRecord
from devices.audio.base import AudioInterface
from devices.errors import CalibrationError
from devices.rig import CalibrationPolicy

CHECK_SWEEP_S = 0.15
# Silence after the check sweep beyond the recorded latency: room for the loop's ringing and for
# a latency that grew since the record.
CHECK_MARGIN_S = 0.1


@dataclass(frozen=True)
class CheckResult:
    """How far the loop has moved from its record; ok when within the rig's policy."""

    ok: bool
    latency_drift_samples: float
    level_drift_db: float
    polarity_changed: bool = False
    latency_samples: list[float] = field(default_factory=list)
    gain_db: list[float] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the operator."""
        text = (f"latency moved {self.latency_drift_samples:.3f} samples, "
                f"level moved {self.level_drift_db:.3f} dB")
        return text + (", polarity flipped" if self.polarity_changed else "")


def check(interface: AudioInterface, record: CalibrationRecord,
          policy: CalibrationPolicy | None = None) -> CheckResult:
    """Re-measure quickly (about a quarter of a second of audio) and compare with the record."""
    policy = policy or CalibrationPolicy()
    if (int(interface.sample_rate), int(interface.block_size), int(interface.channels)) != (
            record.sample_rate, record.block_size, len(record.channels)):
        raise CalibrationError(
            f"the calibration record of rig {record.rig} is for {record.sample_rate} Hz, block "
            f"{record.block_size}, {len(record.channels)} channels; the interface runs "
            f"{interface.sample_rate} Hz, block {interface.block_size}, {interface.channels} channels")
    tail_s = max(record.channel_latencies()) / interface.sample_rate + CHECK_MARGIN_S
    loop = run_sweep(interface, sweep_s=CHECK_SWEEP_S, level_dbfs=-12.0, lead_s=0.01, tail_s=tail_s)
    latencies = [d.latency_samples for d in loop.delays]
    gains = [float(g) for g in loop.gains_db]
    latency_drift = max(abs(m - ch.latency_samples) for m, ch in zip(latencies, record.channels))
    level_drift = max(abs(m - ch.gain_db) for m, ch in zip(gains, record.channels))
    flipped = any(d.polarity_inverted != ch.polarity_inverted for d, ch in zip(loop.delays, record.channels))
    ok = (latency_drift <= policy.max_latency_drift_samples and level_drift <= policy.max_level_drift_db
          and not flipped)
    return CheckResult(ok, float(latency_drift), float(level_drift), flipped, latencies, gains)


@dataclass(frozen=True)
class Readiness:
    """The record to print with, the check that let it through, and whether it was re-measured."""

    record: CalibrationRecord
    check: CheckResult | None
    recalibrated: bool


def ensure(interface: AudioInterface, rig_name: str, policy: CalibrationPolicy | None = None, *,
           key: str | None = None, rig_ref: str | None = None) -> Readiness:
    """The record to print with: the stored one if it still holds, else a new one or a refusal.

    No record yet -> measure and store. A record that drifted past the policy -> measure and
    store again (on_drift: recalibrate) or CalibrationError (on_drift: refuse). key is the rig's
    identity in the store (store.rig_key; the name when None), rig_ref how the user names its file.
    """
    policy = policy or CalibrationPolicy()
    key = key or rig_name
    rig_ref = rig_ref or rig_name
    record = store.load(key, interface.sample_rate, interface.block_size, rig_ref=rig_ref)
    if record is None:
        record = measure(interface, rig_name=rig_name)
        store.save(record, key)
        return Readiness(record, None, True)
    result = check(interface, record, policy)
    if result.ok:
        return Readiness(record, result, False)
    if policy.on_drift == "refuse":
        raise CalibrationError(
            f"the loop of rig {rig_name} no longer matches its calibration of {record.measured_at}: "
            f"{result.describe()} (allowed {policy.max_latency_drift_samples} samples, "
            f"{policy.max_level_drift_db} dB); run `hybrid calibrate --rig {rig_ref}`")
    record = measure(interface, rig_name=rig_name)
    store.save(record, key)
    return Readiness(record, result, True)
