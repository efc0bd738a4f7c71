"""`rr-desktop hub`: run the team hub, and manage who may use it (docs/hub.md).

    rr-desktop hub [--db URL] [--host HOST] [--port PORT]       serve
                   [--log-level LEVEL] [--slow-request-ms MS] [--shutdown-timeout S]
                   [--intake DIR] [--sync-interval S] [--secrets FILE]  (channel sync)
    rr-desktop hub [--db URL] users add NAME --role ROLE         a new analyst; token shown once
    rr-desktop hub [--db URL] users set NAME [--role R] [--full-name N] [--email E]
                   [--languages en,ja] [--markets JP,KR]        the roster entry desktops see
    rr-desktop hub [--db URL] users token NAME                   another token (a second desktop)
    rr-desktop hub [--db URL] users revoke NAME                  every token of theirs stops working
    rr-desktop hub [--db URL] users list
    rr-desktop hub [--db URL] backup --to FILE                   a consistent copy (SQLite)
    rr-desktop hub [--db URL] restore --from FILE                put a backup back (SQLite)

Without --db (or RR_HUB_DB) the hub keeps an embedded SQLite file in the data dir, for
a pilot. Serving logs one JSON object per line on stderr (docs/hub-operations.md).
Exit codes: 0 done; 1 refused (one sentence on stderr); 2 a usage error.
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
from .logs import LEVELS
from .schema import ROLES
from .store import BUSY_TIMEOUT_S

if TYPE_CHECKING:
    from .store import HubStore

ENV_DB = "RR_HUB_DB"
HUB_DB_NAME = "hub.sqlite3"
INTAKE_DIR_NAME = "intake"
# A write queued on SQLite's lock gives up after BUSY_TIMEOUT_S: in-flight requests get
# a little longer than that to answer before a stop cuts them (docs/hub-operations.md).
SHUTDOWN_TIMEOUT_S = int(BUSY_TIMEOUT_S) + 5


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rr-desktop hub", description=__doc__.split("\n")[0])
    p.add_argument("--db", default=os.environ.get(ENV_DB),
                   help=f"postgresql://user@host/db, or sqlite:///path (env {ENV_DB}; "
                   f"default: {HUB_DB_NAME} in the data dir)")
    p.add_argument("--host", default="127.0.0.1", help="listen on this address")
    p.add_argument("--port", type=int, default=8770, help="listen on this port (0: any free)")
    p.add_argument("--log-level", choices=LEVELS, default="info",
                   help="log this level and up (JSON lines on stderr; debug: every request)")
    p.add_argument("--slow-request-ms", type=float, default=1000.0, metavar="MS",
                   help="log a request that takes longer (default 1000)")
    p.add_argument("--shutdown-timeout", type=int, default=SHUTDOWN_TIMEOUT_S, metavar="S",
                   help="on SIGTERM/SIGINT, let requests in flight answer for this long "
                   f"(default {SHUTDOWN_TIMEOUT_S})")
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
    setp = usub.add_parser("set", help="change an analyst's role or roster entry")
    setp.add_argument("name")
    setp.add_argument("--role", choices=ROLES)
    for parser in (add, setp):  # the roster entry served at /v1/analysts
        parser.add_argument("--full-name", help="as the roster shows it, e.g. 'Mei Tan'")
        parser.add_argument("--email")
        parser.add_argument("--languages", help="comma-separated, e.g. en,zh")
        parser.add_argument("--markets", help="comma-separated, e.g. SG,MY")
    tok = usub.add_parser("token", help="another token for an analyst (printed once)")
    tok.add_argument("name")
    rev = usub.add_parser("revoke", help="revoke an analyst and every token of theirs")
    rev.add_argument("name")
    usub.add_parser("list", help="analysts, roles and active tokens")
    back = sub.add_parser("backup", help="copy the SQLite database, consistently, "
                          "while the hub runs (PostgreSQL: pg_dump)")
    back.add_argument("--to", required=True, type=Path, metavar="FILE",
                      help="the new backup file (never overwritten)")
    rest = sub.add_parser("restore", help="replace the SQLite database with a backup "
                          "(the hub stopped; the replaced one is kept)")
    rest.add_argument("--from", dest="source", required=True, type=Path, metavar="FILE")
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
        if args.command in ("backup", "restore"):
            return _backup_or_restore(url, args)
        try:
            from .server import serve
        except ImportError as exc:
            raise HubStoreError("Serving needs the hub's extra: pip install "
                                f"'rr-desktop[hub]' ({exc.name} is missing).") from exc
        return serve(url, args.host, args.port, log_level=args.log_level,
                     slow_ms=args.slow_request_ms, shutdown_timeout=args.shutdown_timeout,
                     intake=_intake_options(args, data_dir_override))
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
    profile = _profile(args)
    if args.action == "set":
        if not profile and args.role is None:
            print("Nothing to change: give --role, --full-name, --email, --languages or "
                  "--markets.", file=sys.stderr)
            return 1
        with store.write() as conn:
            tokens.set_profile(conn, args.name, profile, args.role)
        print(f"Updated {args.name}; desktops see it at their next roster refresh.")
        return 0
    with store.write() as conn:
        token = tokens.add_analyst(conn, args.name, args.role) if args.action == "add" \
            else tokens.new_token(conn, args.name)
        if profile:
            tokens.set_profile(conn, args.name, profile)
    print(token)
    print(f"This is {args.name}'s token; it is shown only now (the hub keeps a hash). "
          "Add the hub on their desktop as an rr_api channel with it.", file=sys.stderr)
    return 0


def _profile(args: argparse.Namespace) -> dict[str, object]:
    """The roster fields given on the command line."""
    out: dict[str, object] = {}
    if getattr(args, "full_name", None):
        out["name"] = args.full_name.strip()
    if getattr(args, "email", None):
        out["email"] = args.email.strip()
    for field in ("languages", "markets"):
        raw = getattr(args, field, None)
        if raw:
            out[field] = [part.strip() for part in raw.split(",") if part.strip()]
    return out


def _backup_or_restore(url: str, args: argparse.Namespace) -> int:
    from . import backup

    if args.command == "backup":
        got = backup.backup(url, args.to)
        print(f"Backed up the hub to {args.to.absolute()} (revision {got.revision}, "
              f"{got.analysts} analyst{'s' if got.analysts != 1 else ''}, "
              f"changes feed at {got.feed_seq}).")
        return 0
    restored, kept = backup.restore(url, args.source)
    where = shown_url(url)
    print(f"Restored {args.source.absolute()} into {where} (revision {restored.revision}, "
          f"changes feed at {restored.feed_seq})"
          + (f"; the database it replaced is kept as {kept}." if kept else ".")
          + " Start the hub again.")
    return 0
