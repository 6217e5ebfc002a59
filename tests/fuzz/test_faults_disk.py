"""A full disk and a read-only folder under every command that writes (the lock file, session new
--copy, a capture, render, finish, report, the delivery), seeded: each ends whole (exit 0) or with
one line naming what could not be written and the space it needed, and nothing half-written.

The disk is a real small file system: a tmpfs mounted here when the tests run as root (the kernel
says ENOSPC, and remounted read-only, EROFS); elsewhere each command runs under RLIMIT_FSIZE (the
kernel says EFBIG at the limit) and the read-only folder is a chmod 0555 one."""

from __future__ import annotations

import os
import random
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybrid.printing.folders import prints_of, verify_manifest
from tests.fuzz.conftest import Tally
from tests.fuzz.faults import HANG_S, crashed, hybrid, mix, session_with_tracks

SEED = 2813
SIZE_BYTES = 8 << 20


class SmallDisk:
    """A folder on a small file system whose free space each case sets."""

    def __init__(self, root: Path, tmpfs: bool) -> None:
        self.root = root
        self.tmpfs = tmpfs
        self.limit: int | None = None  # RLIMIT_FSIZE for the next command, where there is no tmpfs

    def leave_free(self, free_bytes: int) -> None:
        filler = self.root / "filler"
        filler.unlink(missing_ok=True)
        if not self.tmpfs:
            self.limit = max(free_bytes, 1)
            return
        stats = os.statvfs(self.root)
        take = max(stats.f_bavail * stats.f_frsize - free_bytes, 0)
        with open(filler, "wb") as handle:
            while take > 0:
                chunk = min(take, 1 << 20)
                try:
                    handle.write(b"\0" * chunk)
                    handle.flush()
                except OSError:
                    break
                take -= chunk

    def read_only(self, on: bool) -> None:
        if self.tmpfs:
            subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.root)], check=True)
        else:
            os.chmod(self.root, 0o555 if on else 0o755)

    def run(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        limit = self.limit

        def limited() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        return subprocess.run([sys.executable, "-m", "hybrid", *args], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=HANG_S, preexec_fn=limited)

    def leftovers(self) -> list[str]:
        return [str(p.relative_to(self.root)) for p in self.root.rglob(".*")
                if ".partial" in p.name or p.name.endswith(".tmp")]


def _can_mount(where: Path) -> bool:
    if os.environ.get("HYBRID_FUZZ_NO_MOUNT") == "1":  # to run the RLIMIT_FSIZE way on purpose
        return False
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_BYTES}", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    base = tmp_path_factory.mktemp("disk")
    env = {"XDG_STATE_HOME": str(base / "state")}
    folder = session_with_tracks(base, count=2, seconds=1.0, env=env)
    assert hybrid("print", str(folder), "--yes", env=env).returncode == 0  # calibrated, and a print to read
    root = base / "small"
    root.mkdir()
    tmpfs = _can_mount(root)
    print(f"\nsmall disk: {'tmpfs of 8 MiB (ENOSPC, EROFS)' if tmpfs else 'RLIMIT_FSIZE (EFBIG), chmod 0555'}")
    yield {"base": base, "env": env, "folder": folder, "disk": SmallDisk(root, tmpfs)}
    if tmpfs:
        subprocess.run(["umount", str(root)], check=False)


def _outcome(tally: Tally, label: str, done: subprocess.CompletedProcess[str], output: Path,
             disk: SmallDisk) -> None:
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("hybrid: ")]
    left = disk.leftovers()
    if crashed(done.stderr) or done.returncode not in (0, 2) or (done.returncode == 2 and len(lines) != 1):
        tally.record(label, "crashed", f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
    elif done.returncode == 2 and "could not be written" not in lines[0]:
        tally.record(label, "crashed", f"the line does not say what could not be written: {lines[0]}")
    elif left:
        tally.record(label, "lost", f"half-written files left: {left}")
    elif done.returncode == 2 and output.exists() and (output.is_file() or any(output.rglob("*.*"))):
        tally.record(label, "lost", f"{output}: half a result left after the refusal")
    else:
        tally.record(label, "refused" if done.returncode == 2 else "accepted")


def test_a_full_disk_under_every_writer(day: dict[str, object], tally: Tally) -> None:
    base, env, folder, disk = (day[k] for k in ("base", "env", "folder", "disk"))
    assert isinstance(disk, SmallDisk) and isinstance(base, Path) and isinstance(folder, Path)
    env = dict(env)  # type: ignore[call-overload]
    rng = random.Random(SEED)
    printed = prints_of(folder / "prints")[0]
    # a session that lives on the small disk, printed there
    disk.leave_free(SIZE_BYTES)
    disk.limit = None
    small_session = disk.root / "session"
    made = disk.run("session", "new", str(small_session), "--track", str(base / "m1.wav"), "--target", "streaming",
                    env=env)
    assert made.returncode == 0, made.stderr
    plan = [  # (label, argv for case n, the output to look at, free bytes from .. to)
        ("session new --copy", lambda n: ["session", "new", str(disk.root / f"s{n}"), "--copy", "--track",
                                          str(base / "m1.wav"), "--track", str(base / "m2.wav")],
         lambda n: disk.root / f"s{n}", (0, 900_000)),
        ("render --out", lambda n: ["render", str(folder), "--out", str(disk.root / f"r{n}")],
         lambda n: disk.root / f"r{n}" / "streaming", (0, 700_000)),
        ("finish", lambda n: ["finish", str(base / "m1.wav"), str(disk.root / f"f{n}.wav")],
         lambda n: disk.root / f"f{n}.wav", (0, 400_000)),
        ("report --out", lambda n: ["report", str(printed), "--out", str(disk.root / f"rep{n}")],
         lambda n: disk.root / f"rep{n}", (0, 900_000)),
        ("print (capture, deliverables, report)", lambda n: ["print", str(small_session), "--yes"],
         lambda n: disk.root / "no-such-output", (0, 2_500_000)),
        ("session set (the lock file, the revision)",
         lambda n: ["session", "set", str(small_session), "--note", f"case {n}"],  # a note-only revision
         lambda n: disk.root / "no-such-output", (0, 8_192)),
    ]
    n = 0
    for label, argv, output, (low, high) in plan:
        for free in sorted({rng.randrange(low, high // 2), high}):  # short of what it needs, and enough
            n += 1
            before = {p.name: verify_manifest(p) for p in prints_of(small_session / "prints")}
            disk.leave_free(free)
            done = disk.run(*argv(n), env=env)
            _outcome(tally, f"{label}, {free} bytes free", done, output(n), disk)
            if any(verify_manifest(small_session / "prints" / name) != problems for name, problems in before.items()):
                tally.lost(label, "an earlier print on the small disk changed")
    if not disk.tmpfs and os.geteuid() == 0:
        return  # root writes through chmod 0555: a read-only folder needs the remount above
    # the same writers on a read-only folder
    disk.leave_free(SIZE_BYTES)
    disk.limit = None
    disk.read_only(True)
    try:
        for label, argv, output, _ in plan:
            n += 1
            done = disk.run(*argv(n), env=env)
            _outcome(tally, f"{label}, read-only", done, output(n), disk)
            if done.returncode == 0:
                tally.record(f"{label}, read-only", "lost", "it said it wrote to a read-only folder")
    finally:
        disk.read_only(False)
