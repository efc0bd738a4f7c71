"""`rr-desktop hub`: run the team hub, and manage who may use it (docs/hub.md).

    rr-desktop hub [--db URL] [--host HOST] [--port PORT]       serve
        [--intake DIR] [--sync-interval S] [--secrets FILE]     ... syncing the team's channels
    rr-desktop hub [--db URL] users add NAME --role ROLE         a new analyst; token shown once
    rr-desktop hub [--db URL] users token NAME                   another token (a second desktop)
    rr-desktop hub [--db URL] users revoke NAME                  every token of theirs stops working
    rr-desktop hub [--db URL] users list

Without --db (or RR_HUB_DB) the hub keeps an embedded SQLite file in the data dir, for
a pilot. Exit codes: 0 done; 1 refused (one sentence on stderr); 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..paths import data_dir
from .schema import ROLES

if TYPE_CHECKING:
    from .store import HubStore

ENV_DB = "RR_HUB_DB"
HUB_DB_NAME = "hub.sqlite3"
INTAKE_DIR_NAME = "intake"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rr-desktop hub", description=__doc__.split("\n")[0])
    p.add_argument("--db", default=os.environ.get(ENV_DB),
                   help=f"postgresql://user@host/db, or sqlite:///path (env {ENV_DB}; "
                   f"default: {HUB_DB_NAME} in the data dir)")
    p.add_argument("--host", default="127.0.0.1", help="listen on this address")
    p.add_argument("--port", type=int, default=8770, help="listen on this port (0: any free)")
    # The intake (docs/hub.md, "Channel sync on the hub"): a desktop data dir whose
    # channels the hub syncs for the team.
    p.add_argument("--intake", metavar="DIR",
                   help=f"the channels' data dir, set up with `rr-desktop --data-dir DIR "
                   f"channels add ...` (default: {INTAKE_DIR_NAME} in the data dir, when it "
                   "holds a cache)")
    p.add_argument("--sync-interval", type=float, default=60.0, metavar="SECONDS",
                   help="seconds between the intake's syncs (default 60)")
    p.add_argument("--secrets", metavar="FILE",
                   help="read the channels' credentials from this file (TOML or JSON, "
                   "channel -> name -> value, mode 0600) instead of the keyring")
    sub = p.add_subparsers(dest="command")
    users = sub.add_parser("users", help="analysts and their tokens")
    usub = users.add_subparsers(dest="action", required=True)
    add = usub.add_parser("add", help="add an analyst and print their token, once")
    add.add_argument("name", help="the analyst's roster id, e.g. mei.tan")
    add.add_argument("--role", choices=ROLES, required=True)
    tok = usub.add_parser("token", help="another token for an analyst (printed once)")
    tok.add_argument("name")
    rev = usub.add_parser("revoke", help="revoke an analyst and every token of theirs")
    rev.add_argument("name")
    usub.add_parser("list", help="analysts, roles and active tokens")
    return p


def default_url(data_dir_override: str | None) -> str:
    return f"sqlite:///{data_dir(data_dir_override) / HUB_DB_NAME}"


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def main(argv: Sequence[str], data_dir_override: str | None = None) -> int:
    args = _parser().parse_args(list(argv))
    url = args.db or default_url(data_dir_override)
    from .store import HubStore, HubStoreError
    from .tokens import TokenError

    try:
        if args.command == "users":
            store = HubStore.open(url)
            try:
                return _users(store, args)
            finally:
                store.close()
        try:
            from .server import serve
        except ImportError as exc:
            raise HubStoreError("Serving needs the hub's extra: pip install "
                                f"'rr-desktop[hub]' ({exc.name} is missing).") from exc
        return serve(url, args.host, args.port, intake=_intake_options(args, data_dir_override))
    except (HubStoreError, TokenError) as exc:
        print(f"rr-desktop hub: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"rr-desktop hub: error: {exc.strerror or exc}"
              + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return 1


def _intake_options(args: argparse.Namespace, override: str | None
                    ) -> tuple[Path, float] | None:
    """Where the intake's cache is and how often it syncs; None: no intake (the default
    dir holds no cache). Selects the secrets file first (secrets.py)."""
    from .. import secrets
    from ..paths import db_path
    from .store import HubStoreError

    if not 1.0 <= args.sync_interval <= 86_400:
        raise HubStoreError("--sync-interval must be between 1 and 86400 seconds.")
    if args.secrets:
        try:
            secrets.use_file(args.secrets)
        except secrets.SecretStoreError as exc:
            raise HubStoreError(str(exc)) from None
    if args.intake:
        return Path(args.intake).expanduser().resolve(), args.sync_interval
    default = data_dir(override) / INTAKE_DIR_NAME
    return (default, args.sync_interval) if db_path(default).exists() else None


def _users(store: HubStore, args: argparse.Namespace) -> int:
    from . import tokens

    if args.action == "list":
        with store.read() as conn:
            rows = tokens.list_analysts(conn)
        if not rows:
            print("No analysts yet: add one with `rr-desktop hub users add NAME --role ...`.")
        for row in rows:
            state = f"revoked {row.revoked_at}" if row.revoked_at else \
                f"{row.active_tokens} active token{'s' if row.active_tokens != 1 else ''}"
            print(f"{row.analyst}\t{row.role}\t{state}")
        return 0
    if args.action == "revoke":
        with store.write() as conn:
            count = tokens.revoke_analyst(conn, args.name)
        print(f"Revoked {args.name} ({count} token{'s' if count != 1 else ''}): "
              "their requests get 401 from now on.")
        return 0
    with store.write() as conn:
        token = tokens.add_analyst(conn, args.name, args.role) if args.action == "add" \
            else tokens.new_token(conn, args.name)
    print(token)
    print(f"This is {args.name}'s token; it is shown only now (the hub keeps a hash). "
          "Add the hub on their desktop as an rr_api channel with it.", file=sys.stderr)
    return 0

