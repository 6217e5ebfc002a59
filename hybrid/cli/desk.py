"""`hybrid desk [DIR...]`: the whole session on one local web page (token in the URL, loopback only)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "desk", help="the session on a local web page: tracks, revisions, the rack, print/verify/render",
        description="Serve the sessions named (default: the current folder if it is a session) on a local "
                    "web page. Prints one URL with a random token and opens it in the browser. Binds "
                    "127.0.0.1 unless --host says otherwise; the token is always required.")
    parser.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="session folders")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; another address exposes the desk "
                             "to that network, still behind the token)")
    parser.add_argument("--no-browser", action="store_true", help="print the URL only; do not open a browser")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.desk.server import Address, serve
    from hybrid.errors import ConfigError
    from hybrid.session import open_session

    if not 0 <= args.port <= 65535:
        raise ConfigError("command line", "--port", args.port, "a TCP port from 0 (any free one) to 65535")
    dirs = list(args.dirs)
    if not dirs and (Path.cwd() / "session.yaml").is_file():
        dirs = [Path.cwd()]
    for folder in dirs:
        open_session(folder)  # a folder that is not a session is one line now, not an error page later

    def ready(address: Address) -> None:
        print(f"hybrid desk: {address.url}", flush=True)
        if not dirs:
            print("hybrid desk: no session given; name session folders: hybrid desk DIR...", file=sys.stderr)
        if not args.no_browser:
            import webbrowser

            webbrowser.open(address.url)

    serve(dirs, host=args.host, port=args.port, ready=ready)
    return 0
