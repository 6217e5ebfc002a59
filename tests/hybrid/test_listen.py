"""The listening engine on the simulated rig (its stream run as fast as the tap is read): source and
chain in line, click-free switches, matched loudness, live control heard from the block after its
read-back, prints and references, and bad input that changes nothing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.signal as sps

from devices.errors import ConfigError, HybridError
from dsp.loudness import measure
from hybrid.listen import ListenEngine, ListenOptions
from hybrid.listen.feed import CROSSFADE_MS
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session
from hybrid.session.commit import set_revision
from tests.hybrid.listening import RATE, TapRecorder, band_noise_mix, null_db, setting_words

LOOP = (0.5, 2.5)
PERIOD = int((LOOP[1] - LOOP[0]) * RATE)
FADE = int(CROSSFADE_MS * RATE / 1000)


@pytest.fixture(scope="module")
def album(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session with a 3 s mix of band-limited noise: r2 every unit on bypass, r3 every unit engaged at
    neutral, r4 brighter (printed)."""
    base = tmp_path_factory.mktemp("listen")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(base / "state"))
        mix = band_noise_mix(base / "01 Noise.wav", 3.0, 7)
        folder = base / "album"
        new_session(folder, [mix], album=AlbumFields(title="Listening", targets=["streaming"]))
        set_revision(folder, setting_words("bypass"), note="all on bypass")
        set_revision(folder, setting_words("neutral"), note="all engaged, flat")
        set_revision(folder, ["eq.high_gain_db=4"], note="brighter")
        print_revision(PrintRequest(folder, revision=4, confirm_manual=lambda sheet: True))
    return folder


def _open(album: Path, revision: int, **options: object) -> ListenEngine:
    return ListenEngine.open(album, ListenOptions(revision=revision, start_s=LOOP[0], end_s=LOOP[1], tap=True,
                                                  realtime=False, confirm_manual=lambda sheet: True, **options))


@pytest.fixture(scope="module")
def engaged(album: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One engine on revision 3 (the chain engaged at neutral), for the tests that move things."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(album.parent / "state"))
        engine = _open(album, 3)
        yield engine
        engine.close()


def _switch_at(engine: ListenEngine, name: str) -> int:
    """Select a source; the frame where its crossfade started (as the feed says)."""
    import time

    before = engine.feed.switched_at
    engine.select(name)
    while engine.feed.switched_at == before:
        time.sleep(0.001)
    return engine.feed.switched_at


def test_on_bypass_source_and_chain_line_up_and_null_below_minus_90_db(album: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(album.parent / "state"))
    with _open(album, 2) as engine:
        tape = TapRecorder(engine)
        tape.wait_for(2 * PERIOD)
        switch = _switch_at(engine, "chain")
        block = engine.block_size
        # the feed loops every PERIOD frames: a source frame before the switch and the chain frame one
        # period later hold the same programme frame
        lo, hi = switch + FADE - PERIOD, switch
        source, chain = tape.audio(lo, hi), tape.audio(lo + PERIOD, hi + PERIOD)
        tape.stop()
    assert null_db(source, chain) < -90.0


def _analog_high_shelf_db(freqs: np.ndarray, f0: float, gain_db: float, q: float = 1 / math.sqrt(2)) -> np.ndarray:
    """The analog prototype of the EQ's high shelf (as tests/hybrid/test_print.py checks the print)."""
    a = 10 ** (gain_db / 40)
    s = 1j * freqs / f0
    h = a * (a * s ** 2 + math.sqrt(a) / q * s + 1) / (s ** 2 + math.sqrt(a) / q * s + a)
    return 20 * np.log10(np.abs(h))


def _ratio_db(a: np.ndarray, b: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    f, pa = sps.welch(a, RATE, nperseg=4096, axis=0)
    _, pb = sps.welch(b, RATE, nperseg=4096, axis=0)
    ratio = 10 * np.log10(pb.mean(axis=1) / pa.mean(axis=1))
    return np.array([ratio[np.argmin(np.abs(f - q))] for q in freqs])


def _lufs(audio: np.ndarray) -> float:
    value = measure(audio, RATE).integrated_lufs
    assert value is not None
    return value


def test_a_control_moved_mid_loop_is_heard_from_the_block_after_its_read_back(engaged: ListenEngine) -> None:
    engine = engaged
    engine.set_match(False)
    engine.select("chain")
    tape = TapRecorder(engine)
    try:
        tape.wait_for(tape.now() + 3 * PERIOD)  # the chain settled, the pass before the move recorded
        # the aligning sinc reaches half_taps frames ahead: the earliest a change can show at all
        before_move = engine.feed.last_frame + engine.alignment.monitor_delay - engine.alignment.half_taps
        move = engine.move("eq.high_gain_db=+3")
        assert move.verified and move.read_back == 3.0 and move.heard_from_frame is not None
        heard = move.heard_from_frame
        start, end = heard - PERIOD, heard + PERIOD
        old, new = tape.audio(start - PERIOD, end - PERIOD), tape.audio(start, end)
    finally:
        tape.stop()
        engine.move("eq.high_gain_db=0")
    diff = np.sqrt(np.mean((new - old) ** 2, axis=1))
    level = np.sqrt(np.mean(old ** 2))
    changed = np.flatnonzero(diff > level * 10 ** (-60 / 20))
    # nothing changes before the move was sent; everything after it is the new setting's sound
    first = start + int(changed[0])
    assert before_move <= first <= heard
    after = slice(PERIOD + int(0.05 * RATE), 2 * PERIOD)
    freqs = np.array([200.0, 1000.0, 5000.0, 10000.0, 14000.0])
    measured = _ratio_db(old[after], new[after], freqs)
    np.testing.assert_allclose(measured, _analog_high_shelf_db(freqs, 10000.0, 3.0), atol=0.1)


def test_a_switch_is_a_smooth_crossfade_with_no_step(engaged: ListenEngine) -> None:
    engine = engaged
    engine.set_match(False)
    engine.select("source")
    engine.move("eq.high_gain_db=+6")  # the chain now differs from the mix well above the noise
    tape = TapRecorder(engine)
    try:
        tape.wait_for(tape.now() + 2 * PERIOD)
        switch = _switch_at(engine, "chain")
        span = slice(switch - engine.block_size, switch + engine.block_size + FADE)
        feed = tape.audio(span.start, span.stop)
        source = tape.audio(span.start - PERIOD, span.stop - PERIOD)
        chain = tape.audio(span.start + PERIOD, span.stop + PERIOD)
    finally:
        tape.stop()
        engine.move("eq.high_gain_db=0")
        engine.select("chain")
    # the feed is (1 - w) source + w chain with w rising smoothly from 0 to 1: read w where the two differ
    gap = chain - source
    usable = np.abs(gap) > 0.05
    w = np.where(usable, (feed - source) / np.where(usable, gap, 1.0), np.nan)
    count = np.sum(~np.isnan(w), axis=1)
    weight = np.where(count > 0, np.nansum(w, axis=1) / np.maximum(count, 1), np.nan)
    known = ~np.isnan(weight)
    assert np.nanmin(weight) > -0.01 and np.nanmax(weight) < 1.01
    assert abs(weight[known][0]) < 0.01 and abs(weight[known][-1] - 1.0) < 0.01
    frames = np.flatnonzero(known)
    slope = np.diff(weight[known]) / np.diff(frames)
    # a raised cosine over the fade rises at most pi / 2 per fade length (the estimate of w is a
    # little noisy); a step, even one spread over a few samples, is hundreds of times steeper
    assert np.max(np.abs(slope)) < 1.5 * math.pi / (2 * FADE)


def test_matched_levels_agree_within_a_tenth_of_a_lu_over_the_loop(engaged: ListenEngine) -> None:
    engine = engaged
    events: list[str] = []
    engine.subscribe(lambda kind, data: events.append(kind))
    engine.set_match(True)
    engine.select("source")
    engine.move("eq.high_gain_db=+6")
    try:
        tape = TapRecorder(engine)
        deadline = tape.now() + 4 * PERIOD
        while "measured" not in events:
            assert tape.now() < deadline, "the chain's loudness was never measured"
            tape.wait_for(tape.now() + engine.block_size)
        state = engine.state()
        assert state.sources["chain"].gain_db is not None and state.sources["chain"].gain_db < -0.3
        here = tape.now() + engine.block_size
        source = tape.audio(here, here + PERIOD)
        switch = _switch_at(engine, "chain")
        chain = tape.audio(switch + FADE, switch + FADE + PERIOD)
        tape.stop()
    finally:
        engine.move("eq.high_gain_db=0")
    assert abs(_lufs(chain) - _lufs(source)) < 0.1


def test_bad_input_is_one_line_and_the_audio_keeps_playing(engaged: ListenEngine) -> None:
    engine = engaged
    before = engine.state()
    frames = engine.stream.frames
    with pytest.raises(ConfigError, match=r"control: 'eq\.nonsense=1' is not allowed; unit 'eq' has the controls"):
        engine.move("eq.nonsense=1")
    with pytest.raises(ConfigError, match=r"control: 'desk\.gain=1' is not allowed; the rig's units are eq, comp"):
        engine.move("desk.gain=1")
    with pytest.raises(ConfigError, match=r"loop: '2-9 s' is not allowed; the track is 3.00 s long"):
        engine.set_loop(2.0, 9.0)
    with pytest.raises(ConfigError, match="no reference is loaded"):
        engine.select("reference")
    after = engine.state()
    assert (after.loop, after.selected, after.panels) == (before.loop, before.selected, before.panels)
    tape = TapRecorder(engine)
    tape.wait_for(tape.now() + PERIOD // 4)
    tape.stop()
    assert engine.stream.frames > frames and engine.stream.error is None


def test_an_unknown_track_is_refused_before_the_gear_is_touched(album: Path) -> None:
    with pytest.raises(HybridError, match=r"track: '7' is not allowed; name a track id \(noise\) or a position 1 to 1"):
        ListenEngine.open(album, ListenOptions(track="7", tap=True, realtime=False))


def test_a_print_and_a_reference_play_loudness_matched(engaged: ListenEngine, tmp_path: Path) -> None:
    engine = engaged
    engine.set_match(True)
    engine.select("source")
    path = engine.load_print(4)
    assert path.name == "01-noise.wav" and path.parent.parent.name.startswith("r0004-")
    reference = band_noise_mix(tmp_path / "reference.wav", 4.0, 99, rms=0.45, top_hz=12000.0)
    engine.load_reference(reference)
    state = engine.state()
    assert state.sources["reference"].gain_db is not None and state.sources["reference"].gain_db < -5.0
    assert state.sources["print"].lufs is not None and state.sources["print"].lufs > state.sources["source"].lufs
    tape = TapRecorder(engine)
    try:
        here = tape.now() + engine.block_size
        readings = {"source": _lufs(tape.audio(here, here + PERIOD))}
        for name in ("print", "reference"):
            switch = _switch_at(engine, name)
            readings[name] = _lufs(tape.audio(switch + FADE, switch + FADE + PERIOD))
    finally:
        tape.stop()
        engine.select("chain")
    assert abs(readings["print"] - readings["source"]) < 0.1
    assert abs(readings["reference"] - readings["source"]) < 0.1
    # and unmatched they are not: the check above could fail
    assert abs(state.sources["reference"].lufs - state.sources["source"].lufs) > 5.0


def test_a_manual_unit_shows_its_sheet_and_changes_only_when_the_engineer_confirms(engaged: ListenEngine) -> None:
    engine = engaged
    panel = engine.station.sim.twins["pultec"].panel
    before = panel.get("low_boost")
    move = engine.move("pultec.low_boost=2")
    assert move.manual and move.heard_from_frame is None and "LOW BOOST" in move.sheet
    state = engine.state()
    assert "LOW BOOST" in state.pending_sheet and state.panels["pultec"]["low_boost"] == before
    assert panel.get("low_boost") == before  # nothing turned yet
    done = engine.confirm()
    assert done.heard_from_frame is not None and panel.get("low_boost") == 2
    assert engine.state().pending_sheet == "" and engine.state().moved["pultec"] == {"low_boost": 2}
    with pytest.raises(ConfigError, match="no control is waiting for a confirmation"):
        engine.confirm()
    engine.move("pultec.low_boost=0")
    engine.confirm()


def test_commit_writes_the_moved_controls_as_the_next_revision(engaged: ListenEngine) -> None:
    engine = engaged
    engine.move("eq.high_gain_db=+1.5")
    committed = engine.commit("brighter, by ear")
    revision = engine.session.revision(committed.number)
    assert revision.note == "brighter, by ear" and revision.units["eq"]["high_gain_db"] == 1.5
    assert engine.state().revision == committed.number and engine.state().moved == {}
    with pytest.raises(ConfigError, match="no control has moved since revision"):
        engine.commit("nothing")
    engine.move("eq.high_gain_db=0")
