"""MIDI over JACK (python-rtmidi on a private jackd with the dummy driver): the same recall as on a mido socket."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from devices.config import parse
from devices.errors import TransportError
from devices.rig import Rig, load_rig
from devices.station import open_station

pytestmark = pytest.mark.jack


@pytest.fixture()
def jack_ready(jack_server):  # type: ignore[no-untyped-def]
    """The session's private jackd, once it accepts clients (the server fixture does not wait)."""
    socket_path = Path(f"/dev/shm/jack_{jack_server.name}_{os.getuid()}_0")
    deadline = time.monotonic() + 20
    import rtmidi

    while True:
        if jack_server.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"jackd {jack_server.name} did not come up: {jack_server.log_path.read_text()[-400:]}")
        if socket_path.exists():
            try:
                probe = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="hybrid-probe")
                probe.delete()
                return jack_server
            except Exception:  # the server is still starting
                pass
        time.sleep(0.05)


def _rig_with_jack_midi() -> Rig:
    data = load_rig().model_dump()
    data["units"][2]["wire"]["port"] = "jack"
    return parse(Rig, data, "jack-studio.yaml")


def test_the_tube_unit_recalls_and_reads_back_over_jack_midi(jack_ready) -> None:  # type: ignore[no-untyped-def]
    with open_station(_rig_with_jack_midi(), audio=False, persist=False) as st:
        assert st.sim.address("color") == "jack:hybrid-sim-studio-color"
        target = {"drive_db": 5.0, "tilt_db": -2.5, "air_db": 1.5, "output_db": -2.3, "mode": "hot",
                  "bypass": "on"}
        report = st.recall({"color": target})["color"]
        assert report.verified and report.read_back == target
        assert st.sim.twins["color"].panel.settings() == target
        st.sim.twins["color"].fault = "wrong_value"
        with pytest.raises(Exception, match="parameter 'drive_db': sent \\+5 dB, read \\+6 dB"):
            st.recall({"color": target})
        st.units["color"].remote.transport.timeout_s = 0.05
        st.sim.twins["color"].fault = "silent"
        with pytest.raises(TransportError, match="unit 'color' on midi jack:hybrid-sim-studio-color: no answer"):
            st.recall({"color": target})


def test_a_missing_jack_client_is_named(jack_ready) -> None:  # type: ignore[no-untyped-def]
    from devices.profile import load_profile
    from devices.transports.midi import MidiRemote, MidiTransport

    remote = MidiRemote(MidiTransport("jack:nobody-here", label="color"), load_profile("tube-color").encoding("midi"), 3)
    with pytest.raises(TransportError, match="unit 'color': cannot open midi jack:nobody-here: no JACK MIDI ports "
                                             "nobody-here:in / nobody-here-reply:out"):
        remote.open()
