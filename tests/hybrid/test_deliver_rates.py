"""Sample rates: every conversion from a mix to each delivered file is said before anything plays,
recorded with the files and in the report; an upsampled "hi-res" is not a pass."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.cli import main
from hybrid.deliver.rates import RatePath, file_rate_hz, plan_lines, upsampled_hires
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session


def _tone(path: Path, rate: int, seconds: float = 4.2) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.1 * np.sin(2 * np.pi * 997.0 * t)
    sf.write(str(path), np.stack([mono, mono], axis=1), rate, subtype="PCM_24")
    return path


def test_the_plan_names_every_conversion_of_a_mixed_album() -> None:
    tracks = [("track 1 'Opener'", 44100), ("track 2 'Ballad'", 96000), ("track 3 'Closer'", 48000)]
    lines = plan_lines(tracks, 48000, ["streaming", "cd", "hires"])
    assert lines == [
        "track 1 'Opener': a 44.1 kHz mix played through the rig's 48 kHz interface; streaming 44.1 -> 48 kHz "
        "(one conversion); cd 44.1 -> 48 -> 44.1 kHz (two conversions); hires 44.1 -> 48 kHz (one conversion)",
        "track 2 'Ballad': a 96 kHz mix played through the rig's 48 kHz interface (what it holds above 24000 Hz is "
        "not printed); streaming 96 -> 48 kHz (one conversion); cd 96 -> 48 -> 44.1 kHz (two conversions); "
        "hires 96 -> 48 kHz (one conversion)",
        "track 3 'Closer': a 48 kHz mix; cd 48 -> 44.1 kHz (one conversion)",
    ]
    assert RatePath(44100, 48000, 44100).converted_twice and not RatePath(48000, 48000, 44100).converted_twice
    assert file_rate_hz("hires", 48000) == 48000  # never upsampled unasked
    assert upsampled_hires(48000, 48000) is None and upsampled_hires(96000, None) is None
    assert "would be upsampled" in str(upsampled_hires(48000, 96000))


def test_hires_48k_is_accepted_and_an_upsampled_hires_is_refused_before_anything_plays(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "album"
    new_session(folder, [_tone(tmp_path / "a.wav", 48000, 0.5)], album=AlbumFields(targets=["streaming", "hires"]))
    assert main(["session", "delivery", str(folder), "hires.rate_hz=48000"]) == 0
    assert main(["session", "delivery", str(folder), "hires.rate_hz=96000"]) == 0
    capsys.readouterr()
    assert main(["print", str(folder), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "delivery.hires: hires at 96000 Hz from a print at 48000 Hz would be upsampled" in err
    assert err.count("\n") == 1 and "hires.rate_hz=48000" in err
    assert list((folder / "prints").iterdir()) == []  # refused before the gear was touched


def test_a_print_of_44k1_and_96k_mixes_says_each_conversion_first_and_reports_it(tmp_path: Path) -> None:
    mixes = [_tone(tmp_path / "opener.wav", 44100), _tone(tmp_path / "ballad.wav", 96000)]
    folder = tmp_path / "album"
    new_session(folder, mixes, album=AlbumFields(title="Rates", targets=["streaming", "cd"]))
    said: list[str] = []
    outcome = print_revision(PrintRequest(folder, confirm_manual=lambda _sheet: True), say=said.append)
    rates = [n for n, line in enumerate(said) if line.startswith("sample rate: ")]
    first_play = next(n for n, line in enumerate(said) if line.startswith("printing revision"))
    assert len(rates) == 2 and max(rates) < first_play  # said before anything plays
    assert "cd 44.1 -> 48 -> 44.1 kHz (two conversions)" in said[rates[0]]
    assert "a 96 kHz mix played through the rig's 48 kHz interface (what it holds above 24000 Hz" in said[rates[1]]
    provenance = json.loads((outcome.folder / "print.json").read_text())
    assert [n for n in provenance["notes"] if n.startswith("sample rate: ")] == [said[n] for n in rates]
    report = json.loads((outcome.folder / "report.json").read_text())
    cd = report["deliverables"]["cd"]
    assert [t["rate_path_hz"] for t in cd["tracks"]] == [[44100, 48000, 44100], [96000, 48000, 44100]]
    assert [w["rule"] for w in cd["compliance"]["warnings"]].count("rate.converted_twice") == 1
    text = (outcome.folder / "report.txt").read_text()
    assert "Sample rates (mix -> print -> file)" in text
    assert "cd: track 1 'Opener': 44.1 -> 48 -> 44.1 kHz (two conversions)" in text
    assert "streaming: track 2 'Ballad': 96 -> 48 kHz (one conversion)" in text
    page = (outcome.folder / "report.html").read_text()
    assert "Sample rates (mix &rarr; print &rarr; file)" in page
    assert "cd: track 1 &#x27;Opener&#x27;: 44.1 -&gt; 48 -&gt; 44.1 kHz (two conversions)" in page


def test_hires_of_a_44k1_mix_through_a_48k_rig_says_it_holds_no_hi_res(tmp_path: Path) -> None:
    from hybrid.deliver import AlbumInfo, RenderJob, TrackMaster, render

    capture = _tone(tmp_path / "01-a.wav", 48000, 4.5)
    tracks = [TrackMaster(number=1, track_id="a", title="A", capture_path=capture, mix_rate_hz=44100),
              TrackMaster(number=2, track_id="b", title="B", capture_path=capture, mix_rate_hz=48000)]
    hires = render(RenderJob(tracks=tracks, album=AlbumInfo(), revision=1), ["hires"], tmp_path / "out").per_target["hires"]
    rules = [(w["rule"], w["track"]) for w in hires["compliance"]["warnings"]]
    assert rules == [("hires.mix_upsampled", 1), ("hires.rate", None)]
    assert [t["rate_path_hz"] for t in hires["tracks"]] == [[44100, 48000, 48000], [48000, 48000, 48000]]


def test_a_rig_that_runs_the_mixes_own_rate_prints_at_it_and_verifies_there(tmp_path: Path) -> None:
    """Issue 18's first part: a rig lists the other rates its interface runs; 44.1 kHz mixes then
    go through the chain at 44.1 kHz and reach the CD with no conversion at all."""
    from devices.rig import default_rig_path
    from hybrid.verify import verify_revision

    rig = tmp_path / "rig.yaml"
    text = Path(default_rig_path()).read_text()
    rig.write_text(text.replace("  sample_rate: 48000\n", "  sample_rate: 48000\n  other_rates_hz: [44100, 96000]\n", 1))
    mixes = [_tone(tmp_path / "opener.wav", 44100), _tone(tmp_path / "closer.wav", 44100)]
    folder = tmp_path / "album"
    new_session(folder, mixes, rig_path=rig, album=AlbumFields(title="Rates", targets=["streaming", "cd"]))
    said: list[str] = []
    outcome = print_revision(PrintRequest(folder, confirm_manual=lambda _sheet: True), say=said.append)
    assert "sample rate: printing at 44.1 kHz, the mixes' own rate (the interface runs it; its default is 48 kHz)" in said
    assert sf.info(str(outcome.folder / "capture" / "01-opener.wav")).samplerate == 44100
    report = json.loads((outcome.folder / "report.json").read_text())
    assert [t["rate_path_hz"] for t in report["deliverables"]["cd"]["tracks"]] == [[44100, 44100, 44100]] * 2
    assert all(t["conversions"] == [] for t in report["deliverables"]["cd"]["tracks"])
    assert [t["conversions"] for t in report["deliverables"]["streaming"]["tracks"]] == [
        ["44100 -> 48000 Hz for the file"]] * 2  # the session's streaming rate, said
    assert verify_revision(folder, 1).to_dict()["pass"] is True  # verify runs the interface at the print's rate


def test_a_rate_the_interface_cannot_run_is_refused_in_the_rig_file(tmp_path: Path) -> None:
    from devices.errors import ConfigError
    from devices.rig import default_rig_path, load_rig

    rig = tmp_path / "rig.yaml"
    rig.write_text(Path(default_rig_path()).read_text().replace("  sample_rate: 48000\n",
                                                                "  sample_rate: 48000\n  other_rates_hz: [32000]\n", 1))
    with pytest.raises(ConfigError, match=r"interface.*other_rates_hz.*32000"):
        load_rig(rig)
    assert load_rig().interface.rates_hz() == [48000]
    with pytest.raises(ValueError, match="runs 48000 Hz, not 44100 Hz"):
        load_rig().at_rate(44100)
