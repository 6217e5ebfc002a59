"""Every control of every simulated unit, set over its real wire, moves the sound the way the panel says;
at neutral each unit is transparent to within its noise and saturation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from scipy import signal

from devices.rig import load_rig
from devices.sound import coupling_sos, sound_for
from devices.station import Station, open_station
from dsp.delay import fractional_delay
from dsp.saturation import harmonic_levels_db

RATE = 48000


def _band_noise(seconds: float, rms_dbfs: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(seconds * RATE), 2))
    band = signal.butter(8, [20, 20000], "bandpass", fs=RATE, output="sos")
    x = signal.sosfiltfilt(band, x, axis=0)
    return x * 10 ** (rms_dbfs / 20) / np.sqrt(np.mean(x ** 2))


NOISE = _band_noise(3.0, -24.0)
SETTLE = RATE  # the coupling capacitors' start-up transient is over after a second


def _bursts() -> np.ndarray:
    """Programme with hard attacks: 150 ms tone bursts (110 Hz + 2.5 kHz) every 400 ms at -6 dBFS peak."""
    t = np.arange(int(2.4 * RATE)) / RATE
    tone = 0.35 * np.sin(2 * np.pi * 110 * t) + 0.15 * np.sin(2 * np.pi * 2500 * t)
    gate = ((t % 0.4) < 0.15).astype(float)
    return np.repeat((tone * gate)[:, None], 2, axis=1)


BURSTS = _bursts()
SINE = np.repeat((10 ** (-6 / 20) * np.sin(2 * np.pi * 997 * np.arange(RATE) / RATE))[:, None], 2, axis=1)


@pytest.fixture(scope="module")
def station() -> Iterator[Station]:
    with open_station(load_rig(), confirm_manual=lambda sheet: True, audio=False, persist=False) as st:
        yield st


def _run(st: Station, unit: str, settings: dict, audio: np.ndarray) -> np.ndarray:
    """Recall one unit over its wire (the others at neutral) and play audio through the whole chain."""
    everything = st.neutral_settings()
    everything[unit].update(settings)
    st.recall(everything)
    st.sim.reset()
    return st.sim.process(audio, RATE)


def gain_at(freq_hz: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """The chain's gain in dB at freq_hz, from input/output cross-spectra of band-limited noise."""
    def measure(x: np.ndarray, y: np.ndarray) -> float:
        f, pxy = signal.csd(x[SETTLE:, 0], y[SETTLE:, 0], fs=RATE, nperseg=16384)
        _, pxx = signal.welch(x[SETTLE:, 0], fs=RATE, nperseg=16384)
        return float(20 * np.log10(np.interp(freq_hz, f, np.abs(pxy) / pxx)))
    return measure


def rms_db(x: np.ndarray, y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(y[RATE // 2:] ** 2)))


def onset_peak_db(x: np.ndarray, y: np.ndarray) -> float:
    """The loudest sample in the first 3 ms of each burst after the first (the transient)."""
    starts = [int(k * 0.4 * RATE) for k in range(1, 6)]
    return float(20 * np.log10(max(np.abs(y[s:s + int(0.003 * RATE)]).max() for s in starts)))


def recovery_db(x: np.ndarray, y: np.ndarray) -> float:
    """Level at the start of each later burst relative to the end of the burst before (how far gain recovered)."""
    ends = [int(k * 0.4 * RATE + 0.15 * RATE) for k in range(1, 5)]
    level_end = np.mean([np.sqrt(np.mean(y[e - 960:e] ** 2)) for e in ends])
    level_next = np.mean([np.sqrt(np.mean(y[e + int(0.25 * RATE):e + int(0.25 * RATE) + 960] ** 2)) for e in ends])
    return float(20 * np.log10(level_next / level_end))


def harmonic_db(k: int) -> Callable[[np.ndarray, np.ndarray], float]:
    def measure(x: np.ndarray, y: np.ndarray) -> float:
        levels = harmonic_levels_db(y[RATE // 4:], RATE, 997, k)
        return float(levels[k - 1] - levels[0])
    return measure


EQ_BELL = {"low_shape": "bell"}
# (unit, parameter, base settings, value a, value b, what is measured, signal, least rise from a to b in dB)
CASES = [
    ("eq", "low_gain_db", {}, 0.0, 6.0, gain_at(50), NOISE, 4.0),
    ("eq", "low_freq_hz", {"low_gain_db": 6.0}, 20.0, 250.0, gain_at(200), NOISE, 3.0),
    ("eq", "low_shape", {"low_gain_db": -6.0, "low_freq_hz": 60.0}, "shelf", "bell", gain_at(25), NOISE, 2.0),
    ("eq", "lowmid_gain_db", {}, 0.0, 6.0, gain_at(330), NOISE, 5.5),
    ("eq", "lowmid_freq_hz", {"lowmid_gain_db": 6.0}, 150.0, 1000.0, gain_at(1000), NOISE, 3.0),
    ("eq", "lowmid_q", {"lowmid_gain_db": 6.0}, 2.0, 0.5, gain_at(600), NOISE, 2.0),
    ("eq", "highmid_gain_db", {}, 0.0, -6.0, gain_at(3300), NOISE, -5.5),
    ("eq", "highmid_freq_hz", {"highmid_gain_db": 6.0}, 1000.0, 6800.0, gain_at(6800), NOISE, 3.0),
    ("eq", "highmid_q", {"highmid_gain_db": 6.0}, 2.0, 0.5, gain_at(6000), NOISE, 2.0),
    ("eq", "high_shape", {"high_gain_db": 6.0, "high_freq_hz": 6800.0}, "shelf", "bell", gain_at(18000), NOISE, -2.0),
    ("eq", "high_freq_hz", {"high_gain_db": 6.0}, 15000.0, 2200.0, gain_at(5000), NOISE, 3.0),
    ("eq", "high_gain_db", {}, 0.0, 6.0, gain_at(18000), NOISE, 4.0),
    ("eq", "output_db", {}, 0.0, -3.0, gain_at(1000), NOISE, -2.99),
    ("comp", "mix_pct", {"threshold_db": -20.0, "ratio": 4.0}, 0.0, 100.0, rms_db, BURSTS, -3.0),
    ("comp", "threshold_db", {"mix_pct": 100.0, "ratio": 4.0}, -6.0, -24.0, rms_db, BURSTS, -4.0),
    ("comp", "ratio", {"mix_pct": 100.0, "threshold_db": -20.0}, 1.5, 10.0, rms_db, BURSTS, -3.0),
    ("comp", "attack_ms", {"mix_pct": 100.0, "threshold_db": -24.0, "ratio": 10.0}, 30.0, 0.1, onset_peak_db, BURSTS,
     -3.0),
    ("comp", "release_s", {"mix_pct": 100.0, "threshold_db": -24.0, "ratio": 10.0}, 1.2, 0.1, recovery_db, BURSTS,
     2.0),
    ("comp", "release_s", {"mix_pct": 100.0, "threshold_db": -24.0, "ratio": 10.0}, 1.2, "auto", rms_db, BURSTS, 1.0),
    ("comp", "makeup_db", {"mix_pct": 100.0}, 0.0, 6.0, rms_db, BURSTS, 5.9),
    ("comp", "sidechain_hpf_hz", {"mix_pct": 100.0, "threshold_db": -20.0, "ratio": 4.0}, "off", 250.0, rms_db,
     BURSTS, 1.5),
    ("color", "drive_db", {}, 0.0, 12.0, harmonic_db(3), SINE, 15.0),
    ("color", "mode", {}, "clean", "hot", harmonic_db(2), SINE, 40.0),
    ("color", "tilt_db", {}, 0.0, 3.0, gain_at(12000), NOISE, 1.0),
    ("color", "air_db", {}, 0.0, 6.0, gain_at(19000), NOISE, 3.0),
    ("color", "output_db", {}, 0.0, -6.0, gain_at(1000), NOISE, -5.99),
    ("pultec", "low_boost", {}, 0.0, 10.0, gain_at(30), NOISE, 8.0),
    ("pultec", "low_atten", {}, 0.0, 10.0, gain_at(30), NOISE, -8.0),
    ("pultec", "low_freq_hz", {"low_boost": 8.0}, 20.0, 100.0, gain_at(150), NOISE, 2.0),
    ("pultec", "high_boost", {}, 0.0, 10.0, gain_at(10000), NOISE, 8.0),
    ("pultec", "high_freq_hz", {"high_boost": 8.0}, 16000.0, 3000.0, gain_at(3000), NOISE, 5.0),
    ("pultec", "bandwidth", {"high_boost": 8.0}, 1.0, 10.0, gain_at(5000), NOISE, 2.0),
    ("pultec", "high_atten", {}, 0.0, 10.0, gain_at(18000), NOISE, -8.0),
    ("pultec", "atten_freq_hz", {"high_atten": 10.0}, 20000.0, 5000.0, gain_at(5000), NOISE, -4.0),
    # the relay bypass takes the unit's colour out (tests/devices/test_bypass.py nulls it against a delay)
    ("eq", "bypass", {"high_gain_db": 6.0}, "off", "on", gain_at(18000), NOISE, -4.0),
    ("comp", "bypass", {"mix_pct": 100.0, "threshold_db": -24.0, "ratio": 10.0}, "off", "on", rms_db, BURSTS, 3.0),
    ("color", "bypass", {"drive_db": 12.0, "mode": "hot"}, "off", "on", harmonic_db(2), SINE, -40.0),
    ("pultec", "bypass", {"low_boost": 10.0}, "in", "out", gain_at(30), NOISE, -8.0),
]


def test_the_table_covers_every_parameter_of_every_unit(station: Station) -> None:
    covered = {(unit, param) for unit, param, *_ in CASES}
    every = {(name, p) for name, unit in station.units.items() for p in unit.profile.parameters}
    assert covered == every


@pytest.mark.parametrize(("unit", "param", "base", "a", "b", "measure", "audio", "rise_db"), CASES,
                         ids=[f"{c[0]}.{c[1]}-{c[3]}-to-{c[4]}" for c in CASES])
def test_each_control_moves_the_sound_the_expected_way(station: Station, unit: str, param: str, base: dict,
                                                       a: object, b: object, measure, audio: np.ndarray,
                                                       rise_db: float) -> None:
    before = measure(audio, _run(station, unit, {**base, param: a}, audio))
    after = measure(audio, _run(station, unit, {**base, param: b}, audio))
    change = after - before
    if rise_db > 0:
        assert change >= rise_db, f"{unit}.{param} {a} -> {b}: {change:+.2f} dB, expected at least {rise_db:+.2f}"
    else:
        assert change <= rise_db, f"{unit}.{param} {a} -> {b}: {change:+.2f} dB, expected at most {rise_db:+.2f}"


def _linear_reference(x: np.ndarray, couplings: int, latency_samples: float) -> np.ndarray:
    """What a perfect unit would give: the coupling capacitors and the latency, nothing else."""
    for _ in range(couplings):
        x = signal.sosfilt(coupling_sos(RATE), x, axis=0)
    return fractional_delay(x, latency_samples)


@pytest.mark.parametrize("unit", ["eq", "comp", "color", "pultec"])
def test_a_unit_at_neutral_is_transparent_to_within_its_noise_and_saturation(station: Station, unit: str) -> None:
    twin = station.sim.twins[unit]
    sound = sound_for(twin.profile, twin.profile.neutral(), RATE, 2, np.random.default_rng(1))
    y = sound.process(NOISE)
    residual = (y - _linear_reference(NOISE, 1, sound.latency_samples))[SETTLE:-4800]
    residual_db = 10 * np.log10(np.mean(residual ** 2) / np.mean(NOISE[SETTLE:-4800] ** 2))
    assert residual_db < -75.0  # at -24 dBFS RMS: the noise floor (-110..-118 dBFS) and a trace of curvature
    noise_only = sound_for(twin.profile, twin.profile.neutral(), RATE, 2, np.random.default_rng(1))
    floor = noise_only.process(np.zeros((RATE, 2)))[RATE // 2:]
    assert 10 * np.log10(np.mean(floor ** 2)) == pytest.approx(twin.profile.sim.noise_dbfs, abs=0.2)


def test_the_whole_chain_at_neutral_is_flat_and_carries_only_the_units_own_latency(station: Station) -> None:
    station.recall_neutral()
    station.sim.reset()
    y = station.sim.process(NOISE, RATE)
    for freq in (20, 100, 1000, 10000, 20000):
        assert gain_at(freq)(NOISE, y) == pytest.approx(0.0, abs=0.05)
    residual = (y - _linear_reference(NOISE, 4, 24.96))[SETTLE:-4800]
    assert 10 * np.log10(np.mean(residual ** 2) / np.mean(NOISE[SETTLE:-4800] ** 2)) < -70.0


def test_saturation_grows_with_level_and_stays_gentle_at_neutral(station: Station) -> None:
    station.recall_neutral()
    third = []
    for level_db in (-20.0, -1.0):
        station.sim.reset()
        tone = SINE * 10 ** ((level_db + 6.0) / 20)
        third.append(harmonic_db(3)(tone, station.sim.process(tone, RATE)))
    assert third[1] - third[0] == pytest.approx(38.0, abs=2.0)  # a cubic term: 2 dB per dB of level
    assert third[1] < -55.0


def test_the_chain_keeps_its_state_between_blocks(station: Station) -> None:
    everything = station.neutral_settings()
    everything["comp"].update({"mix_pct": 100.0, "threshold_db": -20.0, "ratio": 4.0})
    everything["eq"].update({"high_gain_db": 4.0})
    station.recall(everything)
    station.sim.reset()
    whole = station.sim.process(BURSTS, RATE)
    station.sim.reset()
    blocks = np.vstack([station.sim.process(BURSTS[i:i + 256], RATE) for i in range(0, len(BURSTS), 256)])
    # the same stream in blocks of 256 gives the same samples, up to the (differently drawn) noise floor
    assert np.max(np.abs(whole - blocks)) < 1e-4


def test_the_units_output_stage_is_the_reference_saturation_curve(station: Station) -> None:
    from dsp.saturation import saturate

    twin = station.sim.twins["color"]
    settings = {**twin.profile.neutral(), "drive_db": 12.0, "mode": "hot", "output_db": -3.0}
    sound = sound_for(twin.profile, settings, RATE, 2, np.random.default_rng(1))
    sound.noise_rms = 0.0
    y = sound.process(SINE)
    # the same path written with the reference functions: filters, saturate(), output gain, latency
    linear = signal.sosfilt(sound.sos, SINE, axis=0)
    expected = fractional_delay(saturate(linear, sound.drive_db, sound.bias) * sound.output_gain,
                                sound.latency_samples)
    middle = slice(RATE // 4, -RATE // 4)
    assert np.max(np.abs(y[middle] - expected[middle])) < 1e-4  # the unit's short sinc vs a long one
    assert sound.drive_db == twin.profile.sim.drive_db + 12.0 + 12.0 and sound.bias > 0
