"""The front panel of a simulated unit: its settings, changed only by its wire, kept on disk between commands."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from devices.errors import ConfigError
from devices.paths import write_json_atomic
from devices.profile import Profile, Value

log = logging.getLogger("hybrid.sim")

# Writes are gathered: a recall of thirteen controls is one file write, not thirteen fsyncs
_FLUSH_AFTER_S = 0.02


class Panel:
    """Settings of one simulated unit; a fresh unit starts at its profile's defaults, as out of the box."""

    def __init__(self, unit: str, profile: Profile, path: Path | None) -> None:
        self.unit = unit
        self.profile = profile
        self.path = path
        self.version = 0  # bumps on every change, so the sound model knows to rebuild
        self._lock = threading.Lock()
        self._settings: dict[str, Value] = profile.defaults()
        self._dirty = threading.Event()
        self._closed = False
        if path is not None and path.exists():
            self._settings.update(self._load(path))
        self._writer: threading.Thread | None = None
        if path is not None:
            self._writer = threading.Thread(target=self._write_loop, name=f"panel-{unit}", daemon=True)
            self._writer.start()

    def _load(self, path: Path) -> dict[str, Value]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            settings, _notes = self.profile.validate(data.get("settings", {}), self.unit)
            return settings
        except (OSError, ValueError, AttributeError, ConfigError) as exc:
            # a damaged panel file must not stop the studio: the unit powers up at its defaults
            log.warning("simulated unit %s: ignoring its saved panel %s (%s)", self.unit, path, exc)
            return {}

    def settings(self) -> dict[str, Value]:
        with self._lock:
            return dict(self._settings)

    def get(self, name: str) -> Value:
        with self._lock:
            return self._settings[name]

    def set(self, name: str, value: Value) -> None:
        """Turn one control (value already a position of it)."""
        with self._lock:
            if self._settings.get(name) == value:
                return
            self._settings[name] = value
            self.version += 1
        self._dirty.set()

    def set_many(self, settings: dict[str, Value]) -> None:
        for name, value in settings.items():
            self.set(name, value)

    def flush(self) -> None:
        """Write the panel to disk now (atomically)."""
        if self.path is None:
            return
        with self._lock:
            data = {"unit": self.unit, "profile": self.profile.name, "settings": dict(self._settings)}
            self._dirty.clear()
        write_json_atomic(self.path, data)

    def close(self) -> None:
        self._closed = True
        self._dirty.set()
        if self._writer is not None:
            self._writer.join(timeout=2.0)
        self.flush()

    def _write_loop(self) -> None:
        while True:
            self._dirty.wait()
            if self._closed:
                return
            # let a burst of changes finish, then write once
            while True:
                self._dirty.clear()
                if self._closed:
                    return
                threading.Event().wait(_FLUSH_AFTER_S)
                if not self._dirty.is_set():
                    break
            try:
                self.flush()
            except OSError as exc:
                log.warning("simulated unit %s: cannot save its panel: %s", self.unit, exc)
