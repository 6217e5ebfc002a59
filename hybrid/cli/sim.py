"""`hybrid sim serve|show|reset`: run a rig's simulated units as standalone servers, or look at their panels."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from devices.errors import ConfigError
from devices.paths import state_dir
from hybrid.interrupts import interruptible

if TYPE_CHECKING:
    from devices.rig import Rig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sim", help="the simulated units: serve them on their wires, show or reset panels")
    sub = parser.add_subparsers(dest="sim_command", metavar="SIM_COMMAND", required=True)
    serve = sub.add_parser(
        "serve", help="run the simulated units on their wires until Ctrl-C",
        description="Run the rig's simulated units as servers (OSC on 127.0.0.1, serial on a pty, MIDI on a "
                    "mido socket) so that other tools can talk to them. While this runs, other hybrid commands "
                    "on the same rig refuse (naming this process): a print needs the twins in its own process.")
    show = sub.add_parser("show", help="the saved front panels of the simulated units")
    reset = sub.add_parser("reset", help="put the simulated units back to their factory defaults")
    for p in (serve, show, reset):
        p.add_argument("--rig", default=None, help="rig YAML (default: the embedded sim-studio)")
        p.add_argument("--json", action="store_true", help="print one JSON document")
    serve.set_defaults(func=run_serve)
    show.set_defaults(func=run_show)
    reset.set_defaults(func=run_reset)


def _rig(args: argparse.Namespace) -> Rig:
    from devices.rig import load_rig  # pydantic and YAML load only when a command runs

    rig = load_rig(args.rig)
    if not any(u.simulated for u in rig.units):
        raise ConfigError(args.rig, "units", [u.name for u in rig.units], "no unit is marked simulated: true")
    return rig


def run_serve(args: argparse.Namespace) -> int:
    from devices.sim.rig import SimRig
    from devices.profile import PASS_THROUGH

    rig = _rig(args)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    said = _say_refusals()
    try:
        with SimRig(rig) as sim:
            listing = _listing(rig, sim)
            if args.json:
                print(json.dumps(listing), flush=True)
            else:
                print(f"simulated units of {rig.name} (Ctrl-C to stop):")
                for row in listing["units"]:
                    extra = f"  (also {row['link']})" if row.get("link") else ""
                    print(f"  {row['unit']:<8} {row['wire']:<7} {row['address']}{extra}")
                    if row["sound"] == PASS_THROUGH:
                        print(f"  {'':<8} {'':<7} {PASS_THROUGH}: its profile has no sim: section, "
                              "so the simulated rig passes its audio unchanged")
                    if row.get("example"):
                        print(f"  {'':<8} {'':<7} try: {row['example']}")
                print(f"panels saved in {listing['panels']}", flush=True)
            try:
                with interruptible():  # idle: Ctrl-C stops the twins at once
                    while not stop.wait(0.2):
                        pass
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for name in ("hybrid.sim", "hybrid.midi"):
            logging.getLogger(name).removeHandler(said)
    if not args.json:
        print("stopped; the panels are saved", file=sys.stderr)
    return 0


def _say_refusals() -> logging.Handler:
    """What the twins refuse on their wires (garbage, an overlong line or SysEx, a client too many),
    one line each on stderr, as a unit's error light would show it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("hybrid sim: %(message)s"))
    for name in ("hybrid.sim", "hybrid.midi"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    return handler


def _listing(rig: Rig, sim: Any) -> dict[str, Any]:
    from devices.profile import PASS_THROUGH

    rows = []
    for unit in rig.units:
        if unit.name not in sim.twins:
            continue
        twin = sim.twins[unit.name]
        row: dict[str, Any] = {"unit": unit.name, "profile": twin.profile.name, "wire": unit.wire.kind,
                               "address": twin.address,
                               "sound": twin.profile.sim.model if twin.profile.sim is not None else PASS_THROUGH}
        if unit.wire.kind == "osc":
            enc = twin.profile.encoding("osc")
            first = next(iter(enc.parameters.values())).address
            if enc.query_address:
                # liblo's oscsend asks; the answer comes back to its port (oscdump shows it)
                row["example"] = f"oscsend {twin.address.replace(':', ' ')} {enc.query_address} s {first}"
        if unit.wire.kind == "serial":
            row["link"] = str(sim.folder / f"{unit.name}.tty")
            row["example"] = f"picocom -b {unit.wire.baud} {row['link']}"
        if unit.wire.kind == "midi":
            row["channel"] = unit.wire.channel
        rows.append(row)
    return {"rig": rig.name, "units": rows, "panels": str(sim.folder)}


def _panels(rig: Rig) -> dict[str, Any]:
    folder = state_dir() / "sim" / rig.name
    out: dict[str, Any] = {}
    for unit in rig.units:
        if not unit.simulated:
            continue
        path = folder / f"{unit.name}.json"
        try:
            out[unit.name] = json.loads(path.read_text(encoding="utf-8"))["settings"]
        except (OSError, ValueError, KeyError):
            out[unit.name] = None  # never recalled: the unit is at its profile's defaults
    return out


def run_show(args: argparse.Namespace) -> int:
    from devices.profile import load_profile

    rig = _rig(args)
    panels = _panels(rig)
    if args.json:
        print(json.dumps({"rig": rig.name, "panels": panels}))
        return 0
    for unit in rig.units:
        if unit.name not in panels:
            continue
        profile = load_profile(unit.profile)
        settings = panels[unit.name] or profile.defaults()
        state = "" if panels[unit.name] is not None else " (factory defaults: never recalled)"
        print(f"{unit.name} ({profile.model}){state}")
        for name, param in profile.parameters.items():
            if name in settings:
                print(f"  {param.label:<20} {param.marking(settings[name])}")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from devices.sim.rig import SimRig

    rig = _rig(args)
    # taking the twins (and their lock) makes sure no other process is using the panels meanwhile
    with SimRig(rig) as sim:
        for twin in sim.twins.values():
            twin.panel.set_many(twin.profile.defaults())
    if args.json:
        print(json.dumps({"rig": rig.name, "reset": sorted(_panels(rig))}))
    else:
        print(f"the simulated units of {rig.name} are back at their factory defaults")
    return 0
