"""Recall sheets: what an operator sets by hand on a unit with no remote control, in its own markings."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from devices.profile import Profile, Value


@dataclass(frozen=True)
class SheetRow:
    """One control: the panel label, the parameter name, and the position as the panel marks it."""

    label: str
    parameter: str
    position: str
    value: Value


@dataclass(frozen=True)
class RecallSheet:
    """A unit's settings as an operator reads them off a sheet, as text and as HTML."""

    unit: str
    model: str
    rows: tuple[SheetRow, ...]
    notes: tuple[str, ...] = field(default=())
    title: str = ""

    @classmethod
    def build(cls, unit: str, profile: Profile, settings: dict[str, Value], notes: list[str] | None = None,
              title: str = "") -> RecallSheet:
        """A sheet for settings already validated against the profile, in the panel's order."""
        rows = tuple(
            SheetRow(p.label, p.name, p.sheet_marking(settings[p.name]), settings[p.name])
            for p in profile.parameters.values() if p.name in settings
        )
        return cls(unit, profile.model, rows, tuple(notes or ()), title)

    def settings(self) -> dict[str, Value]:
        return {row.parameter: row.value for row in self.rows}

    def text(self) -> str:
        head = f"Recall sheet: {self.unit} ({self.model})" + (f", {self.title}" if self.title else "")
        width = max([len(r.label) for r in self.rows] + [7])
        lines = [head, "-" * len(head)]
        lines += [f"  [ ] {r.label:<{width}}  {r.position}" for r in self.rows]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        esc = html.escape
        rows = "\n".join(
            f"<tr><td class=check>&#9744;</td><td>{esc(r.label)}</td><td>{esc(r.position)}</td>"
            f"<td class=param>{esc(r.parameter)}</td></tr>" for r in self.rows)
        notes = "".join(f"<p class=note>{esc(n)}</p>" for n in self.notes)
        title = f"Recall sheet: {esc(self.unit)} ({esc(self.model)})" + (f", {esc(self.title)}" if self.title else "")
        return (
            "<!doctype html>\n<html><head><meta charset=utf-8>"
            f"<title>{title}</title><style>"
            "body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:4px 10px}.param{color:#777;font-size:90%}"
            "</style></head><body>\n"
            f"<h1>{title}</h1>\n<table>\n<tr><th></th><th>Control</th><th>Set to</th><th>Parameter</th></tr>\n"
            f"{rows}\n</table>\n{notes}\n</body></html>\n"
        )

    def __str__(self) -> str:
        return self.text()
