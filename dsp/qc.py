"""Measurements behind mix evaluation: clipping, DC, stereo image, dynamics, clicks, hum, noise, edges.

Pure numbers: every function takes (frames, channels) float audio at full scale 1.0 and a rate,
and returns figures in the units its name says. hybrid.mix_evaluation turns them into findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dsp._audio import as_frames

__all__ = [
    "Click", "ClipRun", "Edges", "Hum", "NoiseFloor",
    "balance_db", "clicks", "clipped_runs", "correlation", "correlation_over_time", "crest_factor_db",
    "dc_offset_dbfs", "edges", "hum", "level_over_time_dbfs", "mono_fold_loss_db", "noise_floor",
    "peaks_at_ceiling_per_min", "power_db", "rms_dbfs", "runs",
]

_SILENCE_DB = -150.0  # what we report instead of -inf for a window of digital silence


def _check(audio: np.ndarray, rate: float | None = None) -> np.ndarray:
    """as_frames (shape, float, finite, rate) plus the one thing it allows that these cannot: no frames."""
    x = as_frames(audio, rate)
    if x.shape[0] == 0:
        raise ValueError(f"audio must be shaped (frames, channels) with frames > 0, got {x.shape}")
    return x.astype(np.float64, copy=False)

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


# --- clicks and pops ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Click:
    """An impulsive event the music around it does not predict."""

    time_s: float
    channel: int
    strength_db: float  # how far the prediction error stands above its local spread


def clicks(audio: np.ndarray, rate: float, threshold_db: float = 20.0, order: int = 16,
           block_s: float = 0.05, floor_dbfs: float = -66.0) -> list[Click]:
    """Clicks and pops by linear prediction (the usual detector for impulsive noise in audio
    restoration): an AR model fitted per block predicts each sample from the ones before it; music
    is predictable, a click is not.

    A sample is flagged when its prediction error stands threshold_db above the local spread and
    above floor_dbfs. The spread is the median error in 2.5 ms slices, taken as the largest of the
    slice itself and its two neighbours, so a drum attack (loud error that goes on) is not a click
    while a lone spike is. Flags closer than 5 ms are one event; an event longer than 10 ms, or
    one of a regular train (a bright synth's edge every pitch period), is the music's own. So is
    an event where a sound starts (the 20 ms after it carry ONSET_RISE_DB more than the 20 ms
    before it or before its first 10 ms: a kick's attack corner, a chug settling) and one edge of a train (error peaks within
    LONE_DB of it 5-30 ms either side, on an even grid with it: the fading edges of a saw under a
    closing filter). A click leaves the music after it as it was before, and stands out of everything near it.
    """
    x = _check(audio, rate)
    block = max(4 * order, int(round(block_s * rate)))
    slice_n = max(8, int(round(0.0025 * rate)))
    gate = 10.0 ** (threshold_db / 20.0)
    floor = 10.0 ** (floor_dbfs / 20.0)
    merge = int(round(0.005 * rate))
    events: list[Click] = []
    for ch in range(x.shape[1]):
        err = _prediction_error(x[:, ch], order, block)
        mag = np.abs(err)
        per_sample = _spread(mag, slice_n)
        hits = np.flatnonzero((mag > gate * per_sample) & (mag > floor))
        if len(hits) == 0:
            continue
        strength = 20.0 * np.log10(mag[hits] / np.maximum(per_sample[hits], 1e-12))
        # Hits closer than 5 ms are one event. An event that goes on for more than 10 ms, or
        # that holds three or more separate edges (a 220 Hz saw has one every 4.5 ms), is a waveform
        # the model cannot follow, not a click; a dropout has two edges, a spike one.
        cuts = np.flatnonzero(np.diff(hits) > merge) + 1
        edge_gap = max(2, int(round(0.001 * rate)))
        chains = [(int(h[0]), int(h[-1]), float(st.max()))
                  for h, st in zip(np.split(hits, cuts), np.split(strength, cuts))
                  if h[-1] - h[0] <= 2 * merge and np.count_nonzero(np.diff(h) > edge_gap) < 2]
        periodic = _periodic([c[0] for c in chains], rate)
        events += [Click(start / rate, ch, st) for (start, end, st), skip in zip(chains, periodic)
                   if not skip and _alone(mag, start, end, rate) and not _onset(x[:, ch], start, end, rate)]
    return sorted(events, key=lambda c: c.time_s)


ONSET_RISE_DB = 6.0  # the 20 ms after an event over the 20 ms before it: above this, a sound started
ONSET_LEAD_S = 0.01  # how far before an event the 'before' window ends: a sound's first 10 ms are its attack
LONE_DB = 6.0  # error peaks this close to an event's own, on a grid with it, make it part of a train


def _onset(col: np.ndarray, start: int, end: int, rate: float) -> bool:
    """A sound starts at the event, or started just before it: the 20 ms after it (from 1 ms past
    its end, so the event's own energy does not count) carry ONSET_RISE_DB more power (median
    square) than the quieter of the 20 ms right before it and the 20 ms that end ONSET_LEAD_S before it. The lead
    takes in a sound's first milliseconds, while a chug's drive or a string's pluck settles; a
    click there is masked by the attack it rides on (forward masking lasts tens of milliseconds)."""
    span = int(round(0.02 * rate))
    gap = int(round(0.001 * rate))
    after = col[end + gap: end + gap + span]
    if len(after) == 0:
        return False
    # Medians, not means: a second click in a window moves a mean a long way and a median not at all.
    power_before = np.inf
    for lead in (0, int(round(ONSET_LEAD_S * rate))):
        before = col[max(0, start - lead - span): max(0, start - lead)]
        power_before = min(power_before, float(np.median(before * before)) if len(before) else 0.0)
    power_after = float(np.median(after * after))
    return power_after > power_before * 10.0 ** (ONSET_RISE_DB / 10.0) + 1e-20


def _alone(mag: np.ndarray, start: int, end: int, rate: float) -> bool:
    """The event is not one edge of a regular train: no two error peaks within LONE_DB of its own,
    5-30 ms either side of it, fall with it on an even grid (gaps whole multiples of each other, up
    to six, to 5 %). A bright synth's edges, fading under its filter, cross the gate one now and then but
    keep their pitch period; a click between a bass saw's edges is off their grid. Within 5 ms is
    the event itself (a dropout's second edge need not cross the gate)."""
    near = int(round(0.005 * rate))
    reach = int(round(0.03 * rate))
    centre = start + int(np.argmax(mag[start: end + 1]))
    limit = float(mag[centre]) * 10.0 ** (-LONE_DB / 20.0)
    edge_gap = max(2, int(round(0.001 * rate)))
    offsets: list[int] = []
    for lo, hi in ((max(0, start - reach), max(0, start - near)), (end + near, min(len(mag), end + reach))):
        hot = np.flatnonzero(mag[lo:hi] > limit)
        if len(hot):
            for run in np.split(hot, np.flatnonzero(np.diff(hot) > edge_gap) + 1):
                offsets.append(lo + int(run[np.argmax(mag[lo + run])]) - centre)
    slack = max(3.0, 0.0001 * rate)
    for i, a in enumerate(offsets):
        for b in offsets[i + 1:]:
            p, q, r = sorted((0, a, b))
            small, large = sorted((q - p, r - q))
            k = round(large / small)
            if k <= 6 and abs(large - k * small) <= 0.05 * small + slack:
                return False
    return True


def _spread(mag: np.ndarray, slice_n: int) -> np.ndarray:
    """Per sample: the robust spread (1.4826 x median) of |error| in its slice and the two beside it,
    the largest of the three."""
    count = -(-len(mag) // slice_n)
    padded = np.zeros(count * slice_n)
    padded[: len(mag)] = mag
    spread = 1.4826 * np.median(padded.reshape(count, slice_n), axis=1)
    spread = ndimage.maximum_filter1d(spread, size=3, mode="nearest")
    return np.repeat(spread, slice_n)[: len(mag)]


def _periodic(starts: list[int], rate: float, max_gap_s: float = 0.06) -> list[bool]:
    """Which events belong to a regular train: three in a row whose gaps are under max_gap_s and
    whole multiples of each other (within 10 %). A band-limited saw or square repeats its edge
    every pitch period; a click does not come back on time."""
    out = [False] * len(starts)
    limit = max_gap_s * rate
    slack = 0.0003 * rate
    for i in range(1, len(starts) - 1):
        g1, g2 = starts[i] - starts[i - 1], starts[i + 1] - starts[i]
        if g1 > limit or g2 > limit:
            continue
        small, large = min(g1, g2), max(g1, g2)
        k = max(1, round(large / small))
        if abs(large - k * small) <= 0.1 * small + slack:
            out[i - 1] = out[i] = out[i + 1] = True
    return out


def _prediction_error(col: np.ndarray, order: int, block: int) -> np.ndarray:
    """Forward prediction error of AR(order) models fitted per block by the autocorrelation
    method (Hann window, Levinson-Durbin), every block at once: numpy passes over the whole
    signal instead of a Python loop per block."""
    n = len(col)
    count = -(-n // block)
    # Each block's model is fitted on a Hann window twice the block's length centred on it, so the
    # samples at a block's edges are modelled as well as those in its middle.
    half = block // 2
    padded = np.zeros(half + count * block + block)
    padded[half: half + n] = col
    frames = np.lib.stride_tricks.sliding_window_view(padded, 2 * block)[::block][:count] * np.hanning(2 * block)
    span = 2 * block
    r = np.stack([np.einsum("ij,ij->i", frames[:, : span - k], frames[:, k:]) for k in range(order + 1)], axis=1)
    live = r[:, 0] > 0.0
    r[:, 0] *= 1.0 + 1e-9  # a touch of white-noise correction keeps every fit stable
    a = np.zeros((count, order + 1))
    a[:, 0] = 1.0
    power = np.where(live, r[:, 0], 1.0)
    for i in range(1, order + 1):
        acc = r[:, i] + np.einsum("ij,ij->i", a[:, 1:i], r[:, i - 1: 0: -1]) if i > 1 else r[:, 1].copy()
        k = np.where(live, -acc / power, 0.0)
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1: 0: -1]
        a[:, i] = k
        power = power * (1.0 - k * k)
    # err[t] = sum_j a_j x[t - j]: one pass per coefficient over the (blocks, samples) view,
    # each row using its own block's model.
    history = np.zeros(order + count * block)
    history[order: order + n] = col
    err = history[order:].reshape(count, block).copy()
    term = np.empty_like(err)
    for j in range(1, order + 1):
        np.multiply(history[order - j: order - j + count * block].reshape(count, block), a[:, j, None], out=term)
        err += term
    err[~live] = 0.0  # digital silence predicts itself
    err = err.ravel()[:n]
    err[:order] = 0.0  # the first samples have no history
    return err


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
