"""What the page shows of a session, as JSON: tracks, the revision timeline with its diffs in panel
markings, the rack drawn from the units' profiles, and the prints with their compliance."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from devices.profile import Parameter, Profile
from devices.recall_sheet import RecallSheet
from hybrid.errors import SessionError
from hybrid.printing.folders import check_sealed, prints_of
from hybrid.session import UnitCatalog, diff_revisions, session_rig
from hybrid.session.approvals import approvals_of
from hybrid.session.store import Session

PRINT_NAME = re.compile(r"^r([0-9]{4})-([0-9]{2,})$")


def catalog_of(session: Session) -> UnitCatalog:
    return UnitCatalog(session_rig(session), source=session.file)


def timeline(session: Session, catalog: UnitCatalog) -> list[dict[str, Any]]:
    """Every revision, oldest first, with its changes from its parent in the panel's markings, its prints
    and the client's approvals of it (as `hybrid session log` lists them)."""
    revisions = session.revisions()
    by_number = {r.number: r for r in revisions}
    printed = prints_by_revision(session)
    approved: dict[int, list[dict[str, str]]] = {}
    for entry in approvals_of(session):
        approved.setdefault(entry.revision, []).append(
            {"by": entry.by, "at": entry.at, "note": entry.note, "print": entry.print_name})
    rows = []
    for r in revisions:
        parent = by_number.get(r.parent) if r.parent else None
        changes = [str(c) for c in diff_revisions(parent, r, catalog.show)] if parent else []
        rows.append({"number": r.number, "created_at": r.created_at, "author": r.author, "note": r.note,
                     "parent": r.parent, "changes": changes, "prints": printed.get(r.number, []),
                     "approvals": approved.get(r.number, [])})
    return rows


def prints_by_revision(session: Session) -> dict[int, list[str]]:
    """Sealed print folders per revision (the names `hybrid session log` lists)."""
    found: dict[int, list[str]] = {}
    for path in prints_of(session.prints_dir):
        found.setdefault(int(path.name[1:5]), []).append(path.name)
    return found


def control(parameter: Parameter) -> dict[str, Any]:
    """One control as the panel has it: a stepped knob, a switch with named positions, or a pot."""
    spec = parameter.spec
    detents = list(parameter.detents) if parameter.detents is not None else None
    named = detents is not None and all(isinstance(d, str) for d in detents)
    kind = "switch" if named else ("stepped" if detents is not None else "pot")
    view: dict[str, Any] = {"name": parameter.name, "label": parameter.label, "unit": parameter.unit,
                            "kind": kind, "default": parameter.default, "neutral": parameter.neutral,
                            "law": spec.law}
    if detents is not None:
        view["detents"] = detents
        view["markings"] = [parameter.marking(d) for d in detents]
    else:  # a continuous pot: 101 positions along its law, which the profile accepts as they are
        view["range"] = list(spec.range or ())
        view["detents"] = [round(parameter.from_fraction(i / 100), 6) for i in range(101)]
        view["markings"] = [parameter.marking(d) for d in view["detents"]]
    return view


def unit_view(name: str, profile: Profile, wire_kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """A unit of the rack: its model, its wire, its controls in panel order and the revision's values;
    a manual unit adds its recall sheet (the rows an operator ticks off as `hybrid recall` prints them)."""
    sheet = None
    if wire_kind == "manual":
        built = RecallSheet.build(name, profile, {p: v for p, v in settings.items() if p in profile.parameters})
        sheet = [{"label": r.label, "parameter": r.parameter, "position": r.position} for r in built.rows]
    return {"sheet": sheet, "name": name, "model": profile.model, "maker": profile.data.maker, "wire": wire_kind,
            "manual": wire_kind == "manual",
            "controls": [control(p) for p in profile.parameters.values()],
            "values": {p: settings.get(p) for p in profile.parameters},
            "markings": {p: profile.parameters[p].marking(v) for p, v in settings.items()
                         if p in profile.parameters}}


def rack(session: Session, catalog: UnitCatalog, revision: int | None = None,
         track_id: str | None = None) -> list[dict[str, Any]]:
    """Every unit in chain order with the settings of a revision (a track's merged ones when named)."""
    chosen = session.revision(revision)
    settings = chosen.settings_for(track_id) if track_id else chosen.units
    wires = {u.name: u.wire.kind for u in catalog.rig.units}
    return [unit_view(name, profile, wires[name], settings.get(name, {}))
            for name, profile in catalog.profiles.items()]


def print_view(session: Session, folder: Path) -> dict[str, Any]:
    """A sealed print: its revision, tracks, the deliverables with their compliance (from report.json)."""
    report_file = folder / "report.json"
    data: dict[str, Any] = {}
    problem = None
    if report_file.is_file():
        try:
            check_sealed(folder, ["report.json"])  # a report.json edited by hand is not shown as the print's
            data = json.loads(report_file.read_text())
        except SessionError as exc:
            problem = str(exc)
        except (OSError, ValueError):
            data = {}
    deliverables = {}
    for target, details in (data.get("deliverables") or {}).items():
        if not isinstance(details, dict):
            continue
        deliverables[target] = {
            "compliance": details.get("compliance", {"errors": [], "warnings": []}),
            "tracks": [{k: t.get(k) for k in ("track_id", "number", "title", "integrated_lufs", "true_peak_dbtp",
                                               "ceiling_dbtp", "max_gain_reduction_db")}
                       for t in details.get("tracks", []) if isinstance(t, dict)],
            "ddp": details.get("ddp"),
        }
    return {"name": folder.name, "revision": int(folder.name[1:5]),
            "tracks": [t.get("track_id") for t in data.get("tracks", []) if isinstance(t, dict)],
            "report": (folder / "report.html").is_file(), "deliverables": deliverables, "problem": problem}


def renders(session: Session) -> list[dict[str, Any]]:
    """What `hybrid render` sealed (DIR/deliverables/rNNNN-KK): per target its compliance, and
    whether it is current (`render_folders`: stale when the session's metadata changed since)."""
    from hybrid.deliver.renders import RENDER_FILE, render_folders, renders_dir

    found = []
    for made in render_folders(session):
        try:
            data = json.loads((renders_dir(session) / made.name / RENDER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        targets = data.get("targets") if isinstance(data, dict) else None
        found.append({**made.to_dict(), "deliverables": {
            t: {"compliance": d.get("compliance", {"errors": [], "warnings": []})}
            for t, d in (targets or {}).items() if isinstance(d, dict)}})
    return found


def session_view(sid: int, session: Session) -> dict[str, Any]:
    """Everything the page draws for one session on load."""
    catalog = catalog_of(session)
    info = session.info
    latest = session.latest()
    return {
        "id": sid, "folder": str(session.folder), "title": info.title, "artist": info.artist,
        "rig": info.rig.name, "targets": list(info.targets), "latest": latest,
        "tracks": [{"position": n, "id": t.id, "title": t.title, "isrc": t.isrc, "source": Path(t.source).name}
                   for n, t in enumerate(info.tracks, 1)],
        "revisions": timeline(session, catalog),
        "rack": rack(session, catalog, latest),
        "prints": [print_view(session, p) for p in prints_of(session.prints_dir)],
        "renders": renders(session),
    }


def find_print(session: Session, name: str) -> Path | None:
    """A sealed print of this session by its folder name, never a path: None for anything else."""
    if not PRINT_NAME.match(name):
        return None
    for path in prints_of(session.prints_dir):
        if path.name == name:
            return path
    return None
