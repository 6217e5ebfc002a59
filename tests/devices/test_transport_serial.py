"""Serial over a real pty pair: exact bytes of ASCII commands and binary frames, acks, errors, retries."""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from devices.errors import TransportError
from devices.profile import load_profile, profiles_dir
from devices.profile_schema import BinaryFraming
from devices.sim.panel import Panel
from devices.sim.serial_twin import SerialTwin
from devices.transports.serial import FrameReader, SerialRemote, SerialTransport, checksum, encode_frame

COMP = load_profile("vca-bus-comp")


class ScriptedUnit:
    """The far end of a pty that records what arrives and answers each line from a script."""

    def __init__(self, answers: list[bytes]) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.answers = answers
        self.heard = bytearray()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            data = os.read(self.master, 1024)
            self.heard.extend(data)
            for _ in range(data.count(b"\r")):
                if self.answers:
                    os.write(self.master, self.answers.pop(0))

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture()
def twin() -> Iterator[SerialTwin]:
    unit = SerialTwin("comp", COMP, Panel("comp", COMP, None)).start()
    yield unit
    unit.close()


def _remote(path: str, profile=COMP, **kw: object) -> SerialRemote:
    enc = profile.encoding("serial")
    transport = SerialTransport(path, label="comp", framing=enc.framing, binary=enc.binary,
                                reply_terminator=enc.reply_terminator.encode(), **kw)  # type: ignore[arg-type]
    remote = SerialRemote(transport, enc)
    remote.open()
    return remote


def test_ascii_commands_go_out_byte_for_byte_and_the_ack_is_read() -> None:
    unit = ScriptedUnit([b"OK\r\n", b"OK\r\n", b"THR=-12.5\r\n"])
    remote = _remote(unit.path)
    remote.set(COMP.parameters["threshold_db"], -12.5)
    remote.set(COMP.parameters["release_s"], "auto")
    assert remote.get(COMP.parameters["threshold_db"]) == -12.5
    remote.close()
    unit.close()
    assert bytes(unit.heard) == b"SET THR -12.5\rSET REL AUTO\rGET THR\r"


def test_an_error_reply_is_a_refusal_with_the_units_reason_and_no_retry() -> None:
    unit = ScriptedUnit([b"ERR 7 value locked\r\n", b"OK\r\n"])
    remote = _remote(unit.path)
    with pytest.raises(TransportError) as caught:
        remote.set(COMP.parameters["ratio"], 4.0)
    assert str(caught.value) == f"unit 'comp' on serial {unit.path} (38400 8N1) refused ratio = 4:1: 7 value locked"
    remote.close()
    unit.close()
    assert bytes(unit.heard) == b"SET RAT 4\r"


def test_garbage_then_a_good_answer_is_retried_and_succeeds() -> None:
    unit = ScriptedUnit([b"#@!\r\n", b"OK\r\n"])
    remote = _remote(unit.path, timeout_s=0.2, retries=2)
    remote.set(COMP.parameters["mix_pct"], 50.0)
    remote.close()
    unit.close()
    assert bytes(unit.heard) == b"SET MIX 50\rSET MIX 50\r"
    assert any("retry 1 of 2: garbled reply '#@!'" in line for line in remote.transport.log.lines())


def test_port_settings_reach_the_serial_driver(twin: SerialTwin) -> None:
    remote = _remote(twin.address, baud=9600, bytesize=7, parity="even", stopbits=2)
    port = remote.transport._serial
    assert (port.baudrate, port.bytesize, port.parity, port.stopbits) == (9600, 7, "E", 2)
    assert remote.transport.address == f"serial {twin.address} (9600 7E2)"
    remote.close()


def test_every_parameter_reaches_the_twin_and_reads_back(twin: SerialTwin) -> None:
    remote = _remote(twin.address)
    target = {"threshold_db": -17.5, "ratio": 10.0, "attack_ms": 0.3, "release_s": 1.2, "makeup_db": 4.5,
              "sidechain_hpf_hz": 150.0, "mix_pct": 65.0, "bypass": "on"}
    assert set(target) == set(COMP.parameters)
    for name, value in target.items():
        remote.set(COMP.parameters[name], value)
    assert twin.panel.settings() == target
    assert {n: remote.get(COMP.parameters[n]) for n in target} == target
    remote.close()


def test_a_silent_twin_gives_one_error_naming_unit_and_port_after_the_retries(twin: SerialTwin) -> None:
    remote = _remote(twin.address, timeout_s=0.05, retries=1)
    twin.fault = "silent"
    with pytest.raises(TransportError) as caught:
        remote.set(COMP.parameters["ratio"], 4.0)
    assert str(caught.value) == (f"unit 'comp' on serial {twin.address} (38400 8N1): no answer within 0.05 s "
                                 "to 'SET RAT 4\\r' after 2 tries (0.05 s each)")
    deadline = time.monotonic() + 2
    while twin.received < 2 and time.monotonic() < deadline:  # the twin reads on its own thread
        time.sleep(0.005)
    assert twin.received == 2
    remote.close()


def test_a_missing_port_is_named() -> None:
    with pytest.raises(TransportError, match="unit 'comp': cannot open serial /dev/nonexistent-tty"):
        _remote("/dev/nonexistent-tty")


# --------------------------------------------------------------------------- binary frames


def test_checksums_against_hand_computed_values() -> None:
    assert checksum(bytes([0x04, 0x53, 0x01, 0x00, 0x0C]), "sum8") == 0x64
    assert checksum(bytes([0xFF, 0xFF, 0x03]), "sum8") == 0x01  # 0x201 modulo 256
    assert checksum(bytes([0x04, 0x53, 0x01, 0x00, 0x0C]), "xor8") == 0x04 ^ 0x53 ^ 0x01 ^ 0x00 ^ 0x0C


def test_frames_are_start_length_payload_checksum_and_read_back_through_junk() -> None:
    framing = BinaryFraming()
    frame = encode_frame(bytes([0x53, 0x01, 0x00, 0x0C]), framing)
    assert frame == bytes([0x02, 0x04, 0x53, 0x01, 0x00, 0x0C, 0x64])
    reader = FrameReader(framing)
    reader.feed(b"\xff\x00" + frame[:3])
    assert reader.next() is None  # junk skipped, frame incomplete
    reader.feed(frame[3:] + frame[:-1] + bytes([frame[-1] ^ 1]))
    assert reader.next() == bytes([0x53, 0x01, 0x00, 0x0C])
    with pytest.raises(ValueError, match="bad checksum"):
        reader.next()


@pytest.fixture()
def binary_profile(tmp_path: Path):
    data = yaml.safe_load((profiles_dir() / "vca-bus-comp.yaml").read_text())
    data["wires"]["serial"]["framing"] = "binary"
    data["wires"]["serial"]["binary"] = {"checksum": "xor8"}
    path = tmp_path / "vca-bus-comp-binary.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_profile(path)


def test_a_binary_profile_recalls_and_reads_back_over_the_pty(binary_profile) -> None:
    twin = SerialTwin("comp", binary_profile, Panel("comp", binary_profile, None)).start()
    try:
        remote = _remote(twin.address, binary_profile)
        remote.set(binary_profile.parameters["threshold_db"], -12.5)
        remote.set(binary_profile.parameters["release_s"], "auto")
        assert twin.panel.get("threshold_db") == -12.5
        assert remote.get(binary_profile.parameters["release_s"]) == "auto"
        sent = [e.text for e in remote.transport.log.entries if e.direction == "->"]
        # threshold -12.5 dB is detent 35 of -30..0 in 0.5 dB steps; xor8 over 04 53 01 00 23
        assert sent[0] == "02 04 53 01 00 23 " + f"{0x04 ^ 0x53 ^ 0x01 ^ 0x00 ^ 0x23:02x}"
        twin.fault = "garbled"
        with pytest.raises(TransportError, match="garbled: bad checksum in frame"):
            remote.get(binary_profile.parameters["ratio"])
        remote.close()
    finally:
        twin.close()
