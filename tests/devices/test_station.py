"""The station: twins keep their panels between commands, one process owns them, audio runs through them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from devices.errors import HybridError
from devices.paths import state_dir
from devices.rig import load_rig
from devices.station import open_station


def test_simulated_units_keep_their_settings_between_commands() -> None:
    with open_station(load_rig(), confirm_manual=lambda s: True, audio=False) as st:
        st.recall({"eq": {"high_gain_db": 2.5}, "comp": {"ratio": 10}, "color": {"mode": "hot"},
                   "pultec": {"low_boost": 4}})
    panels = state_dir() / "sim" / "sim-studio"
    saved = json.loads((panels / "eq.json").read_text())
    assert saved["settings"]["high_gain_db"] == 2.5
    # a later command finds the units where they were left, and asks them over the wire
    with open_station(load_rig(), audio=False) as st:
        assert st.units["eq"].read()["high_gain_db"] == 2.5
        assert st.units["comp"].read()["ratio"] == 10.0
        assert st.units["color"].read()["mode"] == "hot"
        assert st.sim.twins["pultec"].panel.get("low_boost") == 4.0


def test_a_damaged_panel_file_powers_the_unit_up_at_its_defaults() -> None:
    panels = state_dir() / "sim" / "sim-studio"
    panels.mkdir(parents=True, exist_ok=True)
    (panels / "comp.json").write_text("{not json")
    with open_station(load_rig(), audio=False) as st:
        assert st.units["comp"].read() == st.units["comp"].profile.defaults()


def test_the_serial_twin_has_a_stable_name_under_the_state_dir() -> None:
    with open_station(load_rig(), audio=False) as st:
        link = state_dir() / "sim" / "sim-studio" / "comp.tty"
        assert os.path.realpath(link) == st.sim.address("comp")


def test_only_one_process_runs_a_rigs_twins_and_the_other_is_told_who(tmp_path) -> None:
    with open_station(load_rig(), audio=False):
        with pytest.raises(HybridError, match=rf"in use by another hybrid process \(pid {os.getpid()}: "):
            open_station(load_rig(), audio=False)
        code = ("from devices.station import open_station\n"
                "from devices.errors import HybridError\n"
                "try:\n    open_station(audio=False)\nexcept HybridError as e:\n    print(e)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ,
                             timeout=60)
        assert f"pid {os.getpid()}" in out.stdout
    with open_station(load_rig(), audio=False):  # released on close
        pass


def test_a_print_goes_through_the_recalled_units_and_the_interface() -> None:
    with open_station(load_rig(), confirm_manual=lambda s: True, seed=3) as st:
        rate = st.interface.sample_rate
        st.recall_neutral()
        t = np.arange(rate) / rate
        send = np.zeros((rate, 2))
        send[: rate // 2] = 0.25 * np.sin(2 * np.pi * 1000 * t[: rate // 2])[:, None]
        flat = st.interface.playrec(send)
        st.recall({"eq": {"highmid_freq_hz": 1000, "highmid_gain_db": 6.0}})
        boosted = st.interface.playrec(send)
        window = slice(rate // 8, rate // 2 - rate // 8)
        ratio_db = 20 * np.log10(np.sqrt(np.mean(boosted[window] ** 2)) / np.sqrt(np.mean(flat[window] ** 2)))
        assert ratio_db == pytest.approx(6.0, abs=0.1)


def test_an_auto_port_on_real_gear_is_refused_with_the_field() -> None:
    rig = load_rig()
    data = rig.model_dump()
    data["units"][0]["simulated"] = False
    from devices.config import parse
    from devices.rig import Rig

    real = parse(Rig, data, "studio.yaml")
    with pytest.raises(HybridError, match=r"units.eq.wire.port: 'auto' is not allowed; 'auto' needs simulated: true"):
        open_station(real, audio=False)


def test_a_rig_that_puts_a_unit_on_a_wire_its_model_does_not_speak_is_refused() -> None:
    from devices.config import parse
    from devices.rig import Rig

    data = load_rig().model_dump()
    data["units"][1]["wire"] = {"kind": "osc", "port": "auto"}
    rig = parse(Rig, data, "studio.yaml")
    with pytest.raises(HybridError, match=r"^units.comp.wire.kind: 'osc' is not allowed; profile 'vca-bus-comp' "
                                          r"speaks: serial, manual$"):
        open_station(rig, audio=False)
    with open_station(load_rig(), audio=False):  # nothing was left holding the twins
        pass
