"""Clean programme with fast transients, made in code (seeded): what a click detector must leave alone.

Each kind is a few seconds of one instrument played the way a mix has it (fast attacks, natural
decays, notes that end with a release), over a -70 dBFS noise floor (every bounce has one). None
holds a click: a detector that flags any of them cries wolf on real drums.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import signal

RATE = 48000
SECONDS = 3.0


def _env(n: int, rate: int, attack_ms: float, decay_s: float) -> np.ndarray:
    """Linear attack, exponential decay: the shape of a struck or plucked sound."""
    t = np.arange(n) / rate
    return np.minimum(1.0, t / (attack_ms * 1e-3)) * np.exp(-t / decay_s)


def _place(out: np.ndarray, sound: np.ndarray, start_s: float, rate: int) -> None:
    a = int(round(start_s * rate))
    b = min(len(out), a + len(sound))
    if b > a:
        out[a:b] += sound[: b - a]


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def kick(rng: np.random.Generator, rate: int) -> np.ndarray:
    """The reported case: a sine kick swept 145 -> 45 Hz, 2 ms attack, smooth decay, 120 bpm."""
    out = np.zeros(int(SECONDS * rate))
    n = int(0.45 * rate)
    t = np.arange(n) / rate
    freq = 45.0 + 100.0 * np.exp(-t / 0.03)
    body = _release(np.sin(2 * np.pi * np.cumsum(freq) / rate) * _env(n, rate, 2.0, 0.12), rate, 20.0)
    for start in np.arange(0.25, SECONDS - 0.5, 0.5):
        _place(out, body, start, rate)
    return out


def snare(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Two drum-head modes and band-passed wires, 1 ms attack, on 2 and 4."""
    out = np.zeros(int(SECONDS * rate))
    n = int(0.3 * rate)
    t = np.arange(n) / rate
    wires = signal.sosfilt(signal.butter(2, [1500, 9000], "bandpass", fs=rate, output="sos"), _noise(rng, n))
    hit = (0.6 * np.sin(2 * np.pi * 185 * t) + 0.3 * np.sin(2 * np.pi * 330 * t)) * _env(n, rate, 1.0, 0.04)
    hit += 1.5 * wires * _env(n, rate, 1.0, 0.07)
    for start in np.arange(0.5, SECONDS - 0.3, 1.0):
        _place(out, hit, start, rate)
    return out


def rimshot(rng: np.random.Generator, rate: int) -> np.ndarray:
    """The rim and the stick: a 0.3 ms attack ringing at 1.1 and 2.7 kHz for a few ms."""
    out = np.zeros(int(SECONDS * rate))
    n = int(0.08 * rate)
    t = np.arange(n) / rate
    ring = (np.sin(2 * np.pi * 1100 * t) + 0.6 * np.sin(2 * np.pi * 2700 * t + 1.0)) * _env(n, rate, 0.3, 0.006)
    crack = signal.sosfilt(signal.butter(2, 3000, "hp", fs=rate, output="sos"), _noise(rng, n)) * _env(n, rate, 0.2, 0.003)
    for start in np.arange(0.3, SECONDS - 0.1, 0.375):
        _place(out, ring + 0.8 * crack, start, rate)
    return out


def clap(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Four hands a few ms apart, then the room: band-passed noise bursts with 0.5 ms attacks."""
    out = np.zeros(int(SECONDS * rate))
    sos = signal.butter(2, [800, 5000], "bandpass", fs=rate, output="sos")
    for start in np.arange(0.4, SECONDS - 0.3, 0.5):
        for k, gap in enumerate((0.0, 0.009, 0.021, 0.031)):
            n = int(0.012 * rate) if k < 3 else int(0.25 * rate)
            burst = signal.sosfilt(sos, _noise(rng, n)) * _env(n, rate, 0.5, 0.003 if k < 3 else 0.05)
            _place(out, burst, start + gap, rate)
    return out


def hats(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Closed hi-hat sixteenths: high-passed noise, 0.3 ms attack, 25 ms decay, accents."""
    out = np.zeros(int(SECONDS * rate))
    n = int(0.1 * rate)
    sos = signal.butter(4, 7000, "hp", fs=rate, output="sos")
    for i, start in enumerate(np.arange(0.2, SECONDS - 0.1, 0.125)):
        level = 1.0 if i % 4 == 0 else 0.5
        _place(out, level * signal.sosfilt(sos, _noise(rng, n)) * _env(n, rate, 0.3, 0.025), start, rate)
    return out


def _harmonic_note(freq: float, n: int, rate: int, partials: int, tilt: float,
                   stretch: float = 0.0, rng: np.random.Generator | None = None) -> np.ndarray:
    """Partials k*f (k^2 stretched for a piano's stiff strings), higher ones decaying faster."""
    t = np.arange(n) / rate
    out = np.zeros(n)
    for k in range(1, partials + 1):
        f = k * freq * np.sqrt(1.0 + stretch * k * k)
        if f > 0.45 * rate:
            break
        phase = rng.uniform(0, 2 * np.pi) if rng is not None else 0.0
        out += np.sin(2 * np.pi * f * t + phase) / k**tilt * np.exp(-t * (1.0 + 0.8 * k))
    return out


def _release(note: np.ndarray, rate: int, release_ms: float = 8.0) -> np.ndarray:
    """End a note the way an instrument does: a short fade, not a cut."""
    r = int(release_ms * 1e-3 * rate)
    out = note.copy()
    out[-r:] *= np.linspace(1.0, 0.0, r)
    return out


def plucked_bass(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Fingered bass: 1 ms attack, bright pluck that darkens, each note released before the next."""
    out = np.zeros(int(SECONDS * rate))
    notes = [41.2, 55.0, 49.0, 61.7, 41.2, 73.4]
    length = 0.45
    for i, f in enumerate(notes):
        n = int(length * rate)
        note = _harmonic_note(f, n, rate, 20, 1.2, rng=rng) * _env(n, rate, 1.0, 0.6)
        _place(out, _release(note, rate), 0.2 + i * length, rate)
    return out


def piano(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Hammered chords and a melody over them: stretched partials, 1 ms attack, notes overlapping."""
    out = np.zeros(int(SECONDS * rate))
    chords = [(130.8, 164.8, 196.0), (110.0, 130.8, 164.8), (98.0, 123.5, 146.8), (130.8, 164.8, 196.0)]
    for i, chord in enumerate(chords):
        for j, f in enumerate(chord + (chord[0] * 4,)):
            n = int(1.2 * rate)
            note = _harmonic_note(f, n, rate, 14, 1.0, stretch=4e-4, rng=rng) * _env(n, rate, 1.0, 0.8)
            _place(out, 0.3 * _release(note, rate, 30.0), 0.2 + i * 0.7 + 0.004 * j, rate)
    for i in range(10):
        f = 523.3 * 2 ** (rng.choice([0, 2, 4, 7, 9]) / 12)
        n = int(0.4 * rate)
        note = _harmonic_note(f, n, rate, 10, 1.0, stretch=4e-4, rng=rng) * _env(n, rate, 1.0, 0.5)
        _place(out, 0.3 * _release(note, rate, 20.0), 0.35 + i * 0.25, rate)
    return out


def _karplus_strong(freq: float, n: int, rate: int, rng: np.random.Generator, damping: float = 0.996) -> np.ndarray:
    """A plucked string: a noise burst circulating in a delay line with a gentle low-pass."""
    period = int(round(rate / freq))
    a = np.zeros(period + 2)
    a[0], a[period], a[period + 1] = 1.0, -0.5 * damping, -0.5 * damping
    burst = np.zeros(n)
    burst[:period] = rng.uniform(-1, 1, period)
    return signal.lfilter([1.0], a, burst)


def strummed_guitar(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Down and up strums of an open chord, strings 6 ms apart, each string damped before the next strum."""
    out = np.zeros(int(SECONDS * rate))
    strings = [82.4, 123.5, 164.8, 207.7, 246.9, 329.6]
    length = 0.5
    for i, start in enumerate(np.arange(0.2, SECONDS - 0.5, length)):
        order = strings if i % 2 == 0 else strings[::-1]
        for j, f in enumerate(order):
            n = int((length - 0.04) * rate)
            tone = _karplus_strong(f, n, rate, rng) * _env(n, rate, 0.5, 1.0)
            _place(out, 0.2 * _release(tone, rate, 15.0), start + 0.006 * j, rate)
    return out


def synth_pluck(rng: np.random.Generator, rate: int) -> np.ndarray:
    """A band-limited saw through a low-pass whose cutoff falls fast: a bright 0.5 ms pluck."""
    out = np.zeros(int(SECONDS * rate))
    length = 0.1875
    for i, start in enumerate(np.arange(0.2, SECONDS - 0.3, length)):
        f = 220.0 * 2 ** (rng.choice([0, 3, 7, 10, 12]) / 12)
        n = int(length * rate)
        t = np.arange(n) / rate
        bright = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, int(0.45 * rate // f)))
        dark = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, 4))
        fade = np.exp(-t / 0.03)  # the filter closing: the top fades first
        note = (fade * bright + (1 - fade) * dark) * _env(n, rate, 0.5, 0.15)
        _place(out, 0.3 * _release(note, rate, 5.0), start, rate)
    return out


def distorted_guitar(rng: np.random.Generator, rate: int) -> np.ndarray:
    """Palm-muted power-chord chugs through a hard tube-like drive (tanh), 1 ms attacks, and a held chord."""
    out = np.zeros(int(SECONDS * rate))
    for i, start in enumerate(np.arange(0.2, 1.8, 0.125)):
        n = int(0.11 * rate)
        t = np.arange(n) / rate
        chord = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (82.4, 123.5, 164.8))
        _place(out, _release(np.tanh(6.0 * chord * _env(n, rate, 1.0, 0.05)), rate, 5.0), start, rate)
    n = int(1.0 * rate)
    t = np.arange(n) / rate
    chord = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (82.4, 123.5, 164.8, 246.9))
    held = np.tanh(8.0 * chord * _env(n, rate, 1.0, 0.8))
    _place(out, _release(held, rate, 20.0), 1.85, rate)
    return 0.5 * signal.sosfilt(signal.butter(2, 5000, "lp", fs=rate, output="sos"), out)


KINDS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "kick": kick, "snare": snare, "rimshot": rimshot, "clap": clap, "hats": hats,
    "plucked_bass": plucked_bass, "piano": piano, "strummed_guitar": strummed_guitar,
    "synth_pluck": synth_pluck, "distorted_guitar": distorted_guitar,
}


def programme(kind: str, seed: int = 7, rate: int = RATE, peak_dbfs: float = -3.0) -> np.ndarray:
    """One kind as a (frames, 2) mix peaking at peak_dbfs over a -70 dBFS floor, its last 0.3 s
    fading out (a bounce ends on a decay); "band" is all of them."""
    rng = np.random.default_rng(seed)
    kinds = list(KINDS) if kind == "band" else [kind]
    mono = sum(KINDS[k](rng, rate) for k in kinds)
    assert isinstance(mono, np.ndarray)
    mono *= 10 ** (peak_dbfs / 20) / np.max(np.abs(mono))
    fade = int(0.3 * rate)
    mono[-fade:] *= np.linspace(1.0, 0.0, fade) ** 2
    floor = 10 ** (-70 / 20) * rng.standard_normal((len(mono), 2))
    return np.column_stack([mono, mono]) + floor
