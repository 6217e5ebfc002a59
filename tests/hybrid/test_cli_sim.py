"""`hybrid sim serve` runs the twins for other tools; other commands refuse while it runs; show and reset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from pythonosc.udp_client import SimpleUDPClient

from devices.errors import HybridError
from devices.station import open_station
from devices.transports.serial import SerialRemote, SerialTransport
from devices.profile import load_profile
from hybrid.cli import main


def test_serve_runs_the_twins_for_stock_tools_and_other_commands_refuse_naming_its_pid() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "hybrid", "sim", "serve", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ)
    try:
        listing = json.loads(proc.stdout.readline())
        units = {row["unit"]: row for row in listing["units"]}
        assert set(units) == {"eq", "comp", "color", "pultec"}
        assert units["color"]["address"].startswith("tcp:127.0.0.1:") and units["color"]["channel"] == 3
        # a stock OSC client moves the EQ, a serial terminal (here pyserial) talks to the compressor by its link
        host, port = units["eq"]["address"].rsplit(":", 1)
        SimpleUDPClient(host, int(port)).send_message("/eq/high/gain", 3.0)
        comp = load_profile("vca-bus-comp")
        enc = comp.encoding("serial")
        remote = SerialRemote(SerialTransport(units["comp"]["link"], label="comp"), enc)
        remote.open()
        remote.set(comp.parameters["ratio"], 10.0)
        assert remote.get(comp.parameters["ratio"]) == 10.0
        remote.close()
        with pytest.raises(HybridError, match=rf"in use by another hybrid process \(pid {proc.pid}: hybrid sim serve"):
            open_station(audio=False)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    # the panels were saved: the next command finds the units where serve left them
    with open_station(audio=False) as st:
        assert st.units["comp"].read()["ratio"] == 10.0
        assert st.units["eq"].read()["high_gain_db"] == 3.0


def test_show_and_reset_the_panels(capsys: pytest.CaptureFixture[str]) -> None:
    with open_station(audio=False) as st:
        st.recall({"comp": {"ratio": 4, "release_s": "auto"}})
    assert main(["sim", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["panels"]["comp"]["ratio"] == 4.0
    assert shown["panels"]["eq"] is None or shown["panels"]["eq"]["high_gain_db"] == 0.0
    assert main(["sim", "show"]) == 0
    text = capsys.readouterr().out
    assert "RATIO                4:1" in text and "RELEASE              auto" in text
    assert main(["sim", "reset"]) == 0
    capsys.readouterr()
    main(["sim", "show", "--json"])
    assert json.loads(capsys.readouterr().out)["panels"]["comp"]["ratio"] == 2.0  # the factory default


def test_a_rig_without_simulated_units_is_refused(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = tmp_path / "real.yaml"
    rig.write_text("spec: 1\nname: real\ninterface: {backend: sim, latency_samples: 10, gain_error_db: [0, 0]}\n"
                   "units:\n  - {name: eq, profile: stepped-eq-4band, wire: {kind: osc, port: 9000}, simulated: false}\n")
    assert main(["sim", "serve", "--rig", str(rig)]) == 2
    assert "no unit is marked simulated: true" in capsys.readouterr().err


def test_serve_started_in_the_background_by_a_script_stops_on_sigint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A non-interactive shell starts background jobs with SIGINT ignored; Python then installs no
    # handler of its own, and `hybrid sim serve &` ignored `kill -INT` (issue 12). The console
    # script (hybrid.cli:main, not `python -m hybrid`) is what such a script runs; main() installs
    # the handlers itself (hybrid/interrupts.py).
    script = tmp_path / "serve.sh"
    script.write_text(f'{sys.executable} -c "import sys; from hybrid.cli import main; sys.exit(main())" '
                      f'sim serve --json > {tmp_path}/out.json 2> {tmp_path}/err.txt &\necho $!\nwait $!\necho "rc=$?"\n')
    shell = subprocess.Popen(["bash", str(script)], stdout=subprocess.PIPE, text=True, env=os.environ)
    pid = 0
    try:
        pid = int(shell.stdout.readline())  # type: ignore[union-attr]
        deadline = __import__("time").monotonic() + 60
        out_json = tmp_path / "out.json"
        # `echo $!` can run before the background job's shell has made its redirections: wait for the file too
        while not (out_json.exists() and out_json.read_text().strip()):
            assert __import__("time").monotonic() < deadline, (tmp_path / "err.txt").read_text()
            __import__("time").sleep(0.1)
        os.kill(pid, signal.SIGINT)
        out, _ = shell.communicate(timeout=20)  # the old code ignored it: this timed out
    finally:
        if shell.poll() is None:  # a serve that ignored the signal: stop it and its shell
            if pid:
                os.kill(pid, signal.SIGKILL)
            shell.kill()
    assert "rc=0" in out and json.loads((tmp_path / "out.json").read_text())["units"]
