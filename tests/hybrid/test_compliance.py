"""Every compliance rule, broken on purpose: the finding names the rule, the track and the numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.ddp.layout import CdLayout, CdTrack, layout_album
from hybrid.deliver.compliance import (
    check_clipping,
    check_file_format,
    check_red_book,
    check_true_peak,
    clipped_samples,
    split,
)
from hybrid.deliver.platforms import loudness_issues, playback_changes

SECOND = 44100


def _rules(issues) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(i.level, i.rule) for i in issues]


def _wav(tmp_path: Path, rate: int, subtype: str, channels: int = 2) -> Path:
    path = tmp_path / "x.wav"
    sf.write(str(path), np.zeros((100, channels)), rate, subtype=subtype)
    return path


def test_a_good_file_passes_the_format_checks(tmp_path: Path) -> None:
    assert check_file_format(_wav(tmp_path, 44100, "PCM_16"), rate_hz=44100, bits=16, channels=2, label="cd") == []


def test_wrong_sample_rate_is_an_error(tmp_path: Path) -> None:
    issues = check_file_format(_wav(tmp_path, 48000, "PCM_16"), rate_hz=44100, bits=16, channels=2,
                               label="cd", track=3)
    assert _rules(issues) == [("error", "format.sample_rate")]
    assert issues[0].track == 3 and "48000 Hz" in issues[0].message and "44100 Hz" in issues[0].message


def test_wrong_word_length_is_an_error(tmp_path: Path) -> None:
    issues = check_file_format(_wav(tmp_path, 44100, "PCM_24"), rate_hz=44100, bits=16, channels=2, label="cd")
    assert _rules(issues) == [("error", "format.word_length")] and "16-bit" in issues[0].message


def test_wrong_channel_count_is_an_error(tmp_path: Path) -> None:
    issues = check_file_format(_wav(tmp_path, 44100, "PCM_16", channels=1), rate_hz=44100, bits=16,
                               channels=2, label="cd")
    assert _rules(issues) == [("error", "format.channels")]


def test_clipping_counts_runs_of_three_full_scale_samples_and_errs() -> None:
    pcm = np.zeros((1000, 2), dtype=np.int16)
    pcm[10:12, 0] = 32767  # two in a row: a peak that touched full scale, not a clip
    pcm[100:105, 1] = -32768  # five in a row: a clip
    pcm[200:204, 0] = [32766, 32767, 32765, 32767]  # a clip roughened by dither still counts
    assert clipped_samples(pcm, 16) == 9
    issues = check_clipping(pcm, 16, label="vinyl: track 1", track=1)
    assert _rules(issues) == [("error", "level.clipping")] and "9 clipped samples" in issues[0].message
    assert check_clipping(pcm[:50], 16, label="x") == []


def test_clipping_in_24_bit_codes_held_in_int32() -> None:
    pcm = np.zeros((100, 2), dtype=np.int32)
    pcm[20:24, 0] = 0x7FFFFF00  # the largest 24-bit code, shifted into the top bits
    assert clipped_samples(pcm, 24) == 4
    pcm[20:24, 0] = 0x7FFFFD00  # 3 LSB below full scale: loud, not clipped
    assert clipped_samples(pcm, 24) == 0


def test_true_peak_over_the_ceiling_is_an_error_within_tolerance_is_not() -> None:
    assert check_true_peak(-0.95, -1.0, label="streaming") == []
    issues = check_true_peak(-0.5, -1.0, label="streaming: track 2", track=2)
    assert _rules(issues) == [("error", "level.true_peak")] and "0.50 dB over" in issues[0].message
    assert check_true_peak(+3.0, None, label="vinyl") == []  # no ceiling promised, nothing to break


def _cd(lengths_s: list[float], gaps: list[int] | None = None) -> CdLayout:
    gaps = gaps or [150] * len(lengths_s)
    return layout_album([(f"t{i}", f"T{i}", "", int(s * SECOND), g) for i, (s, g) in enumerate(zip(lengths_s, gaps))])


def test_a_good_album_meets_the_red_book() -> None:
    assert check_red_book(_cd([200.0, 4.0, 185.5])) == []


def test_a_track_under_four_seconds_breaks_the_red_book() -> None:
    issues = check_red_book(_cd([200.0, 3.99]))
    assert _rules(issues) == [("error", "red_book.min_track_length")]
    assert issues[0].track == 2 and "3.99 s" in issues[0].message


def test_a_hundred_tracks_break_the_red_book() -> None:
    issues = check_red_book(_cd([5.0] * 100, [150] + [0] * 99))
    assert ("error", "red_book.track_count") in _rules(issues)


def test_an_album_over_79_57_breaks_the_red_book() -> None:
    issues = check_red_book(_cd([40 * 60.0, 39 * 60 + 56.0], [150, 0]))  # 2 s + 79:56 = 79:58
    assert _rules(issues) == [("error", "red_book.total_length")] and "79:58:00" in issues[0].message
    assert check_red_book(_cd([40 * 60.0, 39 * 60 + 55.0], [150, 0])) == []  # 79:57 exactly fits


def test_a_missing_pregap_breaks_the_red_book() -> None:
    issues = check_red_book(_cd([10.0, 10.0], [0, 150]))
    assert _rules(issues) == [("error", "red_book.pregap")] and issues[0].track == 1


def test_a_track_that_does_not_end_on_a_frame_breaks_the_red_book() -> None:
    bad = CdTrack(1, "t", "T", "", 0, 150, length_frames=400, audio_samples=400 * 588 + 1)
    issues = check_red_book(CdLayout([bad]))
    assert _rules(issues) == [("error", "red_book.frame_alignment")]


def test_no_tracks_breaks_the_red_book() -> None:
    assert _rules(check_red_book(CdLayout([]))) == [("error", "red_book.no_tracks")]


def test_errors_and_warnings_are_reported_apart() -> None:
    issues = check_red_book(_cd([2.0])) + loudness_issues(-8.0, -0.1, label="streaming")
    report = split(issues)
    assert [e["rule"] for e in report["errors"]] == ["red_book.min_track_length"]
    assert [w["rule"] for w in report["warnings"]] == ["loudness.spotify_peak", "loudness.turned_down"]


def test_platforms_turn_a_loud_master_down_by_their_reference() -> None:
    rows = {r["platform"]: r["playback_gain_db"] for r in playback_changes(-10.0, -0.3)}
    assert rows == {"Spotify": -4.0, "YouTube": -4.0, "Tidal": -4.0, "Apple Music": -6.0, "Deezer": -5.0}


def test_platforms_turn_a_quiet_master_up_only_within_its_peak_headroom() -> None:
    rows = {r["platform"]: r["playback_gain_db"] for r in playback_changes(-20.0, -6.0)}
    # Spotify wants +6 but peaks would pass -1 dBTP after +5; Apple wants +4 and has room
    assert rows == {"Spotify": 5.0, "YouTube": 0.0, "Tidal": 0.0, "Apple Music": 4.0, "Deezer": 0.0}


@pytest.mark.parametrize(("lufs", "peak", "rules"), [
    (-14.5, -1.0, []),
    (-12.0, -1.0, ["loudness.spotify_peak"]),
    (-12.0, -2.5, []),
    (-8.5, -2.5, ["loudness.turned_down"]),
    (None, float("-inf"), ["loudness.silent"]),
])
def test_loudness_warnings(lufs: float | None, peak: float, rules: list[str]) -> None:
    issues = loudness_issues(lufs, peak, label="streaming: track 1", track=1)
    assert [i.rule for i in issues] == rules and all(i.level == "warning" for i in issues)
