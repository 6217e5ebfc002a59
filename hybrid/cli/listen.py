"""`hybrid listen DIR`: a keyboard-driven terminal player over the listening engine (hybrid.listen)."""

from __future__ import annotations

import argparse
import os
import select
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

from hybrid.cli._console import confirm_manual, narrator
from hybrid.errors import HybridError

KEYS = """keys: A source  B chain  P print  R reference  space play/pause  [ ] move the loop
      L level match  M mono  S side  W swap L/R  C commit  Y confirm a sheet  Q quit
      or type a control and Enter: eq.high_gain_db+=0.5   (also: loop FROM TO, print N, reference FILE)"""
# how often the status line is drawn again
_REDRAW_S = 0.2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("listen", help="audition through the chain: A/B source, chain, print, reference, "
                                                  "matched in time and level, live control")
    parser.add_argument("dir", type=Path, help="the session folder")
    parser.add_argument("--track", default=None, metavar="K", help="track id or position (default: the first)")
    parser.add_argument("--from", dest="start_s", type=float, default=None, metavar="S", help="loop start, seconds")
    parser.add_argument("--to", dest="end_s", type=float, default=None, metavar="S", help="loop end, seconds")
    parser.add_argument("--loop", action="store_true", help="loop the region (default: play it once)")
    parser.add_argument("--revision", type=int, default=None, help="the settings to recall (default: the latest)")
    parser.add_argument("--reference", type=Path, default=None, metavar="FILE", help="a reference track (R)")
    parser.add_argument("--monitor-file", type=Path, default=None, metavar="F",
                        help="write the monitor feed to F (a float WAV); needed on the simulated rig")
    parser.add_argument("--yes", action="store_true", help="confirm the opening recall's sheets without asking")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from devices.errors import ConfigError
    from devices.rig import SimInterfaceConfig
    from hybrid.listen import ListenEngine, ListenOptions
    from hybrid.session import open_session, session_rig

    say = narrator(False)
    rig = session_rig(open_session(args.dir))
    if args.monitor_file is None:
        if isinstance(rig.interface, SimInterfaceConfig):
            raise ConfigError(None, "--monitor-file", None, f"rig {rig.name!r} is simulated and has no monitors: "
                              "give --monitor-file F to hear the feed from a file")
        if not rig.interface.monitor_channels:
            raise ConfigError(None, "interface.monitor_channels", [], f"rig {rig.name!r} names no monitor outputs: "
                              "add monitor_channels to its interface, or give --monitor-file F")
    options = ListenOptions(track=args.track, start_s=args.start_s, end_s=args.end_s, loop=args.loop,
                            revision=args.revision, reference=args.reference, monitor_file=args.monitor_file,
                            confirm_manual=confirm_manual(args.yes, say))
    say("recalling the gear and checking calibration ...")
    engine = ListenEngine.open(args.dir, options)
    try:
        Player(engine, sys.stdout).run(sys.stdin)
    except KeyboardInterrupt:
        pass  # Ctrl-C is a way out of a player, not a failure
    finally:
        engine.close()
    if args.monitor_file is not None:
        print(f"monitor feed written to {args.monitor_file}")
    return 0


class Player:
    """Keys and typed lines -> engine calls; a status line of what plays and the matched gains."""

    def __init__(self, engine: Any, out: IO[str]) -> None:
        self.engine = engine
        self.out = out
        self.line = ""  # what is being typed
        self.asking_note = False
        self.done = False
        engine.subscribe(self._event)
        self._messages: list[str] = []

    # ------------------------------------------------------------------ the loop

    def run(self, stdin: IO[str]) -> None:
        self.say(f"listening to {self.engine.track.title} (revision {self.engine.revision.number}); " + KEYS)
        fd = stdin.fileno()
        with _cbreak(fd):
            last = 0.0
            while not self.done:
                from hybrid import interrupts

                interrupts.checkpoint()
                ready, _, _ = select.select([fd], [], [], _REDRAW_S)
                if ready:
                    data = os.read(fd, 1024).decode("utf-8", "replace")
                    if not data:  # stdin closed
                        break
                    for char in data:
                        self.key(char)
                if time.monotonic() - last >= _REDRAW_S or ready:
                    self.draw()
                    last = time.monotonic()
        self.out.write("\n")
        self.out.flush()

    def key(self, char: str) -> None:
        """One key: an instant command (upper case, space, [ ]) or part of a typed line."""
        if char in "\r\n":
            text, self.line = self.line.strip(), ""
            if self.asking_note:
                self.asking_note = False
                self._do(lambda: self._commit(text or "from hybrid listen"))
            elif text:
                self._do(lambda: self.typed(text))
            return
        if char in ("\x7f", "\b"):
            self.line = self.line[:-1]
            return
        if char == "\x1b":
            self.line, self.asking_note = "", False
            return
        if self.line or self.asking_note or not (char.isupper() or char in " []"):
            if char.isprintable():
                self.line += char
            return
        action = {
            "A": lambda: self.engine.select("source"), "B": lambda: self.engine.select("chain"),
            "P": self._print, "R": lambda: self.engine.select("reference"), " ": self.engine.toggle,
            "[": lambda: self._move_loop(-1), "]": lambda: self._move_loop(+1),
            "L": lambda: self.engine.set_match(not self.engine.match), "M": lambda: self._check("mono"),
            "S": lambda: self._check("side"), "W": lambda: self._check("swap"), "Y": self._confirm,
            "C": self._ask_note, "Q": self._quit,
        }.get(char)
        if action is None:
            self.say(f"error: key {char!r} does nothing here; " + KEYS.splitlines()[0][6:])
            return
        self._do(action)

    def typed(self, text: str) -> None:
        """A typed line: a control (UNIT.PARAM=VALUE, += / -=), or a word command."""
        words = text.split()
        head = words[0].lower()
        if head == "loop" and len(words) == 3:
            region = self.engine.set_loop(_seconds(words[1], "loop"), _seconds(words[2], "loop"))
            self.say(f"loop {region.start / self.engine.rate:.2f}-{region.end / self.engine.rate:.2f} s")
        elif head == "print":
            self._print(int(words[1]) if len(words) > 1 and words[1].isdigit() else None)
        elif head == "reference" and len(words) > 1:
            self.engine.load_reference(Path(text.split(None, 1)[1]))
            self.engine.select("reference")
        elif head in ("confirm", "yes"):
            self._confirm()
        elif head in ("quit", "exit"):
            self._quit()
        elif head in ("stereo", "mono", "side", "swap"):
            self.engine.set_check(head)
        else:
            move = self.engine.move(text)
            if move.manual and move.heard_from_frame is None:
                self.say(move.sheet.rstrip() + "\n  turn it, then press Y (or type confirm)")
            else:
                self.say(f"{move.unit}.{move.param} -> {move.shown} (read back {move.read_back!r}, "
                         f"{1000 * move.elapsed_s:.0f} ms)")

    # ------------------------------------------------------------------ commands

    def _print(self, revision: int | None = None) -> None:
        if revision is None and "print" in self.engine.feed.materials:
            self.engine.select("print")
            return
        path = self.engine.load_print(revision)
        self.say(f"print: {path}")
        self.engine.select("print")

    def _move_loop(self, direction: int) -> None:
        region = self.engine.move_loop(direction)
        self.say(f"loop {region.start / self.engine.rate:.2f}-{region.end / self.engine.rate:.2f} s")

    def _check(self, check: str) -> None:
        now = self.engine.state().check
        self.engine.set_check("stereo" if now == check else check)

    def _confirm(self) -> None:
        move = self.engine.confirm()
        self.say(f"{move.unit}.{move.param} -> {move.shown} (set by hand)")

    def _ask_note(self) -> None:
        self.asking_note = True
        self.say("commit: type a note and Enter (Esc: cancel)")

    def _commit(self, note: str) -> None:
        committed = self.engine.commit(note)
        self.say(f"revision {committed.number} written: " + "; ".join(str(c) for c in committed.changes))

    def _quit(self) -> None:
        self.done = True

    def _do(self, action: Any) -> None:
        try:
            action()
        except HybridError as exc:  # one line; the audio keeps playing
            self.say(f"error: {exc}")
        except ValueError as exc:
            self.say(f"error: {exc}")

    # ------------------------------------------------------------------ the screen

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        if kind in ("glitch", "error", "ended", "measured"):
            text = {"glitch": lambda: f"glitch at frame {data['frame']}: {data['what']}",
                    "error": lambda: f"error: {data['message']}",
                    "ended": lambda: "end of the region (space plays it again)",
                    "measured": lambda: f"chain measured over the loop: {data['lufs']:.1f} LUFS"
                    if data.get("lufs") is not None else "chain measured: silence"}[kind]()
            self._messages.append(text)

    def say(self, text: str) -> None:
        self.out.write("\r\x1b[2K" + text.replace("\n", "\r\n") + "\r\n")
        self.out.flush()

    def draw(self) -> None:
        while self._messages:
            self.say(self._messages.pop(0))
        self.out.write("\r\x1b[2K" + status_line(self.engine.state().to_dict())
                       + (f"  > {'note: ' if self.asking_note else ''}{self.line}" if self.line or self.asking_note
                          else ""))
        self.out.flush()


def status_line(state: dict[str, Any]) -> str:
    """What plays, where, the matched gains and the meter, in one line."""
    mark = "PLAY" if state["playing"] else "STOP"
    pos = "-" if state["position_s"] is None else f"{state['position_s']:.2f}"
    loop = state["loop"]
    gains = []
    for name, src in state["sources"].items():
        if not src["loaded"]:
            continue
        gain = "measuring" if src["measuring"] else f"{src['gain_db']:+.1f} dB"
        chosen = "*" if name == state["selected"] else ""
        gains.append(f"{chosen}{name} {gain}")
    meter = state["meter"]

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    return (f"{mark} {state['selected'].upper()} {pos}s [{loop['start_s']:.1f}-{loop['end_s']:.1f}"
            f"{' loop' if state['looping'] else ''}] | match {'on' if state['match'] else 'off'}: "
            + ", ".join(gains) + f" | {state['check']} | M {num(meter['momentary_lufs'])} "
            f"S {num(meter['short_term_lufs'])} TP {num(meter['true_peak_dbtp'])}")


def _seconds(text: str, field: str) -> float:
    from devices.errors import ConfigError

    try:
        return float(text)
    except ValueError:
        raise ConfigError(None, field, text, "give seconds as a number, e.g. loop 30 45") from None


@contextmanager
def _cbreak(fd: int) -> Iterator[None]:
    """Keys as they are typed (no Enter needed) when stdin is a terminal; lines otherwise."""
    if not os.isatty(fd):
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
