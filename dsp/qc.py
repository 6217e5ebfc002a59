"""Measurements behind mix evaluation: clipping, DC, stereo image, dynamics, hum, noise, edges
(clicks in dsp.clicks, re-exported here).

Pure numbers: every function takes (frames, channels) float audio at full scale 1.0 and a rate,
and returns figures in the units its name says. hybrid.mix_evaluation turns them into findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dsp._audio import measurable_frames as _check
from dsp.clicks import Click, clicks

__all__ = [
    "Click", "ClipRun", "Edges", "Hum", "NoiseFloor",
    "balance_db", "clicks", "clipped_runs", "correlation", "correlation_over_time", "crest_factor_db",
    "dc_offset_dbfs", "edges", "hum", "level_over_time_dbfs", "mono_fold_loss_db", "noise_floor",
    "peaks_at_ceiling_per_min", "power_db", "rms_dbfs", "runs",
]

_SILENCE_DB = -150.0  # what we report instead of -inf for a window of digital silence


def power_db(power: np.ndarray | float, floor_db: float = _SILENCE_DB) -> np.ndarray | float:
    """10 log10 of a power (or power ratio), never below floor_db (silence stays finite)."""
    with np.errstate(divide="ignore"):
        return np.maximum(10.0 * np.log10(power), floor_db)


def _envelope(x: np.ndarray) -> np.ndarray:
    """|sample| of the loudest channel at each frame (column by column: numpy reduces a short
    last axis slowly)."""
    env = np.abs(x[:, 0])
    for ch in range(1, x.shape[1]):
        np.maximum(env, np.abs(x[:, ch]), out=env)
    return env


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of the runs of True in a 1-D mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return starts, ends - starts


# --- clipping ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClipRun:
    """Consecutive samples stuck at full scale on one channel."""

    channel: int
    start_frame: int
    length_samples: int


def clipped_runs(audio: np.ndarray, min_run: int = 3, threshold_dbfs: float = -0.01,
                 flat_tolerance: float = 1e-5) -> list[ClipRun]:
    """Runs of at least min_run samples at or above threshold_dbfs that sit flat (a clipped top).

    Flatness (consecutive samples within flat_tolerance) keeps the rounded top of a sine that just
    touches full scale from reading as a clip: above 30 Hz its top samples differ by more than that.
    """
    x = _check(audio)
    if min_run < 2:
        raise ValueError(f"min_run must be 2 or more, got {min_run}")
    level = 10.0 ** (threshold_dbfs / 20.0)
    found = []
    for ch in range(x.shape[1]):
        col = x[:, ch]
        hot = np.abs(col) >= level
        flat_pair = hot[1:] & hot[:-1] & (np.abs(np.diff(col)) <= flat_tolerance)
        starts, lengths = runs(flat_pair)
        for start, pairs in zip(starts, lengths):
            if pairs + 1 >= min_run:
                found.append(ClipRun(ch, int(start), int(pairs + 1)))
    return sorted(found, key=lambda r: (r.start_frame, r.channel))


# --- level, DC, dynamics ----------------------------------------------------------------------

def rms_dbfs(audio: np.ndarray) -> float:
    """RMS over all channels in dBFS, AES17 (a full-scale sine reads 0 dBFS)."""
    x = _check(audio)
    return float(power_db(2.0 * np.mean(x * x)))


def dc_offset_dbfs(audio: np.ndarray) -> np.ndarray:
    """Per channel: the mean value in dBFS (20 log10 |mean|; -150 for none)."""
    x = _check(audio)
    with np.errstate(divide="ignore"):
        return np.maximum(20.0 * np.log10(np.abs(x.mean(axis=0))), _SILENCE_DB)


def crest_factor_db(audio: np.ndarray) -> float:
    """Sample peak over RMS, in dB (a sine reads 3.01 dB); both over all channels."""
    x = _check(audio)
    peak = float(np.max(np.abs(x)))
    mean_square = float(np.mean(x * x))
    if mean_square == 0.0:
        return 0.0
    return float(20.0 * np.log10(peak) - 10.0 * np.log10(mean_square))


def peaks_at_ceiling_per_min(audio: np.ndarray, rate: float, within_db: float = 0.3,
                             merge_ms: float = 5.0) -> float:
    """How often the signal comes back up to its own peak level: events per minute.

    A limiter-flattened mix bus hits the same ceiling hundreds of times a minute; a mix with
    natural dynamics reaches its loudest peak a handful of times. Events closer than merge_ms
    count once (one drum hit, one event).
    """
    x = _check(audio, rate)
    envelope = _envelope(x)
    peak = float(envelope.max())
    if peak == 0.0:
        return 0.0
    hot = envelope >= peak * 10.0 ** (-within_db / 20.0)
    idx = np.flatnonzero(hot)
    gap = int(round(merge_ms * 1e-3 * rate))
    events = 1 + int(np.count_nonzero(np.diff(idx) > gap))
    return events / (x.shape[0] / rate / 60.0)


def level_over_time_dbfs(audio: np.ndarray, rate: float, window_s: float = 0.05
                         ) -> tuple[np.ndarray, np.ndarray]:
    """RMS level (AES17 dBFS, channels' power averaged) in consecutive windows: (start_s, level)."""
    x = _check(audio, rate)
    n = max(1, int(round(window_s * rate)))
    count = x.shape[0] // n
    if count == 0:
        return np.array([0.0]), np.array([rms_dbfs(x)])
    power = (x[: count * n] ** 2).reshape(count, n, x.shape[1]).mean(axis=(1, 2))
    return np.arange(count) * n / rate, np.asarray(power_db(2.0 * power))


# --- stereo image ----------------------------------------------------------------------------

def correlation(audio: np.ndarray) -> float | None:
    """Phase correlation of left and right (+1 mono, 0 unrelated, -1 out of phase); None if not stereo
    or silent."""
    x = _check(audio)
    if x.shape[1] != 2:
        return None
    left, right = x[:, 0], x[:, 1]
    denom = float(np.sqrt(np.dot(left, left) * np.dot(right, right)))
    return float(np.dot(left, right) / denom) if denom > 0 else None


def correlation_over_time(audio: np.ndarray, rate: float, window_s: float = 0.4, step_s: float = 0.1
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Correlation in sliding windows: (centre_s, correlation); NaN where a window is silent."""
    x = _check(audio, rate)
    if x.shape[1] != 2:
        raise ValueError(f"correlation needs 2 channels, got {x.shape[1]}")
    win = max(1, int(round(window_s * rate)))
    hop = max(1, int(round(step_s * rate)))
    lr = np.concatenate([[0.0], np.cumsum(x[:, 0] * x[:, 1])])
    ll = np.concatenate([[0.0], np.cumsum(x[:, 0] ** 2)])
    rr = np.concatenate([[0.0], np.cumsum(x[:, 1] ** 2)])
    starts = np.arange(0, max(1, x.shape[0] - win + 1), hop)
    ends = np.minimum(starts + win, x.shape[0])
    num = lr[ends] - lr[starts]
    den = np.sqrt(np.maximum(ll[ends] - ll[starts], 0.0) * np.maximum(rr[ends] - rr[starts], 0.0))
    # Running sums lose precision on long files: treat near-zero energy as silence.
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(den > 1e-12 * win, num / den, np.nan)
    return (starts + ends) / 2.0 / rate, np.clip(corr, -1.0, 1.0)


def mono_fold_loss_db(audio: np.ndarray) -> float | None:
    """Level lost when folding to mono ((L+R)/2) against the channels' mean power, in dB (>= 0
    loses; 0 for a mono mix, 3 for unrelated channels, large for out-of-phase); None if not stereo."""
    x = _check(audio)
    if x.shape[1] != 2:
        return None
    stereo = float(np.mean(x * x))
    if stereo == 0.0:
        return None
    mono = float(np.mean((0.5 * (x[:, 0] + x[:, 1])) ** 2))
    return float(-power_db(mono / stereo)) if mono > 0 else float(-_SILENCE_DB)


def balance_db(audio: np.ndarray) -> float | None:
    """Left minus right RMS level in dB (positive = leans left); None if not stereo or one side silent."""
    x = _check(audio)
    if x.shape[1] != 2:
        return None
    power = np.mean(x * x, axis=0)
    if np.any(power == 0.0):
        return None
    return float(10.0 * np.log10(power[0] / power[1]))


# --- hum ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hum:
    """Mains hum: a steady tone at 50 or 60 Hz and its harmonics through the whole track."""

    mains_hz: float
    harmonics: tuple[int, ...]  # which multiples stand out in every part of the track
    level_dbfs: float  # RMS level (AES17) of the harmonics that show at all (3 dB or more)
    prominence_db: float  # the strongest harmonic over the spectrum around it


def hum(audio: np.ndarray, rate: float, prominence_db: float = 10.0, max_harmonic: int = 6
        ) -> Hum | None:
    """Look for mains hum at 50 and 60 Hz and their harmonics.

    Two spectra with 0.5 Hz bins (2 s Hann segments, 1 s apart): the average over the whole track,
    where a steady tone keeps its power in a bin or two while held bass notes come and go, and the
    average over the quietest quarter of the segments, where hum that the music masks is exposed
    (intros, breaks, fades). A harmonic counts when it stands prominence_db above the median of
    the spectrum 2-12 Hz around it in either. Hum is found when the fundamental stands 2 dB
    further out, or two or more harmonics count, or one stands 6 dB further out while another shows
    at least 3 dB. Returns the stronger of 50 and 60 Hz, or None.
    """
    x = _check(audio, rate)
    mono = x[:, 0].copy()
    for ch in range(1, x.shape[1]):
        mono += x[:, ch]
    mono /= x.shape[1]
    freqs, spectra, power = _segment_spectra(mono, rate, top_hz=max_harmonic * 60.0 + 20.0)
    quiet = spectra[power <= np.percentile(power, 25.0)]
    views = [spectra.mean(axis=0), quiet.mean(axis=0)]
    best: Hum | None = None
    for mains in (50.0, 60.0):
        present, prominences, powers = [], [], []
        hints = 0
        for k in range(1, max_harmonic + 1):
            if k * mains > rate / 2 - 20:
                break
            # Level from the whole-track average: hum is steady, so that is its level.
            readings = [_tone(freqs, psd, k * mains, 0.3 * k) for psd in views]
            prominence = max(p for p, _ in readings)
            if prominence >= 3.0:
                hints += 1
                powers.append(readings[0][1])
            if prominence >= prominence_db:
                present.append(k)
                prominences.append(prominence)
        strong_fundamental = bool(present) and present[0] == 1 and prominences[0] >= prominence_db + 2.0
        # A bass line can crowd the fundamental; then one harmonic standing far out, with another
        # showing at all, is still the buzz of a power supply.
        standout = bool(prominences) and max(prominences) >= prominence_db + 6.0 and hints >= 2
        if strong_fundamental or len(present) >= 2 or standout:
            found = Hum(mains, tuple(present), float(power_db(2.0 * sum(powers))), float(max(prominences)))
            if best is None or found.level_dbfs > best.level_dbfs:
                best = found
    return best


def _segment_spectra(mono: np.ndarray, rate: float, top_hz: float, segment_s: float = 2.0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Periodograms (density, FS^2/Hz) of Hann segments below top_hz: (freqs, per segment, segment power)."""
    n = int(round(segment_s * rate))
    if len(mono) < n:
        mono = np.concatenate([mono, np.zeros(n - len(mono))])
    hop = n // 2
    window = np.hanning(n)
    scale = 2.0 / (rate * np.sum(window**2))  # one-sided density
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    keep = int(np.count_nonzero(freqs <= top_hz))
    rows, power = [], []
    for start in range(0, len(mono) - n + 1, hop):
        seg = mono[start: start + n]
        spectrum = np.fft.rfft(seg * window)[:keep]  # only the bins hum can live in
        rows.append((spectrum.real**2 + spectrum.imag**2) * scale)
        power.append(float(np.dot(seg, seg)))
    return freqs[:keep], np.array(rows), np.array(power)


def _tone(freqs: np.ndarray, psd: np.ndarray, f: float, tolerance_hz: float = 0.3) -> tuple[float, float]:
    """(prominence in dB over the neighbourhood, mean-square power) of a steady tone at f.

    The strongest bin nearby must sit on f: its frequency, refined by a parabola through the log
    levels of its neighbours, within tolerance_hz (mains drifts a little; harmonic k drifts k
    times as far, so callers scale it). A bass note on G1 (49.0 Hz) leaks into the
    bins beside 50 Hz but peaks a hertz away, so it is not hum.
    """
    df = freqs[1] - freqs[0]
    search = np.flatnonzero(np.abs(freqs - f) <= max(1.5, tolerance_hz + 0.5))
    ring = (np.abs(freqs - f) >= 2.0 + tolerance_hz) & (np.abs(freqs - f) <= 12.0 + tolerance_hz)
    if len(search) == 0 or not ring.any():
        return -np.inf, 0.0
    top = int(search[np.argmax(psd[search])])
    peak = float(psd[top])
    if 0 < top < len(psd) - 1 and peak > 0 and psd[top - 1] > 0 and psd[top + 1] > 0:
        a, b, c = np.log(psd[top - 1]), np.log(peak), np.log(psd[top + 1])
        bend = a - 2.0 * b + c
        offset = 0.5 * (a - c) / bend if bend < 0 else 0.0
    else:
        offset = 0.0
    if abs(freqs[top] + offset * df - f) > tolerance_hz:
        return -np.inf, 0.0
    # +-0.55 Hz holds a Hann main lobe at 0.5 Hz bins (three bins: all of a steady tone's power).
    near = np.abs(freqs - freqs[top]) <= 0.55
    floor = float(np.median(psd[ring]))
    power = max(0.0, float(psd[near].sum() - floor * near.sum())) * df
    if floor <= 0.0:
        return (np.inf if peak > 0 else -np.inf), power
    return float(10.0 * np.log10(max(peak, 1e-300) / floor)), power


# --- noise floor -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoiseFloor:
    """The level of the quietest passages, and whether they sound like noise rather than music."""

    floor_dbfs: float  # median level of the quietest 5 % of 50 ms windows (not counting digital silence)
    programme_dbfs: float  # 95th percentile of the same windows: the loud parts
    flatness: float  # spectral flatness of the quiet windows over 1-16 kHz, 0 (tonal) .. 1 (white)
    hiss_dbfs: float  # level of the quiet windows over 1-16 kHz, where hiss lives (AES17)
    quiet_times_s: tuple[float, ...]  # where the quietest windows are (a few)


def noise_floor(audio: np.ndarray, rate: float, window_s: float = 0.05) -> NoiseFloor | None:
    """Measure the floor under the music in the quietest passages; None for digital silence or
    audio of fewer than 16 samples."""
    x = _check(audio, rate)
    starts, levels = level_over_time_dbfs(x, rate, window_s)
    live = levels > _SILENCE_DB + 1.0
    if not live.any():
        return None
    quiet_level = np.percentile(levels[live], 5.0)
    quiet = np.flatnonzero(live & (levels <= quiet_level))
    # audio shorter than one window is measured as one window of its own length (level_over_time
    # gave it one level); under 16 samples there is no spectrum to speak of
    n = min(max(16, int(round(window_s * rate))), x.shape[0])
    if n < 16:
        return None
    # Each quiet window of each channel on its own (Hann): glued together they would click at the
    # seams. The median over them, per bin, ignores the odd window of music among the quiet ones;
    # for noise the median of a periodogram bin is ln 2 of its mean, hence the correction.
    frames = np.concatenate([x[i * n: (i + 1) * n].T for i in quiet if (i + 1) * n <= x.shape[0]])
    window = np.hanning(n)
    spectra = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2 * (2.0 / (rate * np.sum(window**2)))
    psd = np.median(spectra, axis=0) / np.log(2.0)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    # Hiss lives above 1 kHz; below it, hum and its leakage would pass for a flat floor.
    band = (freqs >= 1000.0) & (freqs <= min(16000.0, rate * 0.45)) & (psd > 0)
    flatness = float(np.exp(np.mean(np.log(psd[band]))) / np.mean(psd[band])) if band.any() else 0.0
    in_band = float(np.sum(psd[band]) * (freqs[1] - freqs[0])) if band.any() else 0.0
    return NoiseFloor(float(np.median(levels[quiet])), float(np.percentile(levels[live], 95.0)),
                      flatness, float(power_db(2.0 * in_band)), tuple(float(starts[i]) for i in quiet[:5]))


# --- head and tail -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Edges:
    """How the track starts and ends."""

    head_silence_s: float  # before the first sound (above -60 dBFS, lower for a quiet mix)
    tail_silence_s: float  # after the last sound
    start_level_db: float  # level of the first 10 ms of sound relative to the loud parts
    end_level_db: float  # level of the last 10 ms relative to the loud parts
    starts_on_sound: bool  # the very first samples already carry sound (no lead-in)
    ends_on_sound: bool  # the very last samples still carry sound (no decay to silence)


def edges(audio: np.ndarray, rate: float, sound_dbfs: float = -60.0) -> Edges:
    """Silence at head and tail, and how loud the music is at its first and last 10 ms.

    Sound is anything above sound_dbfs, or above 45 dB under the loud parts for a mix that is
    quiet overall (a fade of a -50 dBFS mix passes -60 dBFS long before it ends).
    """
    x = _check(audio, rate)
    envelope = _envelope(x)
    _, whole = level_over_time_dbfs(x, rate, 0.05)
    live = whole[whole > _SILENCE_DB + 1.0]
    if len(live):
        sound_dbfs = min(sound_dbfs, float(np.percentile(live, 95.0)) - 45.0)
    sound = np.flatnonzero(envelope >= 10.0 ** (sound_dbfs / 20.0))
    duration = x.shape[0] / rate
    if len(sound) == 0:
        return Edges(duration, duration, _SILENCE_DB, _SILENCE_DB, False, False)
    first, last = int(sound[0]), int(sound[-1])
    _, levels = level_over_time_dbfs(x[first: last + 1], rate, 0.05)
    loud = float(np.percentile(levels, 95.0))
    ten_ms = max(1, int(round(0.01 * rate)))
    start_level = rms_dbfs(x[first: first + ten_ms]) - loud
    end_level = rms_dbfs(x[max(first, last + 1 - ten_ms): last + 1]) - loud
    # "On sound": the file's own first/last 2 ms hold sound within 30 dB of the loud parts.
    two_ms = max(1, int(round(0.002 * rate)))
    starts_on = rms_dbfs(x[:two_ms]) - loud > -30.0
    ends_on = rms_dbfs(x[-two_ms:]) - loud > -30.0
    return Edges(first / rate, (x.shape[0] - 1 - last) / rate, float(start_level), float(end_level),
                 bool(starts_on), bool(ends_on))
