"""`hybrid approve`: the client's approval in the session's history, tied to the print's manifest; shown
by `session log` and `session show`; recorded by `render` (which says when it renders what nobody
approved, and refuses it with --approved-only); an edited or deleted approval makes the session refuse."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from hybrid.cli import main
from hybrid.printing.pipeline import PrintRequest, print_revision
from hybrid.session import AlbumFields, new_session
from tests.fuzz.faults import mix

pytestmark = pytest.mark.usefixtures("studio_day")


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, studio_day_dir: Path) -> Path:
    """Revision 1 printed (r0001-01), revision 2 made and not printed; nothing approved."""
    base = tmp_path_factory.mktemp("approve")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(studio_day_dir))
        folder = base / "album"
        new_session(folder, [mix(base / "a.wav", 0.6, 1), mix(base / "b.wav", 0.6, 2)],
                    album=AlbumFields(title="Approve", targets=["streaming"]))
        print_revision(PrintRequest(folder, confirm_manual=lambda _sheet: True))
        assert main(["session", "set", str(folder), "eq.high_gain_db=2", "--note", "brighter"]) == 0
    return folder


@pytest.fixture(scope="module")
def approved(printed: Path, tmp_path_factory: pytest.TempPathFactory, studio_day_dir: Path) -> Path:
    """A copy of `printed` with revision 1 approved twice (Ann, then Bob) and rendered once after."""
    folder = tmp_path_factory.mktemp("approved") / "album"
    shutil.copytree(printed, folder, symlinks=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", str(studio_day_dir))
        assert main(["approve", str(folder), "--revision", "1", "--by", "Ann Client", "--note", "the ballad sings"]) == 0
        assert main(["approve", str(folder), "--revision", "1", "--by", "Bob Label"]) == 0
        assert main(["render", str(folder)]) == 0
    return folder


def _copy(source: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(source, folder, symlinks=True)
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def _refused(status: int, err: str, *words: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith("hybrid: ")]
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]


def _entries(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "approvals.jsonl").read_text().splitlines()]


def test_an_approval_names_the_newest_sealed_print_by_its_manifest_hash(approved: Path) -> None:
    from hybrid.session.store import sha256_file

    ann, bob = _entries(approved)
    assert (ann["by"], ann["note"], ann["revision"], ann["print_name"]) == ("Ann Client", "the ballad sings", 1, "r0001-01")
    assert ann["manifest_sha256"] == sha256_file(approved / "prints" / "r0001-01" / "manifest.json")
    assert ann["revision_sha256"] == sha256_file(approved / "revisions" / "0001.yaml")
    assert ann["previous_sha256"] is None and bob["previous_sha256"] == ann["sha256"]


def test_the_newest_of_two_sealed_prints_is_the_one_approved(printed: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(printed, tmp_path)
    shutil.copytree(folder / "prints" / "r0001-01", folder / "prints" / "r0001-02", symlinks=True)
    status, out, _ = _run(capsys, "approve", folder, "--revision", 1, "--by", "Ann")
    assert status == 0 and "print r0001-02" in out
    assert _entries(folder)[0]["print_name"] == "r0001-02"


def test_a_revision_without_a_print_is_refused(printed: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(printed, tmp_path)
    status, _, err = _run(capsys, "approve", folder, "--revision", 2, "--by", "Ann")
    _refused(status, err, "revision 2 has no sealed print", "hybrid print")
    status, _, err = _run(capsys, "approve", folder, "--revision", 7, "--by", "Ann")
    _refused(status, err, "revision", "1 to 2")
    assert not (folder / "approvals.jsonl").exists()


def test_a_print_that_no_longer_matches_its_manifest_is_refused(printed: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(printed, tmp_path)
    capture = next((folder / "prints" / "r0001-01" / "capture").glob("01-*.wav"))
    os.chmod(capture, 0o644)
    data = bytearray(capture.read_bytes())
    data[-2] ^= 0x40  # one sample of the capture the client would be approving
    capture.write_bytes(bytes(data))
    status, _, err = _run(capsys, "approve", folder, "--revision", 1, "--by", "Ann")
    _refused(status, err, capture.name, "changed since the print was sealed")
    assert not (folder / "approvals.jsonl").exists()


def test_a_name_or_note_that_is_not_one_printable_line_is_refused(printed: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(printed, tmp_path)
    status, _, err = _run(capsys, "approve", folder, "--revision", 1, "--by", "")
    _refused(status, err, "--by")
    status, _, err = _run(capsys, "approve", folder, "--revision", 1, "--by", "Ann", "--note", "ok\n2 approved too")
    _refused(status, err, "--note", "newline")
    assert not (folder / "approvals.jsonl").exists()


def test_session_log_and_show_say_who_approved_what(approved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "session", "log", approved)
    assert status == 0
    lines = out.splitlines()
    ann = next(n for n, line in enumerate(lines) if "Ann Client  approved revision 1 (print r0001-01" in line)
    assert lines[ann].endswith(": the ballad sings")
    assert ann > next(n for n, line in enumerate(lines) if line.startswith("   1  "))  # after the revision it approves
    assert any("Bob Label  approved revision 1" in line for line in lines)
    status, out, _ = _run(capsys, "session", "log", approved, "--json")
    assert [a["by"] for a in json.loads(out)[0]["approvals"]] == ["Ann Client", "Bob Label"]
    assert json.loads(out)[1]["approvals"] == []
    status, out, _ = _run(capsys, "session", "show", approved, "--revision", 1)
    assert status == 0 and "approved by Bob Label at" in out.splitlines()[2]
    status, out, _ = _run(capsys, "session", "show", approved)  # revision 2, not approved
    assert "not approved (`hybrid approve" in out.splitlines()[2]
    status, out, _ = _run(capsys, "session", "show", approved, "--revision", 1, "--json")
    assert [a["by"] for a in json.loads(out)["approvals"]] == ["Ann Client", "Bob Label"]


def test_the_desk_timeline_shows_who_approved_which_revision(approved: Path) -> None:
    from hybrid.desk.views import catalog_of, timeline
    from hybrid.session import open_session

    session = open_session(approved)
    rows = {row["number"]: row for row in timeline(session, catalog_of(session))}
    assert [(a["by"], a["print"], a["note"]) for a in rows[1]["approvals"]] == [
        ("Ann Client", "r0001-01", "the ballad sings"), ("Bob Label", "r0001-01", "")]
    assert rows[2]["approvals"] == []


def test_a_render_records_the_approval_it_was_made_from(approved: Path) -> None:
    render = approved / "deliverables" / "r0001-01"
    document = json.loads((render / "render.json").read_text())
    bob = _entries(approved)[1]
    assert document["approval"]["sha256"] == bob["sha256"] and document["approval"]["by"] == "Bob Label"
    assert document["approval"]["print"] == "r0001-01"
    assert "approval: approved by Bob Label at" in (render / "render.txt").read_text()


def test_an_unapproved_render_says_so_and_approved_only_refuses_it(printed: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(printed, tmp_path)
    status, _, err = _run(capsys, "render", folder, "--approved-only")
    _refused(status, err, "--approved-only", "revision 1 has no approval")
    assert not (folder / "deliverables").exists() or not any((folder / "deliverables").iterdir())
    status, out, err = _run(capsys, "render", folder)
    assert status == 0
    assert [ln for ln in err.splitlines() if ln.startswith("hybrid: ")] == [
        f"hybrid: revision 1 is not approved: revision 1 has no approval (`hybrid approve {folder} --revision 1 --by NAME`)"]
    document = json.loads((folder / "deliverables" / "r0001-01" / "render.json").read_text())
    assert document["approval"] is None and document["approval_line"].startswith("not approved")
    assert "approval: not approved" in out
    # a print made after the approval (a track printed again) is not what the client heard
    assert main(["approve", str(folder), "--revision", "1", "--by", "Ann"]) == 0
    shutil.copytree(folder / "prints" / "r0001-01", folder / "prints" / "r0001-02", symlinks=True)
    status, _, err = _run(capsys, "render", folder, "--approved-only")
    _refused(status, err, "Ann approved revision 1 on print r0001-01", "reads print r0001-02")


def _rewrite(path: Path, edit: object) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(edit(lines)))  # type: ignore[operator]


@pytest.mark.parametrize("case", ["by", "note", "print_name", "manifest", "middle_deleted", "all_deleted",
                                  "file_deleted", "garbage", "manifest_edited", "revision_edited"])
def test_an_edited_or_deleted_approval_makes_the_session_refuse(case: str, approved: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(approved, tmp_path)
    log = folder / "approvals.jsonl"
    field = {"by": ("Ann Client", "Ann Cliant"), "note": ("the ballad sings", "the ballad sags"),
             "print_name": ('"r0001-01"', '"r0001-02"'), "manifest": ('"manifest_sha256": "', '"manifest_sha256": "0')}
    if case in field:
        old, new = field[case]
        _rewrite(log, lambda lines: [lines[0].replace(old, new, 1)] + lines[1:])
        expected = "line 1"
    elif case == "middle_deleted":
        _rewrite(log, lambda lines: lines[1:])  # Ann's, the first, taken out: Bob's link no longer holds
        expected = "line 1: the approval before it is missing"
    elif case == "all_deleted":
        log.write_text("")  # the render that recorded Bob's approval says it was there
        expected = "the approval deliverables/r0001-01 was made from"
    elif case == "file_deleted":
        log.unlink()
        expected = "the approval deliverables/r0001-01 was made from"
    elif case == "garbage":
        _rewrite(log, lambda lines: lines + ["{not json\n"])
        expected = "line 3: not an approval"
    elif case == "manifest_edited":
        manifest = folder / "prints" / "r0001-01" / "manifest.json"
        os.chmod(manifest, 0o644)
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps(data, indent=1))  # same files, another manifest: not what was approved
        expected = "changed after Ann Client approved print r0001-01"
    else:
        revision = folder / "revisions" / "0001.yaml"
        os.chmod(revision, 0o644)
        revision.write_text(revision.read_text().replace("every unit at its profile default", "edited"))
        expected = "0001.yaml: changed after"
    renders = sorted((folder / "deliverables").iterdir())
    for command in (["session", "log", folder], ["session", "show", folder], ["render", folder],
                    ["approve", folder, "--revision", 1, "--by", "Cy"]):
        before = log.read_bytes() if log.exists() else None
        status, _, err = _run(capsys, *command)
        _refused(status, err, expected)
        assert sorted((folder / "deliverables").iterdir()) == renders
        assert (log.read_bytes() if log.exists() else None) == before  # nothing appended to a broken history


def test_a_torn_last_line_never_happened(approved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(approved, tmp_path)
    log = folder / "approvals.jsonl"
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"spec": 1, "at": "2026-')  # a crash in the middle of the write
    status, out, _ = _run(capsys, "session", "log", folder)
    assert status == 0 and "Bob Label  approved" in out
    assert main(["approve", str(folder), "--revision", "1", "--by", "Cy"]) == 0
    text = log.read_bytes()
    assert text.startswith(whole) and text.count(b"\n") == 3 and b"2026-{" not in text
    assert [e["by"] for e in _entries(folder)] == ["Ann Client", "Bob Label", "Cy"]
