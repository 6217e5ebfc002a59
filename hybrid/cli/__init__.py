"""The `hybrid` command: one sub-command per module in this package, errors as one clear line."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from hybrid import __version__, interrupts
from hybrid.errors import HybridError


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser: every module of hybrid.cli that has register(subparsers) adds its commands.

    Given the command the user typed, and a module of that name that registers it, only that
    module is imported: `hybrid analyze` need not load the rig and session models to start."""
    parser = argparse.ArgumentParser(
        prog="hybrid",
        description="Hybrid analog mastering: recall the gear, print through it, finish, deliver.",
    )
    parser.add_argument("--version", action="version", version=f"hybrid {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and the wire traffic log")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    if command in names and _register(subparsers, command) and command in subparsers.choices:
        return parser
    for name in names:
        if name != command:
            _register(subparsers, name)
    return parser


def _register(subparsers: argparse._SubParsersAction, name: str) -> bool:
    register = getattr(importlib.import_module(f"{__name__}.{name}"), "register", None)
    if register is not None:
        register(subparsers)
    return register is not None


def _command(argv: Sequence[str]) -> str | None:
    """The first word that is not an option (the sub-command, if the user typed one)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; HybridError becomes one line on stderr and exit status 2."""
    from hybrid.cli.terminal import guarded

    with guarded():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(words))
    args = parser.parse_args(words)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        with interrupts.deferred():  # Ctrl-C and SIGTERM act between steps only (hybrid/interrupts.py)
            try:
                interrupts.checkpoint()  # a signal during start-up stops the command before it begins
                status = args.func(args)
            except HybridError:
                raise
            except Exception as exc:
                refusal = _write_refusal(exc)
                if refusal is not None:  # a write the system refused where no closer code named it
                    raise refusal from None
                if interrupts.pending() is None:
                    raise
                # a signal forced through (the third) broke a step mid-way: that is the interrupt
                raise interrupts.Interrupted(interrupts.pending() or "SIGINT", forced=True) from None
            late = interrupts.pending()
            interrupts.clear()
    except HybridError as exc:
        if args.debug:
            raise
        print(f"hybrid: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:
        interrupts.clear()
        name = exc.signal_name if isinstance(exc, interrupts.Interrupted) else "SIGINT"
        print(f"hybrid: interrupted ({name}); nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`hybrid ... --json | head`): not an error of ours; keep
        # Python from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    if late is not None:  # the stop came after the last step: the result is whole, and kept
        print(f"hybrid: interrupted ({late}) as the command finished; what it wrote is complete and kept",
              file=sys.stderr)
        return 130
    return int(status or 0)


def _write_refusal(exc: Exception) -> HybridError | None:
    """A full disk, a read-only folder or a file size limit met by any command: one line naming the
    file (where the error knows it) instead of a traceback."""
    import errno

    from devices.paths import write_refusal

    # only the refusals that can come from a write alone: a permission error here may be a read
    if not isinstance(exc, OSError) or exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS):
        return None
    return write_refusal(exc, exc.filename or "a file")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
