"""The client's approvals: approvals.jsonl, append-only, one line per `hybrid approve`, in the history's chain.

An approval names a revision and the print the client heard: the newest sealed print of that
revision, by the SHA-256 of its manifest.json (which holds the SHA-256 of every file of the print).
Each line records its own SHA-256 (over the rest of the line's fields), the previous line's, and
the revision file's, so an edited line, a line taken out of the middle, a revision changed after it
was approved or a print's manifest changed after it was approved is refused in one line whenever the
session's history is checked (history.check_chain). A render records the approval it was made from;
an approval a render recorded that is no longer in the file is refused the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from devices.config import Strict, parse
from devices.errors import ConfigError
from devices.text import OneLine
from hybrid.errors import SessionError

if TYPE_CHECKING:
    from hybrid.session.store import Session

APPROVALS_FILE = "approvals.jsonl"
APPROVAL_SPEC = 1
_SHA = r"^[0-9a-f]{64}$"


class Approval(Strict):
    """One line of approvals.jsonl: who approved which revision, heard on which print, when, why."""

    spec: int = APPROVAL_SPEC
    at: str
    by: OneLine = Field(..., min_length=1, max_length=160)
    note: OneLine = Field("", max_length=2000)
    revision: int = Field(..., ge=1, le=9999)
    revision_sha256: str = Field(..., pattern=_SHA)
    print_name: str = Field(..., pattern=r"^r[0-9]{4}-[0-9]{2,}$", description="prints/rNNNN-KK")
    manifest_sha256: str = Field(..., pattern=_SHA, description="the print's manifest.json, hashed")
    previous_sha256: str | None = Field(None, pattern=_SHA, description="the line before this one's sha256")
    sha256: str = Field(..., pattern=_SHA, description="this line's own hash (entry_hash of the other fields)")

    def line(self) -> str:
        """How `session log` and `session show` say it."""
        said = f": {self.note}" if self.note else ""
        return f"approved by {self.by} at {self.at} (print {self.print_name}, manifest {self.manifest_sha256[:12]}...){said}"

    def record(self) -> dict[str, Any]:
        """What a render keeps of the approval it was made from."""
        return {"by": self.by, "at": self.at, "note": self.note, "revision": self.revision,
                "print": self.print_name, "manifest_sha256": self.manifest_sha256, "sha256": self.sha256}


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of an entry's fields other than its own hash, as canonical JSON (sorted keys, no spaces)."""
    body = {k: v for k, v in fields.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def newest_sealed_print(session: Session, revision: int) -> Path:
    """The newest print of a revision whose manifest checks (every file against it); one line otherwise."""
    from hybrid.printing.folders import MANIFEST, check_sealed, prints_of

    folders = [f for f in prints_of(session.prints_dir, revision) if (f / MANIFEST).is_file()]
    if not folders:
        raise SessionError(f"{session.folder}: revision {revision} has no sealed print to approve; "
                           f"print it first (`hybrid print {session.folder} --revision {revision}`)")
    newest = folders[-1]
    check_sealed(newest)  # the client heard these files: approve only what still matches its manifest
    return newest


def approve(session: Session, revision: int, by: str, note: str, at: str) -> Approval:
    """Append an approval of a revision's newest sealed print (the caller holds the session's lock)."""
    from hybrid.printing.folders import MANIFEST
    from hybrid.session.store import sha256_file

    session.revision(revision)  # the history checked, and the revision named exists
    folder = newest_sealed_print(session, revision)
    entries = read_approvals(session)
    fields: dict[str, Any] = {
        "spec": APPROVAL_SPEC, "at": at, "by": by, "note": note, "revision": revision,
        "revision_sha256": sha256_file(session.revision_path(revision)), "print_name": folder.name,
        "manifest_sha256": sha256_file(folder / MANIFEST),
        "previous_sha256": entries[-1].sha256 if entries else None}
    fields["sha256"] = entry_hash(fields)
    try:
        entry = parse(Approval, fields, None)
    except ConfigError as exc:  # a name or note that is not one printable line: said as the option it came from
        raise ConfigError("command line", f"--{exc.field}", exc.value, exc.allowed) from None
    _append(session.folder / APPROVALS_FILE, json.dumps(entry.model_dump(mode="json"), ensure_ascii=False) + "\n")
    session._history_checked = False
    return entry


def _append(path: Path, line: str) -> None:
    """One fsync'd O_APPEND write of one line; a torn tail left by a crash mid-write is cut first."""
    from devices.paths import writing

    with writing(path, len(line)):
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                text = os.pread(fd, size, 0)
                if not text.endswith(b"\n"):  # only an unfinished write of ours ends without one
                    os.ftruncate(fd, text.rfind(b"\n") + 1)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


def read_approvals(session: Session) -> list[Approval]:
    """Every approval, oldest first, each line's own hash and its link to the line before checked.
    A last line without its newline is a write cut short by a crash: it never happened."""
    path = session.folder / APPROVALS_FILE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")[:-1]  # the part after the last newline is torn (or empty)
    out: list[Approval] = []
    for number, raw in enumerate(lines, start=1):
        where = f"{path}: line {number}"
        try:
            data = json.loads(raw)
        except ValueError:
            raise SessionError(f"{where}: not an approval (unreadable JSON); approvals are append-only: put the "
                               "file back as it was") from None
        entry = parse(Approval, data, where)
        if entry_hash(data) != entry.sha256:
            raise SessionError(f"{where}: changed after it was written (the approval of revision {entry.revision} "
                               f"by {entry.by} no longer matches its SHA-256 {entry.sha256[:12]}...); approvals are "
                               "append-only: put the file back as it was")
        before = out[-1].sha256 if out else None
        if entry.previous_sha256 != before:
            raise SessionError(f"{where}: the approval before it is missing or changed (it records "
                               f"{(entry.previous_sha256 or 'none')[:12]}..., the file has {(before or 'none')[:12]}...); "
                               "approvals are never deleted: put the file back as it was")
        out.append(entry)
    return out


def check_approvals(session: Session, revision_hashes: dict[int, str]) -> None:
    """The approvals' own chain, each one's revision and print as they were approved, and every approval
    a render recorded still in the file (called by history.check_chain)."""
    from hybrid.printing.folders import MANIFEST
    from hybrid.session.store import sha256_file

    entries = read_approvals(session)
    path = session.folder / APPROVALS_FILE
    for entry in entries:
        found = revision_hashes.get(entry.revision)
        if found is None:
            raise SessionError(f"{session.revision_path(entry.revision)}: missing, but {path.name} records "
                               f"{entry.by}'s approval of it; revisions are never deleted: restore it")
        if found != entry.revision_sha256:
            raise SessionError(f"{session.revision_path(entry.revision)}: changed after {entry.by} approved it "
                               f"(recorded SHA-256 {entry.revision_sha256[:12]}..., the file has {found[:12]}...); "
                               "revisions are write-once: put the file back as it was")
        manifest = session.prints_dir / entry.print_name / MANIFEST
        try:
            now = sha256_file(manifest)
        except OSError:
            raise SessionError(f"{manifest}: missing, but {entry.by} approved print {entry.print_name}; prints are "
                               "never deleted: restore it") from None
        if now != entry.manifest_sha256:
            raise SessionError(f"{manifest}: changed after {entry.by} approved print {entry.print_name} (recorded "
                               f"SHA-256 {entry.manifest_sha256[:12]}..., the file has {now[:12]}...); a sealed print "
                               "is never changed")
    known = {e.sha256 for e in entries}
    for render, recorded in _rendered_approvals(session):
        if recorded not in known:
            raise SessionError(f"{path}: the approval {render.parent.name}/{render.name} was made from ({recorded[:12]}...) is not in it; "
                               "approvals are never deleted: put the file back as it was")


def _rendered_approvals(session: Session) -> list[tuple[Path, str]]:
    """(render folder, the sha256 of the approval its render.json records) for every approved render."""
    from hybrid.deliver.renders import RENDER_FILE, renders_dir, renders_of

    found = []
    for folder in renders_of(renders_dir(session)):  # sealed renders only: a killed one's folder never counted
        try:
            data = json.loads((folder / RENDER_FILE).read_text(encoding="utf-8"))
            approval = data.get("approval")
        except (OSError, ValueError, AttributeError):
            continue  # no render.json, or an unreadable one: the render is refused when it is read (manifest)
        if isinstance(approval, dict) and isinstance(approval.get("sha256"), str):
            found.append((folder, approval["sha256"]))
    return found


def approvals_of(session: Session, revision: int | None = None) -> list[Approval]:
    """Every approval (of one revision), oldest first."""
    return [e for e in read_approvals(session) if revision is None or e.revision == revision]


def render_approval(session: Session, revision: int, newest_print: str) -> tuple[Approval | None, str]:
    """Whether a render of a revision, reading prints up to newest_print, is approved, and the line that
    says so: only an approval of that very print counts (a track printed again after the client heard
    the album is not what they approved)."""
    entries = approvals_of(session, revision)
    for entry in reversed(entries):
        if entry.print_name == newest_print:
            return entry, entry.line()
    if entries:
        return None, (f"not approved: {entries[-1].by} approved revision {revision} on print {entries[-1].print_name}, "
                      f"but this render reads print {newest_print}")
    return None, (f"not approved: revision {revision} has no approval "
                  f"(`hybrid approve {session.folder} --revision {revision} --by NAME`)")
