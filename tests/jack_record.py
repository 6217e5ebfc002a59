"""A JACK client that records other clients' output ports, as a monitor controller's recorder would.

Run as its own process (so the test process's GIL never stalls the JACK callback):

    python tests/jack_record.py --name hybrid_rec --out F.npy --seconds 60 PortAudio:out_0 feeding:hybrid_loop:in_2

It connects one input per port named (feeding:PORT: the output port connected to PORT), prints "ready" once connected, records every frame from then
on (up to --seconds), and writes F.npy ((frames, ports) float32) when stdin closes or on SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="hybrid_rec")
    parser.add_argument("--server", default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("ports", nargs="+")
    args = parser.parse_args(argv)

    import jack

    client = jack.Client(args.name, servername=args.server, no_start_server=True)
    inputs = [client.inports.register(f"in_{k + 1}") for k in range(len(args.ports))]
    store = np.zeros((int(args.seconds * client.samplerate), len(inputs)), dtype=np.float32)
    state = {"at": 0, "overflow": False}
    stop = threading.Event()

    @client.set_process_callback
    def process(frames: int) -> None:
        at = state["at"]
        n = min(frames, store.shape[0] - at)
        for k, port in enumerate(inputs):
            store[at:at + n, k] = port.get_array()[:n]
        state["at"] = at + n
        state["overflow"] = state["overflow"] or n < frames

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with client:
        for port, source in zip(inputs, args.ports):
            if source.startswith("feeding:"):
                # the output that feeds this input port (whatever its client is called)
                feeding = client.get_all_connections(source.split(":", 1)[1])
                if not feeding:
                    print(f"nothing feeds {source[8:]}", file=sys.stderr, flush=True)
                    return 2
                source = feeding[0].name
            client.connect(source, port)
        print("ready", flush=True)

        def wait_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()

        threading.Thread(target=wait_stdin, daemon=True).start()
        stop.wait()
    np.save(args.out, store[:state["at"]])
    return 3 if state["overflow"] else 0


if __name__ == "__main__":
    sys.exit(main())
