"""Listening figures: control move to heard change, CPU of the simulated chain in real time (48 and
96 kHz, against ffmpeg running a comparable chain in real time), glitches of looping through JACK.

    python -m bench listen                      all rows (about 2.5 minutes)
    python -m bench.listen --child cpu 48000 20  one measurement in this process (what run() starts)

Each measurement runs in a child process of its own (a clean process: its CPU is the engine's).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

CPU_SECONDS = 20.0
MOVES = 20
JACK_SECONDS = 120.0


def run() -> list[dict[str, Any]]:
    rows = [_child("latency", 48000, 0.0)]
    for rate in (48000, 96000):
        rows.append(_child("cpu", rate, CPU_SECONDS))
        rows.append(_ffmpeg_peer(rate, CPU_SECONDS))
    rows.append(_child("jack", 48000, JACK_SECONDS))
    rows.append(_child("jack1024", 48000, JACK_SECONDS))
    load = os.getloadavg()
    for row in rows:
        row["load_avg_1min"] = round(load[0], 1)
    return rows


def _child(kind: str, rate: int, seconds: float) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.listen", "--child", kind, str(rate), str(seconds)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"figure": kind, "rate_hz": rate, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ffmpeg_peer(rate: int, seconds: float) -> dict[str, Any]:
    """The named peer: ffmpeg reading a file at its own rate (-re) through a chain like the sim's
    (four EQ bands, a bus compressor, a saturating stage), output thrown away; CPU over wall."""
    from bench._process import run_child
    from tests.hybrid.listening import band_noise_mix

    if shutil.which("ffmpeg") is None:
        return {"figure": "peer: ffmpeg -re, EQ + compressor + saturation", "rate_hz": rate, "error": "no ffmpeg"}
    with tempfile.TemporaryDirectory() as tmp:
        mix = band_noise_mix(Path(tmp) / "mix.wav", seconds + 1, 1, rms=0.1)
        chain = ("equalizer=f=60:t=q:w=0.7:g=1,equalizer=f=400:t=q:w=0.7:g=-1,equalizer=f=3000:t=q:w=0.7:g=1,"
                 f"highshelf=f=10000:g=1,acompressor=threshold=0.1:ratio=2,asoftclip=type=tanh,aresample={rate}")
        child = run_child(["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", str(mix), "-t", str(seconds),
                           "-af", chain, "-f", "null", "-"])
    return {"figure": "peer: ffmpeg -re, EQ + compressor + saturation", "rate_hz": rate,
            "seconds": round(child.wall_s, 1), "cpu_pct_of_one_core": round(100 * child.cpu_s / child.wall_s, 1)}


# ---------------------------------------------------------------- inside the child

def _session(base: Path, rate: int) -> Path:
    """A session on the sim studio at `rate` with a 30 s mix of music-like noise."""
    from devices.rig import default_rig_path
    from hybrid.session import AlbumFields, new_session
    from tests.hybrid.listening import band_noise_mix

    rig = base / f"sim-{rate}.yaml"
    text = default_rig_path().read_text().replace("sample_rate: 48000", f"sample_rate: {rate}")
    # the same converters at another rate: the same latency in time (83.37 samples at 48 kHz),
    # which at 96 kHz is also past the streaming sim's converter filter (95 samples there)
    text = text.replace("latency_samples: 83.37", f"latency_samples: {83.37 * rate / 48000:.2f}")
    rig.write_text(text.replace("name: sim-studio", f"name: sim-studio-{rate}"))
    mix = band_noise_mix(base / "01 Mix.wav", 30.0, 1, rms=0.1)
    if rate != 48000:
        import soundfile as sf

        from dsp.resample import resample

        audio, _ = sf.read(str(mix))
        sf.write(str(mix), resample(audio, 48000, rate).astype(np.float32), rate, subtype="FLOAT")
    folder = base / "album"
    new_session(folder, [mix], rig_path=rig, album=AlbumFields(title="Bench", targets=["streaming"]))
    return folder


def _cpu(rate: int, seconds: float) -> dict[str, Any]:
    """The engine on the simulated rig in real time: CPU of the whole process over a steady stretch."""
    from hybrid.listen import ListenEngine, ListenOptions

    base = Path(tempfile.mkdtemp(prefix="bench-listen-"))
    os.environ["XDG_STATE_HOME"] = str(base / "state")
    engine = ListenEngine.open(_session(base, rate), ListenOptions(loop=True, tap=True, start_s=5, end_s=25,
                                                                   confirm_manual=lambda sheet: True))
    try:
        engine.select("chain")
        _drain(engine, 2.0)  # past the start
        used0, wall0, frames0 = _cpu_s(), time.monotonic(), engine.stream.frames
        _drain(engine, seconds)
        used, wall, frames = _cpu_s() - used0, time.monotonic() - wall0, engine.stream.frames - frames0
        glitches = len(engine.stream.glitches)
    finally:
        engine.close()
        shutil.rmtree(base, ignore_errors=True)
    return {"figure": "sim chain + engine in real time", "rate_hz": rate, "seconds": round(wall, 1),
            "cpu_pct_of_one_core": round(100 * used / wall, 1), "realtime_ratio": round(frames / rate / wall, 3),
            "glitches": glitches}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _drain(engine: Any, seconds: float) -> list[tuple[float, int, int]]:
    """Read the tap for `seconds`: (arrival time, frame, frames) of every block."""
    arrivals = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        item = engine.tap.get(0.1)
        if item is not None:
            arrivals.append((time.monotonic(), item[0], item[1].shape[0]))
    return arrivals


def _latency(rate: int) -> dict[str, Any]:
    """Control move to heard change on the simulated rig: from the call to move() until the monitor
    block that has the new setting leaves the engine, plus the simulated interface's output buffer."""
    from devices.audio.sim_stream import SIM_BUFFER_BLOCKS
    from hybrid.listen import ListenEngine, ListenOptions

    base = Path(tempfile.mkdtemp(prefix="bench-listen-"))
    os.environ["XDG_STATE_HOME"] = str(base / "state")
    engine = ListenEngine.open(_session(base, rate), ListenOptions(loop=True, tap=True, start_s=5, end_s=25,
                                                                   confirm_manual=lambda sheet: True))
    arrivals: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            item = engine.tap.get(0.05)
            if item is not None:
                arrivals.append((time.monotonic(), item[0], item[1].shape[0]))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    heard_ms, wire_ms = [], []
    try:
        engine.select("chain")
        time.sleep(1.0)
        for k in range(MOVES):
            started = time.monotonic()
            move = engine.move(f"eq.high_gain_db={1.0 if k % 2 == 0 else 0.0}")
            while not arrivals or arrivals[-1][1] + arrivals[-1][2] <= move.heard_from_frame:
                time.sleep(0.001)
            arrived = next(t for t, frame, n in arrivals if frame + n > move.heard_from_frame)
            heard_ms.append(1000 * (arrived - started))
            wire_ms.append(1000 * move.elapsed_s)
            time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
        engine.close()
        shutil.rmtree(base, ignore_errors=True)
    block_ms = 1000 * engine.block_size / rate
    buffer_ms = SIM_BUFFER_BLOCKS * block_ms
    total = np.asarray(heard_ms) + buffer_ms
    return {"figure": "control move -> heard change (sim rig)", "rate_hz": rate, "moves": MOVES,
            "median_ms": round(float(np.median(total)), 1), "max_ms": round(float(np.max(total)), 1),
            "wire_median_ms": round(float(np.median(wire_ms)), 1), "of_which_output_buffer_ms": round(buffer_ms, 1),
            "goal_ms": round(100 + block_ms, 1)}


def _jack(rate: int, seconds: float, period: int = 256) -> dict[str, Any]:
    """Looping through a private JACK server (dummy driver) for `seconds`: PortAudio's dropout flags,
    and frames the monitors really lost (a JACK client records them; compared with the feed)."""
    from tests.conftest import JACK_LOOP_ROUTES
    from tests.jack_loop import start_loop, start_server

    base = Path(tempfile.mkdtemp(prefix="bench-listen-jack-"))
    name = f"bench-listen-{os.getpid()}"
    os.environ.update(XDG_STATE_HOME=str(base / "state"), JACK_DEFAULT_SERVER=name, JACK_NO_AUDIO_RESERVATION="1")
    server = start_server(name, base, period=period)
    loop = start_loop(server, "hybrid_loop", JACK_LOOP_ROUTES)
    try:
        import sounddevice as sd

        from hybrid.listen import ListenEngine, ListenOptions
        from hybrid.session import AlbumFields, new_session
        from tests.hybrid.listening import band_noise_mix
        from tests.hybrid.test_listen_jack import RIG

        rig = base / "jack-listen.yaml"
        rig.write_text(RIG.replace("block_size: 256", f"block_size: {period}"))
        mix = band_noise_mix(base / "01 Mix.wav", 12.0, 1, rms=0.1)
        folder = base / "album"
        new_session(folder, [mix], rig_path=rig, album=AlbumFields(title="Bench", targets=["streaming"]))
        engine = ListenEngine.open(folder, ListenOptions(loop=True, tap=True, start_s=1, end_s=11))
        out = base / "monitors.npy"
        recorder = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parents[1] / "tests" / "jack_record.py"),
                                     "--server", name, "--out", str(out), "--seconds", str(seconds + 30),
                                     "feeding:hybrid_loop:in_1", "feeding:hybrid_loop:in_2"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert recorder.stdout is not None and recorder.stdout.readline().strip() == b"ready"
        engine.select("chain")
        blocks: list[tuple[int, np.ndarray]] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            item = engine.tap.get(0.1)
            if item is not None:
                blocks.append(item)
        recorder.stdin.close()  # type: ignore[union-attr]
        recorder.wait(60)
        flags = len(engine.stream.glitches)
        dropped_by_tap = engine.tap.dropped
        engine.close()
        sd._terminate()
        lost = _lost_stretches(np.load(out), blocks)
    finally:
        loop.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    per_hour = 3600.0 / seconds
    return {"figure": f"looping through JACK (dummy driver, -p {period}, block {period})", "rate_hz": rate,
            "seconds": seconds,
            "portaudio_flags": flags, "flags_per_hour": round(flags * per_hour, 0),
            "monitor_discontinuities": lost, "discontinuities_per_hour": round(lost * per_hour, 0),
            "tap_blocks_dropped": dropped_by_tap, "extrapolated_from_s": seconds}


def _lost_stretches(recording: np.ndarray, blocks: list[tuple[int, np.ndarray]]) -> int:
    """How many times the recorded monitors stop following the feed (a lost or repeated stretch)."""
    feed = np.concatenate([b for _, b in blocks])
    settle = 8192
    probe = recording[settle:settle + 4096, 0].astype(np.float64)
    corr = np.correlate(feed[:, 0].astype(np.float64), probe, mode="valid")
    offset = int(np.argmax(corr)) - settle
    count, i = 0, settle
    while i < recording.shape[0] - 256:
        j = i + offset
        if j + 256 > feed.shape[0]:
            break
        if not np.array_equal(recording[i:i + 256], feed[j:j + 256]):
            count += 1
            # find where the recording picks the feed up again
            window = recording[i:i + 4096, 0].astype(np.float64)
            if window.shape[0] < 4096:
                break
            c = np.correlate(feed[max(0, j - 48000):j + 48000, 0].astype(np.float64), window, mode="valid")
            offset = max(0, j - 48000) + int(np.argmax(c)) - i
        i += 256
    return count


def _main(argv: list[str]) -> int:
    kind, rate, seconds = argv[1], int(argv[2]), float(argv[3])
    row = {"cpu": lambda: _cpu(rate, seconds), "latency": lambda: _latency(rate),
           "jack": lambda: _jack(rate, seconds), "jack1024": lambda: _jack(rate, seconds, 1024)}[kind]()
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(_main(sys.argv[1:]))
    from bench.__main__ import table

    print(table(run()))
