"""Post-mortems' part of a sync run (docs/postmortems.md, "Sync"), on the channel that
carries the incident logs: push each post-mortem changed here against the version the
service last had; on a 412 merge the service's copy by section and, if nothing waits for
the lead, push the merge; then pull those changed on the service after the cursor.

A service that lost its post-mortems (CursorExpired: our cursor is past its newest change,
an in-memory service restarted) gets every post-mortem of ours again, as new to it, and is
read again from the start; a service that keeps none (Rejected on the read: 404) is a
problem of the run, not a failed sync."""

from __future__ import annotations

import logging
import threading
from functools import partial
from typing import TYPE_CHECKING

from ..channels.contract import (
    ChannelError,
    CursorExpired,
    PostmortemChanged,
    PostmortemStore,
    Rejected,
)
from ..store import channel_state as cs
from ..store import postmortem_sync as ps
from .incident_sync import home_channel

if TYPE_CHECKING:
    from .engine import ProgressFn, SyncEngine, SyncReport

log = logging.getLogger(__name__)

SCOPE = "postmortems"
PULL_LIMIT = 50
MAX_PAGES = 200
MAX_RETRIES = 3  # 412 -> merge -> push again, at most this often per run


class PostmortemSync:
    def __init__(self, engine: SyncEngine, client: PostmortemStore, cid: int,
                 report: SyncReport, cancel: threading.Event,
                 progress: ProgressFn | None) -> None:
        self.engine, self.client, self.cid = engine, client, cid
        self.report, self.cancel, self.progress = report, cancel, progress
        self.pushed = 0
        self.merged = 0
        self.waiting = 0  # post-mortems with sections for the lead to merge

    def run(self) -> None:
        with self.engine.store.write() as db:
            if not home_channel(db, self.cid):
                return
        try:
            self._push_all()
            try:
                self._pull()
            except CursorExpired:
                self._service_lost_them()
                self._push_all()
                self._pull()
        except Rejected as exc:  # e.g. a service that keeps no post-mortems (404)
            self.report.problems.append(f"post-mortems are not shared: {exc}")

    def _push_all(self) -> None:
        with self.engine.store.read() as db:
            todo = ps.outgoing(db)
        for item in todo:
            self._push(item)

    def _service_lost_them(self) -> None:
        log.warning("%s: the service lost its post-mortems; re-sending ours",
                    self.report.channel)
        with self.engine.store.write() as db:
            ps.service_lost(db)
            cs.set_cursor(db, self.cid, SCOPE, "0", self.engine.clock())

    def _push(self, item: ps.Outgoing) -> None:
        for _ in range(MAX_RETRIES):
            try:
                stored = self.engine.call(
                    partial(self.client.put_postmortem, item.uid, item.body, item.if_match),
                    self.cid, self.report, self.cancel, self.progress)
            except PostmortemChanged as exc:
                if ps.check_remote(exc.current) is not None:
                    raise
                with self.engine.store.write() as db:
                    clean = ps.merge_theirs(db, item.id, exc.current, self.engine.clock())
                self.merged += 1
                if not clean:
                    self.waiting += 1
                    return
                with self.engine.store.read() as db:
                    again = [o for o in ps.outgoing(db) if o.id == item.id]
                if not again:
                    return
                item = again[0]
                continue
            except Rejected as exc:
                with self.engine.store.write() as db:
                    ps.failed(db, item.id, str(exc))
                self.report.problems.append(f"the service refused a post-mortem: {exc}")
                return
            except ChannelError as exc:
                with self.engine.store.write() as db:
                    ps.failed(db, item.id, str(exc))
                raise
            with self.engine.store.write() as db:
                ps.pushed(db, item.id, item.body, stored)
            self.pushed += 1
            return

    def _pull(self) -> None:
        for _ in range(MAX_PAGES):
            with self.engine.store.read() as db:
                raw = cs.get_cursor(db, self.cid, SCOPE) or "0"
            after = int(raw) if raw.isdigit() else 0  # a damaged cursor: from the start
            page = self.engine.call(partial(self.client.pull_postmortems, after, PULL_LIMIT),
                                    self.cid, self.report, self.cancel, self.progress)
            bad = list(page.malformed)
            with self.engine.store.write() as db:
                for theirs in page.postmortems:
                    why = ps.check_remote(theirs)
                    if why is not None:
                        bad.append(f"post-mortem {str(theirs.get('uid', '?'))[:40]}: {why}")
                        continue
                    ps.pulled(db, theirs, self.engine.clock())
                cs.set_cursor(db, self.cid, SCOPE, str(max(page.next, after)),
                              self.engine.clock())
            for problem in bad:
                log.info("%s: %s", self.report.channel, problem)
            if bad:
                self.report.problems.append(f"{len(bad)} post-mortems from the service could "
                                            "not be read (kept out)")
            if not page.has_more:
                return
