"""Recall verification by measurement: the chain's fingerprint now against the one stored at a print."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import serial
import soundfile as sf
from pythonosc.udp_client import SimpleUDPClient

from calibration.fingerprint import Fingerprint, compare
from devices.rig import load_rig
from devices.sim.rig import SimRig
from hybrid.cli import main
from hybrid.printing.folders import latest_fingerprint
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session


# the gear (the simulated panels) and its calibration are shared by the tests of this module
pytestmark = pytest.mark.usefixtures("studio_day")


@pytest.fixture(scope="module")
def session_dir(studio_day_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Revision 1 at the defaults, printed (its fingerprint stored); revision 2 with +1 dB at 3.3 kHz."""
    base = tmp_path_factory.mktemp("verify")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(studio_day_dir))
        rng = np.random.default_rng(5)
        sf.write(base / "mix.wav", 0.05 * rng.standard_normal((24000, 2)), 48000, subtype="FLOAT")
        folder = base / "session"
        new_session(folder, [base / "mix.wav"], album=AlbumFields(targets=["streaming"]))
        assert main(["session", "set", str(folder), "eq.highmid_gain_db=+1", "--note", "more presence"]) == 0
        print_revision(PrintRequest(folder, revision=1, confirm_manual=lambda sheet: True))
    return folder


def _verify(session_dir: Path, capsys: pytest.CaptureFixture[str], revision: int = 1) -> tuple[int, dict]:
    capsys.readouterr()
    status = main(["verify", str(session_dir), "--revision", str(revision), "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def _recall(session_dir: Path, revision: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recall", str(session_dir), "--revision", str(revision), "--yes"]) == 0
    capsys.readouterr()


def test_the_print_stores_a_fine_fingerprint(session_dir: Path) -> None:
    found = latest_fingerprint(session_dir / "prints", 1)
    assert found is not None
    fingerprint = Fingerprint.from_dict(found[1])
    ratios = np.diff(np.log2(fingerprint.freqs_hz))
    assert np.all(ratios <= 1 / 6 + 1e-9)  # 1/6 octave or finer
    assert fingerprint.freqs_hz[0] <= 25 and fingerprint.freqs_hz[-1] >= 19000
    assert len(fingerprint.levels_dbfs) >= 3 and len(fingerprint.thd_db) == 2


def test_recalled_revision_verifies_against_its_own_print(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _recall(session_dir, 1, capsys)
    status, data = _verify(session_dir, capsys)
    assert status == 0 and data["pass"] is True and data["deviations"] == []
    assert data["max_response_deviation_db"] < 0.1


def test_verify_takes_the_newest_printed_revision_by_default(session_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # print, recall and render default to the latest; verify required --revision. Revision 2 has no
    # print, so the newest printed is 1 (render's rule), and the answer says which it compared with.
    _recall(session_dir, 1, capsys)
    assert main(["verify", str(session_dir)]) == 0
    assert capsys.readouterr().out.startswith("PASS: the chain matches revision 1 as printed in r0001-01")


def test_another_revision_on_the_gear_fails_naming_the_unit_and_band(session_dir: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _recall(session_dir, 2, capsys)
    status, data = _verify(session_dir, capsys)
    assert status == 1 and data["pass"] is False
    response = [d for d in data["deviations"] if d["kind"] == "response"]
    assert response and {d["unit"] for d in response} == {"eq"}
    worst = max(response, key=lambda d: abs(d["deviation"]))
    assert 2500 <= worst["freq_hz"] <= 4500 and worst["deviation"] == pytest.approx(1.0, abs=0.15)
    assert all(set(d) >= {"unit", "what", "expected", "measured"} for d in data["deviations"])
    suspect = data["suspects"][0]
    assert (suspect["unit"], suspect["parameter"], suspect["likely"]) == ("eq", "highmid_gain_db", 1.0)
    capsys.readouterr()
    assert main(["verify", str(session_dir), "--revision", "1"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("FAIL") and "eq.highmid_gain_db looks like +1 dB instead of 0 dB" in text


def test_a_knob_moved_over_osc_outside_the_session_is_caught(session_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _recall(session_dir, 1, capsys)
    with SimRig(load_rig()) as sim:  # the gear as it stands, with nobody from the session talking to it
        eq = sim.twins["eq"]
        host, port = eq.address.rsplit(":", 1)
        SimpleUDPClient(host, int(port)).send_message("/eq/lowmid/gain", -1.5)
        deadline = time.monotonic() + 5
        while eq.panel.get("lowmid_gain_db") != -1.5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert eq.panel.get("lowmid_gain_db") == -1.5
    status, data = _verify(session_dir, capsys)
    assert status == 1 and data["pass"] is False
    worst = max(data["deviations"], key=lambda d: abs(d["deviation"]))
    assert worst["unit"] == "eq" and 200 <= worst["freq_hz"] <= 550 and worst["deviation"] < -1.0
    suspect = data["suspects"][0]
    assert (suspect["unit"], suspect["parameter"], suspect["likely"]) == ("eq", "lowmid_gain_db", -1.5)


def test_a_compressor_moved_over_serial_shows_in_its_gain_reduction(session_dir: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _recall(session_dir, 1, capsys)
    with SimRig(load_rig()) as sim:
        comp = sim.twins["comp"]
        with serial.Serial(comp.address, 38400, timeout=1.0) as port:
            port.write(b"SET THR -20\r")
            assert port.read_until(b"\r\n").strip() == b"OK"
    status, data = _verify(session_dir, capsys)
    assert status == 1
    reduction = [d for d in data["deviations"] if d["kind"] == "gain_reduction"]
    assert reduction and {d["unit"] for d in reduction} == {"comp"}
    assert max(d["measured"] - d["expected"] for d in reduction) > 1.0  # more gain reduction at -6 dBFS
    suspect = data["suspects"][0]
    assert (suspect["unit"], suspect["parameter"], suspect["expected"], suspect["likely"]) == (
        "comp", "threshold_db", -10.0, -20.0)


def test_a_manual_unit_set_wrong_by_hand_is_caught(session_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _recall(session_dir, 1, capsys)
    with SimRig(load_rig()) as sim:
        # the operator's hand is this unit's only wire: HIGH BOOST left two clicks up
        sim.twins["pultec"].panel.set("high_boost", 2.0)
    status, data = _verify(session_dir, capsys)
    assert status == 1
    assert (data["suspects"][0]["unit"], data["suspects"][0]["parameter"]) == ("pultec", "high_boost")
    assert {d["unit"] for d in data["deviations"] if abs(d["deviation"]) > 0.5} == {"pultec"}


def test_compare_holds_to_the_tolerance() -> None:
    base = dict(sample_rate=48000, measured_at="", response_level_dbfs=-20.0, freqs_hz=[100.0, 1000.0],
                response_db=[[0.0, 0.0]], tone_hz=1000.0, levels_dbfs=[-30.0, -6.0], gain_db=[[0.0, 0.0]],
                gain_reduction_db=[[0.0, 0.0]], thd_level_dbfs=-12.0, thd_db=[-100.0])
    expected = Fingerprint(**base)
    assert compare(expected, Fingerprint(**{**base, "response_db": [[0.09, -0.09]]})).passed
    moved = compare(expected, Fingerprint(**{**base, "response_db": [[0.0, 0.11]]}))
    assert not moved.passed and [d.what for d in moved.deviations] == ["response 1 kHz"]
    squeezed = compare(expected, Fingerprint(**{**base, "gain_db": [[0.0, -0.2]]}))
    assert [d.what for d in squeezed.deviations] == ["gain reduction at -6 dBFS"]
