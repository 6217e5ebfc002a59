"""Hostile YAML for every file a user writes (rigs, profiles, session.yaml, revisions): mutations of
the shipped files, alias bombs, duplicate keys, files that are not ours or not files. Each case is
accepted or refused in one bounded line, within its time bound, and never echoes a foreign file."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from devices.config import MAX_ALIAS_NODES, MAX_YAML_BYTES, read_yaml
from devices.errors import ConfigError
from devices.profile import load_profile, profiles_dir
from devices.rig import Rig, default_rig_path, load_rig
from hybrid.cli import main
from hybrid.session.store import open_session

SEED = 20261204
RIG_TEXT = default_rig_path().read_text()
PROFILE_TEXTS = {p.name: p.read_text() for p in sorted(profiles_dir().glob("*.yaml"))}


def _bomb(depth: int, width: int) -> str:
    """A "billion laughs": each level an anchored list of `width` aliases of the level before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, depth + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _mutate(text: str, rng: random.Random) -> str:
    """One random hostile change to a valid YAML text."""
    lines = text.splitlines()
    pick = rng.randrange(9)
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[a-z_]+:", line)]
    if pick == 0 and keyed:  # a key written twice, same indentation
        i = rng.choice(keyed)
        lines.insert(i + 1, lines[i])
    elif pick == 1:  # an alias bomb appended as more keys
        lines.append(_bomb(rng.randint(3, 9), rng.randint(5, 12)))
    elif pick == 2 and keyed:  # a huge value
        i = rng.choice(keyed)
        key = lines[i].split(":", 1)[0]
        lines[i] = f"{key}: {'x' * rng.choice([5_000, 200_000])}"
    elif pick == 3:  # truncated anywhere
        return text[: rng.randrange(len(text))]
    elif pick == 4:  # random bytes flipped to random printable or control characters
        chars = list(text)
        for _ in range(rng.randint(1, 20)):
            chars[rng.randrange(len(chars))] = chr(rng.choice([rng.randint(0, 31), rng.randint(32, 126), 0x85, 0x2028]))
        return "".join(chars)
    elif pick == 5:  # deep nesting
        return "[" * rng.choice([50, 5_000, 100_000]) + "]" * rng.randint(0, 10)
    elif pick == 6:  # an alias that refers to what holds it, or an undefined one
        lines.append(rng.choice(["loop: &me [1, *me]", "ghost: *nowhere", "m: &m {a: *m}"]))
    elif pick == 7:  # tags that must never construct anything but data
        lines.append(rng.choice(["x: !!python/object/apply:os.system ['true']", "x: !!binary AAAA", "x: !custom 1",
                                 "x: !!set {a, b}", "x: !!timestamp 2026-01-01"]))
    elif pick == 8 and keyed:  # a merge key that overrides (allowed) or duplicates after a merge
        i = rng.choice(keyed)
        lines.insert(i, "base: &base {a: 1}\nmerged: {<<: *base, a: 2}")
    return "\n".join(lines) + "\n"


def _load_as(kind: str, path: Path) -> None:
    if kind == "rig":
        load_rig(path)
    else:
        load_profile(path)


def test_mutated_rigs_and_profiles_are_accepted_or_refused_in_one_line(tmp_path: Path, tally) -> None:
    rng = random.Random(SEED)
    sources = [("rig", "rig.yaml", RIG_TEXT)] + [("profile", n, t) for n, t in PROFILE_TEXTS.items()]
    for n in range(240):
        kind, name, text = sources[n % len(sources)]
        path = tmp_path / f"{n:03d}-{name}"
        path.write_text(_mutate(text, rng), encoding="utf-8", errors="surrogatepass")
        tally.case(f"{kind} mutation {n}", lambda: _load_as(kind, path), timeout_s=5.0)


@pytest.mark.parametrize("depth,width", [(4, 10), (6, 10), (9, 10), (20, 3), (3, 1000)])
def test_alias_bombs_are_refused_quickly(tmp_path: Path, tally, depth: int, width: int) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(RIG_TEXT + _bomb(depth, width))
    tally.case(f"bomb {depth}x{width}", lambda: load_rig(path), timeout_s=2.0, must_refuse=True)
    with pytest.raises(ConfigError, match="aliases may add at most"):
        read_yaml(path)


def test_aliases_within_the_bound_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {gain_db: 1.0}\n" + "".join(f"u{i}: *b\n" for i in range(MAX_ALIAS_NODES // 4)))
    assert len(read_yaml(path)) == MAX_ALIAS_NODES // 4 + 1


def test_a_duplicate_key_is_refused_naming_file_key_and_lines(tmp_path: Path, tally) -> None:
    """PyYAML keeps the last of two keys silently: a rig with sample_rate twice loaded as the second."""
    path = tmp_path / "rig.yaml"
    path.write_text(RIG_TEXT.replace("  sample_rate: 48000\n", "  sample_rate: 48000\n  sample_rate: 96000\n"))
    tally.case("rig sample_rate twice", lambda: load_rig(path), must_refuse=True)
    with pytest.raises(ConfigError) as info:
        load_rig(path)
    line = str(info.value)
    assert str(path) in line and "'sample_rate'" in line and "twice" in line and "line 10" in line, line
    merge = tmp_path / "merge.yaml"
    merge.write_text("base: &b {a: 1, b: 2}\nx: {<<: *b, a: 3}\n")
    assert read_yaml(merge)["x"] == {"a": 3, "b": 2}  # a merge then an override is not a duplicate


def test_files_that_are_not_regular_are_refused_without_blocking(tmp_path: Path, tally) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_YAML_BYTES + "\n")
    for path in (fifo, Path("/dev/zero"), Path("/dev/null"), tmp_path, big, tmp_path / "missing.yaml"):
        for kind in ("rig", "profile"):
            tally.case(f"{kind} {path}", lambda: _load_as(kind, path), timeout_s=3.0, must_refuse=True)


def test_a_foreign_file_is_named_not_echoed(tmp_path: Path, tally) -> None:
    secret = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    binary = bytes(range(256)) * 4
    for n, content in enumerate([secret.encode(), binary, b"just one line of words", b"- a\n- list\n", b"42\n"]):
        path = tmp_path / f"foreign{n}"
        path.write_bytes(content)
        for kind in ("rig", "profile"):
            tally.case(f"foreign {n} as {kind}", lambda: _load_as(kind, path), must_refuse=True)
            try:
                _load_as(kind, path)
            except ConfigError as exc:
                for word in ("root:x", "daemon", "just one", "nologin"):
                    assert word not in str(exc), str(exc)


def test_a_huge_value_is_shown_bounded(tmp_path: Path, tally) -> None:
    path = tmp_path / "rig.yaml"
    path.write_text(RIG_TEXT.replace("name: sim-studio", "name: " + "n" * 500_000))
    tally.case("half a megabyte rig name", lambda: load_rig(path), must_refuse=True, max_line=300)


@pytest.fixture(scope="module")
def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("yaml-session")
    mix = root / "mix.wav"
    sf.write(mix, 0.1 * np.random.default_rng(0).standard_normal((4800, 2)), 48000, subtype="FLOAT")
    assert main(["session", "new", str(root / "s"), "--track", str(mix), "--target", "streaming"]) == 0
    return root / "s"


def test_mutated_session_files_are_accepted_or_refused(session_folder: Path, tally, tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    original = (session_folder / "session.yaml").read_text()
    for n in range(60):
        copy = tmp_path / f"s{n}"
        copy.mkdir()
        (copy / "revisions").mkdir()
        (copy / "session.yaml").write_text(_mutate(original, rng), encoding="utf-8", errors="surrogatepass")
        tally.case(f"session.yaml mutation {n}", lambda: open_session(copy), timeout_s=5.0)
    dup = tmp_path / "dup"
    dup.mkdir()
    (dup / "revisions").mkdir()
    (dup / "session.yaml").write_text(original + original.splitlines()[0] + "\n")
    tally.case("session.yaml key twice", lambda: open_session(dup), must_refuse=True)


def test_rig_model_accepts_the_shipped_rig() -> None:
    assert isinstance(load_rig(default_rig_path()), Rig)
