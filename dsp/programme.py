"""Synthetic programme material made in code: short stereo songs (drums, bass, chords, a little noise),
seeded, for the demo record and for tests that need music rather than tones."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft, signal

RATE_HZ = 48000
PEAK_DBFS = -6.0  # a mix arrives with headroom for the chain and the limiter
LEAD_IN_S = 0.25
# every sound opens and closes with a short ramp: a note that starts or stops on a hard edge is a click
_ATTACK_S = 0.0015
_RELEASE_S = 0.01


@dataclass(frozen=True)
class Song:
    """One demo song: tempo, key (root MIDI note), chord progression (semitones over the root), feel."""

    slug: str
    title: str
    bpm: float
    root: int
    progression: tuple[tuple[int, ...], ...]
    bars: int
    swing: float
    brightness_hz: float
    level_db: float


SONGS = (
    Song("first-light", "First Light", 112, 45, ((0, 4, 7), (-3, 0, 4), (5, 9, 12), (7, 11, 14)), 4, 0.0, 3500, -1.0),
    Song("night-drive", "Night Drive", 96, 40, ((0, 3, 7), (-4, 0, 3), (-2, 2, 5), (-5, -2, 2)), 4, 0.12, 2200, -3.0),
    Song("last-call", "Last Call", 124, 41, ((0, 4, 7, 11), (5, 9, 12, 16), (2, 5, 9, 12), (7, 11, 14, 17)), 5, 0.0, 5000, 0.0),
)


def render_song(song: Song, rate: int = RATE_HZ, seed: int = 0) -> np.ndarray:
    """The song's stereo mix, (frames, 2) float64, peak at PEAK_DBFS + the song's level offset."""
    rng = np.random.default_rng(seed)
    beat_s = 60.0 / song.bpm
    # a breath of silence before the first hit, as a bounced mix has, and a short ring-out after
    lead_s = LEAD_IN_S
    frames = int(round((lead_s + song.bars * 4 * beat_s) * rate)) + int(0.6 * rate)
    mix = np.zeros((frames, 2))
    for bar in range(song.bars):
        chord = song.progression[bar % len(song.progression)]
        bar_start = lead_s + bar * 4 * beat_s
        for beat in range(4):
            t0 = bar_start + beat * beat_s
            if beat in (0, 2):
                _add(mix, _kick(rate), t0, rate, pan=0.0, gain=0.5)
            if beat in (1, 3):
                _add(mix, _snare(rate, rng), t0, rate, pan=0.05, gain=0.3)
            for eighth in (0, 1):
                late = song.swing * beat_s if eighth else 0.0
                _add(mix, _hat(rate, rng), t0 + eighth * beat_s / 2 + late, rate, pan=0.35, gain=0.16)
            note = song.root + (chord[0] if beat % 2 == 0 else chord[0] + 12 * (beat == 3) + 7 * (beat == 1))
            _add(mix, _bass(rate, _hz(note - 12), beat_s * 0.9), t0, rate, pan=0.0, gain=0.4)
        pad = _pad(rate, [_hz(song.root + 12 + n) for n in chord], 4 * beat_s, song.brightness_hz, rng)
        _add_stereo(mix, pad, bar_start, rate, gain=0.3)
    mix += 10 ** (-62 / 20) * _pink(frames, rng)  # the mix's own floor: tape, a room, a synth's hiss
    peak = np.max(np.abs(mix))
    return mix * (10 ** ((PEAK_DBFS + song.level_db) / 20) / peak)


def _hz(midi_note: float) -> float:
    return 440.0 * 2 ** ((midi_note - 69) / 12)


def _add(mix: np.ndarray, sound: np.ndarray, at_s: float, rate: int, pan: float, gain: float) -> None:
    sound = _edges(sound, rate)
    left, right = math.cos((pan + 1) * math.pi / 4), math.sin((pan + 1) * math.pi / 4)  # equal-power pan
    _add_stereo(mix, np.stack([sound * left, sound * right], axis=1) * math.sqrt(2), at_s, rate, gain)


def _add_stereo(mix: np.ndarray, sound: np.ndarray, at_s: float, rate: int, gain: float) -> None:
    start = int(round(at_s * rate))
    stop = min(mix.shape[0], start + sound.shape[0])
    if stop > start:
        mix[start:stop] += gain * sound[: stop - start]


def _edges(sound: np.ndarray, rate: int) -> np.ndarray:
    attack, release = int(_ATTACK_S * rate), int(_RELEASE_S * rate)
    envelope = np.ones(sound.shape[0])
    envelope[:attack] = np.linspace(0.0, 1.0, attack)
    envelope[-release:] = np.minimum(envelope[-release:], np.linspace(1.0, 0.0, release))
    return sound * (envelope if sound.ndim == 1 else envelope[:, None])


def _kick(rate: int) -> np.ndarray:
    t = np.arange(int(0.35 * rate)) / rate
    freq = 48 + 110 * np.exp(-t / 0.03)  # the pitch drop that makes a kick a kick
    phase = 2 * math.pi * np.cumsum(freq) / rate
    return np.sin(phase) * np.exp(-t / 0.09)


def _snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.25 * rate)) / rate
    body = np.sin(2 * math.pi * 190 * t) * np.exp(-t / 0.04)
    sos = signal.butter(2, [1500, 9000], btype="bandpass", fs=rate, output="sos")
    rattle = signal.sosfilt(sos, rng.standard_normal(t.size)) * np.exp(-t / 0.07)
    return 0.6 * body + 1.4 * rattle


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.06 * rate)) / rate
    sos = signal.butter(4, 7000, btype="highpass", fs=rate, output="sos")
    return signal.sosfilt(sos, rng.standard_normal(t.size)) * np.exp(-t / 0.015)


def _bass(rate: int, freq: float, length_s: float) -> np.ndarray:
    t = np.arange(int(length_s * rate)) / rate
    # a few harmonics of a saw, rolled off: round, audible on small speakers
    tone = sum(np.sin(2 * math.pi * k * freq * t) / k ** 1.6 for k in range(1, 7))
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t / (0.6 * length_s))
    return tone * envelope


def _pad(rate: int, freqs: list[float], length_s: float, brightness_hz: float,
         rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(length_s * rate)) / rate
    out = np.zeros((t.size, 2))
    for f in freqs:
        for side, detune in ((0, 0.997), (1, 1.003)):  # detuned voices left and right: width
            phase = rng.uniform(0, 2 * math.pi)
            out[:, side] += sum(np.sin(2 * math.pi * k * f * detune * t + phase) / k for k in range(1, 9))
    sos = signal.butter(2, brightness_hz, btype="lowpass", fs=rate, output="sos")
    out = signal.sosfilt(sos, out, axis=0)
    attack = np.minimum(1.0, t / 0.15)
    release = np.minimum(1.0, (length_s - t) / 0.2)
    return out * (attack * release)[:, None] / len(freqs)


def _pink(frames: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo pink noise (-3 dB/octave) by shaping white noise in the frequency domain."""
    n = sp_fft.next_fast_len(frames, real=True)
    spectrum = sp_fft.rfft(rng.standard_normal((n, 2)), axis=0)
    f = np.arange(spectrum.shape[0], dtype=np.float64)
    spectrum[1:] /= np.sqrt(f[1:])[:, None]
    pink = sp_fft.irfft(spectrum, n, axis=0)[:frames]
    return pink / np.sqrt(np.mean(pink ** 2))
