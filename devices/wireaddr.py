"""The addresses a rig gives its wires (hosts, MIDI ports, serial ports): each parsed and checked once."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
# A MIDI port name as a system lists it ("Scarlett 18i20 USB:Scarlett 18i20 USB MIDI 1 24:0"): printable text.
PORT_NAME = re.compile(r"^[^\x00-\x1f\x7f-\x9f]{1,128}$")
MIDI_PORT_ALLOWED = ("'auto', 'tcp:HOST:PORT' (a mido socket, PORT 1-65535), 'jack' or 'jack:CLIENT' (JACK MIDI), "
                     "or a system MIDI port's name (printable, at most 128 characters)")


@dataclass(frozen=True)
class MidiPort:
    """A MIDI wire's port as written in a rig: scheme 'auto', 'tcp', 'jack' or 'system'."""

    scheme: str
    host: str = ""
    number: int = 0
    name: str = ""


def check_host(text: str) -> str:
    """An IP address or a host name (RFC 1123); ValueError saying what is allowed otherwise."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not HOSTNAME.match(text):
        raise ValueError("a host must be an IP address or a host name (letters, digits, '-' and '.', "
                         "at most 253 characters)")
    return text


def check_port_number(number: int | str) -> int:
    """A TCP/UDP port 1-65535 (an int or its decimal text); ValueError otherwise."""
    text = str(number)
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError("a port must be a number 1-65535")
    return int(text)


def parse_midi_port(text: str) -> MidiPort:
    """A MIDI wire's port; ValueError naming what is allowed for anything else ('tcp:abc',
    'tcp:127.0.0.1:99999', a name with a newline)."""
    if text == "auto":
        return MidiPort("auto")
    scheme, _, rest = text.partition(":")
    if scheme == "tcp":
        host, colon, number = rest.rpartition(":")
        try:
            if not colon:
                raise ValueError("no port number")
            return MidiPort("tcp", check_host(host.strip("[]")), check_port_number(number))
        except ValueError as exc:
            raise ValueError(f"{exc}; a MIDI port over TCP is tcp:HOST:PORT (PORT 1-65535)") from None
    if scheme == "jack" and (rest == "" or PORT_NAME.match(rest) and len(rest) <= 64):
        return MidiPort("jack", name=rest)
    if scheme not in ("tcp", "jack") and PORT_NAME.match(text):
        return MidiPort("system", name=text)
    raise ValueError(f"a MIDI port is {MIDI_PORT_ALLOWED}")


def check_serial_port(text: str) -> str:
    """'auto' or a device path (/dev/ttyUSB0, COM3, a pyserial URL): printable, at most 255 characters."""
    if text != "auto" and not re.match(r"^[^\x00-\x1f\x7f-\x9f]{1,255}$", text):
        raise ValueError("a serial port is 'auto' or a device path such as /dev/ttyUSB0 (printable, "
                         "at most 255 characters)")
    return text
