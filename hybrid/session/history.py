"""The history as a chain: every revision records its predecessor's hash, every print its revision's
and every approval its revision's and its print's (approvals.py), so an edited, deleted or hand-made
revision or approval is refused in one line before it is used.

Sessions made before the chain (revision spec 1) join it as they are: their revisions keep the
links they had (each one's parent hash is still checked, and a printed one is held to the hash its
print recorded); the first revision written by this version records the hash of the one before it,
and from there on a revision without that link is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from hybrid.errors import SessionError
from hybrid.session.store import sha256_file

if TYPE_CHECKING:
    from hybrid.session.store import Session

_WRITE_ONCE = "revisions are write-once: put the file back as it was, or make a new revision with `hybrid session set`"


def check_chain(session: Session) -> None:
    """Refuse a gap in the numbering, a revision changed after another was made from it or after it
    was printed, and a revision without its link once the chain has started."""
    numbers = session.revision_numbers()
    if not numbers:
        return
    missing = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))
    if missing:
        raise SessionError(f"{session.revision_path(missing[0])}: missing; the history has revisions "
                           f"{_listed(numbers)} and revisions are never deleted: restore it before using the session")
    hashes = {n: sha256_file(session.revision_path(n)) for n in numbers}
    chained_from: int | None = None
    for number in numbers:
        revision = session._read_revision(number)
        path = session.revision_path(number)
        if revision.parent is not None and revision.parent_sha256 is not None:
            if revision.parent not in hashes:
                raise SessionError(f"{path}: its parent, revision {revision.parent}, is not in the history")
            _link(session, revision.parent, hashes[revision.parent], revision.parent_sha256, f"revision {number} was made from it")
        if number == 1:
            if revision.previous_sha256 is not None:
                raise SessionError(f"{path}: previous_sha256 is set, but revision 1 has no revision before it")
            continue
        if revision.previous_sha256 is not None:
            _link(session, number - 1, hashes[number - 1], revision.previous_sha256, f"revision {number} followed it")
            chained_from = chained_from or number
        elif chained_from is not None or revision.spec >= 2:
            raise SessionError(f"{path}: previous_sha256 is missing; every revision since "
                               f"{chained_from or number} records the hash of the one before it (a revision is made by "
                               "`hybrid session set`, never by hand)")
    for folder, number, recorded in _printed(session.prints_dir):
        if number not in hashes:
            raise SessionError(f"{session.revision_path(number)}: missing, but {folder.name} printed it; revisions "
                               "are never deleted: restore it before using the session")
        _link(session, number, hashes[number], recorded, f"it was printed in {folder.name}")
    from hybrid.session.approvals import check_approvals

    check_approvals(session, hashes)  # the client's approvals are links of the same chain


def _link(session: Session, number: int, found: str, recorded: str, since: str) -> None:
    if found != recorded:
        raise SessionError(f"{session.revision_path(number)}: changed after {since} (recorded SHA-256 "
                           f"{recorded[:12]}..., the file has {found[:12]}...); {_WRITE_ONCE}")


def _printed(prints_dir: Path) -> list[tuple[Path, int, str]]:
    """(print folder, revision number, the revision file's SHA-256 as the print recorded it)."""
    from hybrid.printing.folders import PROVENANCE, prints_of

    found = []
    for folder in prints_of(prints_dir):
        try:
            data = json.loads((folder / PROVENANCE).read_text(encoding="utf-8"))
            found.append((folder, int(data["revision"]["number"]), str(data["revision"]["sha256"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # an unreadable print.json: the print itself is refused when it is read (manifest)
    return found


def _listed(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) if len(numbers) <= 8 else f"{numbers[0]} to {numbers[-1]} with gaps"
