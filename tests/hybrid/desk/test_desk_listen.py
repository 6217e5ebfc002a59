"""Listening from the desk in a real browser: the listening engine opened from the page, the EQ's high
shelf moved on the page and read back by the simulated unit over its OSC wire, the monitor feed
streamed into the page's Web Audio and changed in that band (read from its AnalyserNode), A/B with
the matched gain shown, keys, a commit from the engine found by `hybrid session log`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pythonosc.osc_message import OscMessage
from pythonosc.udp_client import SimpleUDPClient

from tests.hybrid.desk.browser import console_errors, start_browser, wait_for
from tests.hybrid.desk.conftest import copy_demo
from tests.hybrid.desk.server import ROOT, start_desk

pytestmark = pytest.mark.slow

HIGH_BAND_HZ = (9000.0, 16000.0)  # where the high shelf at 10 kHz lifts
MID_BAND_HZ = (300.0, 2000.0)  # untouched by it: the reference the lift is measured against


@pytest.fixture(scope="module")
def desk(demo_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("desk-listen")
    session, state = copy_demo(demo_out, root / "copy")
    driver = start_browser(root / "chromium")
    server = start_desk(session, state_dir=state)
    driver.get(server.url)
    wait_for(driver, "return document.body.dataset.ready === '1'")
    rows = '.unit[data-unit="pultec"] .sheet input[type=checkbox]'
    for n in range(len(driver.find_elements("css selector", rows))):
        driver.find_elements("css selector", rows)[n].click()  # the passive EQ set by hand: ticked
    driver.find_element("id", "listen-button").click()
    wait_for(driver, "return document.getElementById('play-button') !== null", 120)
    # the feed reaches the browser: a second of audio through the worklet
    wait_for(driver, "return window.deskAudio && window.deskAudio.context && window.deskAudio.context.state === 'running'"
                     " && window.deskAudio.stats.frames > 48000", 60)
    yield {"server": server, "driver": driver, "session": session, "state": state}
    driver.quit()
    server.stop()


def _engine(driver: Any) -> dict[str, Any]:
    return driver.execute_script("return fetch('/api/listen', {headers: {'x-desk-token': "
                                 "sessionStorage.getItem('hybrid-desk-token')}}).then(r => r.json())")


def _band_lift_db(driver: Any, reads: int = 40) -> float:
    """High band over mid band in the page's AnalyserNode, dB: the median of `reads` reads 50 ms apart
    (two passes of a one-second loop),
    leaving out windows where the feed ran dry (on a loaded machine the simulated rig can fall
    behind real time: the worklet then plays exact zeros until it has buffered again)."""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1], reads = arguments[0], high = arguments[1], mid = arguments[2];
        const lifts = [];
        let tries = 0;
        const read = () => {
          const dry = window.deskAudio.windowRanDry();
          const h = window.deskAudio.bandDb(high[0], high[1]), m = window.deskAudio.bandDb(mid[0], mid[1]);
          if (!dry && h !== null && m !== null && Number.isFinite(h)) lifts.push(h - m);
          if (lifts.length >= reads || ++tries > 10 * reads) {
            lifts.sort((a, b) => a - b);
            done(lifts.length ? lifts[Math.floor(lifts.length / 2)] : null);
          } else setTimeout(read, 50);
        };
        read();""", reads, list(HIGH_BAND_HZ), list(MID_BAND_HZ))


def _osc_read(address: str, osc_address: str) -> float:
    """Ask the simulated unit itself, over its OSC wire, where a control is (its query address)."""
    host, port = address.rsplit(":", 1)
    client = SimpleUDPClient(host, int(port))
    client.send_message("/eq/get", osc_address)
    reply = OscMessage(client.receive(2.0))
    client.close()
    assert reply.address == osc_address
    return float(reply.params[0])


def _gain_text(driver: Any, source: str) -> str:
    return driver.find_element("css selector", f'.sources button[data-source="{source}"] .gain').text.strip()


def _set_loop(driver: Any, start_s: float, end_s: float) -> None:
    driver.execute_script("return window.deskPlayer.call('loop', {start_s: arguments[0], end_s: arguments[1]})",
                          start_s, end_s)
    wait_for(driver, "return document.getElementById('loop-line').textContent.startsWith(arguments[0])", 10,
             f"loop {start_s:.2f}–{end_s:.2f} s")


def test_moving_the_high_shelf_reaches_the_unit_over_osc_and_is_heard_in_that_band(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    # one second of the song over and over: before and after are heard on the same music, so what
    # differs is the shelf (over a whole track the hi-hats come and go by several dB)
    _set_loop(driver, 2.0, 3.0)
    driver.find_element("css selector", "body").send_keys("b")  # B: the chain on the monitors
    wait_for(driver, "return document.querySelector('.sources button[data-source=\"chain\"]').classList.contains('on')")
    knob = driver.find_element("css selector", '.control[data-unit="eq"][data-param="high_gain_db"] .knob')
    knob.click()
    knob.send_keys("\ue011")  # Home: the bottom detent, -6 dB
    wait_for(driver, "const c = document.querySelector('.control[data-unit=\"eq\"][data-param=\"high_gain_db\"]');"
                     " return c.dataset.readback === '-6' || c.dataset.readback === '-6.0'", 30)
    time.sleep(1.0)
    before = _band_lift_db(driver)
    knob = driver.find_element("css selector", '.control[data-unit="eq"][data-param="high_gain_db"] .knob')
    knob.send_keys("\ue010")  # End: the top detent, +6 dB
    wait_for(driver, "const c = document.querySelector('.control[data-unit=\"eq\"][data-param=\"high_gain_db\"]');"
                     " return c.dataset.readback === '6' || c.dataset.readback === '6.0'", 30)
    control = driver.find_element("css selector", '.control[data-unit="eq"][data-param="high_gain_db"]')
    assert control.find_element("css selector", ".readback").text == "gear +6 dB"
    assert "changed" in control.get_attribute("class")
    wire = _engine(driver)["wires"]["eq"]
    assert _osc_read(wire, "/eq/high/gain") == 6.0  # the twin's own panel, asked over UDP
    time.sleep(1.0)  # past the browser's buffer (at most 0.2 s) and the analyser's window
    after = _band_lift_db(driver)
    # 12 dB more shelf at 10 kHz: the 9-16 kHz band rises against the mids (11 dB seen here on the
    # one-second loop; over the whole track the music alone moves this figure by +-3 dB)
    assert before is not None and after is not None
    print(f"high band over mids: {before:.1f} dB before, {after:.1f} dB after")
    assert after - before > 4.0, (before, after)
    assert console_errors(driver) == []


def test_a_b_switch_shows_the_matched_gain(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    # a short loop so that the chain's loudness over it is measured quickly: dragged on the waveform
    from selenium.webdriver.common.action_chains import ActionChains

    wave = driver.find_element("id", "player-wave")
    width = wave.size["width"]
    ActionChains(driver).move_to_element_with_offset(wave, int(-width * 0.4), 0).click_and_hold() \
        .move_by_offset(int(width * 0.2), 0).release().perform()
    wait_for(driver, "return /loop [0-9.]+–[0-9.]+ s/.test(document.getElementById('loop-line').textContent)"
                     " && !document.getElementById('loop-line').textContent.startsWith('loop 0.00–9.42')", 20)
    engine = wait_for(driver, "return fetch('/api/listen', {headers: {'x-desk-token': sessionStorage.getItem("
                              "'hybrid-desk-token')}}).then(r => r.json()).then(e => e.sources.chain.lufs !== null"
                              " && !e.sources.chain.measuring ? e : null)", 60)
    loop = engine["loop"]
    assert 1.0 <= loop["end_s"] - loop["start_s"] <= 2.5
    assert engine["match"] is True
    chain = engine["sources"]["chain"]
    source = engine["sources"]["source"]
    # the louder one is brought down to the quieter: the gains differ by the loudness difference
    assert abs((source["gain_db"] - chain["gain_db"]) - (chain["lufs"] - source["lufs"])) < 0.1
    driver.find_element("css selector", "body").send_keys("a")  # A: the mix, delayed to line up
    wait_for(driver, "return document.querySelector('.sources button[data-source=\"source\"]').classList.contains('on')")
    wait_for(driver, "return document.querySelector('.sources button[data-source=\"chain\"]').dataset.gain === "
                     "String(arguments[0])", 10, chain["gain_db"])
    shown = f"{'+' if chain['gain_db'] > 0 else ''}{chain['gain_db']:.1f} dB"
    assert _gain_text(driver, "chain") == shown
    driver.find_element("css selector", "body").send_keys("l")  # L: matching off, the gains go to 0
    wait_for(driver, "return !document.getElementById('match-button').classList.contains('on')", 10)
    wait_for(driver, "return document.querySelector('.sources button[data-source=\"chain\"]').dataset.gain === '0'", 10)
    driver.find_element("css selector", "body").send_keys("l")
    wait_for(driver, "return document.getElementById('match-button').classList.contains('on')", 10)
    assert console_errors(driver) == []


def test_keys_play_a_print_a_reference_mono_and_pause(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    body = driver.find_element("css selector", "body")
    driver.find_element("css selector", '#timeline [data-revision="2"]').click()  # 3 plays the viewed revision's print
    wait_for(driver, "return document.getElementById('rack-revision').textContent.startsWith('r2')")
    body.send_keys("3")
    wait_for(driver, "return document.querySelector('.sources button[data-source=\"print\"]').classList.contains('on')", 60)
    label = driver.find_element("css selector", '.sources button[data-source="print"]').text
    assert "print of revision 2 (r0002-01)" in label
    assert _engine(driver)["sources"]["print"]["loaded"] is True
    body.send_keys("4")  # the reference: the next track of the album, loudness-matched too
    wait_for(driver, "return document.querySelector('.sources button[data-source=\"reference\"]').classList.contains('on')"
                     " || document.getElementById('player-error').textContent", 60)
    assert driver.find_element("id", "player-error").text == ""
    engine = _engine(driver)
    assert engine["selected"] == "reference" and "night-drive" in engine["sources"]["reference"]["label"]
    body.send_keys("m")
    wait_for(driver, "return document.getElementById('mono-button').classList.contains('on')", 10)
    assert _engine(driver)["check"] == "mono"
    body.send_keys("m")
    loop = _engine(driver)["loop"]
    body.send_keys("]")  # the loop one length later
    moved = wait_for(driver, "return fetch('/api/listen', {headers: {'x-desk-token': sessionStorage.getItem("
                             "'hybrid-desk-token')}}).then(r => r.json()).then(e => e.loop.start_s !== arguments[0]"
                             " ? e.loop : null)", 10, loop["start_s"])
    assert moved["start_s"] > loop["start_s"]
    body.send_keys(" ")  # space: pause
    wait_for(driver, "return document.getElementById('play-button').textContent.includes('Play')", 10)
    assert _engine(driver)["playing"] is False
    body.send_keys(" ")
    wait_for(driver, "return document.getElementById('play-button').textContent.includes('Pause')", 10)
    body.send_keys("b")
    driver.find_element("css selector", '#timeline [data-revision="3"]').click()
    wait_for(driver, "return document.getElementById('rack-revision').textContent.startsWith('r3')")
    assert driver.find_element("id", "player-error").text == ""
    assert console_errors(driver) == []


def test_a_manual_units_move_waits_for_the_hand_and_its_confirmation(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    knob = driver.find_element("css selector", '.control[data-unit="pultec"][data-param="high_boost"] .knob')
    knob.click()
    knob.send_keys("\ue013")  # one click up on the passive EQ: nothing can send it
    sheet = wait_for(driver, "const b = document.getElementById('confirm-sheet'); return b ? "
                             "document.getElementById('commit-bar').innerText : null", 30)
    assert "HIGH BOOST" in sheet and "step 2 of 11" in sheet
    driver.find_element("id", "confirm-sheet").click()
    wait_for(driver, "return !document.getElementById('confirm-sheet') && document.querySelector("
                     "'.control[data-unit=\"pultec\"][data-param=\"high_boost\"]').dataset.readback === '1'", 30)
    assert "pultec.high_boost: 0 -> 1" in driver.find_element("id", "commit-bar").text
    assert console_errors(driver) == []


def test_commit_from_the_engine_is_in_the_session_log(desk: dict[str, Any]) -> None:
    driver, state, session = desk["driver"], desk["state"], desk["session"]
    assert "eq.high_gain_db: +1 dB -> +6 dB" in driver.find_element("id", "commit-bar").text
    driver.find_element("id", "commit-open").click()
    driver.find_element("id", "commit-note").send_keys("client: much more air, heard on the desk")
    driver.find_element("id", "commit-submit").click()
    wait_for(driver, "return document.querySelector('#timeline .revision').dataset.revision === '4'", 30)
    env = dict(os.environ, XDG_STATE_HOME=str(state), PYTHONPATH=str(ROOT))
    log = subprocess.run([sys.executable, "-m", "hybrid", "session", "log", str(session), "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    last = json.loads(log.stdout)[-1]
    assert (last["number"], last["note"]) == (4, "client: much more air, heard on the desk")
    assert _engine(driver)["revision"] == 4
    shown = subprocess.run([sys.executable, "-m", "hybrid", "session", "show", str(session), "--json"],
                           capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    units = json.loads(shown.stdout)["units"]
    assert (units["eq"]["high_gain_db"], units["pultec"]["high_boost"]) == (6.0, 1.0)
    wait_for(driver, "return !document.querySelector('.control[data-unit=\"eq\"][data-param=\"high_gain_db\"]')"
                     ".classList.contains('changed')", 10)
    assert console_errors(driver) == []
