"""The OSC codec on a scripted wire (tests/devices/scripted.py): every control's message and reply,
exact bytes, no socket, no sleeps. The real-wire test of OSC stays in test_transport_osc.py."""

from __future__ import annotations

import pytest

from devices.errors import TransportError
from devices.profile import load_profile
from devices.transports.osc import Osc, OscRemote, OscTransport
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
