"""Newlines and control characters in the text a user writes (titles, artists, composers, album
fields, authors, notes), given on the command line or written by hand into session.yaml or a
revision: refused at the door in one line, so no sink (CUE/PQ sheet, CD-TEXT, `session log`, the
terminal) ever receives them; a duplicate ISRC refused when it is set; an error line that quotes a
hostile path or value stays one printable line."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from devices.errors import ConfigError, HybridError
from devices.text import check_line, printable
from hybrid.cli import main
from hybrid.session.store import open_session

SEED = 20261207
HOSTILE = ["\n", "\r", "\r\n", "\t", "\x1b[2J", "\x1b]0;owned\x07", "\x07", "\x00", "\x7f", "\x85", "\u2028",
           "\u202e", "\x9b31m"]
FORGED = ['Song"\nFILE "/etc/passwd" WAVE\n  TRACK 99 AUDIO', "r0002 2026-01-01 mallory: approved\n"]


class CliRefused(HybridError):
    """A command's exit 2."""


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    for stream in (out, err):
        for bad in ("\x1b", "\x07", "\x00", "\x9b", "\u202e"):
            assert bad not in stream, f"{bad!r} reached the terminal: {stream[:200]!r}"
    if status == 2:
        assert out == "" and err.count("\n") == 1, (out, err)
        raise CliRefused(err.removeprefix("hybrid: ").removesuffix("\n"))
    assert status == 0, err
    return out


def _hostile_text(rng: random.Random) -> str:
    words = ["Night", "Drive", "Ünïcödé", "日本語", "O'Neil", '"quoted"', "a;b", "%s", "{x}"]
    text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(HOSTILE + FORGED) + text[at:]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("meta")
    mixes = []
    for n in range(2):
        mix = root / f"0{n + 1}-song.wav"
        sf.write(mix, 0.1 * np.random.default_rng(n).standard_normal((4800, 2)), 48000, subtype="FLOAT")
        mixes.append(str(mix))
    assert main(["session", "new", str(root / "s"), "--track", *mixes, "--target", "cd"]) == 0
    return root / "s"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("option", ["--title", "--artist", "--composer"])
def test_hostile_track_text_is_refused_and_nothing_changes(session: Path, option: str, tally, capsys) -> None:
    rng = random.Random(SEED + hash(option) % 1000)
    before = _files(session)
    for n in range(40):
        value = _hostile_text(rng)
        tally.case(f"track {option} {value!r}", lambda: _cli(capsys, ["session", "track", str(session), "1", option, value]),
                   must_refuse=True)
    if _files(session) != before:
        tally.lost(option, "session.yaml changed on a refused edit")


@pytest.mark.parametrize("option", ["--title", "--artist", "--label", "--catalog", "--author"])
def test_hostile_album_text_is_refused_at_session_new(session: Path, tmp_path: Path, option: str, tally, capsys) -> None:
    rng = random.Random(SEED + 7)
    mix = next(session.parent.glob("01-*.wav"))
    for n in range(12):
        value = _hostile_text(rng)
        folder = tmp_path / f"s{n}"
        tally.case(f"new {option} {value!r}", lambda: _cli(capsys, ["session", "new", str(folder), "--track", str(mix),
                                                                    option, value]), must_refuse=True)
        if folder.exists():
            tally.lost(f"new {option}", "a refused session new left a folder")


@pytest.mark.parametrize("option", ["--note", "--author"])
def test_hostile_revision_text_is_refused(session: Path, option: str, tally, capsys) -> None:
    rng = random.Random(SEED + 11)
    before = _files(session)
    for n in range(20):
        value = _hostile_text(rng)
        argv = ["session", "set", str(session), "eq.high_gain_db=+0.5", "--note", "ok", option, value]
        tally.case(f"set {option} {value!r}", lambda: _cli(capsys, argv), must_refuse=True)
    if _files(session) != before:
        tally.lost(option, "a refused revision was written")


def test_hand_edits_with_controls_are_refused_when_read(session: Path, tmp_path: Path, tally) -> None:
    """A title with its own CUE lines written into session.yaml by hand never reaches a sheet: it is
    refused, or YAML itself folded the break (NEL, LS) into a space and what is read is clean."""
    rng = random.Random(SEED + 13)
    original = yaml.safe_load((session / "session.yaml").read_text())
    for n in range(30):
        data = yaml.safe_load((session / "session.yaml").read_text())
        field = rng.choice(["title", "artist", "label", "catalog", ("tracks", "title"), ("tracks", "artist"),
                            ("tracks", "composer")])
        if isinstance(field, tuple):
            data["tracks"][rng.randrange(2)][field[1]] = _hostile_text(rng)
        else:
            data[field] = _hostile_text(rng)
        copy = tmp_path / f"c{n}"
        copy.mkdir()
        (copy / "revisions").mkdir()
        for rev in (session / "revisions").iterdir():
            (copy / "revisions" / rev.name).write_bytes(rev.read_bytes())
        (copy / "session.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        tally.case(f"hand edit {field} {n}", lambda: _open_clean(copy))
    assert original["tracks"]


def _open_clean(folder: Path) -> None:
    """Open a session; what it let in (YAML may fold a line break into a space) must be clean text."""
    info = open_session(folder).info
    for text in [info.title, info.artist, info.label, info.catalog] + [
            v for t in info.tracks for v in (t.title, t.artist, t.composer)]:
        check_line(text)


def test_a_duplicate_isrc_is_refused_when_it_is_set(session: Path, tally, capsys) -> None:
    _cli(capsys, ["session", "track", str(session), "1", "--isrc", "GB-ABC-26-00001"])
    before = _files(session)
    tally.case("isrc twice", lambda: _cli(capsys, ["session", "track", str(session), "2", "--isrc", "GBABC2600001"]),
               must_refuse=True)
    with pytest.raises(CliRefused, match="GBABC2600001.*each track needs its own ISRC"):
        _cli(capsys, ["session", "track", str(session), "2", "--isrc", "GB-ABC-26-00001"])
    assert open_session(session).info.tracks[1].isrc == ""
    if _files(session) != before:
        tally.lost("isrc twice", "a refused ISRC changed the session")
    _cli(capsys, ["session", "track", str(session), "1", "--isrc", ""])


def test_a_hostile_path_in_an_error_stays_one_printable_line(tmp_path: Path, tally, capsys) -> None:
    rng = random.Random(SEED + 17)
    for n in range(20):
        name = f"mix{n}{rng.choice(HOSTILE).replace(chr(0), '')}{rng.choice(FORGED).replace('/', '_')}.wav"
        path = tmp_path / name
        path.write_bytes(b"not audio at all")
        tally.case(f"qc {name!r}", lambda: _cli(capsys, ["qc", str(path)]), must_refuse=True)
        tally.case(f"new {name!r}", lambda: _cli(capsys, ["session", "new", str(tmp_path / f"s{n}"), "--track", str(path)]),
                   must_refuse=True)


def test_a_title_made_from_a_hostile_file_name_is_clean(tmp_path: Path, capsys) -> None:
    mix = tmp_path / "03_night\x1b[31m-drive\n.wav"
    sf.write(mix, 0.1 * np.random.default_rng(0).standard_normal((4800, 2)), 48000, subtype="FLOAT")
    _cli(capsys, ["session", "new", str(tmp_path / "s"), "--track", str(mix)])
    title = open_session(tmp_path / "s").info.tracks[0].title
    assert check_line(title) == title and "Night" in title


def test_the_rule_itself() -> None:
    for bad in HOSTILE:
        with pytest.raises(ValueError, match="U\\+"):
            check_line(f"a{bad}b")
        assert "\n" not in printable(f"a{bad}b") and "\x1b" not in printable(f"a{bad}b")
    assert check_line("Ünïcödé 日本語 O'Neil \"q\"") == "Ünïcödé 日本語 O'Neil \"q\""
    err = ConfigError("/tmp/a\nb", "title", "x\x1b[2Jy", "one line")
    assert "\n" not in str(err) and "\x1b" not in str(err)
