"""render(): each target from float captures made in code, checked against independent measurements."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from devices.errors import ConfigError
from hybrid.ddp import extract_tracks, read_ddp
from hybrid.ddp.layout import SAMPLES_PER_FRAME
from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render
from hybrid.errors import DeliverableError

RATE = 48000
ISRCS = ["GBAYE2600101", "GBAYE2600102", "GBAYE2600103"]


def _programme(seconds: float, rate: int, seed: int, level: float) -> np.ndarray:
    """Band-limited noise with a bass line and a melody: loud enough to need a limiter at `level`."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal((n, 2))
    kernel = np.ones(8) / 8  # soften the top so the music is not white noise
    noise = np.stack([np.convolve(noise[:, c], kernel, mode="same") for c in range(2)], axis=1)
    bass = np.sin(2 * np.pi * 55 * t)[:, None] * np.array([[0.5, 0.5]])
    tune = np.sin(2 * np.pi * (440 + 110 * seed) * t)[:, None] * np.array([[0.3, 0.2]])
    audio = 0.25 * noise + bass + tune
    return level * audio / np.max(np.abs(audio))


def _capture(tmp_path: Path, name: str, audio: np.ndarray, rate: int = RATE) -> Path:
    path = tmp_path / "captures" / name
    path.parent.mkdir(exist_ok=True)
    sf.write(str(path), audio.astype(np.float32), rate, subtype="FLOAT")
    return path


def _job(tmp_path: Path, seconds: tuple[float, ...] = (4.5, 5.0, 4.2), rate: int = RATE,
         level: float = 1.4, finishing: dict | None = None, **job_fields) -> RenderJob:
    tracks = []
    for n, length in enumerate(seconds, start=1):
        path = _capture(tmp_path, f"{n:02d}-song-{n}.wav", _programme(length, rate, n, level), rate)
        tracks.append(TrackMaster(number=n, track_id=f"song-{n}", title=f"Song {n}", capture_path=path,
                                  isrc=ISRCS[n - 1] if n <= 3 else "", composer="A. Writer",
                                  gap_before_frames=150 if n == 1 else 75, finishing=dict(finishing or {})))
    album = AlbumInfo(title="Night Drive", artist="The Band", year="2026", upc_ean="4006381333931")
    return RenderJob(tracks=tracks, album=album, revision=3, **job_fields)


def _true_peak_16x_dbtp(path: Path) -> float:
    """An independent true-peak reading: 16x polyphase oversampling, max |x|."""
    audio, _ = sf.read(str(path), dtype="float64", always_2d=True)
    up = resample_poly(audio, 16, 1, axis=0)
    return 20 * np.log10(np.max(np.abs(up)))


def test_streaming_and_cd_render_to_their_formats_under_the_ceiling(tmp_path: Path) -> None:
    job = _job(tmp_path)
    result = render(job, ["streaming", "cd"], tmp_path / "out")
    streaming, cd = result.per_target["streaming"], result.per_target["cd"]
    assert streaming["compliance"]["errors"] == [] and cd["compliance"]["errors"] == []
    for entry in streaming["tracks"]:
        info = sf.info(str(entry["path"]))
        assert (info.samplerate, info.subtype, info.channels) == (48000, "PCM_24", 2)
        assert _true_peak_16x_dbtp(entry["path"]) <= -1.0 + 0.15
        gains = {r["platform"]: r["playback_gain_db"] for r in entry["platforms"]}
        if entry["integrated_lufs"] > -14.0:
            assert gains["Spotify"] == pytest.approx(-14.0 - entry["integrated_lufs"], abs=0.01)
            assert gains["Apple Music"] == pytest.approx(-16.0 - entry["integrated_lufs"], abs=0.01)
        else:
            assert gains["Spotify"] >= 0.0 and gains["YouTube"] == 0.0
    for entry in cd["tracks"]:
        info = sf.info(str(entry["path"]))
        assert (info.samplerate, info.subtype, info.channels) == (44100, "PCM_16", 2)
        assert info.frames % SAMPLES_PER_FRAME == 0
    assert set(result.paths) >= {e["path"] for e in streaming["tracks"] + cd["tracks"]}
    assert all(p.is_file() and tmp_path / "out" in p.parents for p in result.paths)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cd", "streaming"]  # no staging left


def test_the_ddp_of_a_three_track_album_reads_back_exactly(tmp_path: Path) -> None:
    result = render(_job(tmp_path), ["cd"], tmp_path / "out")
    cd = result.per_target["cd"]
    ddp = read_ddp(cd["ddp"])
    assert ddp.problems == [] and ddp.checksums_ok is True and ddp.upc_ean == "4006381333931"
    frames = [sf.info(str(e["path"])).frames // SAMPLES_PER_FRAME for e in cd["tracks"]]
    # track 1 after the 2 s pregap, each next one after its own 1 s gap
    starts = [150, 150 + frames[0] + 75, 150 + frames[0] + 75 + frames[1] + 75]
    assert [t.index1_frame for t in ddp.tracks] == starts
    assert [t.length_frames for t in ddp.tracks] == frames
    assert [t.isrc for t in ddp.tracks] == ISRCS
    assert [t.title for t in ddp.tracks] == ["Song 1", "Song 2", "Song 3"]
    assert [row["index1"] for row in cd["layout"]] == [t.to_dict()["start"] for t in ddp.tracks]
    for wav, extracted in zip(cd["tracks"], extract_tracks(ddp, tmp_path / "x")):
        assert np.array_equal(sf.read(str(wav["path"]), dtype="int16")[0], sf.read(str(extracted), dtype="int16")[0])
    cue = Path(cd["cue"]).read_text()
    assert cue.count("TRACK ") == 3 and "ISRC GBAYE2600102" in cue and "CATALOG 4006381333931" in cue
    assert cue.count("PREGAP 00:01:00") == 2
    sheet = Path(cd["pq_sheet_txt"]).read_text()
    assert "00:02:00" in sheet and "GBAYE2600103" in sheet and "4006381333931" in sheet
    assert "<td>GBAYE2600101</td>" in Path(cd["pq_sheet_html"]).read_text()


def test_a_rerender_is_bit_identical(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5,))
    first = render(job, ["cd"], tmp_path / "a").per_target["cd"]["tracks"][0]["path"]
    second = render(job, ["cd"], tmp_path / "b").per_target["cd"]["tracks"][0]["path"]
    assert np.array_equal(sf.read(str(first), dtype="int16")[0], sf.read(str(second), dtype="int16")[0])


def test_a_broken_red_book_rule_raises_and_leaves_nothing(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5, 3.0))
    out = tmp_path / "out"
    with pytest.raises(DeliverableError, match="track 2 'Song 2' is 3.00 s; a CD track must be at least 4 s"):
        render(job, ["streaming", "cd"], out)
    assert list(out.iterdir()) == []


def test_an_earlier_render_is_replaced_only_when_the_new_one_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(_job(tmp_path, seconds=(4.5,)), ["cd"], out)
    before = sorted(p.name for p in (out / "cd").iterdir())
    with pytest.raises(DeliverableError):
        render(_job(tmp_path, seconds=(3.0,)), ["cd"], out)
    assert sorted(p.name for p in (out / "cd").iterdir()) == before


def test_bad_codes_and_targets_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5,))
    bad = replace(job, tracks=[replace(job.tracks[0], isrc="GB-AYE-26-0010")])
    with pytest.raises(ConfigError, match=r"tracks\[song-1\].isrc.*CC-XXX-YY-NNNNN"):
        render(bad, ["cd"], tmp_path / "out")
    with pytest.raises(ConfigError, match="check digit"):
        render(replace(job, album=replace(job.album, upc_ean="4006381333932")), ["cd"], tmp_path / "out")
    with pytest.raises(ConfigError, match="allowed: streaming, cd, hires, vinyl, preview"):
        render(job, ["mp4"], tmp_path / "out")
    twins = _job(tmp_path, seconds=(4.5, 4.5))
    twins = replace(twins, tracks=[twins.tracks[0], replace(twins.tracks[1], isrc=twins.tracks[0].isrc)])
    with pytest.raises(ConfigError, match="each track needs its own ISRC; song-1 has it already"):
        render(twins, ["cd"], tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_loudness_target_is_met_on_streaming(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(6.0,), level=0.3, finishing={"lufs_target": -16.0, "ceiling_dbtp": -1.0})
    entry = render(job, ["streaming"], tmp_path / "out").per_target["streaming"]["tracks"][0]
    assert entry["integrated_lufs"] == pytest.approx(-16.0, abs=0.3)


def test_hires_keeps_a_96k_print_at_96k_without_resampling(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5,), rate=96000, level=0.5, finishing={"limiter": False})
    entry = render(job, ["hires"], tmp_path / "out").per_target["hires"]["tracks"][0]
    written, rate = sf.read(str(entry["path"]), dtype="float64")
    source, _ = sf.read(str(job.tracks[0].capture_path), dtype="float64")
    assert rate == 96000 and written.shape == source.shape
    # nothing but 24-bit TPDF dither between them: within 2 LSB everywhere
    assert np.max(np.abs(written - source)) <= 2.0 / 2**23


def test_hires_from_a_48k_print_stays_at_48k_unconverted_and_says_so(tmp_path: Path) -> None:
    details = render(_job(tmp_path, seconds=(4.5,)), ["hires"], tmp_path / "out").per_target["hires"]
    wav, flac = details["tracks"][0]["paths"]
    assert sf.info(str(wav)).samplerate == 48000 and sf.info(str(flac)).samplerate == 48000
    assert details["tracks"][0]["conversions"] == []
    # the FLAC holds the very same 24-bit samples, and its Vorbis comments the ISRC
    assert np.array_equal(sf.read(str(wav), dtype="int32")[0], sf.read(str(flac), dtype="int32")[0])
    from mutagen.flac import FLAC

    assert FLAC(str(flac))["ISRC"] == ["GBAYE2600101"] and FLAC(str(flac))["TITLE"] == ["Song 1"]
    assert [w["rule"] for w in details["compliance"]["warnings"]] == ["hires.rate"]


def test_hires_upsampled_from_the_print_is_not_a_pass(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(DeliverableError, match="hires at 96000 Hz from a print at 48000 Hz would be upsampled"):
        render(_job(tmp_path, seconds=(4.5,), hires_rate_hz=96000), ["hires"], out)
    assert not (out / "hires").exists()


def test_vinyl_is_not_limited_and_reports_sides(tmp_path: Path) -> None:
    job = _job(tmp_path, level=0.9, finishing={"lufs_target": -9.0})
    details = render(job, ["vinyl"], tmp_path / "out").per_target["vinyl"]
    for entry, track in zip(details["tracks"], job.tracks):
        written, rate = sf.read(str(entry["path"]), dtype="float64")
        source, _ = sf.read(str(track.capture_path), dtype="float64")
        assert rate == RATE and sf.info(str(entry["path"])).subtype == "PCM_24"
        # no limiter: the source times one gain (its loudness decision less the album's offset)
        scale = 10 ** (entry["gain_db"] / 20)
        assert np.max(np.abs(written - source * scale)) <= 2.0 / 2**23 + 0.006 * scale
        assert entry["max_gain_reduction_db"] in (0.0, None)
    assert [s["side"] for s in details["sides"]] == ["A", "B"]
    assert details["sides"][0]["tracks"] == ["song-1", "song-2"]
    assert details["sides"][0]["minutes"] == pytest.approx((4.5 + 5.0 + 1.0) / 60, abs=0.01)


def _vinyl_rules(tmp_path: Path, audio: np.ndarray, rate: int = RATE, **job_fields) -> list[str]:
    path = _capture(tmp_path, "01-x.wav", audio, rate)
    job = RenderJob(tracks=[TrackMaster(1, "x", "X", path)], album=AlbumInfo(), revision=1, **job_fields)
    details = render(job, ["vinyl"], tmp_path / "out").per_target["vinyl"]
    return [w["rule"] for w in details["compliance"]["warnings"]]


def test_vinyl_warns_about_side_bass(tmp_path: Path) -> None:
    t = np.arange(5 * RATE) / RATE
    bass = 0.4 * np.sin(2 * np.pi * 60 * t)
    audio = np.stack([bass, -bass * 0.2 + 0.0], axis=1)  # the bass leans hard to one side
    assert "vinyl.side_bass" in _vinyl_rules(tmp_path, audio)


def test_vinyl_warns_about_top_end_and_sibilance(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    t = np.arange(5 * RATE) / RATE
    music = 0.1 * np.sin(2 * np.pi * 200 * t)
    esses = 0.5 * np.sin(2 * np.pi * 7000 * t) * ((t % 1.0) < 0.08)
    hiss = 0.2 * rng.standard_normal(t.size)
    audio = np.stack([music + esses + hiss, music + esses + hiss], axis=1)
    rules = _vinyl_rules(tmp_path, audio)
    assert "vinyl.top_end" in rules and "vinyl.sibilance" in rules


def test_vinyl_warns_about_peak_level(tmp_path: Path) -> None:
    t = np.arange(5 * RATE) / RATE
    tone = 0.98 * np.sin(2 * np.pi * 220 * t)
    assert _vinyl_rules(tmp_path, np.stack([tone, tone], axis=1)) == ["vinyl.peak_level"]


def test_vinyl_refuses_clipped_audio(tmp_path: Path) -> None:
    t = np.arange(5 * RATE) / RATE
    tone = np.clip(1.5 * np.sin(2 * np.pi * 220 * t), -1.2, 1.2)
    with pytest.raises(DeliverableError, match="clipped samples"):
        _vinyl_rules(tmp_path, np.stack([tone, tone], axis=1))
    assert list((tmp_path / "out").iterdir()) == []


def test_vinyl_refuses_a_rate_below_44k1(tmp_path: Path) -> None:
    t = np.arange(5 * 32000) / 32000
    tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    with pytest.raises(DeliverableError, match="32000 Hz; a vinyl pre-master needs at least 44100 Hz"):
        _vinyl_rules(tmp_path, np.stack([tone, tone], axis=1), rate=32000)


def test_vinyl_side_length_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hybrid.deliver.vinyl as vinyl

    t = np.arange(5 * RATE) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    audio = np.stack([tone, tone], axis=1)
    monkeypatch.setattr(vinyl, "SIDE_WARN_MIN", 4.0 / 60)  # the rules, scaled down to a 5 s side
    assert "vinyl.side_length" in _vinyl_rules(tmp_path, audio)
    monkeypatch.setattr(vinyl, "SIDE_MAX_MIN", 4.5 / 60)
    with pytest.raises(DeliverableError, match="side A runs 0.1 min"):
        _vinyl_rules(tmp_path, audio)


def test_vinyl_sides_must_place_every_track_once(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5, 4.5), vinyl_sides=[["song-1"], ["song-1"]])
    with pytest.raises(ConfigError, match="every track must be on exactly one side"):
        render(job, ["vinyl"], tmp_path / "out")


@pytest.mark.parametrize(("fmt", "kind"), [("mp3", "MPEG"), ("ogg", "OGG")])
def test_preview_is_a_tagged_lossy_file(tmp_path: Path, fmt: str, kind: str) -> None:
    job = _job(tmp_path, seconds=(4.5,), preview_format=fmt)
    entry = render(job, ["preview"], tmp_path / "out").per_target["preview"]["tracks"][0]
    path = Path(entry["path"])
    assert path.suffix == f".{fmt}" and kind in sf.info(str(path)).format_info.upper()
    import mutagen

    tags = mutagen.File(str(path))
    text = str(tags.tags)
    assert "Song 1" in text and "GBAYE2600101" in text


def test_cd_makes_a_mono_print_dual_mono(tmp_path: Path) -> None:
    t = np.arange(5 * RATE) / RATE
    path = _capture(tmp_path, "01-m.wav", 0.3 * np.sin(2 * np.pi * 330 * t)[:, None])
    job = RenderJob(tracks=[TrackMaster(1, "m", "M", path)], album=AlbumInfo(), revision=1)
    details = render(job, ["cd"], tmp_path / "out").per_target["cd"]
    pcm, _ = sf.read(str(details["tracks"][0]["path"]), dtype="int16")
    assert pcm.shape[1] == 2 and [w["rule"] for w in details["compliance"]["warnings"]] == ["cd.mono"]


def test_a_lossy_preview_over_its_ceiling_after_decoding_is_a_warning(tmp_path: Path) -> None:
    from hybrid.deliver.preview import PreviewBuilder

    job = _job(tmp_path, seconds=(4.5,))
    builder = PreviewBuilder(job, tmp_path / "p")
    issues = builder.codec_overshoot(-0.5, -1.0, "preview: track 1", job.tracks[0])
    assert [(i.level, i.rule) for i in issues] == [("warning", "codec.overshoot")]
    assert "after decoding" in issues[0].message
    assert builder.codec_overshoot(-1.05, -1.0, "preview", job.tracks[0]) == []


def test_a_loudness_target_on_a_silent_capture_is_one_clear_error(tmp_path: Path) -> None:
    path = _capture(tmp_path, "01-quiet.wav", np.zeros((5 * RATE, 2)))
    job = RenderJob(tracks=[TrackMaster(1, "quiet", "Quiet", path, finishing={"lufs_target": -14.0})],
                    album=AlbumInfo(), revision=1)
    with pytest.raises(DeliverableError, match="^streaming: track 1 'Quiet': .*loudness"):
        render(job, ["streaming"], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_vinyl_measurements_against_known_answers() -> None:
    from hybrid.deliver.vinyl import vinyl_measurements

    t = np.arange(4 * RATE) / RATE
    bass = 0.5 * np.sin(2 * np.pi * 60 * t)
    centred = vinyl_measurements(np.stack([bass, bass], axis=1), RATE)
    assert centred["side_to_mid_below_150hz_db"] == -120.0  # no side at all
    one_sided = vinyl_measurements(np.stack([bass, 0 * bass], axis=1), RATE)
    assert one_sided["side_to_mid_below_150hz_db"] == pytest.approx(0.0, abs=0.05)  # mid = side = L/2
    # side of a 0.5 peak sine in one channel: amplitude 0.25 -> -12.04 dBFS
    assert one_sided["side_below_150hz_dbfs"] == pytest.approx(-12.04, abs=0.1)
    noise = np.random.default_rng(2).standard_normal((4 * RATE, 1)) * 0.1
    white = vinyl_measurements(np.repeat(noise, 2, axis=1), RATE)
    # white noise: (24 - 10) / 24 of its energy lies above 10 kHz at 48 kHz = -2.34 dB
    assert white["top_end_above_10khz_db"] == pytest.approx(-2.34, abs=0.3)
    ess = 0.3 * np.sin(2 * np.pi * 7000 * t)
    assert vinyl_measurements(np.stack([ess, ess], axis=1), RATE)["sibilance_share_db"] == pytest.approx(0.0, abs=0.3)
    assert vinyl_measurements(np.stack([bass, bass], axis=1), RATE)["sibilance_share_db"] < -60.0


def test_an_unwritable_destination_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should go")
    with pytest.raises(DeliverableError, match="cannot write deliverables there"):
        render(_job(tmp_path, seconds=(4.5,)), ["cd"], tmp_path / "taken")


def test_a_streaming_rate_or_preview_format_outside_the_choices_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="streaming_rate_hz: 96000 is not allowed; allowed: 44100 or 48000"):
        render(_job(tmp_path, seconds=(4.5,), streaming_rate_hz=96000), ["streaming"], tmp_path / "out")
    with pytest.raises(ConfigError, match="preview_format: 'aac' is not allowed; allowed: mp3, ogg"):
        render(_job(tmp_path, seconds=(4.5,), preview_format="aac"), ["preview"], tmp_path / "out")
    with pytest.raises(ConfigError, match="hires_rate_hz: 32000 is not allowed; allowed: 44100, 48000, 88200"):
        render(_job(tmp_path, seconds=(4.5,), hires_rate_hz=32000), ["hires"], tmp_path / "out")
    with pytest.raises(ConfigError, match="ceilings_dbtp: 'tape' is not allowed; allowed: streaming, cd"):
        render(_job(tmp_path, seconds=(4.5,), ceilings_dbtp={"tape": -1.0}), ["cd"], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"ceilings_dbtp.cd: 3.0 is not allowed; allowed: -20.0 to 0.0 dBTP"):
        render(_job(tmp_path, seconds=(4.5,), ceilings_dbtp={"cd": 3.0}), ["cd"], tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything was made


def test_a_target_ceiling_in_the_job_replaces_the_revisions_for_that_target_only(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5, 4.5), finishing={"ceiling_dbtp": -2.0}, ceilings_dbtp={"cd": -0.3})
    held = replace(job.tracks[1], finishing={"ceiling_dbtp": -3.0}, ceiling_override_dbtp=-3.0)
    result = render(replace(job, tracks=[job.tracks[0], held]), ["cd", "streaming"], tmp_path / "out").per_target
    assert [e["ceiling_dbtp"] for e in result["cd"]["tracks"]] == [-0.3, -3.0]  # never above the track's own
    assert [e["ceiling_dbtp"] for e in result["streaming"]["tracks"]] == [-2.0, -3.0]
    assert _true_peak_16x_dbtp(result["cd"]["tracks"][0]["path"]) > -1.0  # held at -0.3, not the revision's -2


def test_hires_goes_to_the_rate_the_job_asks_for(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5,), rate=192000, hires_rate_hz=192000)
    entry = render(job, ["hires"], tmp_path / "out").per_target["hires"]["tracks"][0]
    assert {sf.info(str(p)).samplerate for p in entry["paths"]} == {192000}


def test_cd_text_that_does_not_fit_one_block_is_left_out_with_a_warning(tmp_path: Path) -> None:
    job = _job(tmp_path, seconds=(4.5, 4.5))
    wordy = [replace(t, title="A very long title " * 150) for t in job.tracks]  # 450 packs of 12
    details = render(replace(job, tracks=wordy), ["cd"], tmp_path / "out").per_target["cd"]
    assert [w["rule"] for w in details["compliance"]["warnings"]] == ["cd.cdtext_too_long"]
    ddp = read_ddp(details["ddp"])
    assert ddp.ok and ddp.cdtext is None and not (Path(details["ddp"]) / "CDTEXT.BIN").exists()
