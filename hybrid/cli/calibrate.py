"""`hybrid calibrate --rig RIG`: measure the loop with the units on hard bypass, store the record, show or plot it."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from devices.paths import write_atomic
from hybrid.cli._console import confirm_manual, narrator
from hybrid.errors import ConfigError

if TYPE_CHECKING:
    from calibration import CalibrationRecord


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="measure the loop's latency, polarity and levels with every unit on hard bypass")
    parser.add_argument("--rig", default=None, help="rig YAML (default: the embedded sim-studio)")
    parser.add_argument("--json", action="store_true", help="print the calibration record as JSON")
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE", help="write the loop's response as a PNG")
    parser.add_argument("--yes", action="store_true", help="confirm recall sheets of manual units without asking")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from calibration import measure, store  # loads the audio stack only when the command runs
    from devices.station import open_station
    from devices.rig import load_rig  # pydantic and YAML load only when a command runs

    if args.plot is not None and args.plot.suffix.lower() != ".png":
        raise ConfigError(None, "--plot", str(args.plot), "the plot is a PNG: give a file name ending in .png")
    rig = load_rig(args.rig)
    say = narrator(quiet=args.json)

    with open_station(rig, confirm_manual=confirm_manual(args.yes, say)) as station:
        has_units = bool(station.units)
        if has_units:
            # as a studio calibrates: the relays take each circuit out (units with no bypass control
            # sit at neutral); a unit's own converter latency stays in the loop, so a print finds it
            say(f"recalling {len(station.units)} unit(s) to bypass: {', '.join(station.units)}")
            station.recall_bypass()
        say(f"measuring the loop of {rig.name} at {station.interface.sample_rate} Hz, "
            f"block {station.interface.block_size}")
        record = measure(station.interface, rig_name=rig.name)
    path = store.save(record, store.rig_key(rig))  # by the rig's identity: a namesake keeps its own
    if args.plot is not None:
        write_atomic(args.plot, response_png(record))
    if args.json:
        print(json.dumps({**record.to_dict(), "stored": str(path),
                          "units_left_at": "bypass" if has_units else None}, indent=2))
        return 0
    print(table(record))
    print(f"stored: {path}")
    if args.plot is not None:
        print(f"response plot: {args.plot}")
    if has_units:
        print("units left on bypass; recall a revision before printing")
    return 0


def table(record: CalibrationRecord) -> str:
    """The record as a few readable lines."""
    lines = [
        f"rig {record.rig}, {record.sample_rate} Hz, block {record.block_size}, measured {record.measured_at}",
        f"latency {record.latency_samples:.3f} samples ({record.latency_samples / record.sample_rate * 1000:.3f} ms), "
        f"confidence {record.confidence:.4f}" + (", a return is polarity-inverted" if record.polarity_inverted else ""),
        "",
        f"{'send':>4}  {'return':>6}  {'gain at 1 kHz':>13}  {'latency':>12}  {'skew':>8}  {'polarity':<8}  "
        f"{'noise floor':>12}  {'crosstalk':>9}",
    ]
    for ch in record.channels:
        noise = f"{ch.noise_floor_dbfs:.1f} dBFS" if ch.noise_floor_dbfs is not None else "-"
        crosstalk = f"{ch.crosstalk_db:.1f} dB" if ch.crosstalk_db is not None else "-"
        lines.append(f"{ch.send:>4}  {ch.return_:>6}  {ch.gain_db:>+10.3f} dB  {ch.latency_samples:>12.3f}  "
                     f"{ch.skew_samples:>+8.3f}  {'inverted' if ch.polarity_inverted else 'normal':<8}  "
                     f"{noise:>12}  {crosstalk:>9}")
    for c, levels in enumerate(record.response.channels):
        lines.append(f"return {record.channels[c].return_} response 20 Hz-20 kHz: "
                     f"{min(levels):+.2f} to {max(levels):+.2f} dB")
    return "\n".join(lines)


def response_png(record: CalibrationRecord) -> bytes:
    """A PNG of the loop's magnitude response per return channel."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.add_subplot()
    for ch, levels in zip(record.channels, record.response.channels):
        axes.semilogx(record.response.freqs_hz, levels, label=f"send {ch.send} -> return {ch.return_}")
    axes.set_xlim(20, 20000)
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("level (dB)")
    axes.set_title(f"{record.rig}: loop response, units on bypass, latency {record.latency_samples:.3f} samples")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
