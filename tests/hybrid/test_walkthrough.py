"""docs/WALKTHROUGH.md, run as written on a four-track album: a 44.1 kHz, a 96 kHz, a mono and a
five-minute mix (made in code). The album is built and walked through once for the module; each
test reads one step's output."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.cli import main
from tests.dsp.transients import programme

pytestmark = pytest.mark.usefixtures("studio_day")

# (file, rate, channels, seconds): the album the walk-through was first tried on, shortened where
# the length proves nothing (the five-minute closer is the point of the fourth)
MIXES = (("01 Opener.wav", 44100, 2, 9.0), ("02 Ballad.wav", 96000, 2, 9.0),
         ("03 Mono Song.wav", 48000, 1, 9.0), ("04 Long Closer.wav", 48000, 2, 300.0))


def _write_mixes(folder: Path) -> list[Path]:
    """Each mix a 3 s band loop (kick, snare, hats, bass, piano, guitars...) repeated, with half a
    second of silence either side: clean, so every mix check is ready for mastering."""
    folder.mkdir()
    paths = []
    for seed, (name, rate, channels, seconds) in enumerate(MIXES, 1):
        loop = programme("band", seed=seed, rate=rate, peak_dbfs=-6.0)
        body = np.tile(loop, (int(np.ceil(seconds / 3.0)), 1))[: int(seconds * rate)]
        silence = np.zeros((rate // 2, 2))
        audio = np.concatenate([silence, body, silence])[:, :channels]
        sf.write(folder / name, audio, rate, subtype="PCM_24")
        paths.append(folder / name)
    return paths


def _hybrid(*args: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def walk(studio_day_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str]]:
    """Every command of the walk-through, in order, on the four-track album: {step: (status, out, err)}."""
    base = tmp_path_factory.mktemp("walkthrough")
    done: dict[str, tuple[int, str, str]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(studio_day_dir))
        mp.chdir(base)
        mixes = _write_mixes(base / "mixes")
        album = base / "album"
        # 1. `--track mixes/*.wav`: the shell hands over the four files after one --track
        done["new"] = _hybrid("session", "new", album, "--title", "Night Songs", "--artist", "The Band",
                              "--track", *sorted(mixes))
        # 2. first pass and the print
        done["set"] = _hybrid("session", "set", album, "eq.low_gain_db=+1", "eq.high_gain_db=+1",
                              "comp.threshold_db=-18", "comp.attack_ms=30", "color.mode=warm",
                              "--finish", "lufs_target=-14", "--note", "first pass: warmer, a little glue")
        done["snap"] = _hybrid("session", "set", album, "comp.ratio=3", "--note", "a bit more ratio")
        done["print"] = _hybrid("print", album, "--yes")
        # 3. the client's note on track 2, printed alone; the album rendered whole from both prints
        done["set-air"] = _hybrid("session", "set", album, "color.air_db+=1.5", "--track", "2",
                                  "--note", "client: a touch more air on track 2")
        done["print-2"] = _hybrid("print", album, "--track", "2", "--yes")
        # 3a. the client approves revision 3 as heard; the render records it
        done["approve"] = _hybrid("approve", album, "--revision", 3, "--by", "Mara (client)",
                                  "--note", "the air is right; ship it")
        done["render-3"] = _hybrid("render", album)
        # 4. what changed, and when
        done["diff"] = _hybrid("session", "diff", album, 2, 3)
        done["log"] = _hybrid("session", "log", album)
        done["show"] = _hybrid("session", "show", album, "--revision", 3, "--json")
        # 5. what each deliverable gets
        done["delivery"] = _hybrid("session", "delivery", album, "cd.ceiling_dbtp=-0.3", "vinyl.sides=1,2/3,4",
                                   "preview.format=ogg")
        done["render"] = _hybrid("render", album, "--revision", 2, "--target", "cd", "--target", "streaming",
                                 "--target", "vinyl", "--target", "preview")
        # 6. a year later
        done["recall"] = _hybrid("recall", album, "--revision", 3, "--yes")
        done["verify"] = _hybrid("verify", album, "--revision", 3)
        done["moved"] = _move_threshold_outside_hybrid(studio_day_dir, base)
        done["verify-moved"] = _hybrid("verify", album, "--revision", 3)
        done["recall-2"] = _hybrid("recall", album, "--revision", 3, "--track", 2, "--yes")
        done["verify-2"] = _hybrid("verify", album, "--revision", 3, "--track", 2)
        done["album-back"] = _hybrid("recall", album, "--revision", 3, "--yes")
        done["verify-2-album"] = _hybrid("verify", album, "--revision", 3, "--track", 2)
    done["folder"] = (0, str(album), "")
    return done


def _move_threshold_outside_hybrid(state: Path, cwd: Path) -> tuple[int, str, str]:
    """The walk-through's `hybrid sim serve &`, `printf 'SET THR -24\\r' > .../comp.tty`, `kill %1`,
    from a shell script (whose background jobs start with SIGINT ignored)."""
    tty = state / "hybrid" / "sim" / "sim-studio" / "comp.tty"
    script = (f'{sys.executable} -m hybrid sim serve > serve.out 2>&1 &\n'
              f'for i in $(seq 600); do [ -e "{tty}" ] && grep -q "panels saved" serve.out && break; sleep 0.1; done\n'
              f"printf 'SET THR -24\\r' > {tty}\n"
              "sleep 0.5\nkill -INT %1\nwait %1\necho \"serve exit $?\"\n")
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return done.returncode, done.stdout, done.stderr


def test_one_track_option_takes_the_four_mixes(walk: dict) -> None:
    status, out, err = walk["new"]
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("album: 4 track(s) on rig sim-studio")
    assert [line.split()[1] for line in lines[1:5]] == ["opener", "ballad", "mono-song", "long-closer"]


def test_the_first_pass_and_a_snapped_setting_that_changes_nothing(walk: dict) -> None:
    status, out, _ = walk["set"]
    assert status == 0 and out.startswith("revision 2 (from 1): first pass: warmer, a little glue")
    status, out, err = walk["snap"]
    assert status == 2 and "3 is between the detents 2:1 and 4:1; snapped to 2:1" in err
    assert "no revision written" in err


def test_the_print_names_every_rate_conversion_and_every_mix_is_ready(walk: dict) -> None:
    status, out, err = walk["print"]
    assert status == 0, err
    assert "printed revision 2: " in out and out.rstrip().endswith("print.json, manifest.json")
    assert "mix check" not in err  # four clean mixes: no problem said, no false click
    said = out + err
    assert "44.1" in said and "96" in said  # the two mixes not at the rig's rate are named
    report = json.loads((Path(walk["folder"][1]) / "prints/r0002-01/report.json").read_text())
    assert all(result["ready"] for result in report["qc"].values())
    tracks = {t["track_id"]: t for t in report["tracks"]}
    assert tracks["long-closer"]["measurements"]["capture"]["duration_s"] == pytest.approx(301.0, abs=0.01)
    mono = tracks["mono-song"]["measurements"]
    assert mono["source"]["measured_as"] == "dual mono"
    assert abs(mono["capture"]["integrated_lufs"] - mono["source"]["integrated_lufs"]) < 1.0


def test_track_2_printed_alone_and_the_album_rendered_from_both_prints(walk: dict) -> None:
    status, out, _ = walk["set-air"]
    assert status == 0 and "track ballad color.air_db: (album) -> +1.5 dB" in out
    status, out, err = walk["print-2"]
    assert status == 0 and "printed revision 3: " in out, err
    status, out, err = walk["render-3"]
    assert status == 0, err
    assert "from prints: r0002-01 (tracks 1, 3, 4), r0003-01 (track 2)" in out
    approved = "approved by Mara (client) at "
    assert walk["approve"][0] == 0 and walk["approve"][1].startswith(f"revision 3 {approved}")
    assert "(print r0003-01, manifest " in walk["approve"][1]
    assert f"approval: {approved}" in out and "not approved" not in err
    text = (Path(walk["folder"][1]) / "prints/r0003-01/report.txt").read_text()
    assert "\n2. Ballad\n" in text and "ballad Ballad" not in text


def test_what_changed_and_when(walk: dict) -> None:
    assert walk["diff"][1].strip() == "track ballad color.air_db: (album) -> +1.5 dB"
    log = walk["log"][1].splitlines()
    assert [line.split()[0] for line in log[:3]] == ["1", "2", "3"]
    assert log[1].endswith("printed: r0002-01") and log[2].endswith("printed: r0003-01")
    assert "Mara (client)  approved revision 3 (print r0003-01" in log[3]
    shown = json.loads(walk["show"][1])
    assert shown["tracks"]["ballad"]["units"]["color"]["air_db"] == 1.5


def test_each_deliverable_gets_what_the_session_names(walk: dict) -> None:
    status, out, _ = walk["delivery"]
    assert status == 0 and "cd: 16-bit 44100 Hz, ceiling -0.3 dBTP (its own)" in out
    assert "sides A: opener, ballad  B: mono-song, long-closer" in out
    status, out, err = walk["render"]
    assert status == 0, err
    assert "hybrid: revision 2 is not approved: revision 2 has no approval" in err  # said, and rendered
    assert "approval: not approved" in out
    for target in ("cd", "streaming", "vinyl", "preview"):
        assert re.search(rf"^{target}: .*deliverables/r0002-01/{target}$", out, re.M)
    assert "04 Long Closer" in out and "04-long-closer.ogg" in out


def test_the_gear_verifies_and_a_moved_threshold_is_named(walk: dict) -> None:
    assert walk["recall"][0] == 0 and "pultec: set by hand from the recall sheet" in walk["recall"][1]
    status, out, _ = walk["verify"]
    assert status == 0 and out.startswith("PASS: the chain matches revision 3 as printed in r0003-01")
    status, out, err = walk["moved"]
    assert status == 0 and "serve exit 0" in out, err
    status, out, _ = walk["verify-moved"]
    assert status == 1 and out.startswith("FAIL: the chain differs from revision 3")
    assert "comp.threshold_db looks like -24 dB instead of -18 dB" in out


def test_track_2_verifies_with_its_own_fingerprint(walk: dict) -> None:
    assert walk["recall-2"][0] == 0
    status, out, _ = walk["verify-2"]
    assert status == 0 and out.startswith("PASS: the chain matches revision 3, track ballad with its overrides")
    assert walk["album-back"][0] == 0
    status, out, _ = walk["verify-2-album"]
    assert status == 1 and "color.air_db looks like 0 dB instead of +1.5 dB" in out

