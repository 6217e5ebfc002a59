"""The analog chain's fingerprint: its response, its compression and its distortion, measured through
the calibrated interface, so a recall (by wire or by hand) can be checked by measurement."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from calibration.compensate import compensate
from calibration.record import CalibrationRecord, now_utc
from devices.audio.base import AudioInterface
from dsp.transfer import fractional_octave_db, log_sweep, transfer_function

FINGERPRINT_FORMAT = 1
RESPONSE_FRACTION = 12  # 1/12-octave bands: finer than the 1/6 octave a shelf or bell move needs
RESPONSE_LEVEL_DBFS = -20.0  # sweep peak: well under a mastering compressor's usual threshold
SWEEP_S = 0.75
TONE_HZ = 1000.0
TONE_LEVELS_DBFS = (-30.0, -20.0, -12.0, -6.0)  # stepped upwards, so each step settles on the attack
TONE_STEP_S = 0.25
THD_LEVEL_DBFS = -12.0
HARMONICS = 9
_LEAD_S = 0.05
_TAIL_S = 0.3


@dataclass(frozen=True)
class Fingerprint:
    """One measurement of the chain, per return channel, in plain numbers (JSON-able)."""

    sample_rate: int
    measured_at: str
    response_level_dbfs: float
    freqs_hz: list[float]
    response_db: list[list[float]]  # [channel][band]: |H| in dB, latency and level compensated
    tone_hz: float
    levels_dbfs: list[float]  # tone peak levels for the compression curve
    gain_db: list[list[float]]  # [channel][level]: chain gain at tone_hz
    gain_reduction_db: list[list[float]]  # [channel][level]: gain at the lowest level minus gain here
    thd_level_dbfs: float
    thd_db: list[float]  # [channel]: harmonics 2..9 against the fundamental, dB
    format: int = FINGERPRINT_FORMAT
    method: str = "log sweep at a fixed level; stepped 1 kHz tone, lock-in per harmonic"

    @property
    def thd_pct(self) -> list[float]:
        return [100.0 * 10 ** (v / 20) for v in self.thd_db]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Fingerprint":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def excitation(rate: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The whole fingerprint signal (frames,) and where each part sits in it, in frames."""
    lead, tail = int(_LEAD_S * rate), int(_TAIL_S * rate)
    sweep = log_sweep(rate, SWEEP_S, RESPONSE_LEVEL_DBFS, f_start_hz=10.0)
    tones, step = tone_steps(rate)
    sweep_part = np.concatenate([np.zeros(lead), sweep, np.zeros(tail)])
    tone_start = sweep_part.size
    signal = np.concatenate([sweep_part, tones, np.zeros(tail)])
    return signal, {"sweep_frames": sweep_part.size, "tone_start": tone_start, "step": step}


def measure_fingerprint(interface: AudioInterface, record: CalibrationRecord) -> Fingerprint:
    """Play the fingerprint signal through the loop, undo the loop's latency and level, and read it."""
    rate = int(interface.sample_rate)
    signal, where = excitation(rate)
    send = np.repeat(signal[:, None], interface.channels, axis=1)
    capture = compensate(interface.playrec(send), record)
    return analyse(signal, capture, rate, where)


def analyse(signal: np.ndarray, aligned: np.ndarray, rate: int, where: dict[str, Any]) -> Fingerprint:
    """Read the fingerprint out of an aligned, level-compensated capture of `signal`."""
    channels = aligned.shape[1]
    n = where["sweep_frames"]
    h_bins = transfer_function(signal[:n], aligned[:n])
    freqs, response = fractional_octave_db(h_bins, rate, 2 * (h_bins.shape[0] - 1), RESPONSE_FRACTION)
    step, start = where["step"], where["tone_start"]
    gains, thd = tone_readings(aligned[start:start + step * len(TONE_LEVELS_DBFS)], rate, step)
    return Fingerprint(
        sample_rate=rate, measured_at=now_utc(), response_level_dbfs=RESPONSE_LEVEL_DBFS,
        freqs_hz=[round(float(f), 3) for f in freqs],
        response_db=[[round(float(v), 4) for v in response[:, c]] for c in range(channels)],
        tone_hz=TONE_HZ, levels_dbfs=list(TONE_LEVELS_DBFS),
        gain_db=[[round(float(g), 4) for g in gains[c]] for c in range(channels)],
        gain_reduction_db=[[round(float(gains[c, 0] - g), 4) for g in gains[c]] for c in range(channels)],
        thd_level_dbfs=THD_LEVEL_DBFS, thd_db=[round(float(v), 3) for v in thd],
    )


@lru_cache(maxsize=4)
def tone_steps(rate: int) -> tuple[np.ndarray, int]:
    """The stepped tone alone, (frames,), and the frames of one step (read-only, made once per rate)."""
    step = int(TONE_STEP_S * rate)
    t = np.arange(step * len(TONE_LEVELS_DBFS)) / rate
    amplitude = np.repeat([10 ** (lvl / 20) for lvl in TONE_LEVELS_DBFS], step)
    tones = amplitude * np.sin(2 * math.pi * TONE_HZ * t)
    fade = int(0.005 * rate)
    tones[:fade] *= np.linspace(0.0, 1.0, fade)
    tones[-fade:] *= np.linspace(1.0, 0.0, fade)
    tones.flags.writeable = False
    return tones, step


def tone_readings(tones: np.ndarray, rate: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Chain gain at each tone level (channels, levels) and THD in dB at THD_LEVEL_DBFS (channels,)."""
    channels = tones.shape[1]
    # the second half of each step: the compressor has attacked and settled, the fade is long gone
    settle = step // 2
    gains = np.zeros((channels, len(TONE_LEVELS_DBFS)))
    thd = np.zeros(channels)
    for k, level in enumerate(TONE_LEVELS_DBFS):
        window = tones[k * step + settle:(k + 1) * step]
        for c in range(channels):
            amps = harmonic_amplitudes(window[:, c], rate, TONE_HZ, HARMONICS)
            gains[c, k] = 20 * math.log10(max(amps[0], 1e-12)) - level
            if level == THD_LEVEL_DBFS:
                thd[c] = 10 * math.log10(max(float(np.sum(amps[1:] ** 2)), 1e-30) / max(amps[0] ** 2, 1e-30))
    return gains, thd


def harmonic_amplitudes(x: np.ndarray, rate: int, f0_hz: float, count: int) -> np.ndarray:
    """Peak amplitude of f0 and its harmonics up to `count`, by Hann-windowed lock-in projection.

    The window sidelobes fall fast enough that the fundamental does not leak into the harmonics'
    bins by more than about -150 dB over a window of a few hundred cycles.
    """
    x = np.asarray(x, dtype=np.float64)
    window, cosines, sines = _lock_in(x.size, float(rate), float(f0_hz), count)
    weighted = window * x
    # real matrices: a complex product would convert the signal to complex on every call
    return 2.0 * np.hypot(cosines @ weighted, sines @ weighted) / np.sum(window)


@lru_cache(maxsize=16)
def _lock_in(frames: int, rate: float, f0_hz: float, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The window and a cosine and sine per harmonic (zero above Nyquist), made once per window size."""
    t = np.arange(frames) / rate
    harmonics = np.arange(1, count + 1) * f0_hz
    phase = 2 * math.pi * harmonics[:, None] * t[None, :]
    audible = (harmonics < 0.5 * rate)[:, None]
    return np.hanning(frames), np.cos(phase) * audible, np.sin(phase) * audible


@dataclass(frozen=True)
class Deviation:
    """One place where the chain now differs from the stored fingerprint by more than the tolerance."""

    what: str  # "response 10.1 kHz", "gain reduction at -6 dBFS", "THD at 1 kHz"
    kind: str  # "response", "gain_reduction", "thd"
    channel: int  # 1-based return channel
    expected: float
    measured: float
    unit: str  # "dB"
    freq_hz: float | None = None
    level_dbfs: float | None = None

    @property
    def delta(self) -> float:
        return self.measured - self.expected


@dataclass
class Comparison:
    """A fingerprint against the stored one: every deviation beyond tolerance, and pass/fail."""

    tolerance_db: float
    deviations: list[Deviation] = field(default_factory=list)
    max_response_deviation_db: float = 0.0
    max_gain_reduction_deviation_db: float = 0.0
    thd_deviation_db: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.deviations


def compare(expected: Fingerprint, measured: Fingerprint, tolerance_db: float = 0.1,
            lo_hz: float = 20.0, hi_hz: float = 20000.0) -> Comparison:
    """Every band, level and channel whose reading moved by more than the tolerance.

    The response and the compression curve are held to tolerance_db. THD is a ratio of small
    signals that moves with noise: it is held to ten times the tolerance (1 dB at the default) and
    only where the harmonics stand clear of the noise (above -90 dB).
    """
    if expected.freqs_hz != measured.freqs_hz or expected.levels_dbfs != measured.levels_dbfs:
        raise ValueError("the fingerprints were measured with different bands or levels; measure again")
    result = Comparison(tolerance_db)
    for c, (exp_ch, got_ch) in enumerate(zip(expected.response_db, measured.response_db)):
        for f, e, m in zip(expected.freqs_hz, exp_ch, got_ch):
            if not lo_hz <= f <= hi_hz:
                continue
            result.max_response_deviation_db = max(result.max_response_deviation_db, abs(m - e))
            if abs(m - e) > tolerance_db:
                result.deviations.append(Deviation(f"response {band_name(f)}", "response", c + 1, e, m, "dB", freq_hz=f))
    for c, (exp_ch, got_ch) in enumerate(zip(expected.gain_db, measured.gain_db)):
        base_e, base_m = exp_ch[0], got_ch[0]
        for lvl, e, m in zip(expected.levels_dbfs[1:], exp_ch[1:], got_ch[1:]):
            gr_e, gr_m = base_e - e, base_m - m  # gain reduction relative to the quietest tone
            result.max_gain_reduction_deviation_db = max(result.max_gain_reduction_deviation_db, abs(gr_m - gr_e))
            if abs(gr_m - gr_e) > tolerance_db:
                result.deviations.append(Deviation(f"gain reduction at {lvl:+.0f} dBFS", "gain_reduction", c + 1,
                                                   round(gr_e, 3), round(gr_m, 3), "dB", level_dbfs=lvl))
    thd_tolerance = 10 * tolerance_db
    for c, (e, m) in enumerate(zip(expected.thd_db, measured.thd_db)):
        if max(e, m) < -90.0:
            continue
        result.thd_deviation_db = max(result.thd_deviation_db, abs(m - e))
        if abs(m - e) > thd_tolerance:
            result.deviations.append(Deviation(f"THD at {expected.tone_hz / 1000:g} kHz", "thd", c + 1, e, m, "dB",
                                               freq_hz=expected.tone_hz, level_dbfs=expected.thd_level_dbfs))
    return result


def band_name(freq_hz: float) -> str:
    return f"{freq_hz / 1000:.3g} kHz" if freq_hz >= 1000 else f"{freq_hz:.3g} Hz"
