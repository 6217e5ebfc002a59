"""Start-up: a command imports what it uses and no more (the figures are in bench/, not here)."""

from __future__ import annotations

import subprocess
import sys

_HEAVY = ("numpy", "scipy", "numba", "pydantic", "yaml", "soundfile", "matplotlib")


def _modules_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return set(done.stdout.split()) & set(_HEAVY)


def test_a_named_command_builds_only_its_own_parser() -> None:
    # `hybrid analyze` does not load the rig and session models (pydantic, YAML) to start
    assert _modules_after("from hybrid.cli import build_parser; build_parser('analyze')") == set()
    assert _modules_after("from hybrid.cli import build_parser; build_parser('qc')") == set()
    assert _modules_after("from hybrid.cli import build_parser; build_parser('finish')") == set()


def test_a_refused_file_loads_no_dsp_stack() -> None:
    code = ("from hybrid.cli import main\n"
            "assert main(['analyze', '/nonexistent/mix.wav']) == 2\n"
            "assert main(['qc', '/nonexistent/mix.wav']) == 2\n"
            "assert main(['finish', '/nonexistent/mix.wav', '/tmp/out.wav']) == 2\n")
    assert _modules_after(code) <= {"numpy", "soundfile"}  # the reader, not the meters


def test_the_full_parser_still_has_every_command_when_the_word_is_no_module() -> None:
    from hybrid.cli import build_parser

    # "print" is registered by hybrid/cli/printing.py: the fast path finds no module of that name
    commands = build_parser("print")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"print", "analyze", "session"} <= set(commands)
    only = build_parser("analyze")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(only) == {"analyze"}


def test_an_error_line_loads_no_models() -> None:
    # HybridError's messages escape controls (devices.text); the session models' OneLine field type
    # lives there too, built only when a model asks for it
    assert _modules_after("import hybrid.errors, hybrid.cli") == set()
    assert _modules_after("from devices.text import OneLine; print(OneLine)") == {"pydantic"}
