"""A unit's sound model (its profile's `sim:` section) at given settings, run block by block with state
kept: the simulated twins play it, and `hybrid verify` uses it to attribute a deviation to a control."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import numpy as np
from numba import njit

from devices.profile import Profile, Value
from devices.profile_schema import SimSpec
from dsp.delay import windowed_sinc
from dsp.dynamics import Compressor
from dsp.filters import apply_sos, high_shelf, identity_sos, low_shelf, peaking, proportional_q, sos_state, tilt

# The electronics of every unit: a coupling capacitor, one pole at 1 Hz, so DC never passes and the
# phase shift it leaves at 20 Hz stays under 3 degrees
_COUPLING_HZ = 1.0
# Noise is drawn this many frames at a time and used block by block
_NOISE_CHUNK_FRAMES = 1 << 15
# Half-length of the windowed-sinc that carries a unit's fractional latency (only units with latency)
_LATENCY_HALF_TAPS = 32


class UnitSound:
    """Electronics common to every unit: its filters (sos), a stage of saturation, noise and latency.

    Subclasses say what the controls do: `_sections(settings, rate)` gives the unit's filters and
    `_dynamics(block)` may change the level in time. The state (filter memories, envelope, delay
    line) carries over from one block to the next, as in a real stream.

    A unit whose bypass control is engaged is a relay from input to output: no filters, no coupling
    capacitor, no saturation, no noise of its own. Only its latency (sim.latency_ms: converters or
    a DSP core whose I/O the relay does not go around) stays in the path.
    """

    def __init__(self, profile: Profile, settings: Mapping[str, Value], rate: int, channels: int,
                 rng: np.random.Generator) -> None:
        sim = profile.sim or SimSpec(model="eq4")
        self.rate = rate
        self.settings = dict(settings)
        self.noise_rms = 10.0 ** (sim.noise_dbfs / 20.0)
        self.drive_db = sim.drive_db
        self.bias = 0.0
        self.output_gain = 1.0
        self.rng = rng
        self._noise_buffer = np.zeros((0, channels))
        self._noise_pos = 0
        self.bypassed = profile.is_bypassed(self.settings)
        if self.bypassed:
            self.sos = identity_sos()
            self.drive_db = -math.inf  # no saturating stage in the path at all
        else:
            self._configure(self.settings, rate)
            self.sos = np.vstack([coupling_sos(rate), *self._sections(self.settings, rate)])
        self.zi = sos_state(self.sos, channels)
        latency = sim.latency_ms * rate / 1000.0
        self.latency_samples = latency
        self._fir: np.ndarray | None = None
        if latency > 0:
            whole = math.floor(latency)
            half = min(_LATENCY_HALF_TAPS, whole)
            # a sinc centred half + fraction late, then whole - half more samples of plain delay
            taps = windowed_sinc(latency - whole, half, 1.0, 100.0) if half > 0 else _linear(latency - whole)
            pad = whole - half if half > 0 else whole
            self._fir = np.concatenate([np.zeros(pad), taps])
            self._fir_state = np.zeros((len(self._fir) - 1, channels))

    def carry_from(self, old: "UnitSound") -> None:
        """Take over the running state of the same unit before its panel moved: the capacitors keep
        their charge and the delay line its samples, so a control turned mid-stream changes the sound
        from there on instead of restarting the circuit from rest (a click). Sections that do not
        match (a relay switched the circuit in or out) start from rest, as a relay's click does."""
        if old.zi.shape == self.zi.shape and old.bypassed == self.bypassed:
            self.zi = old.zi.copy()
        elif not old.bypassed and not self.bypassed and old.zi.shape[1:] == self.zi.shape[1:]:
            self.zi[0] = old.zi[0]  # the coupling capacitor is always the first section
        if self._fir is not None and old._fir is not None and old._fir_state.shape == self._fir_state.shape:
            self._fir_state = old._fir_state.copy()
        self.rng, self._noise_buffer, self._noise_pos = old.rng, old._noise_buffer, old._noise_pos

    def _configure(self, settings: Mapping[str, Value], rate: int) -> None:
        """Set drive, bias and output gain from the panel (subclasses)."""

    def _sections(self, settings: Mapping[str, Value], rate: int) -> list[np.ndarray]:
        return []

    def _dynamics(self, block: np.ndarray) -> np.ndarray:
        return block

    def process(self, block: np.ndarray) -> np.ndarray:
        """The next block of (frames, channels) audio through the unit."""
        if self.bypassed:
            block = np.array(block, dtype=np.float64)  # a copy: the caller's block is never ours to keep
            return self._delay(block) if self._fir is not None else block
        y, self.zi = apply_sos(self.sos, block, self.zi)  # type: ignore[misc]
        y = self._dynamics(y)
        # the output stage in one pass: dsp.saturation.saturate's curve, the output gain, the noise
        g = 10.0 ** (self.drive_db / 20.0)
        tb = math.tanh(self.bias)
        out = np.empty_like(y)
        _output_stage(y, g, self.bias, tb, self.output_gain / (g * (1.0 - tb * tb)),
                      self._noise(y.shape), self.noise_rms, out)
        if self._fir is not None:
            out = self._delay(out)
        return out

    def _noise(self, shape: tuple[int, ...]) -> np.ndarray:
        """Unit-variance noise for the next block, drawn in large chunks (one draw per block costs more)."""
        frames = shape[0]
        if self._noise_pos + frames > self._noise_buffer.shape[0] or self._noise_buffer.shape[1] != shape[1]:
            self._noise_buffer = self.rng.standard_normal((max(_NOISE_CHUNK_FRAMES, frames), shape[1]))
            self._noise_pos = 0
        chunk = self._noise_buffer[self._noise_pos:self._noise_pos + frames]
        self._noise_pos += frames
        return chunk

    def _delay(self, y: np.ndarray) -> np.ndarray:
        out = np.empty_like(y)
        _fir_stream(cast(np.ndarray, self._fir), y, self._fir_state, out)
        return out


@njit(cache=True, nogil=True)
def _output_stage(y: np.ndarray, g: float, bias: float, tb: float, scale: float, noise: np.ndarray,
                  noise_rms: float, out: np.ndarray) -> None:
    """out = saturate(y, drive, bias) * output_gain + noise_rms * noise (scale folds in the gains)."""
    frames, channels = y.shape
    for i in range(frames):
        for c in range(channels):
            out[i, c] = (math.tanh(g * y[i, c] + bias) - tb) * scale + noise_rms * noise[i, c]


@njit(cache=True, nogil=True)
def _fir_stream(taps: np.ndarray, x: np.ndarray, history: np.ndarray, out: np.ndarray) -> None:
    """FIR over a block; history holds the previous len(taps) - 1 inputs (newest last) and is updated."""
    n_hist = history.shape[0]
    frames, channels = x.shape
    for c in range(channels):
        for i in range(frames):
            acc = 0.0
            for k in range(taps.shape[0]):
                j = i - k
                acc += taps[k] * (x[j, c] if j >= 0 else history[n_hist + j, c])
            out[i, c] = acc
        if frames >= n_hist:
            for k in range(n_hist):
                history[k, c] = x[frames - n_hist + k, c]
        else:
            for k in range(n_hist - frames):
                history[k, c] = history[k + frames, c]
            for k in range(frames):
                history[n_hist - frames + k, c] = x[k, c]


def coupling_sos(rate: int) -> np.ndarray:
    """A one-pole high-pass (a series capacitor) with unity gain at Nyquist."""
    pole = math.exp(-2.0 * math.pi * _COUPLING_HZ / rate)
    g = (1.0 + pole) / 2.0
    return np.array([[g, -g, 0.0, 1.0, -pole, 0.0]])


def _linear(fraction: float) -> np.ndarray:
    return np.array([1.0 - fraction, fraction])


class Eq4Sound(UnitSound):
    """The stepped 4-band EQ: shelf or bell at each end, two proportional-Q bells, an output trim."""

    def _configure(self, s: Mapping[str, Value], rate: int) -> None:
        self.output_gain = 10.0 ** (float(s["output_db"]) / 20.0)

    def _sections(self, s: Mapping[str, Value], rate: int) -> list[np.ndarray]:
        # a band at 0 dB is an exact pass-through section: every band keeps its slot, so the filter
        # memories carry over when a band is turned up from 0 mid-stream (carry_from)
        out = []
        for band in ("low", "high"):
            gain, freq = float(s[f"{band}_gain_db"]), float(s[f"{band}_freq_hz"])
            if gain == 0.0:
                out.append(identity_sos())
                continue
            if s[f"{band}_shape"] == "bell":
                out.append(peaking(freq, gain, proportional_q(0.7, gain), rate))
            elif band == "low":
                out.append(low_shelf(freq, gain, rate))
            else:
                out.append(high_shelf(freq, gain, rate))
        for band in ("lowmid", "highmid"):
            gain = float(s[f"{band}_gain_db"])
            out.append(peaking(float(s[f"{band}_freq_hz"]), gain, proportional_q(float(s[f"{band}_q"]), gain), rate)
                       if gain != 0.0 else identity_sos())
        return out


class BusCompSound(UnitSound):
    """The VCA bus compressor: feed-forward, 6 dB soft knee, stepped times, auto release, S/C HPF, mix."""

    def _configure(self, s: Mapping[str, Value], rate: int) -> None:
        release = s["release_s"]
        hpf = s["sidechain_hpf_hz"]
        self.comp = Compressor(
            rate, threshold_db=float(s["threshold_db"]), ratio=float(s["ratio"]), attack_ms=float(s["attack_ms"]),
            release_ms="auto" if release == "auto" else float(release) * 1000.0, knee_db=6.0,
            makeup_db=float(s["makeup_db"]), sidechain_hpf_hz=None if hpf == "off" else float(hpf),
            mix=float(s["mix_pct"]) / 100.0)

    def carry_from(self, old: UnitSound) -> None:
        super().carry_from(old)
        if isinstance(old, BusCompSound) and hasattr(old, "comp") and hasattr(self, "comp"):
            self.comp.take_state(old.comp)

    def _dynamics(self, block: np.ndarray) -> np.ndarray:
        if self.comp.mix == 0.0:
            return block  # the dry path only: the VCA is out of the signal
        out, _ = self.comp.process(block)
        return out


_MODES = {"clean": (0.0, 0.0), "warm": (6.0, 0.08), "hot": (12.0, 0.18)}  # extra drive dB, tube bias


class TubeColorSound(UnitSound):
    """The tube colour unit: drive and mode move the tube's operating point; tilt, air and output."""

    def _configure(self, s: Mapping[str, Value], rate: int) -> None:
        extra_db, bias = _MODES[str(s["mode"])]
        drive = float(s["drive_db"]) + extra_db
        self.drive_db = self.drive_db + drive
        self.bias = bias
        # the drive control is level-compensated on the panel: more colour, same loudness
        self.output_gain = 10.0 ** (float(s["output_db"]) / 20.0)

    def _sections(self, s: Mapping[str, Value], rate: int) -> list[np.ndarray]:
        out = [tilt(800.0, float(s["tilt_db"]), rate)]
        air = float(s["air_db"])
        out.append(high_shelf(min(16000.0, 0.4 * rate), air, rate, q=0.6) if air != 0.0 else identity_sos())
        return out


class PassiveEqSound(UnitSound):
    """The passive program EQ: boost and cut at the same low frequency, a high bell and a high shelf cut."""

    def _sections(self, s: Mapping[str, Value], rate: int) -> list[np.ndarray]:
        # every stage keeps its slot (a pass-through at 0), so the memories carry over (carry_from)
        out = []
        low_hz = float(s["low_freq_hz"])
        # the boost shelf sits a little higher than the attenuation shelf: the famous dip between
        out.append(low_shelf(low_hz * 1.3, 1.35 * float(s["low_boost"]), rate, q=0.55)
                   if float(s["low_boost"]) else identity_sos())
        out.append(low_shelf(low_hz * 0.8, -1.75 * float(s["low_atten"]), rate, q=0.55)
                   if float(s["low_atten"]) else identity_sos())
        # bandwidth 1 (sharp) to 10 (broad): Q 2.5 down to 0.4 on a log scale
        q = 2.5 * (0.4 / 2.5) ** ((float(s["bandwidth"]) - 1.0) / 9.0)
        out.append(peaking(float(s["high_freq_hz"]), 1.6 * float(s["high_boost"]), q, rate)
                   if float(s["high_boost"]) else identity_sos())
        out.append(high_shelf(float(s["atten_freq_hz"]), -2.0 * float(s["high_atten"]), rate, q=0.6)
                   if float(s["high_atten"]) else identity_sos())
        return out


SOUNDS: dict[str, type[UnitSound]] = {
    "eq4": Eq4Sound, "bus_comp": BusCompSound, "tube_color": TubeColorSound, "passive_eq": PassiveEqSound,
}


def sound_for(profile: Profile, settings: Mapping[str, Value], rate: int, channels: int,
              rng: np.random.Generator) -> UnitSound:
    """The sound model of a unit (its profile's sim.model) at the given panel settings."""
    model = profile.sim.model if profile.sim is not None else None
    cls = SOUNDS.get(model or "", UnitSound)
    return cls(profile, settings, rate, channels, rng)
