"""The sync engine: pulls pages into the cache and drains the outbox, one run per channel.

Plain threads, no Qt: progress goes out through a callback and a run stops when its
cancel event is set. Rules of docs/sync.md ("Engine rules") are cited by number.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from ..channels.contract import (
    AuthError,
    ChannelClient,
    ChannelError,
    CursorExpired,
    IncidentLog,
    NetworkError,
    OrderedCursors,
    Page,
    PostmortemStore,
    RateLimited,
    TeamPlaybooks,
    TooSlow,
)
from ..domain.push import FIELD_PUSHES
from ..playbooks.files import team_folder
from ..run_deadline import run_deadline
from ..store import channel_state as cs
from ..store import fts
from ..store.ingest import StagedRows, merge_page, prepare_rows
from ..store.problems import cache_failure
from ..store.roster import save_roster
from ..store.store import Store
from ..store.timecodec import to_epoch, utcnow
from .backoff import full_jitter
from .incident_sync import IncidentSync, IncidentSyncReport
from .limits import CursorWatch, RateLimitedUntil, RunClock, SyncLimits, clock_time, duration
from .outbox_push import OutboxPusher
from .playbook_sync import PlaybookSync
from .postmortem_sync import PostmortemSync

log = logging.getLogger("rr_desktop.sync")

_T = TypeVar("_T")
SCOPE = "default"
MAX_PULL_ATTEMPTS = 6
ROSTER_EVERY_S = 6 * 3600
GIL_SWITCH_S = 0.001


def hand_over_the_gil_sooner() -> None:
    """Process-wide, for the app that runs sync (Workspace.open, the GUI): a run overlaps
    a fetching thread (HTTP, parse, validate: Python) with the merging one (SQLite, which
    releases the GIL inside each statement). With CPython's default 5 ms switch interval
    the merging thread waits up to 5 ms for the GIL after every statement; 1 ms recovers
    most of that (ingest benchmark at 50k: 11.8k -> 18k escalations/s initial) and hands
    a GUI thread the interpreter sooner too."""
    sys.setswitchinterval(GIL_SWITCH_S)


def keeps_local_triage(client: ChannelClient) -> bool:
    """A source that receives no field changes (a feed, a spreadsheet, a chat room):
    the triage lives in the cache and survives every re-read of the item."""
    return not client.pushes & FIELD_PUSHES


class Cancelled(Exception):
    """The run's cancel event was set."""


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Reported after every page, push and wait."""

    channel: str
    phase: str  # push | pull | wait | done
    pages: int
    items: int
    pushed: int
    message: str = ""


@dataclass(slots=True)
class SyncReport:
    """The outcome of one run; `changed_ids` lets views redraw just those rows."""

    channel: str
    pages: int = 0
    received: int = 0
    changed: int = 0
    stale: int = 0
    quarantined: int = 0
    pushed: int = 0
    conflicts: int = 0
    dead: int = 0
    resynced: bool = False
    cancelled: bool = False
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # see Page.problem
    rate_limited_until: int | None = None  # epoch s: the run ended waiting for this
    cache_failed: bool = False  # the error is the cache's (disk full, read-only, damaged)
    offline: bool = False  # the source could not be reached (network down, server gone)
    changed_ids: set[int] = field(default_factory=set)
    # Escalations whose queued changes were sent, refused or met a conflict in this run:
    # their fields may be as they were, but what their timeline says of delivery changed.
    delivered_ids: set[int] = field(default_factory=set)
    roster_changed: int = 0
    incidents: IncidentSyncReport | None = None  # the incident logs' part, if carried

    @property
    def reason(self) -> str:
        """Why the run failed, without the channel's name (errors often start with it)."""
        error = self.error or ""
        return error.removeprefix(f"{self.channel}: ")

    def summary(self) -> str:
        if self.error and self.rate_limited_until is not None:
            return f"{self.channel}: not finished: {self.reason}"
        if self.error:
            return f"{self.channel}: {'offline' if self.offline else 'failed'}: {self.reason}"
        parts = [f"{self.received} received", f"{self.changed} changed",
                 f"{self.quarantined} quarantined", f"{self.pushed} pushed"]
        if self.conflicts:
            parts.append(f"{self.conflicts} conflicts")
        if self.dead:
            parts.append(f"{self.dead} refused by the source (see Outbox & sync)")
        state = "cancelled" if self.cancelled else "warning" if self.problems or self.dead \
            else "ok"
        return f"{self.channel}: {state}: " + ", ".join(parts) + "".join(
            f"; {p}" for p in self.problems)


ProgressFn = Callable[[SyncProgress], None]


class SyncEngine:
    """Runs sync for the channels of one Store. Thread-safe: each channel has a lease, so
    a second run of the same channel (thread or process) is refused, not doubled."""

    def __init__(self, store: Store, clients: Mapping[str, ChannelClient],
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 owner: str | None = None, limits: SyncLimits | None = None,
                 data_dir: Path | None = None) -> None:
        """`data_dir`: where the team hub's playbooks are written (playbooks/team/);
        None syncs none."""
        self.store = store
        self.data_dir = data_dir
        self.clients = dict(clients)
        self.clock = clock
        self.rng = rng or random.Random()
        self.owner = owner or cs.lease_owner_id()
        self.limits = limits or SyncLimits()
        self._ids: dict[str, int] = {}
        self._runs = threading.local()  # the RunClock of the run on this thread

    def add_client(self, name: str, client: ChannelClient) -> ChannelClient | None:
        """Add or replace a channel's client while the app runs (a channel was just set
        up or re-imported); returns the client it replaced, for the caller to close once
        no run uses it. Copy-on-write: a run in progress keeps the dict it started with."""
        old = self.clients.get(name)
        self.clients = {**self.clients, name: client}
        self._ids.pop(name, None)
        return old

    def channel_id(self, name: str) -> int:
        if name not in self._ids:
            with self.store.read() as db:
                row = db.execute("SELECT id FROM channel WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise KeyError(f"no channel named {name!r}")
            self._ids[name] = int(row[0])
        return self._ids[name]

    def run_all(self, progress: ProgressFn | None = None,
                cancel: threading.Event | None = None) -> list[SyncReport]:
        """Every channel in turn; one failing channel never stops the others."""
        return [self.run(name, progress, cancel) for name in sorted(self.clients)]

    def run(self, name: str, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> SyncReport:
        cancel = cancel or threading.Event()
        report = SyncReport(name)
        client = self.clients[name]
        try:
            cid = self.channel_id(name)
            with self.store.write() as db:
                if not cs.acquire_lease(db, cid, self.owner, self.clock()):
                    report.error = "a sync of this channel is already running"
                    return report
                cs.record_attempt(db, cid, self.clock())
                cs.set_pushes(db, cid, client.pushes)  # what local changes are queued for
        except sqlite3.Error as exc:  # the cache itself: full disk, read-only, damaged
            report.error = cache_failure(self.store.path, exc)
            report.cache_failed = True
            return report
        self.store.begin_bulk()  # checkpoints by size, see Store.begin_bulk
        run = RunClock(self.limits)
        self._runs.clock = run
        try:
            with run_deadline(run.deadline):
                pusher = OutboxPusher(self, client, cid, report, progress, cancel)
                pusher.drain()
                self._pull_all(client, cid, report, progress, cancel, run)
                pusher.drain()
                self._refresh_roster(client, cid, report)
                if isinstance(client, IncidentLog):
                    report.incidents = IncidentSync(self, client, cid, report, cancel,
                                                    progress).run()
                if isinstance(client, PostmortemStore):
                    PostmortemSync(self, client, cid, report, cancel, progress).run()
                if self.data_dir is not None and isinstance(client, TeamPlaybooks):
                    PlaybookSync(self, client, cid, team_folder(self.data_dir), report,
                                 cancel, progress).run()
            with self.store.write() as db:
                cs.record_success(db, cid, self.clock(), None)
                if report.problems:  # shown as the channel's state until a clean run
                    cs.record_error(db, cid, "; ".join(report.problems), self.clock())
        except Cancelled:
            report.cancelled = True
            self._settle(cid, cs.CANCELLED)
        except RateLimited as exc:  # the run gave up waiting for the server's limit
            report.error = str(exc)
            until = to_epoch(self.clock()) + int(exc.retry_after + 0.999)
            report.rate_limited_until = until
            self._settle(cid, cs.RATE_LIMITED, str(exc), until)
        except RateLimitedUntil as exc:  # a longer wait than a run waits out
            report.error = str(exc)
            report.rate_limited_until = exc.until
            self._settle(cid, cs.RATE_LIMITED, str(exc), exc.until)
        except ChannelError as exc:
            report.error = str(exc)
            report.offline = isinstance(exc, NetworkError) and not isinstance(exc, TooSlow)
            log.warning("sync of %s failed: %s", name, exc)
            self._settle(cid, cs.OFFLINE if report.offline else cs.FAILED, str(exc))
        except sqlite3.Error as exc:  # nothing is lost: the failed page was rolled back
            report.error = cache_failure(self.store.path, exc)
            report.cache_failed = True
            log.info("sync of %s stopped: %s", name, report.error)
            self._settle(cid, cs.FAILED, report.error)
        finally:
            self._runs.clock = None
            self._release(cid)
            self.store.end_bulk()
            if progress:
                progress(SyncProgress(name, "done", report.pages, report.received,
                                      report.pushed, report.summary()))
        return report

    def _settle(self, cid: int, outcome: str, error: str | None = None,
                until: int | None = None) -> None:
        """Record how the run ended. When the cache cannot take even that (a full disk),
        the run's report still says it."""
        try:
            with self.store.write() as db:
                cs.record_outcome(db, cid, outcome, self.clock(), error, until)
        except sqlite3.Error as exc:
            log.info("could not record the end of a sync: %s", exc)

    def _release(self, cid: int) -> None:
        try:
            with self.store.write() as db:
                cs.release_lease(db, cid, self.owner)
        except sqlite3.Error as exc:  # it expires (LEASE_TTL_S), or dies with us
            log.info("could not release the sync lease: %s", exc)

    def _pull_all(self, client: ChannelClient, cid: int, report: SyncReport,
                  progress: ProgressFn | None, cancel: threading.Event,
                  run: RunClock) -> None:
        """Pull until the feed is done. The next page is fetched, parsed, validated and
        staged on a helper thread while this one merges the current page: SQLite releases
        the GIL, so HTTP + parsing overlap the writes (docs/performance.md budget: >= 0.8x of
        the raw merge). Pages still commit strictly in order. A page that says "more"
        without moving its cursor forward is stored under the cursor it was asked with,
        and ends the run (rule 11)."""
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"rr-pull-{report.channel}")
        watch = CursorWatch(report.channel,
                            client if isinstance(client, OrderedCursors) else None)
        try:
            with self.store.read() as db:
                cursor = cs.get_cursor(db, cid, SCOPE)
                # An initial load into an empty cache indexes FTS once at the end.
                defer = fts.is_stale(db) or db.execute(
                    "SELECT NOT EXISTS (SELECT 1 FROM escalation)").fetchone()[0] == 1
            fetch = partial(self._fetch, client, cid=cid, report=report, cancel=cancel,
                            progress=progress, run=run)
            pending = pool.submit(fetch, cursor)
            while True:
                try:
                    page, rows = pending.result()
                except CursorExpired as exc:
                    if report.resynced:
                        raise ChannelError(
                            f"{report.channel}: the server refused the sync cursor again "
                            "right after a full resync from the start, so the sync stopped: "
                            "check the service") from exc
                    log.info("%s: cursor expired, full resync of %s", report.channel, SCOPE)
                    with self.store.write() as db:  # rule 5: the outbox is not touched
                        cs.drop_cursor(db, cid, SCOPE)
                    report.resynced = True
                    cursor = None
                    pending = pool.submit(fetch, cursor)
                    continue
                try:
                    watch.check(cursor, page, report.pages + 1)
                except ChannelError:
                    self._apply(cid, replace(page, next_cursor=cursor), rows, report, defer,
                                keep_local=keeps_local_triage(client))
                    raise
                if not page.done:
                    self.check(cancel)
                    cursor = page.next_cursor
                    pending = pool.submit(fetch, cursor)
                self._apply(cid, page, rows, report, defer, keep_local=keeps_local_triage(client))
                if page.done and defer:
                    with self.store.write() as db:
                        fts.rebuild(db)
                if progress:
                    progress(SyncProgress(report.channel, "pull", report.pages,
                                          report.received, report.pushed))
                if page.done:
                    return
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _refresh_roster(self, client: ChannelClient, cid: int, report: SyncReport) -> None:
        """The source's analysts into the roster (identity choice, assignment picker),
        at most every ROSTER_EVERY_S per channel; a roster that cannot be read is logged,
        never a failed run (the queue matters more)."""
        key = f"roster_at:{cid}"
        now_s = to_epoch(self.clock())
        with self.store.read() as db:
            row = db.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        if row is not None and now_s - int(row[0]) < ROSTER_EVERY_S:
            return
        try:
            analysts = client.analysts()
        except ChannelError as exc:
            log.info("%s: the roster could not be read: %s", report.channel, exc)
            return
        with self.store.write() as db:
            report.roster_changed = save_roster(db, analysts)
            db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                       "DO UPDATE SET value = excluded.value", (key, str(now_s)))

    def _fetch(self, client: ChannelClient, cursor: str | None, *, cid: int,
               report: SyncReport, cancel: threading.Event, progress: ProgressFn | None,
               run: RunClock) -> tuple[Page, StagedRows]:
        self._runs.clock = run  # this helper thread works for that run
        with run_deadline(run.deadline):
            page = self.call(partial(client.pull, cursor), cid, report, cancel, progress)
        return page, prepare_rows(page.items, self.clock())

    def _apply(self, cid: int, page: Page, rows: StagedRows,
               report: SyncReport, defer_fts: bool = False, keep_local: bool = False) -> None:
        """Rule 2: a page's rows and its new cursor commit in one transaction.
        `keep_local`: the source receives no field changes, see merge_page."""
        now = self.clock()
        with self.store.write() as db:
            result = merge_page(db, cid, page.items, page.quarantined, now, rows, defer_fts,
                                                keep_local_triage=keep_local)
            cs.set_cursor(db, cid, SCOPE, page.next_cursor, now)
            cs.renew_lease(db, cid, self.owner, now)
            cs.record_progress(db, cid, page.remote_time)
        report.pages += 1
        report.received += len(page.items)
        report.changed += len(result.changed_ids)
        report.stale += result.stale
        report.quarantined += result.quarantined
        report.changed_ids.update(result.changed_ids)
        if page.problem and page.problem not in report.problems:
            report.problems.append(page.problem)

    def call(self, fn: Callable[[], _T], cid: int, report: SyncReport,
                cancel: threading.Event, progress: ProgressFn | None) -> _T:
        """Call the channel, waiting out rate limits (not counted as failures, rule 10) and
        retrying transient errors with full-jitter backoff."""
        attempt = 0
        run = self._run_clock()
        while True:
            self.check(cancel)
            self.check_time(report.channel)
            try:
                return fn()
            except RateLimited as exc:
                until = to_epoch(self.clock()) + int(exc.retry_after + 0.999)
                with self.store.write() as db:
                    cs.set_rate_limited(db, cid, until)
                if exc.retry_after > self.limits.max_retry_wait_s or \
                        (run is not None and exc.retry_after >= run.left()):
                    raise RateLimitedUntil(
                        f"{report.channel}: rate-limited until {clock_time(until)} (the "
                        f"server asked to wait {duration(exc.retry_after)}); the next sync "
                        "after that continues", until) from exc
                self._wait(exc.retry_after, f"rate limited, waiting {exc.retry_after:.0f} s",
                           report, cancel, progress)
            except AuthError:
                raise
            except ChannelError as exc:
                if run is not None and run.left() <= 0:
                    raise run.out_of_time(report.channel) from exc
                if exc.quarantined is not None and attempt == 0:
                    with self.store.write() as db:
                        merge_page(db, cid, [], [exc.quarantined], self.clock())
                    report.quarantined += 1
                attempt += 1
                if not exc.retryable or attempt >= MAX_PULL_ATTEMPTS:
                    raise
                delay = full_jitter(attempt, self.rng)
                self._wait(delay, f"{exc}; retrying in {delay:.1f} s", report, cancel,
                           progress)

    def _run_clock(self) -> RunClock | None:
        clock: RunClock | None = getattr(self._runs, "clock", None)
        return clock

    def check_time(self, channel: str) -> None:
        """RunOutOfTime once the run on this thread has reached its deadline."""
        run = self._run_clock()
        if run is not None:
            run.check(channel)

    def _wait(self, seconds: float, message: str, report: SyncReport,
              cancel: threading.Event, progress: ProgressFn | None) -> None:
        """Wait `seconds` (cancellable); a wait past the run's deadline ends the run."""
        run = self._run_clock()
        if run is not None and seconds >= run.left():
            raise run.out_of_time(report.channel)
        if progress:
            progress(SyncProgress(report.channel, "wait", report.pages, report.received,
                                  report.pushed, message))
        if cancel.wait(max(seconds, 0.0)):
            raise Cancelled()

    @staticmethod
    def check(cancel: threading.Event) -> None:
        if cancel.is_set():
            raise Cancelled()
