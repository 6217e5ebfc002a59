"""Shared test fixtures: every test gets its own state folder, so simulated units and calibration
records never leak between tests or into the developer's home."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A real-time stream on a busy two-core machine can drop out (JACK's dummy driver wakes late);
    # hybrid detects that and refuses the capture with an AudioError saying it "dropped out". Such
    # a test runs again, twice at most. Any other failure, a wrong or missing sample included,
    # fails at once: only_rerun matches that one message.
    for item in items:
        if item.get_closest_marker("jack"):
            item.add_marker(pytest.mark.flaky(reruns=2, only_rerun=["dropped out"]))


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="module")
def studio_day_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state folder for a whole test module (see studio_day)."""
    return tmp_path_factory.mktemp("studio-day")


@pytest.fixture
def studio_day(_own_state_dir: None, studio_day_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gear (the simulated panels) and its calibration shared by the tests of one module, as
    they are by the commands of one studio day: `pytestmark = pytest.mark.usefixtures("studio_day")`.
    A module-scoped fixture that prints sets XDG_STATE_HOME to studio_day_dir itself."""
    monkeypatch.setenv("XDG_STATE_HOME", str(studio_day_dir))


# ---- a real audio stream: jackd with the dummy driver, a loop client, PortAudio on top ----
# Tests marked @pytest.mark.jack take the `jack_loop` fixture. Where jackd or PortAudio is missing
# they are skipped with the reason, unless HYBRID_REQUIRE_JACK=1 (CI), where that is a failure.

JACK_LOOP_ROUTES = ["1:1:0:0.0", "2:2:37:-6.0", "3:5:1000:-3.0", "4:6:1003:1.5:inv", "7:7:480.375:-1.0",
                    "8:8:480.0:-1.0"]


def _jack_missing(reason: str) -> None:
    import os

    if os.environ.get("HYBRID_REQUIRE_JACK") == "1":
        pytest.fail(f"JACK tests are required here (HYBRID_REQUIRE_JACK=1) but cannot run: {reason}")
    pytest.skip(f"needs a JACK server and PortAudio: {reason}")


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A private `jackd -S -d dummy -r 48000 -p 256`, named for this test run; the whole process
    (and every client it starts) is pointed at it through JACK_DEFAULT_SERVER."""
    import os
    import sys

    from tests.jack_loop import JackUnavailable, start_server

    name = f"hybrid-test-{os.getpid()}"
    try:
        server = start_server(name, tmp_path_factory.mktemp("jack"))
    except JackUnavailable as exc:
        _jack_missing(str(exc))
    saved = {key: os.environ.get(key) for key in ("JACK_DEFAULT_SERVER", "JACK_NO_AUDIO_RESERVATION")}
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ["JACK_NO_AUDIO_RESERVATION"] = "1"
    yield server
    sd = sys.modules.get("sounddevice")
    if sd is not None and sd._initialized > 0:
        sd._terminate()  # PortAudio's JACK client must leave before the server does
    server.stop()
    if sd is not None and sd._initialized == 0:
        sd._initialize()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def jack_loop(jack_server):  # type: ignore[no-untyped-def]
    """The loop client `hybrid_loop` on the private server (routes in JACK_LOOP_ROUTES:
    IN:OUT:DELAY_SAMPLES:GAIN_DB[:inv]) with PortAudio re-scanned so it lists the JACK devices."""
    from tests.jack_loop import JackUnavailable, start_loop

    try:
        loop = start_loop(jack_server, "hybrid_loop", JACK_LOOP_ROUTES)
    except JackUnavailable as exc:
        _jack_missing(str(exc))
    try:
        _portaudio_with_jack()  # PortAudio re-scanned now that jackd runs
    except (OSError, ImportError) as exc:
        loop.stop()
        _jack_missing(f"sounddevice/PortAudio: {exc}")
    except Exception:
        loop.stop()
        raise
    yield loop
    loop.stop()  # every client goes before the server (a stale client hangs the next stream)


def _portaudio_with_jack():  # type: ignore[no-untyped-def]
    """sounddevice, (re)initialised now that jackd runs: PortAudio lists JACK only if the server ran
    when it initialised. A busy server can refuse PortAudio's probe client once: try a few times."""
    import importlib
    import sys
    import time

    for attempt in range(5):
        try:
            if "sounddevice" not in sys.modules:
                return importlib.import_module("sounddevice")  # the first import initialises
            sd = sys.modules["sounddevice"]
            if sd._initialized > 0:
                sd._terminate()
            sd._initialize()
            return sd
        except (OSError, ImportError):
            raise
        except Exception:  # sounddevice.PortAudioError from Pa_Initialize
            if attempt == 4:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")
