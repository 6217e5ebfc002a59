"""A JACK client that stands in for the analog insert: each route copies an input to an output
with a known delay (whole or fractional samples) and gain.

Run as its own process (so the test process's GIL never stalls the JACK callback):

    python tests/jack_loop.py --name hybrid_loop --ports 8 --route 3:5:1000:-3.0 --route 4:6:1003:1.5

A route is IN:OUT:DELAY_SAMPLES:GAIN_DB (ports numbered from 1; a negative DELAY is refused; add
`:inv` to invert the polarity). A fractional DELAY (at least 48 samples) runs through this file's
own Kaiser-windowed sinc, written apart from dsp.delay so the tests have an independent reference. It prints "ready" on stdout once its ports exist, and exits when
stdin closes or on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 48000
PERIOD = 256


@dataclass(frozen=True)
class Route:
    """One wire of the loop: input port -> output port, delayed and scaled."""

    inp: int
    out: int
    delay_samples: float
    gain: float

    @classmethod
    def parse(cls, text: str) -> "Route":
        parts = text.split(":")
        if len(parts) not in (4, 5) or (len(parts) == 5 and parts[4] != "inv"):
            raise argparse.ArgumentTypeError(f"route {text!r}: expected IN:OUT:DELAY:GAIN_DB[:inv]")
        inp, out, delay = int(parts[0]), int(parts[1]), float(parts[2])
        if delay < 0 or inp < 1 or out < 1 or (delay % 1 and delay < _HALF_TAPS):
            raise argparse.ArgumentTypeError(
                f"route {text!r}: ports from 1, delay >= 0 (>= {_HALF_TAPS} when fractional)")
        gain = 10.0 ** (float(parts[3]) / 20.0) * (-1.0 if len(parts) == 5 else 1.0)
        return cls(inp, out, delay, gain)


_HALF_TAPS = 48


def fractional_taps(fraction: float, half_taps: int = _HALF_TAPS, attenuation_db: float = 120.0) -> np.ndarray:
    """A Kaiser-windowed sinc centred at half_taps + fraction."""
    beta = 0.1102 * (attenuation_db - 8.7)
    t = np.arange(2 * half_taps + 1) - half_taps - fraction
    window = np.i0(beta * np.sqrt(np.clip(1 - (t / (half_taps + 1)) ** 2, 0, None))) / np.i0(beta)
    taps = np.sinc(t) * window
    return taps / taps.sum()


class DelayLine:
    """A ring buffer long enough for the delay plus the largest JACK period, and for a fractional
    delay a windowed-sinc filter after it."""

    def __init__(self, delay_samples: float, max_period: int = 8192) -> None:
        whole = int(np.floor(delay_samples))
        fraction = delay_samples - whole
        self.taps = fractional_taps(fraction) if fraction else None
        if self.taps is not None:
            whole -= _HALF_TAPS  # the filter brings the rest
            self.state = np.zeros(self.taps.size - 1)
        self.size = whole + max_period
        self.buffer = np.zeros(self.size, dtype=np.float32)
        self.write = whole  # reading starts `whole` behind the writer
        self.read = 0

    def process(self, block: np.ndarray, out: np.ndarray) -> None:
        n = block.shape[0]
        idx_w = (self.write + np.arange(n)) % self.size
        self.buffer[idx_w] = block
        idx_r = (self.read + np.arange(n)) % self.size
        if self.taps is None:
            out[:] = self.buffer[idx_r]
        else:
            from scipy import signal

            filtered, self.state = signal.lfilter(self.taps, [1.0], self.buffer[idx_r].astype(np.float64),
                                                  zi=self.state)
            out[:] = filtered
        self.write = (self.write + n) % self.size
        self.read = (self.read + n) % self.size


def _wait_for_stdin_to_close(stop: threading.Event) -> None:
    # the parent holds our stdin open; when it dies or closes it, we go too (no stale clients)
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="hybrid_loop")
    parser.add_argument("--server", default=None)
    parser.add_argument("--ports", type=int, default=8)
    parser.add_argument("--route", type=Route.parse, action="append", default=[])
    args = parser.parse_args(argv)

    import jack  # the JACK-Client package; only this helper needs it

    client = jack.Client(args.name, servername=args.server, no_start_server=True)
    inputs = [client.inports.register(f"in_{k + 1}") for k in range(args.ports)]
    outputs = [client.outports.register(f"out_{k + 1}") for k in range(args.ports)]
    lines = [(route, DelayLine(route.delay_samples)) for route in args.route]
    routed = {route.out for route in args.route}
    stop = threading.Event()

    @client.set_process_callback
    def process(frames: int) -> None:
        for k, port in enumerate(outputs):
            if k + 1 not in routed:
                port.get_array()[:] = 0.0
        for route, line in lines:
            out = outputs[route.out - 1].get_array()
            line.process(inputs[route.inp - 1].get_array(), out)
            out *= route.gain

    @client.set_shutdown_callback
    def shutdown(status: object, reason: str) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with client:
        print("ready", flush=True)
        threading.Thread(target=_wait_for_stdin_to_close, args=(stop,), daemon=True).start()
        stop.wait()
    return 0


# ---- used by tests/conftest.py: a private jackd with the dummy driver, and this loop on it ----

class JackUnavailable(RuntimeError):
    """jackd or PortAudio is missing, or the server would not start."""


@dataclass
class JackServer:
    """A running `jackd -S -d dummy` under its own name."""

    name: str
    rate: int
    period: int
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class JackLoop:
    """The loop client on a server: which input goes to which output, with what delay and gain."""

    server: JackServer
    client_name: str
    routes: list[Route]
    process: subprocess.Popen
    extra: dict[str, object] = field(default_factory=dict)

    def route(self, inp: int) -> Route:
        """The route fed by input port inp."""
        return next(r for r in self.routes if r.inp == inp)

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        _stop(self.process)


def start_server(name: str, log_dir: Path, rate: int = RATE, period: int = PERIOD) -> JackServer:
    """Start jackd in sync mode on the dummy driver and wait until a client can connect."""
    if not _which("jackd"):
        raise JackUnavailable("jackd is not installed (apt-get install jackd2)")
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_DEFAULT_SERVER=name)
    log_path = log_dir / f"jackd-{name}.log"
    with open(log_path, "wb") as log:
        # -S (sync) keeps a loaded machine from dropping blocks; no -R needs no realtime rights
        process = subprocess.Popen(["jackd", "-n", name, "-S", "-d", "dummy", "-r", str(rate), "-p", str(period)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True, preexec_fn=_die_with_parent)
    server = JackServer(name, rate, period, process, log_path)
    return server


def start_loop(server: JackServer, client_name: str, routes: list[str], timeout_s: float = 20.0) -> JackLoop:
    """Start this file as a client of server; retried until the server accepts clients."""
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_DEFAULT_SERVER=server.name)
    args = [sys.executable, str(Path(__file__).resolve()), "--name", client_name, "--server", server.name]
    for route in routes:
        args += ["--route", route]
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise JackUnavailable(f"jackd exited: {server.log_path.read_text(errors='replace')[-500:]}")
        process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, start_new_session=True)
        ready, _, _ = select.select([process.stdout], [], [], max(0.1, deadline - time.monotonic()))
        line = process.stdout.readline().decode(errors="replace").strip() if ready else ""
        if line == "ready":
            return JackLoop(server, client_name, [Route.parse(r) for r in routes], process)
        process.kill()
        _, err = process.communicate(timeout=5)
        last = err.decode(errors="replace").strip().splitlines()[-1:] or [line]
        last = last[0] if isinstance(last, list) else last
        time.sleep(0.25)
    raise JackUnavailable(f"the JACK loop client never came up on server {server.name}: {last}")


def _die_with_parent() -> None:
    # a test run killed outright must not leave a dummy-driver server ticking on the machine
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _which(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None


if __name__ == "__main__":
    sys.exit(main())
