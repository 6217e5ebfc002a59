"""docs/PROFILES.md stays true: its worked examples lint clean, and its test rig reads its serial unit back."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml

from devices.profile_lint import lint
from devices.rig import load_rig
from devices.station import open_station

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROFILES.md"


def _yaml_blocks() -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)]


def _profiles() -> dict[str, str]:
    """The worked examples by model name."""
    return {yaml.safe_load(b)["model"]: b for b in _yaml_blocks() if b.startswith("spec: 1\nmodel:")}


def test_every_worked_example_lints_clean(tmp_path: Path) -> None:
    examples = _profiles()
    assert len(examples) == 5  # MIDI CC, SysEx, ASCII serial, binary serial, manual
    for index, (model, text) in enumerate(examples.items()):
        path = tmp_path / f"example-{index}.yaml"
        path.write_text(text, encoding="utf-8")
        assert [f.line() for f in lint(path)] == [], model


def test_the_test_rig_of_the_page_reads_the_serial_example_back_from_its_twin(tmp_path: Path) -> None:
    (tmp_path / "my-unit.yaml").write_text(_profiles()["Example serial compressor"], encoding="utf-8")
    rig_text = next(b for b in _yaml_blocks() if b.startswith("# my-rig.yaml"))
    (tmp_path / "my-rig.yaml").write_text(rig_text, encoding="utf-8")
    with open_station(load_rig(tmp_path / "my-rig.yaml"), audio=False) as station:
        unit = station.units["myeq"]
        station.recall({"myeq": {"ratio": 4, "release_s": "auto", "threshold_db": -12.5}})
        assert unit.read() == {"threshold_db": -12.5, "ratio": 4.0, "release_s": "auto"}
