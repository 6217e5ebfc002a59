"""hybrid.mix_evaluation: every finding appears on a mix that has the fault and stays away from one that has not."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from hybrid.mix_evaluation import SEVERITIES, MixEvaluation, evaluate
from tests.dsp import transients
from tests.dsp.test_qc import RATE, make_mix, sine


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return make_mix(seconds=8.0)


@pytest.fixture(scope="module")
def clean_result(clean: np.ndarray) -> MixEvaluation:
    return evaluate(clean, RATE, name="clean.wav")


def codes(result: MixEvaluation, severity: str | None = None) -> set[str]:
    return {f.code for f in result.findings if severity is None or f.severity == severity}


def finding(result: MixEvaluation, code: str):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.code == code]
    assert found, f"no {code} finding in {[f.code for f in result.findings]}"
    return found[0]


def brickwall(audio: np.ndarray, drive_db: float, ceiling: float = 0.89) -> np.ndarray:
    """A crude 5 ms look-ahead limiter: what an over-eager mix-bus limiter does to peaks."""
    driven = audio * 10 ** (drive_db / 20)
    w = int(0.005 * RATE)
    need = ceiling / np.maximum(ndimage.maximum_filter1d(np.abs(driven).max(axis=1), 2 * w + 1), ceiling)
    gain = ndimage.uniform_filter1d(ndimage.minimum_filter1d(need, 2 * w + 1), w)
    return driven * gain[:, None]


def test_a_healthy_mix_is_ready_with_no_findings(clean_result: MixEvaluation) -> None:
    assert clean_result.findings == []
    assert clean_result.ready and clean_result.verdict == "Ready for mastering."
    m = clean_result.measurements
    assert m["clipped_runs"] == 0 and m["clicks"] == 0 and m["hum"] is None
    assert m["loudness"]["integrated_lufs"] == pytest.approx(-20.0, abs=1.5)


def test_clipping_is_a_problem_with_timestamps(clean: np.ndarray) -> None:
    result = evaluate(np.clip(clean * 4.0, -1.0, 1.0), RATE)
    clip = finding(result, "clipping")
    assert clip.severity == "problem" and clip.times_s[0] >= 0.3  # after the lead-in
    assert "clicks" not in codes(result)  # the clipped corners are not reported twice
    assert not result.ready and "without clipping" in result.verdict


def test_intersample_overs_between_clean_samples() -> None:
    # fs/4 at 45 degrees: every sample at 0.99 of full scale, the waveform between them at 1.40.
    quarter = np.zeros((int(0.3 * RATE), 2))
    tone = sine(RATE / 4, 2.0, 0.99 * np.sqrt(2), np.pi / 4)
    fade = np.minimum(1.0, np.arange(len(tone)) / 4800.0)[::-1] * np.minimum(1.0, np.arange(len(tone)) / 4800.0)
    audio = np.concatenate([quarter, np.column_stack([tone * fade, tone * fade])])
    result = evaluate(audio, RATE)
    over = finding(result, "intersample_overs")
    assert over.value == pytest.approx(20 * np.log10(0.99 * np.sqrt(2)), abs=0.2)
    assert 0.3 <= over.times_s[0] < 0.5
    on_grid = evaluate(audio * 0.5, RATE)
    assert "intersample_overs" not in codes(on_grid)


def test_little_headroom_is_a_warning(clean: np.ndarray) -> None:
    hot = clean * (0.97 / np.max(np.abs(clean)))
    assert finding(evaluate(hot, RATE), "headroom").severity == "warning"


@pytest.mark.parametrize("offset, severity", [(0.005, "warning"), (0.03, "problem")])
def test_dc_offset(clean: np.ndarray, offset: float, severity: str) -> None:
    shifted = clean.copy()
    shifted[:, 1] += offset
    dc = finding(evaluate(shifted, RATE), "dc_offset")
    assert dc.severity == severity and "right" in dc.message
    assert dc.value == pytest.approx(20 * np.log10(offset), abs=0.5)


def test_out_of_phase_mix_is_a_problem(clean: np.ndarray) -> None:
    flipped = np.column_stack([clean[:, 0], -clean[:, 1]])
    phase = finding(evaluate(flipped, RATE), "phase")
    assert phase.severity == "problem" and phase.value < -0.8


def test_an_out_of_phase_passage_is_a_warning_at_its_time(clean: np.ndarray) -> None:
    passage = clean.copy()
    passage[3 * RATE: 5 * RATE, 1] *= -1.0  # inside the music, before the fade
    phase = finding(evaluate(passage, RATE), "phase")
    assert phase.severity == "warning"
    assert phase.times_s[0] == pytest.approx(3.0, abs=0.25)


def test_unrelated_channels_warn_about_mono(clean_result: MixEvaluation) -> None:
    rng = np.random.default_rng(21)
    a, b = rng.standard_normal((2, 6 * RATE)) * 0.05
    wide = np.column_stack([a - 0.1 * b, b - 0.1 * a]) * np.hanning(6 * RATE)[:, None]
    mono = finding(evaluate(wide, RATE), "mono_fold_down")
    # E[LR] = -0.2 s^2, E[L^2] = 1.01 s^2: correlation -0.198, mono keeps (1 + c) / 2 of the power.
    assert mono.value == pytest.approx(-10 * np.log10((1 - 0.2 / 1.01) / 2), abs=0.15)
    assert "mono_fold_down" not in codes(clean_result)


@pytest.mark.parametrize("gain, severity", [(1.4, "warning"), (2.0, "problem")])
def test_left_right_balance(clean: np.ndarray, clean_result: MixEvaluation, gain: float, severity: str) -> None:
    leaning = clean.copy()
    leaning[:, 0] *= gain
    balance = finding(evaluate(leaning, RATE), "balance")
    assert balance.severity == severity and "left" in balance.message
    assert balance.value == pytest.approx(clean_result.measurements["balance_db"] + 20 * np.log10(gain), abs=1e-6)
    assert "balance" not in codes(clean_result)


def test_a_crushed_mix_bus(clean: np.ndarray, clean_result: MixEvaluation) -> None:
    crushed = evaluate(brickwall(clean, 15.0), RATE)
    found = finding(crushed, "crushed_mix_bus")
    assert found.severity == "problem" and "limiter" in found.request
    assert crushed.measurements["peaks_at_ceiling_per_min"] > 300
    assert clean_result.measurements["peaks_at_ceiling_per_min"] < 100
    assert {"crushed_mix_bus", "dense_dynamics"}.isdisjoint(codes(clean_result))


def test_clicks_with_their_times(clean: np.ndarray) -> None:
    faulty = clean.copy()
    faulty[int(2.61 * RATE), 0] += 0.1
    faulty[int(6.4 * RATE), 1] -= 0.1
    clicks = finding(evaluate(faulty, RATE), "clicks")
    assert clicks.severity == "problem"
    assert [round(t, 2) for t in clicks.times_s] == [2.61, 6.4]


@pytest.mark.parametrize("kind", ["kick", "band"])
def test_clean_drums_get_no_click_finding_and_no_revised_mix(kind: str) -> None:
    # A lone kick with a 2 ms attack and a smooth decay was "[problem] 74 click(s)" and "Ask the
    # mix engineer for a revised mix"; so was every mix of a four-track album.
    result = evaluate(transients.programme(kind), RATE, name=f"{kind}.wav")
    assert "clicks" not in codes(result) and result.measurements["clicks"] == 0
    assert not result.verdict.startswith("Ask the mix engineer")


def test_mains_hum(clean: np.ndarray) -> None:
    t = np.arange(clean.shape[0]) / RATE
    buzz = 0.01 * (np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 150 * t + 1.0))
    hum = finding(evaluate(clean + buzz[:, None], RATE), "hum")
    assert hum.severity == "problem" and "50 Hz" in hum.message


def test_hiss_in_the_quiet_passages(clean: np.ndarray, clean_result: MixEvaluation) -> None:
    rng = np.random.default_rng(8)
    with_break = clean.copy()
    with_break[4 * RATE: 6 * RATE] = 0.0
    hiss = 10 ** (-50 / 20) / np.sqrt(2) * rng.standard_normal(clean.shape)
    noise = finding(evaluate(with_break + hiss, RATE), "noise")
    # -50 dBFS of white noise over 0-24 kHz is -52 dBFS in the 1-16 kHz band the hiss is read in.
    assert noise.value == pytest.approx(-50.0 + 10 * np.log10(15 / 24), abs=1.0)
    assert any(4.0 <= t < 6.0 for t in noise.times_s)
    dither_level = 10 ** (-100 / 20) * rng.standard_normal(clean.shape)
    assert "noise" not in codes(evaluate(with_break + dither_level, RATE))
    assert "noise" not in codes(clean_result)


def test_hum_and_dc_in_a_quiet_lead_in_are_not_called_hiss(clean: np.ndarray) -> None:
    t = np.arange(clean.shape[0]) / RATE
    under = clean + 0.004 + (0.01 * (np.sin(2 * np.pi * 60 * t) + 0.5 * np.sin(2 * np.pi * 180 * t)))[:, None]
    found = codes(evaluate(under, RATE))
    assert {"hum", "dc_offset"} <= found and "noise" not in found


def test_a_quiet_mix_fading_out_is_not_cut_off(clean: np.ndarray) -> None:
    # At -52 dBFS overall, the fade passes -60 dBFS long before its end: still a fade.
    result = evaluate(clean * 0.02, RATE)
    assert codes(result) == {"low_level"} and result.ready


def test_a_cut_off_ending_and_a_cut_start(clean: np.ndarray) -> None:
    cut = clean[int(0.3 * RATE): int(5.0 * RATE)]
    result = evaluate(cut, RATE)
    assert finding(result, "abrupt_end").severity == "problem"
    assert finding(result, "abrupt_end").times_s == (pytest.approx(4.7),)
    assert finding(result, "cut_start").severity == "warning"
    assert "full decay" in result.verdict


def test_long_silence_at_head_and_tail_is_noted(clean: np.ndarray) -> None:
    padded = np.concatenate([np.zeros((3 * RATE, 2)), clean, np.zeros((6 * RATE, 2))])
    result = evaluate(padded, RATE)
    assert finding(result, "head_silence").value == pytest.approx(3.3, abs=0.01)
    assert finding(result, "tail_silence").value > 6.0
    assert result.ready


def test_a_silent_file_is_a_problem() -> None:
    result = evaluate(np.zeros((RATE, 2)), RATE)
    assert codes(result, "problem") == {"silence"}


def test_spectral_balance_against_a_reference(clean: np.ndarray) -> None:
    spectrum = np.fft.rfft(clean, axis=0)
    freqs = np.fft.rfftfreq(clean.shape[0], 1 / RATE)
    spectrum[freqs >= 6000.0] *= 2.0
    brighter = np.fft.irfft(spectrum, n=clean.shape[0], axis=0)
    result = evaluate(brighter, RATE, reference=(clean * 0.3, RATE))
    balance = finding(result, "spectral_balance")
    assert balance.severity == "warning" and "top end" in balance.message and "brighter" in balance.message
    same = finding(evaluate(clean * 0.5, RATE, reference=(clean, RATE)), "spectral_balance")
    assert same.severity == "info" and "within 3 dB" in same.message


def test_findings_are_ordered_by_severity_and_serialise(clean: np.ndarray) -> None:
    faulty = np.clip(clean * 4.0, -1.0, 1.0)
    faulty[:, 0] *= 1.4
    doc = evaluate(faulty, RATE, name="x.wav").to_dict()
    ranks = [SEVERITIES.index(f["severity"]) for f in doc["findings"]]
    assert ranks == sorted(ranks) and doc["ready"] is False
    assert doc["file"] == "x.wav" and doc["verdict"].startswith("Ask the mix engineer")


def test_loudness_readings_are_those_of_hybrid_analyze(clean: np.ndarray, clean_result: MixEvaluation) -> None:
    from dsp.meter import analyze

    expected = analyze(clean, RATE).to_dict()
    got = clean_result.measurements["loudness"]
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=0.01), key


@pytest.mark.parametrize("drive_db, crushed", [(3.0, False), (12.0, True)])
def test_a_mix_bus_limiter_pushed_hard_is_heard_as_crushed(clean: np.ndarray, drive_db: float, crushed: bool) -> None:
    # The project's own true-peak limiter on the mix bus: a few dB of peak control is a choice,
    # twelve dB into it flattens every peak against the ceiling.
    from dsp.limiter import limit

    bus = limit(clean * 10 ** (drive_db / 20), RATE, ceiling_dbtp=-0.3).audio
    result = evaluate(bus, RATE)
    assert ("crushed_mix_bus" in codes(result, "problem")) == crushed


@pytest.mark.parametrize("rate", [44100, 96000])
def test_other_sample_rates_read_the_same(rate: int) -> None:
    mix = make_mix(seconds=5.0, rate=rate)
    assert evaluate(mix, rate).findings == []
    mix[int(2.61 * rate), 0] += 0.1
    assert [(f.code, f.times_s) for f in evaluate(mix, rate).findings] == [("clicks", (2.61,))]
