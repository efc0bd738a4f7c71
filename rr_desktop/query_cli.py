"""`rr-desktop query "SELECT ..." [--format csv|xlsx] [-o FILE]`: the SQL console headless
(docs/sql-console.md). Read-only like the console; every row is written (no grid cap).

CSV goes to standard output without -o (no byte-order mark there), XLSX needs a file.
Exit codes: 0 written; 1 the query was refused, failed or ran too long, or the file could
not be written; 2 a usage error; 74 the cache could not be read; 130 interrupted (Ctrl+C
stops the query at once).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from .paths import data_dir, db_path

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_parser(sub: Any) -> None:
    q = sub.add_parser(
        "query", help="run a read-only SQL query on the cache; CSV or XLSX out",
        description="Run one read-only query on the local cache (the console's views "
        "v_escalations, v_incidents, v_sla, v_timeline are there too) and write every row "
        "as CSV (standard output, or -o FILE) or XLSX (-o FILE).")
    q.add_argument("sql", help='the query, e.g. "SELECT * FROM v_sla WHERE breached = \'yes\'"')
    q.add_argument("--format", choices=("csv", "xlsx"), default=None,
                   help="default: from the -o file's suffix, else csv")
    q.add_argument("-o", "--output", metavar="FILE", help="write here (atomically)")
    q.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="stop a query running longer than this (default 300; 0: no limit)")


def run(args: argparse.Namespace) -> int:
    """The `query` command; its own errors are printed here as one line."""
    from .query import QueryError, QuerySession
    from .tabular_export import ExportError, format_for, write_csv, write_table

    out = Path(args.output).expanduser() if args.output else None
    try:
        fmt = args.format or (format_for(out) if out is not None else "csv")
    except ExportError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if fmt == "xlsx" and out is None:
        return _fail("XLSX needs a file: add -o FILE.xlsx", EXIT_USAGE)
    if args.timeout < 0:
        return _fail("the timeout must be 0 (no limit) or a number of seconds", EXIT_USAGE)
    path = db_path(data_dir(args.data_dir))
    _bring_up_to_date(path)
    try:
        session = QuerySession.open(path, timeout_s=args.timeout or None)
    except QueryError as exc:
        return _fail(str(exc), 1 if not path.exists() else 74)
    previous = signal.signal(signal.SIGINT, lambda *_: session.cancel())
    try:
        columns, rows = session.stream(args.sql)
        if out is None:
            try:
                write_csv(sys.stdout, columns, rows)
                sys.stdout.flush()
            except BrokenPipeError:  # `| head`: the reader had enough
                sys.stdout = open("/dev/null", "w")  # noqa: SIM115 (no flush error at exit)
            return 0
        count = write_table(out, columns, rows, fmt, sheet="Query")
        print(f"{count:,} row{'s' if count != 1 else ''} written to {out}", file=sys.stderr)
        return 0
    except QueryError as exc:
        return _fail(str(exc), EXIT_INTERRUPTED if exc.kind == "cancelled" else 1)
    finally:
        signal.signal(signal.SIGINT, previous)
        session.close()


def _bring_up_to_date(path: Path) -> None:
    """A cache an older release left is migrated first, as every command does (the
    views read this build's schema); a cache in a folder that cannot be written is only
    checked. Errors propagate to cli.main, which prints them as one line."""
    if not path.exists():
        return
    from .store.problems import StoreUnavailable
    from .store.store import Store

    try:
        Store.open(path, check=False).close()
    except StoreUnavailable as exc:
        if exc.cause != "unwritable":
            raise
        Store.open_read_only(path).close()


def _fail(message: str, code: int) -> int:
    print(f"rr-desktop: error: {message}", file=sys.stderr)
    return code
