"""The fuzz suites' shared tally: every hostile case is counted as accepted, refused, crashed, hung
or lost data, and the counts are printed at the end of the run (and written to
$HYBRID_FUZZ_COUNTS as JSON when that is set)."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest

from devices.errors import HybridError

_TALLIES: dict[str, "Tally"] = {}


class Hang(BaseException):
    """A case ran past its time bound (raised by the alarm in the main thread)."""


@dataclass
class Tally:
    """Counts of one suite. A refusal is a HybridError whose message is one line of bounded length."""

    suite: str
    cases: int = 0
    accepted: int = 0
    refusals: int = 0
    crashes: int = 0
    hangs: int = 0
    data_lost: int = 0
    failures: list[str] = field(default_factory=list)

    def case(self, name: str, run: Callable[[], Any], *, timeout_s: float = 5.0, must_refuse: bool = False,
             max_line: int = 400) -> str:
        """Run one case under a time bound; returns "accepted" or "refused" (anything else is counted
        and remembered, and fails the test at its end through check())."""
        self.cases += 1
        outcome = "accepted"
        use_alarm = threading.current_thread() is threading.main_thread()
        if use_alarm:
            previous = signal.signal(signal.SIGALRM, _raise_hang)
            signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            run()
        except HybridError as exc:
            text = str(exc)
            if "\n" in text or "\r" in text or len(text) > max_line or "Traceback" in text:
                self._fail("crashes", name, f"refusal is not one bounded line: {text[:200]!r}")
                return "crashed"
            outcome = "refused"
        except Hang:
            self._fail("hangs", name, f"ran past {timeout_s} s")
            return "hung"
        except Exception as exc:  # noqa: BLE001 -- any other exception is the crash being counted
            self._fail("crashes", name, f"{type(exc).__name__}: {str(exc)[:200]}")
            return "crashed"
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        if outcome == "accepted" and must_refuse:
            self._fail("crashes", name, "accepted a case that must be refused")
            return "crashed"
        if outcome == "accepted":
            self.accepted += 1
        else:
            self.refusals += 1
        return outcome

    def record(self, name: str, outcome: str, why: str = "") -> None:
        """Count a case judged by the test itself: accepted, refused, crashed, hung or lost."""
        self.cases += 1
        if outcome in ("accepted", "refused"):
            setattr(self, "accepted" if outcome == "accepted" else "refusals",
                    getattr(self, "accepted" if outcome == "accepted" else "refusals") + 1)
        else:
            self._fail({"crashed": "crashes", "hung": "hangs", "lost": "data_lost"}[outcome], name, why or outcome)

    def lost(self, name: str, why: str) -> None:
        """Count a case that lost or changed what the user had."""
        self._fail("data_lost", name, why)

    def _fail(self, counter: str, name: str, why: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        self.failures.append(f"{name}: {why}")

    def check(self) -> None:
        assert not self.failures, f"{self.suite}: {len(self.failures)} bad case(s):\n" + "\n".join(self.failures[:20])


def _raise_hang(signum: int, frame: object) -> None:
    raise Hang()


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """A Tally named for the test; checked at the test's end."""
    name = request.node.nodeid.split("::", 1)[-1]
    suite = f"{request.node.module.__name__.rsplit('.', 1)[-1]}::{name}"
    counts = _TALLIES.setdefault(suite, Tally(suite))
    yield counts
    counts.check()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _TALLIES:
        return
    rows = [asdict(t) for t in _TALLIES.values()]
    for row in rows:
        row.pop("failures")
    total = {k: sum(r[k] for r in rows) for k in ("cases", "accepted", "refusals", "crashes", "hangs", "data_lost")}
    terminalreporter.section("fuzz counts")
    for row in rows + [{"suite": "TOTAL", **total}]:
        terminalreporter.write_line(f"{row['suite']:<60} cases {row['cases']:>5}  accepted {row['accepted']:>4}  "
                                    f"refusals {row['refusals']:>5}  crashes {row['crashes']}  hangs {row['hangs']}  "
                                    f"data lost {row['data_lost']}")
    out = os.environ.get("HYBRID_FUZZ_COUNTS")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"suites": rows, "total": total}, fh, indent=1)
