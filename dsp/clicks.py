"""Clicks and pops in a mix: short events a linear predictor cannot follow that are not the music's own onsets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dsp._audio import measurable_frames as _check

__all__ = ["Click", "clicks"]


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
