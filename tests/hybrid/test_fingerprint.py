"""The chain fingerprint: response, compression and THD read from known signals, and through the loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from calibration import measure
from calibration.fingerprint import (
    TONE_LEVELS_DBFS,
    Fingerprint,
    analyse,
    excitation,
    harmonic_amplitudes,
    measure_fingerprint,
)
from devices.audio import open_interface
from devices.rig import load_rig

RATE = 48000


def _through(process) -> Fingerprint:  # type: ignore[no-untyped-def]
    sig, where = excitation(RATE)
    return analyse(sig, process(np.repeat(sig[:, None], 2, axis=1)), RATE, where)


def test_a_known_filter_reads_as_its_own_response() -> None:
    b, a = signal.iirpeak(3000.0, 2.0, fs=RATE)  # a resonator: unity at 3 kHz, down elsewhere
    b, a = 0.5 * (b + a), a  # 0.5*(1 + peak): +0 dB at 3 kHz, -6 dB far from it
    fp = _through(lambda x: signal.lfilter(b, a, x, axis=0))
    freqs = np.asarray(fp.freqs_hz)
    _, h = signal.freqz(b, a, worN=freqs, fs=RATE)
    expected = 20 * np.log10(np.abs(h))
    band = (freqs >= 40) & (freqs <= 18000)
    np.testing.assert_allclose(np.asarray(fp.response_db[0])[band], expected[band], atol=0.05)
    # the tone readings see the filter's gain at 1 kHz at every level, so no compression
    np.testing.assert_allclose(fp.gain_db[0], [expected[np.argmin(np.abs(freqs - 1000))]] * 4, atol=0.05)
    np.testing.assert_allclose(fp.gain_reduction_db[0], 0.0, atol=0.01)


def test_a_level_dependent_gain_reads_as_gain_reduction() -> None:
    sig, where = excitation(RATE)
    reduction_db = [0.0, 1.0, 3.0, 6.0]  # a compressor's static curve, one value per tone level
    gain = np.ones_like(sig)
    start, step = where["tone_start"], where["step"]
    for k, r in enumerate(reduction_db):
        gain[start + k * step:start + (k + 1) * step] = 10 ** (-r / 20)
    fp = analyse(sig, np.repeat((sig * gain)[:, None], 2, axis=1), RATE, where)
    np.testing.assert_allclose(fp.gain_reduction_db[1], reduction_db, atol=1e-3)
    assert fp.levels_dbfs == list(TONE_LEVELS_DBFS)


def test_a_cubic_nonlinearity_reads_as_its_third_harmonic() -> None:
    k = 0.05  # y = x + k x^3: a sine of amplitude A gets a 3rd harmonic of k A^3 / 4
    fp = _through(lambda x: x + k * x ** 3)
    amplitude = 10 ** (fp.thd_level_dbfs / 20)
    third = k * amplitude ** 3 / 4
    fundamental = amplitude + 3 * k * amplitude ** 3 / 4
    assert fp.thd_db[0] == pytest.approx(20 * math.log10(third / fundamental), abs=0.01)


def test_harmonic_amplitudes_recover_known_harmonics_to_140_db() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(9600) / RATE
    amps = rng.uniform(0.01, 0.5, 9)
    x = sum(a * np.sin(2 * math.pi * 1000 * (h + 1) * t + rng.uniform(0, 6)) for h, a in enumerate(amps))
    # the Hann window's leakage between harmonics stays 140 dB under full scale
    np.testing.assert_allclose(harmonic_amplitudes(x, RATE, 1000.0, 9), amps, atol=1e-7)


def test_through_a_plain_cable_the_loop_fingerprint_is_flat_and_clean() -> None:
    rig = load_rig()
    interface = open_interface(rig.interface, None)  # converters with latency and gain error, no units
    record = measure(interface, rig_name="cable")
    fp = measure_fingerprint(interface, record)
    freqs = np.asarray(fp.freqs_hz)
    band = (freqs >= 20) & (freqs <= 16000)
    for channel in fp.response_db:  # calibration took the latency and each return's gain error out
        assert np.max(np.abs(np.asarray(channel)[band])) < 0.05
    assert np.max(np.abs(fp.gain_reduction_db)) < 0.01
    assert max(fp.thd_db) < -90.0
    assert Fingerprint.from_dict(fp.to_dict()) == fp
