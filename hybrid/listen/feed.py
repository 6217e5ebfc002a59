"""The monitor feed, made on the audio thread one block at a time: the playhead, the sends, the
sources lined up with the return, crossfades, loudness-matching gains, the listening checks."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from devices.audio.stream import Block
from hybrid.listen.align import Alignment, ChainAligner, PositionHistory
from hybrid.listen.material import LoopRegion, Material, edge_gains
from hybrid.listen.meter import MonitorMeter

# A switch of source or of listening check is a raised-cosine crossfade this long: short enough
# to compare in the same beat, long enough that no step reaches the ear as a click
CROSSFADE_MS = 10.0
CHECKS = ("stereo", "mono", "side", "swap")


@dataclass(frozen=True)
class Controls:
    """What the engineer asked for: read by the audio thread, replaced whole by the control side."""

    region: LoopRegion
    selected: str = "source"
    playing: bool = True
    looping: bool = True
    check: str = "stereo"
    gains_db: dict[str, float] = field(default_factory=dict)  # per source; missing = 0 dB
    transport_id: int = 0  # a new id with seek_to: jump the playhead there
    seek_to: int | None = None
    chain_epoch: int = 0  # a new epoch: measure the chain again from monitor frame chain_epoch_from
    chain_epoch_from: int = 0

    def but(self, **changes: object) -> "Controls":
        return replace(self, **changes)  # type: ignore[arg-type]


class LoopCapture:
    """The aligned chain over one pass of the loop region, to measure its integrated loudness."""

    def __init__(self, region: LoopRegion, channels: int) -> None:
        self.region = region
        self.audio = np.zeros((region.frames, channels), dtype=np.float32)
        self._covered = np.zeros(region.frames, dtype=bool)
        self.count = 0

    def add(self, positions: np.ndarray, audio: np.ndarray) -> None:
        inside = (positions >= self.region.start) & (positions < self.region.end)
        if not inside.any():
            return
        idx = positions[inside] - self.region.start
        self.audio[idx] = audio[inside]
        fresh = ~self._covered[idx]
        self.count += int(np.count_nonzero(fresh))
        self._covered[idx] = True

    @property
    def complete(self) -> bool:
        return self.count >= self.region.frames


class Feed:
    """The audio-thread half of the listening engine (see hybrid.listen.engine for the other half).

    Everything here is owned by the audio thread; the control side only swaps `controls` and the
    `materials` dict (whole objects, so a block sees one consistent set) and reads the results
    (meter, playhead, capture, events) without locks: each is one attribute replaced whole.
    """

    def __init__(self, alignment: Alignment, rate: int, block_size: int, mix: Material, controls: Controls) -> None:
        self.alignment = alignment
        self.rate = rate
        self.channels = alignment.channels
        self.controls = controls
        self.materials: dict[str, Material] = {"source": mix}
        self.aligner = ChainAligner(alignment)
        self.history = PositionHistory(alignment.monitor_delay, max(block_size, 8192))
        self.meter = MonitorMeter(rate, self.channels, block_size)
        # the true-peak kernel compiles on its first call: not on the audio thread
        MonitorMeter(rate, self.channels, block_size).process(np.zeros((block_size, self.channels)))
        self.capture = LoopCapture(controls.region, self.channels)
        self.playhead = controls.region.start
        self.heard_position = -1  # the programme frame on the monitors now
        self.events: deque[tuple[str, dict[str, object]]] = deque(maxlen=256)
        self.sinks: list[object] = []  # objects with put(frame, block) that never block
        self.to_outputs = False  # also write the feed into the stream's extra outputs (the monitors)
        self.last_frame = 0
        self.selected = controls.selected
        self.switched_at = 0  # the frame where the last crossfade started
        self._fade = max(1, int(round(CROSSFADE_MS * rate / 1000.0)))
        self._ramps = {"source": 1.0}
        self._gains: dict[str, float] = {}
        self._check = controls.check
        self._check_ramp = 1.0
        self._previous_check = controls.check
        self._transport = controls.transport_id
        self._epoch = controls.chain_epoch
        self._ended = False

    # ------------------------------------------------------------------ per block

    def __call__(self, block: Block) -> bool:
        c = self.controls
        n = block.frames
        self.last_frame = block.frame
        if c.selected != self.selected:
            # the crossfade starts with this block: said with its frame, so a recording can be read
            self.selected, self.switched_at = c.selected, block.frame
            self.events.append(("switched", {"source": c.selected, "frame": block.frame}))
        positions = self._advance(c, n)
        mix = self.materials["source"].audio
        edges = edge_gains(positions, c.region, mix.shape[0], self.rate)
        block.sends[:] = _take(mix, positions) * edges[:, None]
        heard, heard_edges = self.history.push(positions, edges)
        self.heard_position = int(heard[-1])
        chain = self.aligner.process(block.returns)
        if c.chain_epoch != self._epoch and block.frame >= c.chain_epoch_from:
            self._epoch = c.chain_epoch
            self.capture = LoopCapture(c.region, self.channels)
        if self.capture.region != c.region:
            self.capture = LoopCapture(c.region, self.channels)
        self.capture.add(heard, chain)
        feed = np.zeros((n, self.channels))
        for name in set(self._ramps) | {c.selected}:
            weights = self._ramp(name, name == c.selected, n)
            if weights is None:
                continue
            if name == "chain":
                audio = chain
            else:
                material = self.materials.get(name)
                if material is None:
                    continue
                audio = _take(material.audio, heard) * heard_edges[:, None]
            feed += audio * (weights * self._gain_ramp(name, c, n))[:, None]
        feed = self._checked(feed, c.check, n)
        self.meter.process(feed)
        out = feed.astype(np.float32)
        if self.to_outputs:
            block.outputs[:] = out[:, :block.outputs.shape[1]]
        for sink in self.sinks:
            sink.put(block.frame, out)  # type: ignore[attr-defined]
        return True

    def _advance(self, c: Controls, n: int) -> np.ndarray:
        if c.transport_id != self._transport:
            self._transport = c.transport_id
            self._ended = False
            if c.seek_to is not None:
                self.playhead = c.seek_to
            elif not c.region.start <= self.playhead < c.region.end:
                self.playhead = c.region.start  # play after the end: from the top of the region
        region = c.region
        if c.looping and not region.start <= self.playhead < region.end:
            self.playhead = region.start
        if not c.playing or self._ended:
            return np.full(n, -1, dtype=np.int64)
        pos = self.playhead + np.arange(n, dtype=np.int64)
        if c.looping:
            pos = region.start + (pos - region.start) % region.frames
            self.playhead = int(region.start + (self.playhead + n - region.start) % region.frames)
        else:
            pos[pos >= region.end] = -1
            self.playhead += n
            if self.playhead >= region.end:
                self._ended = True
                self.events.append(("ended", {"position_s": round(region.end / self.rate, 3)}))
        return pos

    def _ramp(self, name: str, on: bool, n: int) -> np.ndarray | None:
        """Per-frame weights of one source (raised cosine over CROSSFADE_MS); None when silent."""
        r0 = self._ramps.get(name, 0.0)
        step = (1.0 if on else -1.0) / self._fade
        r = np.clip(r0 + step * np.arange(1, n + 1), 0.0, 1.0)
        r_end = float(r[-1])
        if r_end <= 0.0 and r0 <= 0.0:
            self._ramps.pop(name, None)
            return None
        self._ramps[name] = r_end
        return 0.5 - 0.5 * np.cos(np.pi * r)

    def _gain_ramp(self, name: str, c: Controls, n: int) -> np.ndarray:
        target = 10.0 ** (c.gains_db.get(name, 0.0) / 20.0)
        start = self._gains.get(name, target)
        self._gains[name] = target
        if start == target:
            return np.full(n, target)
        return start + (target - start) * np.arange(1, n + 1) / n

    def _checked(self, feed: np.ndarray, check: str, n: int) -> np.ndarray:
        if feed.shape[1] != 2:
            return feed
        if check != self._check:
            self._previous_check, self._check, self._check_ramp = self._check, check, 0.0
        if self._check_ramp >= 1.0:
            return _apply_check(feed, self._check)
        r = np.clip(self._check_ramp + np.arange(1, n + 1) / self._fade, 0.0, 1.0)
        self._check_ramp = float(r[-1])
        w = (0.5 - 0.5 * np.cos(np.pi * r))[:, None]
        return (1.0 - w) * _apply_check(feed, self._previous_check) + w * _apply_check(feed, self._check)


def _apply_check(feed: np.ndarray, check: str) -> np.ndarray:
    if check == "mono":
        mid = 0.5 * (feed[:, 0] + feed[:, 1])
        return np.stack([mid, mid], axis=1)
    if check == "side":
        side = 0.5 * (feed[:, 0] - feed[:, 1])
        return np.stack([side, side], axis=1)
    if check == "swap":
        return feed[:, ::-1]
    return feed


def _take(audio: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """audio[positions] with -1 (and positions past the end) as silence, float64."""
    ok = (positions >= 0) & (positions < audio.shape[0])
    out = np.zeros((positions.shape[0], audio.shape[1]))
    if ok.all():
        return audio[positions].astype(np.float64)
    if ok.any():
        out[ok] = audio[positions[ok]]
    return out
