"""The OSC and serial codecs on a scripted wire (tests/devices/scripted.py): every message and reply as
exact bytes, no socket, no pty, no sleeps. The real-wire tests stay in test_transport_osc.py and
test_transport_serial.py."""

from __future__ import annotations

import pytest

from devices.errors import TransportError
from devices.profile import load_profile
from devices.transports.osc import Osc, OscRemote, OscTransport
from devices.transports.serial import SerialRemote, SerialTransport
from tests.devices.scripted import expected_protocol

PROFILE = load_profile("stepped-eq-4band")
ENCODING = PROFILE.encoding("osc")


def _remote(**kwargs: object) -> OscRemote:
    return OscRemote(OscTransport("127.0.0.1", 9, label="eq", timeout_s=0.5, retries=1, **kwargs), ENCODING)


def test_every_control_goes_out_as_its_address_with_its_typed_argument() -> None:
    remote = _remote()
    exchanges, values = [], {}
    for name, param in PROFILE.parameters.items():
        value = param.coerce(param.default)[0]
        enc = ENCODING.parameters[name]
        tag = {"string": "s", "int": "i"}.get(enc.arg, "f")
        arg = param.index(value) if tag == "i" and param.detents else value
        if tag == "s" and not isinstance(value, str):
            arg = f"{value:.6g}"
        exchanges.append((Osc(enc.address, (arg,), (tag,)).dgram(), None))
        values[name] = value
    with expected_protocol(remote.transport, exchanges):
        for name, value in values.items():
            remote.set(PROFILE.parameters[name], value)


def test_a_read_back_asks_the_query_address_and_decodes_the_answer() -> None:
    remote = _remote(reply_port=9100)
    param = PROFILE.parameters["low_gain_db"]
    ask = Osc("/eq/get", ("/eq/low/gain", 9100)).dgram()
    answer = Osc("/eq/low/gain", (1.5,), ("f",)).dgram()
    with expected_protocol(remote.transport, [(ask, answer)]):
        assert remote.get(param) == 1.5


def test_a_garbled_answer_is_retried_then_one_error_naming_it() -> None:
    remote = _remote()
    param = PROFILE.parameters["low_gain_db"]
    ask = Osc("/eq/get", ("/eq/low/gain",)).dgram()
    with expected_protocol(remote.transport, [(ask, b"not osc"), (ask, b"not osc")]):
        with pytest.raises(TransportError, match=r"garbled reply b'not osc'.* after 2 tries"):
            remote.get(param)


def test_the_script_fails_on_a_message_left_unsent() -> None:
    remote = _remote()
    ask = Osc("/eq/get", ("/eq/low/gain",)).dgram()
    with pytest.raises(AssertionError, match="left unsent"):
        with expected_protocol(remote.transport, [(ask, None)]):
            pass


def test_the_script_fails_on_a_message_it_did_not_expect() -> None:
    remote = _remote()
    with pytest.raises(AssertionError, match="the script expected"):
        with expected_protocol(remote.transport, [(Osc("/eq/other", (0.0,), ("f",)).dgram(), None)]):
            remote.set(PROFILE.parameters["low_gain_db"], 0.0)


# ---------------------------------------------------------------- serial (ASCII), through the real line reader

COMP = load_profile("vca-bus-comp")


def _serial(**kwargs: object) -> SerialRemote:
    enc = COMP.encoding("serial")
    transport = SerialTransport("/dev/scripted", label="comp", framing=enc.framing, binary=enc.binary,
                                reply_terminator=enc.reply_terminator.encode(), **kwargs)  # type: ignore[arg-type]
    return SerialRemote(transport, enc)


def test_serial_commands_go_out_byte_for_byte_and_the_answers_are_read() -> None:
    remote = _serial()
    script = [(b"SET THR -12.5\r", b"OK\r\n"), (b"SET REL AUTO\r", b"OK\r\n"),
              (b"GET THR\r", b"THR=-12.5\r\n")]
    with expected_protocol(remote.transport, script):
        remote.set(COMP.parameters["threshold_db"], -12.5)
        remote.set(COMP.parameters["release_s"], "auto")
        assert remote.get(COMP.parameters["threshold_db"]) == -12.5


def test_a_serial_error_reply_is_a_refusal_with_the_units_reason_and_no_retry() -> None:
    remote = _serial()
    with expected_protocol(remote.transport, [(b"SET RAT 4\r", b"ERR 7 value locked\r\n")]):
        with pytest.raises(TransportError, match=r"refused ratio = 4:1: 7 value locked$"):
            remote.set(COMP.parameters["ratio"], 4.0)


def test_serial_garbage_then_a_good_answer_is_retried_and_succeeds() -> None:
    remote = _serial(timeout_s=0.2, retries=2)
    with expected_protocol(remote.transport, [(b"SET MIX 50\r", b"#@!\r\n"), (b"SET MIX 50\r", b"OK\r\n")]):
        remote.set(COMP.parameters["mix_pct"], 50.0)
    assert any("retry 1 of 2: garbled reply '#@!'" in line for line in remote.transport.log.lines())
