"""A feed-forward compressor: soft knee, attack/release or program-dependent (auto) release, sidechain HPF, makeup, mix.

The detector is the peak of the (optionally high-passed) sidechain, linked across channels. The gain
computer has a quadratic soft knee (Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor
Design", JAES 2012); the gain reduction in dB is smoothed with separate attack and release times.
Auto release runs two smoothers, a fast one (60 ms) and a slow one (1.2 s, charging over 0.4 s);
the deeper of the two wins, so short peaks recover quickly while sustained compression recovers slowly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from dsp.filters import apply_sos, highpass, sos_state

__all__ = ["Compressor", "compress", "static_curve_db"]

_AUTO_FAST_RELEASE_S = 0.06
_AUTO_SLOW_RELEASE_S = 1.2
_AUTO_SLOW_ATTACK_S = 0.4


def static_curve_db(level_db: np.ndarray | float, threshold_db: float, ratio: float, knee_db: float
                    ) -> np.ndarray:
    """Gain reduction in dB (>= 0) the gain computer asks for at a steady input level."""
    x = np.asarray(level_db, dtype=np.float64)
    over = x - threshold_db
    slope = 1.0 / ratio - 1.0
    out = np.where(over > knee_db / 2.0, -slope * over, 0.0)
    if knee_db > 0:
        inside = np.abs(over) <= knee_db / 2.0
        out = np.where(inside, -slope * (over + knee_db / 2.0) ** 2 / (2.0 * knee_db), out)
    return out


@njit(cache=True, nogil=True)
def _run(detector: np.ndarray, threshold_db: float, ratio: float, knee_db: float, attack: float,
         release: float, auto: bool, slow_attack: float, slow_release: float, state: np.ndarray) -> np.ndarray:
    """Per-sample gain reduction (dB, >= 0) from a linked peak detector; state = [fast, slow] carried on."""
    n = detector.shape[0]
    out = np.empty(n)
    fast = state[0]
    slow = state[1]
    slope = 1.0 / ratio - 1.0
    half = knee_db / 2.0
    for i in range(n):
        peak = 0.0
        for c in range(detector.shape[1]):
            v = abs(detector[i, c])
            if v > peak:
                peak = v
        level = 20.0 * math.log10(peak) if peak > 1e-10 else -200.0
        over = level - threshold_db
        if over > half:
            target = -slope * over
        elif knee_db > 0.0 and over > -half:
            target = -slope * (over + half) * (over + half) / (2.0 * knee_db)
        else:
            target = 0.0
        if target > fast:
            fast = attack * fast + (1.0 - attack) * target
        else:
            fast = release * fast + (1.0 - release) * target
        if auto:
            if target > slow:
                slow = slow_attack * slow + (1.0 - slow_attack) * target
            else:
                slow = slow_release * slow + (1.0 - slow_release) * target
            out[i] = fast if fast > slow else slow
        else:
            out[i] = fast
    state[0] = fast
    state[1] = slow
    return out


def _coefficient(time_s: float, rate: float) -> float:
    """One-pole smoothing coefficient reaching 1 - 1/e of a step in time_s."""
    return math.exp(-1.0 / (time_s * rate)) if time_s > 0 else 0.0


@dataclass
class Compressor:
    """A compressor that keeps its envelope between blocks, for streaming (call process block by block)."""

    rate: float
    threshold_db: float
    ratio: float
    attack_ms: float
    release_ms: float | str  # a time, or "auto" for program-dependent release
    knee_db: float = 6.0
    makeup_db: float = 0.0
    sidechain_hpf_hz: float | None = None
    mix: float = 1.0  # 1 = all compressed, 0 = all dry

    def __post_init__(self) -> None:
        if not self.ratio >= 1.0:
            raise ValueError(f"ratio must be 1 or more, got {self.ratio}")
        if not 0.0 <= self.mix <= 1.0:
            raise ValueError(f"mix must be between 0 and 1, got {self.mix}")
        if self.knee_db < 0 or self.attack_ms < 0:
            raise ValueError("knee_db and attack_ms must not be negative")
        self.auto = self.release_ms == "auto"
        if not self.auto and (isinstance(self.release_ms, str) or self.release_ms <= 0):
            raise ValueError(f"release_ms must be a time above zero or 'auto', got {self.release_ms!r}")
        release_s = _AUTO_FAST_RELEASE_S if self.auto else float(self.release_ms) / 1000.0  # type: ignore[arg-type]
        self._attack = _coefficient(self.attack_ms / 1000.0, self.rate)
        self._release = _coefficient(release_s, self.rate)
        self._slow_attack = _coefficient(_AUTO_SLOW_ATTACK_S, self.rate)
        self._slow_release = _coefficient(_AUTO_SLOW_RELEASE_S, self.rate)
        self._makeup = 10.0 ** (self.makeup_db / 20.0)
        self._envelope = np.zeros(2)
        self._sc_sos = highpass(self.sidechain_hpf_hz, self.rate) if self.sidechain_hpf_hz else None
        self._sc_zi: np.ndarray | None = None

    def take_state(self, other: "Compressor") -> None:
        """Carry on from another compressor's envelope (and side-chain filter memory, when it has the
        same filter): a setting changed mid-stream keeps the gain where it was instead of restarting."""
        self._envelope = other._envelope.copy()
        if other._sc_zi is not None and self.sidechain_hpf_hz == other.sidechain_hpf_hz:
            self._sc_zi = other._sc_zi.copy()

    def process(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(compressed audio, gain reduction in dB per frame) for the next block of (frames, channels)."""
        audio = np.asarray(audio, dtype=np.float64)
        if audio.ndim != 2:
            raise ValueError(f"audio must be shaped (frames, channels), got {audio.shape}")
        detector = audio
        if self._sc_sos is not None:
            if self._sc_zi is None:
                self._sc_zi = sos_state(self._sc_sos, audio.shape[1])
            detector, self._sc_zi = apply_sos(self._sc_sos, audio, self._sc_zi)  # type: ignore[misc]
        reduction_db = _run(np.ascontiguousarray(detector), float(self.threshold_db), float(self.ratio),
                            float(self.knee_db), self._attack, self._release, self.auto, self._slow_attack,
                            self._slow_release, self._envelope)
        gain = 10.0 ** (-reduction_db / 20.0) * self._makeup
        wet = audio * gain[:, None]
        out = wet if self.mix == 1.0 else self.mix * wet + (1.0 - self.mix) * audio
        return out, reduction_db


def compress(audio: np.ndarray, rate: float, threshold_db: float, ratio: float, attack_ms: float,
             release_ms: float | str, knee_db: float = 6.0, makeup_db: float = 0.0,
             sidechain_hpf_hz: float | None = None, mix: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Compress (frames, channels) audio from rest; returns (audio, gain_reduction_db shaped (frames,))."""
    comp = Compressor(rate, threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db, sidechain_hpf_hz, mix)
    return comp.process(audio)
