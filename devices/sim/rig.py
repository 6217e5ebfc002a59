"""The simulated units of a rig: each twin on its wire, their panels kept per rig, their sound as one chain."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path

import numpy as np

from devices.errors import HybridError
from devices.paths import state_dir
from devices.profile import Profile, load_profile
from devices.rig import Rig, UnitConfig
from devices.sim.panel import Panel
from devices.sim.twin import Twin
from devices.sound import UnitSound, sound_for
from devices.wires import twin_starter


class ManualTwin(Twin):
    """A unit with no remote control: its knobs move when the operator confirms a recall sheet."""

    kind = "manual"

    @property
    def address(self) -> str:
        return "manual (recall sheet)"


def manual_twin(sim: SimRig, unit: UnitConfig, profile: Profile, panel: Panel) -> ManualTwin:
    """The manual wire's row of devices.wires: knobs set by hand from the recall sheet."""
    return ManualTwin(unit.name, profile, panel)


def sim_state_dir(rig_name: str) -> Path:
    """Where the panels (and the lock, and the pty links) of a rig's simulated units live."""
    path = state_dir() / "sim" / rig_name
    path.mkdir(parents=True, exist_ok=True)
    return path


class SimRig:
    """Starts a twin for every unit of the rig marked simulated; process(audio, rate) is their sound in chain order.

    Only one process at a time may run a rig's twins (their panels are one set of knobs): a second one
    gets a HybridError naming the pid that holds them (for example `hybrid sim serve`).
    """

    def __init__(self, rig: Rig, *, persist: bool = True, seed: int = 0) -> None:
        self.rig = rig
        self.folder = sim_state_dir(rig.name)
        self._lock_file = self._take_lock()
        self.twins: dict[str, Twin] = {}
        self._sounds: dict[str, tuple[tuple[int, int, int], UnitSound]] = {}
        self._seed = seed
        self._process_lock = threading.Lock()
        try:
            for unit in rig.units:
                if unit.simulated:
                    self.twins[unit.name] = self._start(unit, persist)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ starting

    def _take_lock(self) -> int:
        path = self.folder / "lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown pid"
            os.close(fd)
            raise HybridError(
                f"the simulated units of rig {self.rig.name!r} are in use by another hybrid process ({holder}); "
                "stop it first (Ctrl-C in its terminal): every command runs the twins in its own process, "
                "so that what they hear follows their panels") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {' '.join(['hybrid', *sys.argv[1:]])[:150]}\n".encode(), 0)
        return fd

    def _start(self, unit: UnitConfig, persist: bool) -> Twin:
        profile = load_profile(unit.profile)
        profile.encoding(unit.wire.kind, f"units.{unit.name}.wire.kind")  # the model must speak the rig's wire
        panel = Panel(unit.name, profile, self.folder / f"{unit.name}.json" if persist else None)
        # the wire's twin from the one table of wire kinds (devices/wires.py)
        twin: Twin = twin_starter(unit.wire.kind)(self, unit, profile, panel)
        return twin.start()

    def _link(self, name: str, target: str) -> None:
        """A stable name for the pty, so a serial terminal finds the unit: <state>/sim/<rig>/<unit>.tty."""
        link = self.folder / f"{name}.tty"
        tmp = self.folder / f".{name}.tty.new"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, link)

    # ------------------------------------------------------------------ using

    def address(self, unit: str) -> str:
        """Where the twin of a unit listens: 'host:port' (OSC), a /dev/pts path, 'tcp:host:port' (MIDI)."""
        return self.twins[unit].address

    def profile(self, unit: str) -> Profile:
        return self.twins[unit].profile

    def pass_through(self) -> list[str]:
        """The simulated units whose profile has no sound model: their twins pass the audio unchanged."""
        return [name for name, twin in self.twins.items() if not twin.profile.has_sound_model]

    def process(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """The next block of (frames, channels) audio through every simulated unit in chain order.

        Call it block by block: each unit keeps its filter memories, envelope and delay line from one
        call to the next. A unit whose panel changed goes on at its new settings with its state
        carried over (UnitSound.carry_from); reset() starts every unit from rest.
        """
        out = np.asarray(audio, dtype=np.float64)
        with self._process_lock:
            for index, (name, twin) in enumerate(self.twins.items()):
                key = (twin.panel.version, int(rate), out.shape[1])
                cached = self._sounds.get(name)
                if cached is None or cached[0] != key:
                    rng = np.random.default_rng([self._seed, index])
                    sound = sound_for(twin.profile, twin.panel.settings(), int(rate), out.shape[1], rng)
                    if cached is not None and cached[0][1:] == key[1:]:
                        sound.carry_from(cached[1])  # a control moved mid-stream: no restart from rest
                    cached = (key, sound)
                    self._sounds[name] = cached
                out = cached[1].process(out)
        return out

    def reset(self) -> None:
        """Forget the units' running state (a new stream starts from rest)."""
        with self._process_lock:
            self._sounds.clear()

    def flush(self) -> None:
        for twin in self.twins.values():
            twin.panel.flush()

    def close(self) -> None:
        """Stop every twin (their panels are saved) and let another process have them."""
        for name, twin in list(self.twins.items()):
            try:
                twin.close()
            except OSError:
                pass
            if twin.kind == "serial":
                (self.folder / f"{name}.tty").unlink(missing_ok=True)  # the pty is gone with its twin
        self.twins.clear()
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the flock
            self._lock_file = None  # type: ignore[assignment]

    def __enter__(self) -> SimRig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
