"""Atomic writes: all or nothing, and files get the mode a plain write would give them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devices.paths import make_staging_dir, write_atomic, write_atomic_with, write_json_atomic, write_new


def test_a_written_file_gets_the_umask_mode_not_a_private_one(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "report.html", b"<html></html>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_bytes() == b"<html></html>"


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_json_atomic(tmp_path / "record.json", {"latency_samples": 83.37})
    before = target.read_bytes()
    # str instead of bytes fails inside the write, after the temporary file exists
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_a_writer_by_name_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "master.wav", b"old master")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half a mas")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic_with(target, half_then_fail)
    assert target.read_bytes() == b"old master"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.wav"]
    old = os.umask(0o022)
    try:
        write_atomic_with(target, lambda tmp: tmp.write_bytes(b"new master"))
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new master" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.wav"]


def test_write_new_never_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    first = write_new(tmp_path / "0001.yaml", b"note: approved")
    with pytest.raises(FileExistsError):
        write_new(first, b"note: tampered")
    assert first.read_bytes() == b"note: approved"
    assert stat.S_IMODE(first.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0001.yaml"]


def test_a_staging_folder_is_hidden_and_gets_an_ordinary_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        folder = make_staging_dir(tmp_path / "prints", prefix=".r0001-01.")
    finally:
        os.umask(old)
    assert folder.name.startswith(".r0001-01.") and folder.name.endswith(".partial")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
