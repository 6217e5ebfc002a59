"""`hybrid listen` driven as a person drives it: keys and typed lines on a terminal (a pty)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hybrid.session import AlbumFields, new_session
from tests.hybrid.listening import band_noise_mix


@pytest.fixture(scope="module")
def album(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli-listen")
    mix = band_noise_mix(base / "01 Song.wav", 4.0, 3, rms=0.1)
    folder = base / "album"
    new_session(folder, [mix], album=AlbumFields(title="Listening", targets=["streaming"]))
    return folder


def _env(album: Path) -> dict[str, str]:
    return dict(os.environ, XDG_STATE_HOME=str(album.parent / "state"))


class Terminal:
    """`hybrid ARGS` on a pty: type into it, read what it shows (ANSI line clears removed)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command, as at a terminal
            os.chdir(cwd)
            os.execvpe(sys.executable, [sys.executable, "-m", "hybrid", *args], env)
        self.raw = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.raw += os.read(self.fd, 65536)
                except OSError:
                    return

    def wait_for(self, pattern: str, timeout_s: float = 60.0) -> None:
        end = time.monotonic() + timeout_s
        while not re.search(pattern, self.text):
            assert time.monotonic() < end, f"never showed {pattern!r}; the screen ends:\n{self.text[-1500:]}"
            self.read(0.1)

    def type(self, keys: str, settle_s: float = 0.5) -> None:
        os.write(self.fd, keys.encode())
        self.read(settle_s)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace").replace("\x1b[2K", "").replace("\r\n", "\n")

    def lines(self) -> list[str]:
        """What a person saw scroll by: each printed line, and the status line as last drawn."""
        return [part.split("\r")[-1] for part in self.text.split("\n")]

    def exit_status(self, timeout_s: float = 30.0) -> int:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            self.read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        raise AssertionError("hybrid listen did not exit")


def _status_positions(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"PLAY \w+ ([0-9.]+)s", text)]


def test_a_person_listens_switches_moves_a_control_and_commits(album: Path, tmp_path: Path) -> None:
    monitor = tmp_path / "monitor.wav"
    term = Terminal(["listen", str(album), "--loop", "--from", "1", "--to", "3", "--monitor-file", str(monitor),
                     "--yes"], _env(album), tmp_path)
    term.wait_for(r"PLAY SOURCE")
    term.type("B")
    term.wait_for(r"PLAY CHAIN")
    term.type("eq.high_gain_db+=0.5\r")
    term.wait_for(r"eq\.high_gain_db -> \+0\.5 dB \(read back 0\.5")
    term.type("eq.nonsense=1\r")
    term.wait_for(r"error: control: 'eq\.nonsense=1' is not allowed; unit 'eq' has the controls")
    term.type("loop 3 99\r")
    term.wait_for(r"error: loop: '3-99 s' is not allowed; the track is 4\.00 s long")
    seen = len(term.text)
    term.read(1.0)
    after_errors = _status_positions(term.text[seen:])
    assert len(set(after_errors)) > 2  # the audio kept playing through the bad input
    term.type("L")
    term.wait_for(r"match off")
    term.type("C")
    term.wait_for(r"commit: type a note")
    term.type("a touch brighter, by ear\r")
    term.wait_for(r"revision 2 written: eq\.high_gain_db: 0\.0 dB -> \+0\.5 dB")
    term.type("Q")
    assert term.exit_status() == 0
    assert f"monitor feed written to {monitor}" in term.text
    revision = (album / "revisions" / "0002.yaml").read_text()
    assert "note: a touch brighter, by ear" in revision and "high_gain_db: 0.5" in revision
    audio, rate = sf.read(str(monitor))
    assert rate == 48000 and audio.shape[1] == 2 and audio.shape[0] > 2 * rate
    assert np.sqrt(np.mean(audio[rate:] ** 2)) > 0.01  # it heard the music, not silence


@pytest.mark.parametrize("args,line", [
    (["--track", "9", "--monitor-file", "m.wav"], r"track: '9' is not allowed; name a track id \(song\) or a position 1 to 1"),
    (["--from", "2", "--to", "30", "--monitor-file", "m.wav"], r"--from/--to: '2-30 s' is not allowed; the track is 4\.00 s long"),
    ([], r"--monitor-file: None is not allowed; rig 'sim-studio' is simulated and has no monitors"),
])
def test_bad_input_at_the_start_is_one_line_and_exit_status_2(album: Path, tmp_path: Path, args: list[str],
                                                            line: str) -> None:
    done = subprocess.run([sys.executable, "-m", "hybrid", "listen", str(album), "--yes", *args], cwd=tmp_path,
                          env=_env(album), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    errors = [l for l in done.stderr.splitlines() if l.startswith("hybrid: ") or "error" in l]
    assert len(errors) == 1 and re.search(line, errors[0]), done.stderr
    assert not (tmp_path / "m.wav").exists()
