"""Hand edits of a printed session, seeded: the history (an edited, deleted or hand-made revision, a
numbering gap, a revision missing a unit), a print's files (a capture scaled by half, an edited
fingerprint.json, report.json or print.json, a deleted manifest) and writes into a sealed print.
Every break is refused in one line before anything is used, and nothing inside a print changes."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from hybrid.cli import main
from hybrid.printing.folders import prints_of, verify_manifest
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session
from tests.fuzz.conftest import Tally
from tests.fuzz.faults import mix

pytestmark = pytest.mark.usefixtures("studio_day")
SEED = 1313


def _yes(_sheet: object) -> bool:
    return True


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, studio_day_dir: Path) -> Path:
    """Revisions 1 and 2, both printed (r0001-01, r0002-01), and revision 3, not printed."""
    base = tmp_path_factory.mktemp("tamper")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(studio_day_dir))
        folder = base / "album"
        new_session(folder, [mix(base / "a.wav", 0.6, 1), mix(base / "b.wav", 0.6, 2)],
                    album=AlbumFields(title="Tamper", targets=["streaming"]))
        print_revision(PrintRequest(folder, confirm_manual=_yes))
        assert main(["session", "set", str(folder), "eq.high_gain_db=2", "--note", "brighter"]) == 0
        print_revision(PrintRequest(folder, confirm_manual=_yes))
        assert main(["session", "set", str(folder), "eq.high_gain_db=3", "--note", "brighter still"]) == 0
    return folder


def _copy(printed: Path, tmp_path: Path, n: int) -> Path:
    folder = tmp_path / f"case{n}"
    shutil.copytree(printed, folder, symlinks=True)
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


def _one_line(status: int, err: str) -> bool:
    lines = [ln for ln in err.splitlines() if ln.startswith("hybrid: ")]
    return status == 2 and len(lines) == 1 and "Traceback" not in err


def _writable(path: Path) -> Path:
    os.chmod(path, 0o644)
    return path


# ---- the history ----

def _edit_revision(number: int) -> Callable[[Path, random.Random], None]:
    def edit(folder: Path, rng: random.Random) -> None:
        path = _writable(folder / "revisions" / f"{number:04d}.yaml")
        data = yaml.safe_load(path.read_text())
        unit = rng.choice(sorted(data["units"]))
        param = rng.choice(sorted(data["units"][unit]))
        value = data["units"][unit][param]
        data["units"][unit][param] = (value + 1.0) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else (not value if isinstance(value, bool) else value)
        data["note"] = data.get("note", "") + " (edited)"  # the bytes change even where the value could not
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return edit


def _delete_revision(number: int) -> Callable[[Path, random.Random], None]:
    def delete(folder: Path, rng: random.Random) -> None:
        (folder / "revisions" / f"{number:04d}.yaml").unlink()
    return delete


def _gap(folder: Path, rng: random.Random) -> None:
    os.rename(folder / "revisions" / "0003.yaml", folder / "revisions" / "0005.yaml")
    path = _writable(folder / "revisions" / "0005.yaml")
    path.write_text(path.read_text().replace("number: 3", "number: 5"))


def _hand_made(drop_link: bool, drop_unit: bool) -> Callable[[Path, random.Random], None]:
    """Revision 4 written by hand from revision 3: without its link, or without a unit (the link right)."""
    def write(folder: Path, rng: random.Random) -> None:
        three = folder / "revisions" / "0003.yaml"
        data = yaml.safe_load(three.read_text())
        data.update(number=4, parent=3, parent_sha256=hashlib.sha256(three.read_bytes()).hexdigest(),
                    previous_sha256=hashlib.sha256(three.read_bytes()).hexdigest(), note="by hand")
        if drop_link:
            del data["previous_sha256"]
        if drop_unit:
            del data["units"][rng.choice(sorted(data["units"]))]
        (folder / "revisions" / "0004.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return write


def _then(*steps: Callable[[Path, random.Random], None]) -> Callable[[Path, random.Random], None]:
    def both(folder: Path, rng: random.Random) -> None:
        for step in steps:
            step(folder, rng)
    return both


HISTORY = {
    # revision 3 (latest, never printed) removed first: revision 2 is then the latest, and printed
    "edit the latest revision after it was printed": _then(_delete_revision(3), _edit_revision(2)),
    "edit revision 1": _edit_revision(1),
    "edit a printed middle revision": _edit_revision(2),
    "delete a middle revision": _delete_revision(2),
    "delete the latest printed revision": _then(_delete_revision(3), _delete_revision(2)),
    "a numbering gap": _gap,
    "a hand-made revision without its link": _hand_made(True, False),
    "a revision missing a unit": _hand_made(False, True),
}
# what each case may still do: every command that reads the broken part must refuse
COMMANDS: list[tuple[str, Callable[[Path], list[str]]]] = [
    ("session log", lambda f: ["session", "log", str(f)]),
    ("session diff", lambda f: ["session", "diff", str(f), "1", "2"]),
    ("print", lambda f: ["print", str(f), "--yes"]),
    ("render", lambda f: ["render", str(f), "--revision", "2"]),
    ("recall", lambda f: ["recall", str(f), "--yes"]),
]


def test_every_break_in_the_history_is_refused(printed: Path, tmp_path: Path, tally: Tally,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    for n, (name, mutate) in enumerate(HISTORY.items()):
        folder = _copy(printed, tmp_path, n)
        mutate(folder, rng)
        sealed = {p.name: sorted(p.rglob("*")) for p in prints_of(folder / "prints")}
        # a revision missing a unit is a well-formed file: only what uses the units refuses it
        commands = [c for c in COMMANDS if name != "a revision missing a unit" or c[0] in ("print", "recall")]
        for label, argv in commands:
            if label == "recall" and name != "a revision missing a unit":
                continue  # recall needs the gear; print covers the history for it
            tally.case(f"{name}: {label}", lambda: _expect_refusal(capsys, argv(folder), f"{name}: {label}"),
                       timeout_s=120.0, must_refuse=True)
        if {p.name: sorted(p.rglob("*")) for p in prints_of(folder / "prints")} != sealed:
            tally.lost(name, "a print was made or changed from a broken history")


def _expect_refusal(capsys: pytest.CaptureFixture[str], argv: list[str], what: str) -> None:
    from hybrid.errors import SessionError

    status, err = _run(capsys, *argv)
    if status == 0:
        return  # accepted: counted (and failed, must_refuse) by the tally
    if not _one_line(status, err):
        raise AssertionError(f"not one line: exit {status}: {err[-300:]}")
    raise SessionError(err.strip().splitlines()[-1])  # a refusal, as the tally counts them


def test_an_older_session_still_opens_and_joins_the_chain(printed: Path, tmp_path: Path, tally: Tally,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Revisions written before the chain (spec 1, no previous_sha256) are read as they are; the next
    `session set` links to the latest of them, and from there on the chain is checked."""
    folder = _copy(printed, tmp_path, 99)
    shutil.rmtree(folder / "prints")
    (folder / "prints").mkdir()
    previous = None
    for n in (1, 2, 3):
        path = _writable(folder / "revisions" / f"{n:04d}.yaml")
        data = yaml.safe_load(path.read_text())
        data["spec"] = 1
        data.pop("previous_sha256", None)
        if previous is not None:
            data["parent_sha256"] = hashlib.sha256(previous).hexdigest()
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        previous = path.read_bytes()
    tally.case("older session: log", lambda: _expect_success(capsys, ["session", "log", str(folder)]))
    tally.case("older session: set", lambda: _expect_success(
        capsys, ["session", "set", str(folder), "eq.high_gain_db=1", "--note", "joins the chain"]))
    four = yaml.safe_load((folder / "revisions" / "0004.yaml").read_text())
    assert four["previous_sha256"] == hashlib.sha256(previous).hexdigest()
    _edit_revision(3)(folder, random.Random(SEED))
    tally.case("older session: edited after it joined", lambda: _expect_refusal(
        capsys, ["session", "log", str(folder)], "older session edited"), must_refuse=True)


def _expect_success(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, err = _run(capsys, *argv)
    assert status == 0, err


# ---- a print's files ----

def _scale_capture(folder: Path, rng: random.Random) -> str:
    path = _writable(sorted((prints_of(folder / "prints")[-1] / "capture").glob("*.wav"))[rng.randrange(2)])
    audio, rate = sf.read(path, dtype="float32")
    sf.write(path, audio * 0.5, rate, subtype="FLOAT")  # the same size: only the hash tells
    return "render"


def _edit_json(name: str, command: str) -> Callable[[Path, random.Random], str]:
    def edit(folder: Path, rng: random.Random) -> str:
        path = _writable(prints_of(folder / "prints")[-1] / name)
        text = path.read_text()
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        i = rng.choice(digits)
        path.write_text(text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:])
        return command
    return edit


def _keep_times(edit: Callable[[Path, random.Random], str]) -> Callable[[Path, random.Random], str]:
    """The same edit with the file's times set back (`touch -r`): the ctime still tells."""
    def edited(folder: Path, rng: random.Random) -> str:
        files = {p: p.stat() for p in prints_of(folder / "prints")[-1].rglob("*") if p.is_file()}
        command = edit(folder, rng)
        for p, st in files.items():
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        return command
    return edited


def _delete_manifest(command: str) -> Callable[[Path, random.Random], str]:
    def delete(folder: Path, rng: random.Random) -> str:
        (prints_of(folder / "prints")[-1] / "manifest.json").unlink()
        return command
    return delete


PRINT_FILES = {
    "a capture scaled by half": _scale_capture,
    "a capture scaled by half, times kept": _keep_times(_scale_capture),
    "an edited fingerprint.json": _edit_json("fingerprint.json", "verify"),
    "an edited report.json": _edit_json("report.json", "report"),
    "an edited print.json": _edit_json("print.json", "report"),
    "a deleted manifest (render)": _delete_manifest("render"),
    "a deleted manifest (verify)": _delete_manifest("verify"),
    "a deleted manifest (report)": _delete_manifest("report"),
}


def _print_command(command: str, folder: Path, out: Path) -> list[str]:
    latest = prints_of(folder / "prints")[-1]
    if command == "render":
        return ["render", str(folder), "--revision", "2"]
    if command == "verify":
        return ["verify", str(folder), "--revision", "2"]
    return ["report", str(latest), "--out", str(out)]


def test_a_changed_print_is_refused_before_it_is_read(printed: Path, tmp_path: Path, tally: Tally,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED + 1)
    for n, (name, tamper) in enumerate(PRINT_FILES.items()):
        folder = _copy(printed, tmp_path, 100 + n)
        # read once intact first, so the cached sizes and times are there to be fooled
        assert _run(capsys, "render", folder, "--revision", "2")[0] == 0
        command = tamper(folder, rng)
        out = tmp_path / f"report-{n}"
        tally.case(name, lambda: _expect_refusal(capsys, _print_command(command, folder, out), name),
                   timeout_s=120.0, must_refuse=True)
        if out.exists() and any(out.iterdir()):
            tally.lost(name, f"{out}: a report was drawn from a changed print")


def test_nothing_writes_inside_a_sealed_print(printed: Path, tmp_path: Path, tally: Tally,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(printed, tmp_path, 200)
    sealed = prints_of(folder / "prints")[0]
    capture = sorted((sealed / "capture").glob("*.wav"))[0]
    before = {p: p.read_bytes() for p in sealed.rglob("*") if p.is_file()}
    rng = random.Random(SEED + 2)
    inside = [sealed, sealed / "deliverables", sealed / "capture", sealed / "new" / "deeper"]
    for n in range(8):
        where = rng.choice(inside)
        cases = {
            "render --out": ["render", str(folder), "--revision", "1", "--out", str(where)],
            "report --out": ["report", str(prints_of(folder / "prints")[1]), "--out", str(where)],
            "finish OUT": ["finish", str(capture), str(where / "finished.wav")],
        }
        label = list(cases)[n % 3]
        tally.case(f"{label} {where.relative_to(folder)}",
                   lambda: _expect_refusal(capsys, cases[label], label), timeout_s=120.0, must_refuse=True)
    after = {p: p.read_bytes() for p in sealed.rglob("*") if p.is_file()}
    if after != before or verify_manifest(sealed) or (sealed / "new").exists():
        tally.lost("sealed print", f"changed: {sorted(set(map(str, after)) ^ set(map(str, before)))[:5]}")
