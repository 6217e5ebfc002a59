"""OSC over real UDP on 127.0.0.1: sets and queries reach a twin, replies come back, failures are named."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from devices.errors import TransportError
from devices.profile import load_profile
from devices.sim.osc_twin import OscTwin
from devices.sim.panel import Panel
from devices.transports.osc import Osc, OscRemote, OscTransport

EQ = load_profile("stepped-eq-4band")


@pytest.fixture()
def twin() -> Iterator[OscTwin]:
    unit = OscTwin("eq", EQ, Panel("eq", EQ, None)).start()
    yield unit
    unit.close()


def _wait_for(condition, seconds: float = 2.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def _remote(twin: OscTwin, **kw: object) -> OscRemote:
    host, port = twin.address.rsplit(":", 1)
    remote = OscRemote(OscTransport(host, int(port), label="eq", **kw), EQ.encoding("osc"))  # type: ignore[arg-type]
    remote.open()
    return remote


def test_every_parameter_set_over_udp_is_held_by_the_twin_and_read_back(twin: OscTwin) -> None:
    remote = _remote(twin)
    target = {"low_shape": "bell", "low_freq_hz": 120.0, "low_gain_db": -2.5, "lowmid_freq_hz": 470.0,
              "lowmid_gain_db": 1.0, "lowmid_q": 1.4, "highmid_freq_hz": 2200.0, "highmid_gain_db": -0.5,
              "highmid_q": 0.5, "high_shape": "bell", "high_freq_hz": 15000.0, "high_gain_db": 3.5,
              "output_db": -0.7, "bypass": "on"}
    assert set(target) == set(EQ.parameters)
    for name, value in target.items():
        remote.set(EQ.parameters[name], value)
    assert {name: remote.get(EQ.parameters[name]) for name in target} == target
    assert twin.panel.settings() == target
    remote.close()


def test_a_query_can_name_a_reply_port(twin: OscTwin) -> None:
    probe = OscTransport("127.0.0.1", 9, label="probe")
    probe.open()
    free_port = probe.local_port
    probe.close()
    remote = _remote(twin, reply_port=free_port)
    assert remote.transport.local_port == free_port
    remote.set(EQ.parameters["high_gain_db"], 2.0)
    assert remote.get(EQ.parameters["high_gain_db"]) == 2.0
    sent = [e.text for e in remote.transport.log.entries if e.direction == "->"]
    assert sent[-1] == f"/eq/get '/eq/high/gain' {free_port}"
    remote.close()


def test_a_silent_unit_gets_bounded_retries_then_one_error_naming_unit_and_port(twin: OscTwin) -> None:
    remote = _remote(twin, timeout_s=0.05, retries=2)
    twin.fault = "silent"
    before = twin.received
    with pytest.raises(TransportError) as caught:
        remote.get(EQ.parameters["low_gain_db"])
    _wait_for(lambda: twin.received - before >= 3)
    time.sleep(0.1)
    assert twin.received - before == 3  # first try and two retries, then stop
    assert str(caught.value) == (f"unit 'eq' on osc udp {twin.address}: no answer within 0.05 s to "
                                 "/eq/get '/eq/low/gain' after 3 tries (0.05 s each)")
    remote.close()


def test_a_garbled_reply_is_named_as_such(twin: OscTwin) -> None:
    remote = _remote(twin, retries=1)  # garbage comes back at once; a short timeout would only risk a miss
    twin.fault = "garbled"
    with pytest.raises(TransportError, match=r"unit 'eq' on osc udp .*: garbled reply .* after 2 tries"):
        remote.get(EQ.parameters["low_gain_db"])
    remote.close()


def test_nobody_listening_is_a_timeout_not_a_crash() -> None:
    probe = OscTransport("127.0.0.1", 9, label="probe")
    probe.open()
    dead_port = probe.local_port
    probe.close()
    remote = OscRemote(OscTransport("127.0.0.1", dead_port, label="eq", timeout_s=0.02, retries=0),
                       EQ.encoding("osc"))
    remote.open()
    with pytest.raises(TransportError, match="no answer within 0.02 s"):
        remote.get(EQ.parameters["low_gain_db"])
    remote.close()


def test_a_stock_osc_client_can_drive_the_twin_like_oscsend(twin: OscTwin) -> None:
    host, port = twin.address.rsplit(":", 1)
    SimpleUDPClient(host, int(port)).send_message("/eq/high/gain", 4.5)
    deadline = time.monotonic() + 2
    while twin.panel.get("high_gain_db") != 4.5 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert twin.panel.get("high_gain_db") == 4.5


def test_the_controller_speaks_standard_osc_to_a_stock_server() -> None:
    got: list[tuple[str, tuple]] = []
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: got.append((address, args)))
    server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        remote = OscRemote(OscTransport("127.0.0.1", server.server_address[1], label="eq"), EQ.encoding("osc"))
        remote.open()
        remote.set(EQ.parameters["high_freq_hz"], 2200.0)
        remote.set(EQ.parameters["low_shape"], "bell")
        remote.transport.send(Osc("/eq/raw", (7,), ("i",)))
        deadline = time.monotonic() + 2
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        remote.close()
    finally:
        server.shutdown()
        server.server_close()
    assert got == [("/eq/high/freq", (2200.0,)), ("/eq/low/shape", ("bell",)), ("/eq/raw", (7,))]


def test_a_value_off_the_detents_arriving_on_the_wire_snaps_like_the_panel(twin: OscTwin) -> None:
    host, port = twin.address.rsplit(":", 1)
    client = SimpleUDPClient(host, int(port))
    client.send_message("/eq/low/gain", 1.2)     # between detents: the switch lands on 1.0
    client.send_message("/eq/high/gain", 40.0)   # past the end stop: refused, nothing moves
    client.send_message("/eq/high/shape", "peak")  # no such position: refused
    client.send_message("/eq/output", 0.3)         # a marker that the three above were handled
    deadline = time.monotonic() + 2
    while twin.panel.get("output_db") != 0.3 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert twin.panel.get("low_gain_db") == 1.0
    assert twin.panel.get("high_gain_db") == 0.0
    assert twin.panel.get("high_shape") == "shelf"
