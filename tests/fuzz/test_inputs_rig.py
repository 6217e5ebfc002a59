"""Hostile values in a rig file's fields (names, hosts, MIDI and serial ports, descriptions,
profile paths): each refused by the rig model in one line naming the field, never a traceback from
the file system, the socket layer or int()."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from devices.config import ConfigError
from devices.rig import default_rig_path, load_rig
from devices.wireaddr import parse_midi_port

SEED = 20261205
RIG = yaml.safe_load(default_rig_path().read_text())


def _write(tmp_path: Path, change, n: int) -> Path:
    data = yaml.safe_load(default_rig_path().read_text())
    change(data)
    path = tmp_path / f"rig{n}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _set_unit_wire(kind: str, key: str, value: object):
    def change(data: dict) -> None:
        unit = next(u for u in data["units"] if u["wire"]["kind"] == kind)
        unit["wire"][key] = value
    return change


def _set(key: str, value: object):
    def change(data: dict) -> None:
        data[key] = value
    return change


HOSTILE = [
    ("name", _set("name", "a" * 5000), "name"),
    ("name", _set("name", "a" * 65), "name"),
    ("midi tcp:abc", _set_unit_wire("midi", "port", "tcp:abc"), "wire.port"),
    ("midi port 99999", _set_unit_wire("midi", "port", "tcp:127.0.0.1:99999"), "wire.port"),
    ("midi port 0", _set_unit_wire("midi", "port", "tcp:127.0.0.1:0"), "wire.port"),
    ("midi port -1", _set_unit_wire("midi", "port", "tcp:127.0.0.1:-1"), "wire.port"),
    ("midi host empty", _set_unit_wire("midi", "port", "tcp::5000"), "wire.port"),
    ("midi name newline", _set_unit_wire("midi", "port", "Port 1\nPort 2"), "wire.port"),
    ("midi jack long", _set_unit_wire("midi", "port", "jack:" + "j" * 500), "wire.port"),
    ("osc host space", _set_unit_wire("osc", "host", "127.0.0.1 evil"), "wire.host"),
    ("osc host long", _set_unit_wire("osc", "host", "h" * 300), "wire.host"),
    ("osc port 70000", _set_unit_wire("osc", "port", 70000), "wire.port"),
    ("osc reply port 70000", _set_unit_wire("osc", "reply_port", 70000), "wire.reply_port"),
    ("serial port NUL", _set_unit_wire("serial", "port", "/dev/tty\x00S0"), "wire.port"),
    ("serial port long", _set_unit_wire("serial", "port", "/dev/" + "t" * 300), "wire.port"),
    ("description ESC", _set("description", "studio \x1b[2J\x07"), "description"),
    ("description newline", _set("description", "one\ntwo"), "description"),
    ("profile NUL", lambda d: d["units"][0].__setitem__("profile", "eq\x00.yaml"), "profile"),
    ("profile long", lambda d: d["units"][0].__setitem__("profile", "/" + "p" * 5000 + ".yaml"), "profile"),
    ("unit name long", lambda d: d["units"][0].__setitem__("name", "u" * 100), "name"),
]


@pytest.mark.parametrize("label,change,field", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_rig_value_is_refused_naming_its_field(tmp_path: Path, tally, label: str, change, field: str) -> None:
    path = _write(tmp_path, change, 0)
    tally.case(label, lambda: load_rig(path), must_refuse=True)
    with pytest.raises(ConfigError) as info:
        load_rig(path)
    assert field in str(info.value) and str(path) in str(info.value), str(info.value)


def test_random_midi_ports_parse_or_refuse_with_value_error(tally) -> None:
    rng = random.Random(SEED)
    alphabet = "tcpjack:0123456789.abc-[]\n\x1b "
    for n in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        if rng.random() < 0.3:
            text = "tcp:" + text

        def run() -> None:
            try:
                port = parse_midi_port(text)
            except ValueError as exc:
                raise ConfigError(None, "port", text, str(exc)) from None
            if port.scheme == "tcp":
                assert 1 <= port.number <= 65535 and port.host
        tally.case(f"midi port {text!r}", run)


@pytest.mark.parametrize("port", ["auto", "tcp:127.0.0.1:5000", "tcp:localhost:65535", "jack", "jack:hybrid-color",
                                  "Scarlett 18i20 USB:Scarlett 18i20 USB MIDI 1 24:0"])
def test_good_midi_ports_still_load(tmp_path: Path, port: str) -> None:
    load_rig(_write(tmp_path, _set_unit_wire("midi", "port", port), 1))
