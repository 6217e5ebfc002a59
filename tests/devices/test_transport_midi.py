"""MIDI: exact bytes for CC, 14-bit CC, NRPN, program change and Roland SysEx; a twin on a mido socket."""

from __future__ import annotations

import time
from collections.abc import Iterator

import mido
import mido.sockets
import pytest

from devices.errors import TransportError
from devices.profile import load_profile
from devices.profile_schema import MidiParam, SysexSpec
from devices.sim.midi_twin import MidiTwin
from devices.sim.panel import Panel
from devices.transports.midi import MidiRemote, MidiTransport, dt1, parse_roland, roland_checksum, rq1, set_messages

COLOR = load_profile("tube-color")


def _bytes(messages: list) -> list[list[int]]:
    return [m.bytes() for m in messages]


def test_roland_checksum_against_published_messages() -> None:
    # GS reset F0 41 10 42 12 40 00 7F 00 41 F7 and the GS reverb macro F0 41 10 42 12 40 01 30 00 0F F7
    assert roland_checksum([0x40, 0x00, 0x7F, 0x00]) == 0x41
    assert roland_checksum([0x40, 0x01, 0x30, 0x00]) == 0x0F
    assert roland_checksum([0x00]) == 0


def test_rq1_and_dt1_are_built_and_parsed_with_their_checksums() -> None:
    spec = SysexSpec()
    request = rq1(spec, [0x10, 0x00, 0x06])
    assert request.bytes() == [0xF0, 0x41, 0x10, 0x00, 0x6A, 0x11, 0x10, 0x00, 0x06, 0x00, 0x00, 0x02,
                               roland_checksum([0x10, 0x00, 0x06, 0x00, 0x00, 0x02]), 0xF7]
    answer = dt1(spec, [0x10, 0x00, 0x06], [0x01, 0x0F])
    assert parse_roland(spec, answer.data, spec.data, 3) == ([0x10, 0x00, 0x06], [0x01, 0x0F])
    assert parse_roland(spec, request.data, spec.data, 3) is None  # a request is not a data set
    broken = list(answer.data)
    broken[-2] ^= 1
    with pytest.raises(ValueError, match="bad Roland checksum"):
        parse_roland(spec, broken, spec.data, 3)


def test_each_kind_of_set_message_has_the_standard_bytes() -> None:
    ch = 2  # MIDI channel 3 on the panel
    assert _bytes(set_messages(MidiParam(cc=20), ch, 7)) == [[0xB2, 20, 7]]
    # 14-bit CC 7: MSB on CC 7, LSB on CC 39
    assert _bytes(set_messages(MidiParam(cc14=7), ch, 83)) == [[0xB2, 7, 0], [0xB2, 39, 83]]
    assert _bytes(set_messages(MidiParam(cc14=7), ch, 16383)) == [[0xB2, 7, 127], [0xB2, 39, 127]]
    # NRPN 257 (MSB 2, LSB 1) to 300 (MSB 2, LSB 44): CC 99, CC 98, then data entry CC 6 / CC 38
    assert _bytes(set_messages(MidiParam(nrpn=257), ch, 300)) == [[0xB2, 99, 2], [0xB2, 98, 1], [0xB2, 6, 2],
                                                                   [0xB2, 38, 44]]
    assert _bytes(set_messages(MidiParam(program=True), ch, 2)) == [[0xC2, 2]]


@pytest.fixture()
def twin() -> Iterator[MidiTwin]:
    unit = MidiTwin("color", COLOR, Panel("color", COLOR, None), channel=3).start()
    yield unit
    unit.close()


def _remote(address: str, channel: int = 3, **kw: object) -> MidiRemote:
    remote = MidiRemote(MidiTransport(address, label="color", **kw), COLOR.encoding("midi"), channel)  # type: ignore[arg-type]
    remote.open()
    return remote


def test_every_parameter_reaches_the_twin_and_reads_back_by_sysex(twin: MidiTwin) -> None:
    remote = _remote(twin.address)
    target = {"drive_db": 7.0, "tilt_db": -1.5, "air_db": 2.25, "output_db": -3.7, "mode": "hot",
              "bypass": "on"}
    assert set(target) == set(COLOR.parameters)
    for name, value in target.items():
        remote.set(COLOR.parameters[name], value)
    assert {n: remote.get(COLOR.parameters[n]) for n in target} == target
    assert twin.panel.settings() == target
    remote.close()


def test_messages_on_another_channel_do_not_move_the_unit(twin: MidiTwin) -> None:
    other = _remote(twin.address, channel=1)
    other.set(COLOR.parameters["drive_db"], 9.0)
    mine = _remote(twin.address, channel=3)
    mine.set(COLOR.parameters["tilt_db"], 1.0)
    assert mine.get(COLOR.parameters["tilt_db"]) == 1.0  # a round trip: everything before it was handled
    assert twin.panel.get("drive_db") == 0.0
    other.close()
    mine.close()


def test_a_stock_mido_socket_client_can_play_the_twin_like_a_controller(twin: MidiTwin) -> None:
    _, host, port = twin.address.split(":")
    with mido.sockets.connect(host, int(port)) as port_out:
        port_out.send(mido.Message("control_change", channel=2, control=20, value=12))
        port_out.send(mido.Message("program_change", channel=2, program=1))
        deadline = time.monotonic() + 2
        while twin.panel.get("mode") != "warm" and time.monotonic() < deadline:
            time.sleep(0.005)
    assert twin.panel.get("drive_db") == 12.0
    assert twin.panel.get("mode") == "warm"


@pytest.mark.parametrize(("fault", "expected"), [
    ("silent", "no answer within 0.05 s to sysex F0 41 10 00 6A 11 10 00 08 00 00 02 66 F7 after 2 tries"),
    # mode "clean" is 0: DT1 10 00 08 00 00 sums to 0x18, checksum 0x68; the twin sends 0x69
    ("garbled", "garbled reply (bad Roland checksum 0x69 (expected 0x68))"),
])
def test_a_silent_or_garbled_unit_is_named_with_its_port(twin: MidiTwin, fault: str, expected: str) -> None:
    # only silence needs a short timeout; garbage comes back at once
    remote = _remote(twin.address, timeout_s=0.05 if fault == "silent" else 0.5, retries=1)
    twin.fault = fault  # type: ignore[assignment]
    with pytest.raises(TransportError) as caught:
        remote.get(COLOR.parameters["mode"])
    assert str(caught.value).startswith(f"unit 'color' on midi {twin.address}: ")
    assert expected in str(caught.value)
    remote.close()


def test_a_port_nobody_listens_on_is_named() -> None:
    with pytest.raises(TransportError, match=r"unit 'color': cannot open midi tcp:127.0.0.1:9"):
        _remote("tcp:127.0.0.1:9")


def test_jack_midi_without_a_jack_server_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "no-such-server-here")
    with pytest.raises(TransportError, match="unit 'color': cannot open midi jack:x: .*JACK MIDI needs a running "
                                             "JACK server \\(none named 'no-such-server-here'\\)"):
        _remote("jack:x")
