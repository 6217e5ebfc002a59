"""Recall sheets: every control in the panel's order and markings, as text and as well-formed HTML."""

from __future__ import annotations

from html.parser import HTMLParser

from devices.profile import load_profile
from devices.recall_sheet import RecallSheet

PULTEC = load_profile("passive-eq-manual")
SETTINGS = {"low_freq_hz": 100.0, "low_boost": 6.0, "low_atten": 2.0, "high_freq_hz": 12000.0, "high_boost": 3.0,
            "bandwidth": 10.0, "atten_freq_hz": 5000.0, "high_atten": 0.0}


def test_the_text_sheet_names_each_control_as_the_panel_marks_it() -> None:
    sheet = RecallSheet.build("pultec", PULTEC, SETTINGS, ["client asked for a touch more air"], title="revision 3")
    assert sheet.text() == (
        "Recall sheet: pultec (Passive program EQ), revision 3\n"
        "-----------------------------------------------------\n"
        "  [ ] LOW FREQUENCY CPS   100 Hz\n"
        "  [ ] LOW BOOST           step 7 of 11 (6)\n"
        "  [ ] LOW ATTEN           step 3 of 11 (2)\n"
        "  [ ] HIGH FREQUENCY KCS  12 kHz\n"
        "  [ ] HIGH BOOST          step 4 of 11 (3)\n"
        "  [ ] BANDWIDTH           step 10 of 10 (10)\n"
        "  [ ] ATTEN SEL KCS       5 kHz\n"
        "  [ ] HIGH ATTEN          step 1 of 11 (0)\n"
        "  note: client asked for a touch more air\n")
    assert sheet.settings() == SETTINGS


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.open: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in ("meta",):
            self.open.append(tag)
        self._in_cell = tag == "td"

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self._in_cell and data.strip():
            self.cells.append(data.strip())


def test_the_html_sheet_is_well_formed_and_escapes_what_it_shows() -> None:
    sheet = RecallSheet.build("pultec", PULTEC, SETTINGS, ["<b>loud</b> & clear"])
    parser = _Cells()
    parser.feed(sheet.html())
    assert parser.open == []
    assert "LOW BOOST" in parser.cells and "step 7 of 11 (6)" in parser.cells and "12 kHz" in parser.cells
    assert "&lt;b&gt;loud&lt;/b&gt; &amp; clear" in sheet.html()
