"""The incident logs' part of a sync run (docs/incidents.md, docs/sync.md).

After a channel's escalations, a channel that carries incident logs (the `IncidentLog`
ability of the rr_api channel) pushes this cache's pending incident events in the order
they were made, then pulls the service's events after its cursor. One channel is the
incidents' home: the first that can carry them claims it (store_meta `incidents.channel`),
so two services never split one incident's log.

Failures follow the escalation rules: network trouble and server errors leave events
pending for the next run (the service answers a repeated uid with the stored event, so a
retry after an ambiguous failure never doubles an event); a refusal (422/409) sets the
event aside as rejected, visible, and the others go on; a service that lost its log
(CursorExpired) gets every event of ours again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from ..channels.contract import ChannelError, CursorExpired, IncidentLog, Rejected
from ..store import channel_state as cs
from ..store import incident_log

if TYPE_CHECKING:
    from .engine import ProgressFn, SyncEngine, SyncReport

log = logging.getLogger(__name__)

SCOPE = "incidents"
HOME_KEY = "incidents.channel"
PUSH_BATCH = 100
PULL_LIMIT = 200
MAX_PAGES = 500  # a run stops there; the next continues from the cursor


@dataclass(slots=True)
class IncidentSyncReport:
    pushed: int = 0
    pulled: int = 0
    refused: int = 0
    incidents: set[str] = field(default_factory=set)  # uids whose state changed


def home_channel(db: sqlite3.Connection, cid: int) -> bool:
    """Whether channel `cid` carries the incident logs, claiming the role when free."""
    row = db.execute("SELECT value FROM store_meta WHERE key = ?", (HOME_KEY,)).fetchone()
    if row is not None and db.execute("SELECT 1 FROM channel WHERE id = ?",
                                      (int(row[0]),)).fetchone() is not None:
        return int(row[0]) == cid
    db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
               "UPDATE SET value = excluded.value", (HOME_KEY, str(cid)))
    return True


class IncidentSync:
    """One run's incident push and pull for channel `cid` (engine thread)."""

    def __init__(self, engine: SyncEngine, client: IncidentLog, cid: int,
                 report: SyncReport, cancel: threading.Event,
                 progress: ProgressFn | None) -> None:
        self.engine, self.client, self.cid = engine, client, cid
        self.report, self.cancel, self.progress = report, cancel, progress
        self.done = IncidentSyncReport()

    def run(self) -> IncidentSyncReport:
        with self.engine.store.write() as db:
            if not home_channel(db, self.cid):
                return self.done
        try:
            self._push()
            try:
                self._pull()
            except CursorExpired:
                self._service_lost_its_log()
                self._push()
                self._pull()
        except Rejected as exc:  # e.g. a service that keeps no incidents (404)
            self.report.problems.append(f"incidents are not shared: {exc}")
        return self.done

    def _cursor(self) -> int:
        """The position read up to; a cursor that is not a position (damaged, or written
        by something else) reads the log again from the start (pulls are idempotent)."""
        with self.engine.store.read() as db:
            raw = cs.get_cursor(db, self.cid, SCOPE)
        try:
            return max(int(raw or 0), 0)
        except ValueError:
            log.warning("%s: the incident cursor %r is not a position; reading the log "
                        "from the start", self.report.channel, str(raw)[:40])
            return 0

    def _push(self) -> None:
        while True:
            with self.engine.store.read() as db:
                batch = incident_log.pending(db, PUSH_BATCH)
            if not batch:
                return
            before = self.done.pushed + self.done.refused
            for event in batch:
                self._push_one(event)
            if self.done.pushed + self.done.refused == before:
                return  # nothing moved (cannot happen: each one is sent or refused)

    def _push_one(self, event: dict[str, Any]) -> None:
        try:
            stored = self.engine.call(lambda: self.client.push_incident_event(event),
                                      self.cid, self.report, self.cancel, self.progress)
        except Rejected as exc:
            with self.engine.store.write() as db:
                uid = incident_log.mark_failed(db, event["uid"], str(exc), rejected=True)
                incident_log.refresh(db, uid)
            self.done.refused += 1
            self.done.incidents.add(event["incident"])
            self.report.problems.append(f"the service refused an incident {event['kind']}: "
                                        f"{exc}")
            return
        except ChannelError as exc:
            with self.engine.store.write() as db:
                incident_log.mark_failed(db, event["uid"], str(exc), rejected=False)
            raise
        with self.engine.store.write() as db:
            incident_log.mark_pushed(db, stored, self.cid)
        self.done.pushed += 1

    def _pull(self) -> None:
        for _ in range(MAX_PAGES):
            after = self._cursor()
            page = self.engine.call(
                partial(self.client.pull_incident_events, after, PULL_LIMIT),
                self.cid, self.report, self.cancel, self.progress)
            with self.engine.store.write() as db:
                touched, changed, problems = incident_log.merge_pulled(
                    db, page.events, self.cid)
                cs.set_cursor(db, self.cid, SCOPE, str(max(page.next, after)),
                              self.engine.clock())
            self.done.pulled += len(page.events)
            self.done.incidents |= touched
            self.report.changed_ids |= changed
            for problem in [*problems, *page.malformed]:
                log.info("%s: %s", self.report.channel, problem)
            if problems or page.malformed:
                self.report.problems.append(
                    f"{len(problems) + len(page.malformed)} incident events could not be "
                    "read (kept out of the incidents)")
            if not page.has_more:
                return

    def _service_lost_its_log(self) -> None:
        """The service's log is behind our cursor (it was reset): start over from 0 and
        offer it every event of ours again."""
        log.warning("%s: the incident log was reset on the service; re-sending ours",
                    self.report.channel)
        with self.engine.store.write() as db:
            db.execute("UPDATE incident_event SET seq = NULL, state = 'pending' WHERE "
                       "state = 'sent' AND channel_id = ?", (self.cid,))
            cs.set_cursor(db, self.cid, SCOPE, "0", self.engine.clock())
