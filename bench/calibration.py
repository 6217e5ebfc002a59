"""Calibration figures: latency error and null depth over rates x block sizes x latencies, and speed."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import fft, signal

import calibration
from bench._timing import best_of, real_time
from devices.audio import open_interface
from devices.rig import SimInterfaceConfig

RATES = (44100, 48000, 96000)
BLOCKS = (64, 256, 1024)
LATENCIES = (0.0, 0.5, 1234.567, 4999.99)


def run() -> list[dict[str, Any]]:
    """One row per grid point, then speed rows; every figure named with its unit."""
    rows = [_grid_point(rate, block, latency) for rate in RATES for block in BLOCKS for latency in LATENCIES]
    rows.append(_compensate_speed())
    rows.append(_sim_speed())
    return rows


def _sim(rate: int, block: int, latency: float, noise_dbfs: float, seed: int) -> Any:
    config = SimInterfaceConfig(backend="sim", sample_rate=rate, block_size=block, latency_samples=latency,
                                gain_error_db=[0.27, -0.18], noise_dbfs=noise_dbfs)
    return open_interface(config, seed=seed)


def _programme(rate: int, seconds: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(rate)
    frames = int(seconds * rate)
    band = signal.butter(10, [25, 19000], "bandpass", fs=rate, output="sos")
    audio = signal.sosfilt(band, rng.standard_normal((frames, 2)), axis=0) * signal.windows.tukey(frames, 0.05)[:, None]
    return 0.25 * audio / np.max(np.abs(audio))


def _residual_db(got: np.ndarray, want: np.ndarray, rate: int) -> float:
    freqs = fft.rfftfreq(want.shape[0], 1 / rate)
    band = (freqs >= 20) & (freqs <= 20000)
    err = np.sum(np.abs(fft.rfft(got - want, axis=0)[band]) ** 2)
    ref = np.sum(np.abs(fft.rfft(want, axis=0)[band]) ** 2)
    return float(10 * np.log10(max(err, 1e-300) / ref))


def _grid_point(rate: int, block: int, latency: float) -> dict[str, Any]:
    noisy = _sim(rate, block, latency, -90.0, seed=block)
    record = calibration.measure(noisy, rig_name="bench")
    truth = noisy.loop_latency_samples
    error = max(abs(ch.latency_samples - truth) for ch in record.channels)
    gain_error = max(abs(ch.gain_db - want) for ch, want in zip(record.channels, (0.27, -0.18)))

    clean = _sim(rate, block, latency, -200.0, seed=0)
    clean_record = calibration.measure(clean, rig_name="bench")
    audio = _programme(rate)
    send, layout = calibration.pilot.wrap(audio, rate)
    capture = clean.playrec(send)
    null_db = _residual_db(layout.extract(calibration.compensate(capture, clean_record)), audio, rate)
    rounded = clean_record.model_copy(update={"channels": [
        ch.model_copy(update={"latency_samples": float(round(ch.latency_samples))}) for ch in clean_record.channels]})
    whole_db = _residual_db(layout.extract(calibration.compensate(capture, rounded)), audio, rate)
    return {"bench": "calibration", "rate_hz": rate, "block_size": block, "latency_samples": latency + block,
            # tiny errors as text: a table rounding to 0.001 would show them as zero
            "latency_error_samples": f"{error:.1e}", "gain_error_db": f"{gain_error:.1e}",
            "confidence": round(record.confidence, 6), "null_db": round(null_db, 1),
            "whole_sample_null_db": round(whole_db, 1)}


def _compensate_speed(seconds: float = 60.0, rate: int = 48000) -> dict[str, Any]:
    record = calibration.measure(_sim(rate, 256, 83.37, -200.0, seed=0), rig_name="bench")
    capture = np.random.default_rng(0).standard_normal((int(seconds * rate), 2)) * 0.1
    timing = best_of(lambda: calibration.compensate(capture, record))
    return {"bench": "calibration.compensate", "rate_hz": rate, "channels": 2, "seconds": seconds,
            **real_time(seconds, *timing)}


def _sim_speed(seconds: float = 60.0, rate: int = 48000) -> dict[str, Any]:
    interface = _sim(rate, 256, 83.37, -110.0, seed=0)
    send = np.random.default_rng(0).standard_normal((int(seconds * rate), 2)) * 0.1
    timing = best_of(lambda: interface.playrec(send))
    return {"bench": "sim interface playrec (block 256)", "rate_hz": rate, "channels": 2, "seconds": seconds,
            **real_time(seconds, *timing)}


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
