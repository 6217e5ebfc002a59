"""Rig files: read strictly, one line per problem, profiles found beside the rig."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from devices.errors import ConfigError
from devices.rig import default_rig_path, load_rig


def _embedded() -> dict:
    return yaml.safe_load(default_rig_path().read_text())


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_embedded_rig_is_found_by_none_or_by_name() -> None:
    assert load_rig(None) == load_rig("sim-studio")
    assert load_rig(None).name == "sim-studio"


@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        (lambda d: d["interface"].update(bogus=1), "interface.bogus", "allowed keys: backend"),
        (lambda d: d["interface"].update(latency_samples="abc"), "interface.latency_samples", "valid number"),
        (lambda d: d["interface"].update(latency_samples=-1), "interface.latency_samples", "greater than or equal to 0"),
        (lambda d: d["interface"].update(gain_error_db=[0.1]), "interface.gain_error_db", "one value per return channel"),
        (lambda d: d["interface"].update(send_channels=[3, 9]), "interface.send_channels", "numbered 1 to 8"),
        (lambda d: d["interface"].update(sample_rate=12345), "interface.sample_rate", "44100, 48000"),
        (lambda d: d["units"][0]["wire"].update(port=70000), "units[0].wire.port", "less than or equal to 65535"),
        (lambda d: d["units"][1]["wire"].update(kind="pigeon"), "units[1].wire.kind", "'osc', 'serial'"),
        (lambda d: d["units"][1]["wire"].update(parity="sometimes"), "units[1].wire.parity", "'none', 'even' or 'odd'"),
        (lambda d: d["units"].append(copy.deepcopy(d["units"][0])), "units", "used twice"),
        (lambda d: d.update(spec=9), "spec", "reads spec 1 or older"),
        (lambda d: d.update(unitz=[]), "unitz", "allowed keys: spec, name"),
    ],
)
def test_each_bad_value_is_one_line_naming_file_field_value_and_what_is_allowed(
    tmp_path: Path, change, field: str, allowed: str
) -> None:
    data = _embedded()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_rig(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}: ")
    assert allowed in message


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rig.yaml"
    path.write_text("name: x\ninterface: [1, 2\n")
    with pytest.raises(ConfigError, match=r"rig.yaml: line \d+, column \d+: .*valid YAML"):
        load_rig(path)


def test_a_profile_path_is_found_beside_the_rig_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio = tmp_path / "studio"
    (studio / "profiles").mkdir(parents=True)
    data = _embedded()
    data["units"][0]["profile"] = "profiles/my-eq.yaml"
    rig_path = _write(studio, data)
    monkeypatch.chdir(tmp_path)
    rig = load_rig(rig_path)
    assert rig.units[0].profile == str((studio / "profiles" / "my-eq.yaml").resolve())
    assert rig.units[1].profile == "vca-bus-comp"  # a shipped name stays a name
