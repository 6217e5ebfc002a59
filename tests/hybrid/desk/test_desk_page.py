"""The desk in a real browser (headless Debian chromium): a demo session's tracks, revisions, rack and
prints drawn; a control moved, kept across a reload, committed with a note (found by `hybrid session
log`); a recall sheet ticked, a print with its progress to the end and its report opened; verify and
`ddp verify` results; an error shown in the CLI's words; no console errors."""

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

from tests.hybrid.desk.browser import console_errors, start_browser, wait_for
from tests.hybrid.desk.conftest import copy_demo
from tests.hybrid.desk.server import ROOT, DeskProcess, start_desk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def desk(demo_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("desk-page")
    session, state = copy_demo(demo_out, root / "copy")
    driver = start_browser(root / "chromium")  # first, so a missing chromium skips before anything starts
    server = start_desk(session, state_dir=state)
    driver.get(server.url)
    wait_for(driver, "return document.body.dataset.ready === '1'")
    yield {"server": server, "driver": driver, "session": session, "state": state}
    driver.quit()
    server.stop()


def _hybrid(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_STATE_HOME=str(state), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "hybrid", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def _control(driver: Any, unit: str, param: str) -> Any:
    return driver.find_element("css selector", f'.control[data-unit="{unit}"][data-param="{param}"]')


def test_the_session_is_drawn(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    titles = [e.text for e in driver.find_elements("css selector", "#tracks .track-title")]
    assert titles == ["First Light", "Night Drive", "Last Call"]
    # each mix measured as `hybrid qc` measures it: loudness and true peak on its row
    wait_for(driver, "return document.querySelectorAll('#tracks .qc').length === 3", 120)
    first = driver.find_element("css selector", '#tracks [data-track="first-light"] .track-figures').text
    assert "LUFS" in first and "dBTP" in first
    revisions = driver.find_elements("css selector", "#timeline .revision")
    assert [r.get_attribute("data-revision") for r in revisions] == ["3", "2", "1"]
    r2 = driver.find_element("css selector", '#timeline [data-revision="2"]').text
    assert "eq.low_gain_db: 0.0 dB -> +1.0 dB" in r2 and "printed" in r2
    units = [e.get_attribute("data-unit") for e in driver.find_elements("css selector", "#rack .unit")]
    assert units == ["eq", "comp", "color", "pultec"]
    # a stepped knob with its detents, a switch with its named positions, markings as on the panel
    assert _control(driver, "eq", "high_freq_hz").find_element("css selector", ".value").text == "10 kHz"
    shape = _control(driver, "eq", "high_shape")
    assert [b.text for b in shape.find_elements("css selector", "button")] == ["shelf", "bell"]
    assert driver.find_elements("css selector", '.unit[data-unit="pultec"] .sheet li')
    prints = [e.get_attribute("data-print") for e in driver.find_elements("css selector", "#prints .print")]
    assert prints == ["r0003-01", "r0002-01"]
    assert "compliant" in driver.find_element("css selector", '#prints [data-print="r0002-01"]').text
    assert console_errors(driver) == []


def test_a_moved_control_is_marked_kept_over_a_reload_and_committed(desk: dict[str, Any]) -> None:
    driver, state, session = desk["driver"], desk["state"], desk["session"]
    knob = _control(driver, "eq", "high_gain_db").find_element("css selector", ".knob")
    knob.click()
    knob.send_keys("\ue013")  # arrow up: one detent (+0.5 dB)
    moved = _control(driver, "eq", "high_gain_db")
    assert "changed" in moved.get_attribute("class")
    assert moved.find_element("css selector", ".value").text == "+1.5 dB"
    driver.refresh()
    wait_for(driver, "return document.body.dataset.ready === '1'")
    moved = _control(driver, "eq", "high_gain_db")
    assert "changed" in moved.get_attribute("class"), "a reload lost the uncommitted move"
    assert "eq.high_gain_db: +1 dB -> +1.5 dB" in driver.find_element("id", "commit-bar").text
    driver.find_element("id", "commit-open").click()
    driver.find_element("id", "commit-note").send_keys("client: a little more top on the album")
    driver.find_element("id", "commit-submit").click()
    wait_for(driver, "return document.querySelector('#timeline .revision').dataset.revision === '4'")
    log = json.loads(_hybrid(state, "session", "log", str(session), "--json").stdout)
    assert log[-1]["number"] == 4 and log[-1]["note"] == "client: a little more top on the album"
    shown = json.loads(_hybrid(state, "session", "show", str(session), "--json").stdout)
    assert shown["units"]["eq"]["high_gain_db"] == 1.5
    assert "changed" not in _control(driver, "eq", "high_gain_db").get_attribute("class")
    assert console_errors(driver) == []


def _job(driver: Any, kind: str) -> dict[str, Any]:
    return driver.execute_script(
        "const j = document.querySelector(`#jobs .job[data-kind='${arguments[0]}']`);"
        "return j ? {state: j.dataset.state, fraction: Number(j.dataset.fraction), text: j.innerText} : null;", kind)


def _follow(driver: Any, kind: str, timeout_s: float) -> tuple[dict[str, Any], list[float]]:
    seen: list[float] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = _job(driver, kind)
        if job:
            seen.append(job["fraction"])
            if job["state"] != "running":
                return job, seen
        time.sleep(0.05)
    raise AssertionError(f"the {kind} did not finish in {timeout_s} s: {_job(driver, kind)}")


def test_print_needs_the_sheet_ticked_then_runs_to_the_end_and_opens_the_report(desk: dict[str, Any]) -> None:
    driver, session = desk["driver"], desk["session"]
    button = driver.find_element("id", "print-button")
    assert button.get_attribute("disabled") is not None and "pultec" in button.get_attribute("title")
    rows = '.unit[data-unit="pultec"] .sheet input[type=checkbox]'
    for n in range(len(driver.find_elements("css selector", rows))):
        driver.find_elements("css selector", rows)[n].click()  # each tick redraws the rack: find it again
    assert "every control set by hand" in driver.find_element("css selector", '.unit[data-unit="pultec"] .sheet').text
    driver.find_element("id", "print-one-track").click()
    driver.find_element("id", "print-button").click()
    job, seen = _follow(driver, "print", 300)
    assert job["state"] == "done", job["text"]
    assert any(0.0 < f < 1.0 for f in seen), f"no progress between start and end: {sorted(set(seen))}"
    assert seen[-1] == 1.0 and "printed revision 4 into r0004-01" in job["text"]
    assert (session / "prints" / "r0004-01" / "report.html").is_file()
    wait_for(driver, "return document.getElementById('report-dialog').open")
    driver.switch_to.frame(driver.find_element("id", "report-frame"))
    wait_for(driver, "return document.title.startsWith('Mastering report')", 30)
    driver.switch_to.default_content()
    driver.find_element("id", "report-close").click()
    assert console_errors(driver) == []


def test_verify_says_pass_for_the_revision_on_the_gear(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    wait_for(driver, "return !document.getElementById('verify-button').disabled")
    driver.find_element("id", "verify-button").click()
    job, _ = _follow(driver, "verify", 300)
    assert job["state"] == "done", job["text"]
    assert "PASS: the chain matches revision 4 as printed in r0004-01" in job["text"]
    assert "verified" in driver.find_element("css selector", '#timeline [data-revision="4"]').text


def test_render_from_the_stored_prints_shows_each_targets_compliance(desk: dict[str, Any]) -> None:
    driver, session, state = desk["driver"], desk["session"], desk["state"]
    # revision 4 was printed for track 1 only: render refuses, in the words `hybrid render` uses
    driver.find_element("id", "render-button").click()
    job, _ = _follow(driver, "render", 300)
    cli = _hybrid(state, "render", str(session), "--revision", "4")
    assert job["state"] == "failed" and cli.returncode == 2
    assert cli.stderr.strip() in job["text"] and "no capture in the prints of revision 4" in job["text"]
    # revision 2, printed whole: picked on the timeline, rendered, its compliance listed
    driver.find_element("css selector", '#timeline [data-revision="2"]').click()
    wait_for(driver, "return document.getElementById('rack-revision').textContent.startsWith('r2')")
    driver.find_element("id", "render-button").click()
    wait_for(driver, "const j = document.querySelector('#jobs .job[data-kind=\"render\"]');"
                     " return j && j.innerText.includes('r2')", 30)
    job, _ = _follow(driver, "render", 300)
    assert job["state"] == "done", job["text"]
    assert "rendered revision 2" in job["text"] and "compliant" in job["text"]
    assert (session / "deliverables" / "r0002-01" / "render.json").is_file()
    row = wait_for(driver, "const r = document.querySelector('#prints [data-render=\"r0002-01\"]'); return r && r.innerText", 30)
    assert "current" in row
    assert "STREAMING" in row.upper() and "compliant" in row


def test_ddp_verify_of_a_print(desk: dict[str, Any]) -> None:
    driver = desk["driver"]
    row = driver.find_element("css selector", '#prints [data-print="r0002-01"]')
    next(b for b in row.find_elements("css selector", "button") if b.text == "DDP verify").click()
    job, _ = _follow(driver, "ddp", 120)
    assert job["state"] == "done", job["text"]
    assert "3 tracks" in job["text"] and "checksums match" in job["text"] and "no problems found" in job["text"]


def test_an_error_is_shown_in_the_clis_words(desk: dict[str, Any]) -> None:
    # another process holds the simulated units: the page's "read the gear" fails as `hybrid devices read` does
    driver, state = desk["driver"], desk["state"]
    env = dict(os.environ, XDG_STATE_HOME=str(state), PYTHONPATH=str(ROOT))
    holder = subprocess.Popen([sys.executable, "-m", "hybrid", "sim", "serve"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    try:
        assert holder.stdout is not None
        deadline = time.monotonic() + 60
        while "eq" not in (line := holder.stdout.readline()) and time.monotonic() < deadline:
            pass
        cli = _hybrid(state, "devices", "read")
        assert cli.returncode == 2
        driver.find_element("id", "read-button").click()
        job, _ = _follow(driver, "read", 120)
        assert job["state"] == "failed"
        words = cli.stderr.strip().split(" (pid ")[0]
        assert words.startswith("hybrid: the simulated units of rig 'sim-studio' are in use")
        assert words in driver.find_element("css selector", '#jobs .job[data-kind="read"] .error-line').text
    finally:
        holder.send_signal(2)
        holder.wait(30)
    assert console_errors(driver) == []
