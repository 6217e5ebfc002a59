"""`hybrid devices ports|profiles|read|lint`: the machine's ports; the shipped profiles; unit read-back; profile checks."""

from __future__ import annotations

import argparse
import json
from typing import Any



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("devices", help="ports on this machine, unit profiles, what the units report")
    sub = parser.add_subparsers(dest="devices_command", metavar="DEVICES_COMMAND", required=True)
    ports = sub.add_parser("ports", help="list the MIDI, serial and audio ports this machine has")
    profiles = sub.add_parser("profiles", help="the shipped unit profiles and their controls")
    read = sub.add_parser("read", help="ask every unit that can be queried where its controls are")
    read.add_argument("--rig", default=None, help="rig YAML (default: the embedded sim-studio)")
    lint = sub.add_parser("lint", help="check profiles against themselves: one line per mistake, exit 2 if any")
    lint.add_argument("profiles", nargs="+", metavar="PROFILE", help="a profile .yaml, or a shipped profile's name")
    for p in (ports, profiles, read, lint):
        p.add_argument("--json", action="store_true", help="print one JSON document")
    lint.set_defaults(func=run_lint)
    ports.set_defaults(func=run_ports)
    profiles.set_defaults(func=run_profiles)
    read.set_defaults(func=run_read)


def midi_ports() -> dict[str, Any]:
    """MIDI ports through python-rtmidi, per API; an API that cannot start says why."""
    try:
        import rtmidi
    except ImportError:
        return {"available": False, "why": "python-rtmidi is not installed (pip install python-rtmidi)", "apis": {}}
    import os
    from pathlib import Path

    apis: dict[str, Any] = {}
    for api in rtmidi.get_compiled_api():
        name = rtmidi.get_api_name(api)
        # ask only where the backend can be there: a failed attempt fills stderr with the library's complaints
        if api == rtmidi.API_LINUX_ALSA and not Path("/dev/snd/seq").exists():
            apis[name] = {"error": "no ALSA sequencer (/dev/snd/seq is missing)"}
            continue
        server = os.environ.get("JACK_DEFAULT_SERVER", "default")
        if api == rtmidi.API_UNIX_JACK and not Path(f"/dev/shm/jack_{server}_{os.getuid()}_0").exists():
            apis[name] = {"error": f"no JACK server running (looked for {server!r})"}
            continue
        try:
            midi_out, midi_in = rtmidi.MidiOut(rtapi=api), rtmidi.MidiIn(rtapi=api)
            apis[name] = {"outputs": midi_out.get_ports(), "inputs": midi_in.get_ports()}
            midi_out.delete()
            midi_in.delete()
        except Exception as exc:  # rtmidi raises SystemError when e.g. no ALSA sequencer or no JACK server runs
            apis[name] = {"error": str(exc).strip() or type(exc).__name__}
    return {"available": True, "apis": apis}


def serial_ports() -> dict[str, Any]:
    """Serial ports pyserial finds, plus the pty links of simulated units."""
    from serial.tools import list_ports

    from devices.paths import state_dir

    found = [{"device": p.device, "description": p.description} for p in list_ports.comports()]
    sim_root = state_dir() / "sim"
    links = sorted(str(p) for p in sim_root.glob("*/*.tty")) if sim_root.exists() else []
    return {"ports": found, "simulated_links": links}


def audio_ports() -> dict[str, Any]:
    """Audio devices through PortAudio, or why PortAudio is missing."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        return {"available": False, "why": f"PortAudio is missing ({exc}); install it with: "
                                           "apt-get install libportaudio2", "devices": []}
    devices = []
    for index, dev in enumerate(sd.query_devices()):
        devices.append({"index": index, "name": dev["name"], "host_api": sd.query_hostapis(dev["hostapi"])["name"],
                        "inputs": dev["max_input_channels"], "outputs": dev["max_output_channels"],
                        "default_rate_hz": dev["default_samplerate"]})
    return {"available": True, "devices": devices}


def run_ports(args: argparse.Namespace) -> int:
    report = {"midi": midi_ports(), "serial": serial_ports(), "audio": audio_ports()}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("MIDI:")
    midi = report["midi"]
    if not midi["available"]:
        print(f"  {midi['why']}")
    for api, ports in midi["apis"].items():
        if "error" in ports:
            print(f"  {api}: not available ({ports['error']})")
        else:
            print(f"  {api}: outputs {ports['outputs'] or 'none'}, inputs {ports['inputs'] or 'none'}")
    print("  simulated units listen on mido sockets (tcp:127.0.0.1:PORT), or JACK MIDI with `port: jack`: "
          "see `hybrid sim serve`")
    print("Serial:")
    for port in report["serial"]["ports"]:
        print(f"  {port['device']}  {port['description']}")
    if not report["serial"]["ports"]:
        print("  no serial ports found")
    for link in report["serial"]["simulated_links"]:
        print(f"  {link}  (a simulated unit's pty, while its twins run)")
    print("Audio:")
    audio = report["audio"]
    if not audio["available"]:
        print(f"  {audio['why']}")
    for dev in audio["devices"]:
        print(f"  [{dev['index']}] {dev['name']} ({dev['host_api']}): {dev['inputs']} in, {dev['outputs']} out, "
              f"{dev['default_rate_hz']:g} Hz")
    if audio["available"] and not audio["devices"]:
        print("  no audio devices")
    return 0


def run_profiles(args: argparse.Namespace) -> int:
    from devices.profile import load_profile, shipped_profiles

    out: dict[str, dict[str, Any]] = {}
    for name in shipped_profiles():
        profile = load_profile(name)
        out[name] = {"model": profile.model, "wires": profile.wire_kinds(),
                     "parameters": {p.name: p.allowed() for p in profile.parameters.values()},
                     "neutral": profile.neutral()}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for name, info in out.items():
        print(f"{name}: {info['model']} (wires: {', '.join(info['wires'])})")
        for param, allowed in info["parameters"].items():
            print(f"  {param:<18} {allowed}")
    return 0


def run_read(args: argparse.Namespace) -> int:
    from devices.station import open_station

    from devices.rig import load_rig  # pydantic and YAML load only when a command runs

    rig = load_rig(args.rig)
    out: dict[str, Any] = {}
    with open_station(rig, audio=False) as station:
        for name, unit in station.units.items():
            out[name] = unit.read() if unit.can_read else None
    if args.json:
        print(json.dumps({"rig": rig.name, "units": out}, indent=2))
        return 0
    for name, settings in out.items():
        unit_profile = station.units[name].profile
        if settings is None:
            print(f"{name}: cannot be read back (recalled by hand with a recall sheet)")
            continue
        print(f"{name} ({unit_profile.model}):")
        for param, value in settings.items():
            print(f"  {unit_profile.parameters[param].label:<20} {unit_profile.parameters[param].marking(value)}")
    return 0


def run_lint(args: argparse.Namespace) -> int:
    """Every finding of every profile named, one line each on stdout; exit 2 when there is any."""
    from devices.profile_lint import lint

    findings = {name: lint(name) for name in args.profiles}
    if args.json:
        print(json.dumps({name: [{"file": f.file, "field": f.field, "problem": f.problem} for f in found]
                          for name, found in findings.items()}, indent=2))
    else:
        for name, found in findings.items():
            for finding in found:
                print(finding.line())
            if not found:
                print(f"{name}: clean")
    return 2 if any(findings.values()) else 0
