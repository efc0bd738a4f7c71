"""``python -m rr_desktop.demo``: run the demo escalation service until Ctrl+C."""

from __future__ import annotations

import argparse
import secrets

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rr_desktop.demo",
                                     description="Run the RR demo escalation service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=None,
                        help="bearer token clients must send (default: a random one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--live", type=float, default=None, metavar="SECONDS",
                        help="create and change escalations every SECONDS")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.token or secrets.token_urlsafe(16), args.seed,
          args.count, args.live)


if __name__ == "__main__":
    main()
