"""The `hybrid` command: one sub-command per module in this package, errors as one clear line."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from hybrid import __version__
from hybrid.errors import HybridError


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every module of hybrid.cli that has register(subparsers) adds its commands."""
    parser = argparse.ArgumentParser(
        prog="hybrid",
        description="Hybrid analog mastering: recall the gear, print through it, finish, deliver.",
    )
    parser.add_argument("--version", action="version", version=f"hybrid {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and the wire traffic log")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; HybridError becomes one line on stderr and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        status = args.func(args)
    except HybridError as exc:
        if args.debug:
            raise
        print(f"hybrid: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("hybrid: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`hybrid ... --json | head`): not an error of ours; keep
        # Python from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
