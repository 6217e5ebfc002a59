"""Hardware libraries are imported only inside the functions that use a real wire or interface, and
the CLI starts without them. (The layers themselves, dsp <- devices <- calibration <- hybrid, are
import-linter contracts in pyproject.toml, checked by `lint-imports` in .ci/run.)"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["dsp", "devices", "calibration", "hybrid"]
HARDWARE = {"sounddevice", "rtmidi", "jack"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at_top_level) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_hardware_libraries_are_imported_lazily(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module} at module level"
        for path in _sources(package)
        for module, top in _imports(path)
        if top and module.split(".")[0] in HARDWARE
    ]
    assert offenders == []


def test_the_cli_starts_without_hardware_libraries() -> None:
    # Every command module is imported to build the parser: none may pull in PortAudio or rtmidi.
    code = (
        "import sys\n"
        "from hybrid.cli import build_parser\n"
        "build_parser()\n"
        "bad = sorted(m for m in ('sounddevice', 'rtmidi', 'jack') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
