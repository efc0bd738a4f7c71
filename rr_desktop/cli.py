"""`rr-desktop`: the GUI by default, subcommands for headless work.

    rr-desktop [--data-dir D] [--no-demo]          the app (demo channel on by default)
    rr-desktop sync [--once] [--channel N] [--demo] sync headless, a summary per channel
    rr-desktop channels list|add|remove             configure channels (secrets -> keyring)
    rr-desktop demo-server [--port P] [--live S]    the reference escalation service
    rr-desktop query "SELECT ..." [--format csv|xlsx] [-o FILE]   read-only SQL on the cache

Errors are one clear line on stderr and a non-zero exit, never a traceback: 1 for a
failed sync or a problem to fix (configuration, a damaged cache), 2 for a usage error,
74 when the cache cannot be written or read (disk full, read-only data dir, I/O error;
nothing is lost, run again once the cause is gone).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import __version__, query_cli, secrets
from .channels.contract import ChannelError
from .paths import ENV_DATA_DIR, data_dir
from .store.migrate import SchemaTooNew
from .store.problems import StoreUnavailable, cache_failure, unavailable
from .store.store import CorruptDatabase

if TYPE_CHECKING:
    from .store.store import Store
    from .sync.limits import SyncLimits
    from .workspace import Workspace

log = logging.getLogger("rr_desktop")

EXIT_ERROR = 1
EXIT_STORAGE = 74  # sysexits EX_IOERR: the cache could not be written or read


class UserError(Exception):
    """Something the user can fix; printed as one line."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rr-desktop", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"rr-desktop {__version__}")
    p.add_argument("--data-dir", help=f"where the cache lives (env {ENV_DATA_DIR})")
    p.add_argument("--demo", dest="demo", action="store_true", default=None,
                   help="use the embedded demo channel (default for the GUI)")
    p.add_argument("--no-demo", dest="demo", action="store_false")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("sync", help="sync channels headless")
    s.add_argument("--once", action="store_true", help="one run per channel, then exit")
    s.add_argument("--channel", help="only this channel")
    s.add_argument("--interval", type=float, default=60.0, help="seconds between runs")
    s.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="end a channel's run after this long, keeping what arrived "
                   "(default 900)")
    s.add_argument("--max-wait", type=float, default=None, metavar="SECONDS",
                   help="the longest rate-limit wait (Retry-After) sat out within a run; "
                   "past it the run ends 'rate-limited until HH:MM' (default 180)")
    s.add_argument("--demo", dest="demo", action="store_true", default=None)
    s.add_argument("--demo-count", type=int, default=3000, help=argparse.SUPPRESS)

    c = sub.add_parser("channels", help="list, add or remove channels")
    csub = c.add_subparsers(dest="action", required=True)
    csub.add_parser("list", help="configured channels and their sync state")
    add = csub.add_parser(
        "add", help="add a channel; secrets are read from stdin, one line each",
        description="Settings are given with --set NAME=VALUE (see `channels kinds`); "
        "each secret field is read from standard input, one line per secret, in the order "
        "`channels kinds` lists them, and stored in the system keyring.")
    add.add_argument("kind")
    add.add_argument("name")
    add.add_argument("--url", help="shorthand for --set base_url=URL")
    add.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    add.add_argument("--test", action="store_true",
                     help="test the connection before saving; save only if it works")
    csub.add_parser("kinds", help="channel kinds and their settings")
    rm = csub.add_parser("remove", help="remove a channel, its cache and its secret")
    rm.add_argument("name")

    d = sub.add_parser("demo-server", help="run the reference escalation service")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8765)
    d.add_argument("--token", default=os.environ.get("RR_DEMO_TOKEN"),
                   help="bearer token (env RR_DEMO_TOKEN; generated if absent)")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--count", type=int, default=3000)
    d.add_argument("--fresh", type=int, default=0, metavar="N",
                   help="the newest N escalations just arrived, untouched, at any hour")
    d.add_argument("--live", type=float, default=None, metavar="SECONDS",
                   help="keep adding and changing escalations every SECONDS")
    f = d.add_argument_group(
        "fault injection", "misbehave like real servers do, to reproduce problems by hand")
    f.add_argument("--fault", action="append", default=[], metavar="KIND[:KEY=VALUE,...]",
                   help="a scripted fault, repeatable; KIND is one of latency, 429, 5xx, "
                   "drop, drop_before, drip, truncate, gzip_bomb, redirect, gone, "
                   "cursor_same, cursor_back, cursor_empty; KEYs: count (default: every "
                   "matching request), method, path (prefix), seconds, retry_after, status, "
                   "bytes_per_s, size_mb, host. E.g. 429:retry_after=86400 or "
                   "truncate:method=PATCH,count=1")
    for flag, what in (("error-rate", "answer 500/502/503"),
                       ("rate-limit-rate", "answer 429 with --retry-after"),
                       ("drop-rate", "apply, then close without answering"),
                       ("drop-before-rate", "close without applying"),
                       ("latency-rate", "wait --latency seconds first")):
        f.add_argument(f"--{flag}", type=float, default=0.0, metavar="P",
                       help=f"{what} for this share (0..1) of requests, at random")
    f.add_argument("--latency", type=float, default=0.2, metavar="SECONDS")
    f.add_argument("--retry-after", type=int, default=1, metavar="SECONDS",
                   help="the Retry-After of random 429s")
    f.add_argument("--fault-seed", type=int, default=0, help="seed of the random faults")
    f.add_argument("--hostile", default="", metavar="KIND,...",
                   help="hostile data: bigint, surrogate, deep, bom (on the feed's first "
                   "page), ids (records whose ids hold / ? # %% ..)")
    query_cli.add_parser(sub)
    # The team hub has its own parser (rr_desktop/hub/cli.py, imported only when used):
    # everything after `hub` goes to it as is.
    hub = sub.add_parser("hub", help="run the team hub, manage its analysts (docs/hub.md)",
                         add_help=False, prefix_chars="\x00")
    hub.add_argument("hub_args", nargs="*")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        if args.command == "sync":
            return _cmd_sync(args)
        if args.command == "channels":
            return _cmd_channels(args)
        if args.command == "demo-server":
            return _cmd_demo_server(args)
        if args.command == "query":
            return query_cli.run(args)
        if args.command == "hub":
            from .hub.cli import main as hub_main

            return hub_main(args.hub_args, args.data_dir)
        return _cmd_gui(args)
    except (UserError, SchemaTooNew, CorruptDatabase, secrets.SecretStoreError,
            ChannelError) as exc:
        print(f"rr-desktop: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except StoreUnavailable as exc:
        print(f"rr-desktop: error: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except sqlite3.Error as exc:  # the cache failed outside a sync run (opening a channel)
        from .paths import db_path

        path = db_path(data_dir(args.data_dir))
        print(f"rr-desktop: error: {cache_failure(path, exc)}", file=sys.stderr)
        return EXIT_STORAGE if unavailable(path, exc) else EXIT_ERROR
    except OSError as exc:
        print(f"rr-desktop: error: {exc.strerror or exc}"
              + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _open(args: argparse.Namespace, demo_default: bool, live: float | None = None,
          count: int = 3000, check: bool = True) -> Workspace:
    from .workspace import Workspace

    demo = demo_default if args.demo is None else args.demo
    return Workspace.open(data_dir(args.data_dir), demo=demo, demo_live=live,
                          demo_count=count, check=check)


def _cmd_gui(args: argparse.Namespace) -> int:
    # Before anything starts: without a display Qt would abort the process (gui/display).
    from .gui.display import display_problem

    problem = display_problem()
    if problem is not None:
        raise UserError(problem)
    # The full integrity check runs after the first paint (MainWindow.check_cache).
    ws = _open(args, demo_default=True, live=5.0, check=False)
    try:
        from .gui.app import run_gui

        return run_gui(ws, sys.argv[:1])
    finally:
        ws.close()


def _sync_limits(args: argparse.Namespace) -> SyncLimits:
    from .sync.limits import SyncLimits

    limits = SyncLimits()
    for name, value in (("time limit", args.time_limit), ("max wait", args.max_wait)):
        if value is not None and not 0 < value <= 7 * 86_400:
            raise UserError(f"the {name} must be a number of seconds between 0 and 604800")
    return SyncLimits(args.time_limit or limits.run_deadline_s,
                      args.max_wait or limits.max_retry_wait_s)


def _cmd_sync(args: argparse.Namespace) -> int:
    limits = _sync_limits(args)
    ws = _open(args, demo_default=False, count=args.demo_count)
    ws.engine.limits = limits
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        names = sorted(ws.engine.clients)
        if args.channel:
            if args.channel not in ws.engine.clients:
                raise UserError(ws.setup_errors.get(args.channel)
                                or f"no channel named {args.channel!r}")
            names = [args.channel]
        if not names:
            raise UserError("no channels configured; add one with `rr-desktop channels add` "
                            "or use --demo")
        for name, error in ws.setup_errors.items():
            print(f"{name}: not synced: {error}")
        failed = cache_failed = False
        while True:
            for name in names:
                report = ws.engine.run(name, cancel=stop)
                print(report.summary(), flush=True)
                # A change the source refused for good is a failure too: the analyst must
                # see it (channels list, the window's Outbox & sync view).
                failed = failed or report.error is not None or report.dead > 0
                cache_failed = cache_failed or report.cache_failed
            if args.once or stop.wait(args.interval):
                break
        return EXIT_STORAGE if cache_failed else EXIT_ERROR if failed else 0
    finally:
        ws.close()


def _cmd_channels(args: argparse.Namespace) -> int:
    from .paths import db_path
    from .store import channel_state as cs
    from .store.store import Store
    from .store.timecodec import utcnow

    path = db_path(data_dir(args.data_dir))
    try:
        store = Store.open(path)
    except StoreUnavailable as exc:
        if args.action != "list" or exc.cause != "unwritable" or not path.exists():
            raise
        store = Store.open_read_only(path)  # listing needs no write
        print("rr-desktop: note: the data dir cannot be written; listing the cache as it "
              "is", file=sys.stderr)
    try:
        if args.action == "list":
            now = utcnow()
            with store.read() as db:
                statuses = cs.channel_statuses(db, now)
            if not statuses:
                print("no channels configured")
            for st in statuses:
                state = st.state(int(now.timestamp()))
                print(f"{st.name}\t{st.kind}\t{state}\tqueued={st.queued_ops}"
                      f"\tconflicts={st.conflicts}\tquarantined={st.quarantined}")
            return 0
        if args.action == "kinds":
            _print_kinds()
            return 0
        if args.action == "add":
            return _add_channel(args, store)
        with store.write() as db:
            removed_channels = cs.list_channels(db)
            removed = cs.remove_channel(db, args.name)
        if not removed:
            raise UserError(f"no channel named {args.name!r}")
        from .channels import registry

        kind = next((c.kind for c in removed_channels if c.name == args.name), None)
        if kind is not None and kind in registry.kinds():
            for f in registry.spec(kind).secret_fields():
                secrets.delete_secret(args.name, f.name)
        print(f"removed channel {args.name}")
        return 0
    finally:
        store.close()


def _print_kinds() -> None:
    from .channels import registry

    for kind in registry.kinds():
        spec = registry.spec(kind)
        print(f"{kind}\t{spec.label}")
        for f in spec.fields:
            what = "secret, read from stdin" if f.secret else (
                "required" if f.required else f"optional, default {f.default!r}")
            print(f"    {f.name}\t{f.label} ({what}){': ' + f.help if f.help else ''}")


def _add_channel(args: argparse.Namespace, store: Store) -> int:
    from . import channel_setup as setup

    try:
        values = setup.parse_assignments(args.kind, args.set)
        if args.url:
            values.setdefault("base_url", args.url)
        draft = setup.new_draft(args.kind, args.name, values)
        problems = draft.config_problems()
        if problems:  # before asking for secrets
            raise UserError("; ".join(problems))
        draft = draft.with_secrets({f.name: _read_secret(f.label, f.required)
                                    for f in draft.spec.secret_fields()})
        if args.test:
            verdict = setup.check_connection(draft)
            if not verdict.ok:
                raise UserError(verdict.message)
            print(verdict.message)
        setup.save(store, draft)
    except setup.SetupError as exc:
        raise UserError(str(exc)) from None
    stored = f" and its secrets kept in {secrets.where()}" if draft.secret_values else ""
    print(f"added channel {draft.name} ({draft.kind}){stored}")
    return 0


def _read_secret(what: str, required: bool = True) -> str:
    tty = sys.stdin.isatty()
    value = getpass.getpass(f"{what}: ") if tty else sys.stdin.readline().strip()
    if not value and required:
        raise UserError(f"no {what} given on standard input")
    return value


def _cmd_demo_server(args: argparse.Namespace) -> int:
    import secrets as pysecrets

    from .demo import serve
    from .demo.faults import FaultInjector, parse_fault
    from .demo.hostile import parse_hostile

    rates = {"rate_5xx": args.error_rate, "rate_429": args.rate_limit_rate,
             "rate_drop": args.drop_rate, "rate_drop_before": args.drop_before_rate,
             "rate_latency": args.latency_rate, "latency_s": args.latency,
             "retry_after": args.retry_after}
    check = FaultInjector()  # refuse a bad flag before generating any data
    try:
        faults = [parse_fault(spec) for spec in args.fault]
        for fault in faults:
            check.add(**fault)
        check.set_random(args.fault_seed, **rates)
        hostile = parse_hostile(args.hostile)
    except (ValueError, TypeError) as exc:
        raise UserError(f"demo-server: {exc}") from None
    token = args.token or pysecrets.token_urlsafe(24)
    serve(args.host, args.port, token, args.seed, args.count, args.live, faults=faults,
          rates={"seed": args.fault_seed, **rates} if any(
              v for k, v in rates.items() if k.startswith("rate_")) else None,
          hostile=hostile, fresh=args.fresh)
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
