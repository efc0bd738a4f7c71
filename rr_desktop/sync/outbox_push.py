"""Draining a channel's outbox: idempotent replay, conflicts, dead letters
(docs/sync.md rules 7-10, 13).

- An update is pushed conditionally on the version the analyst saw (If-Match). A 412
  brings the server's record: fields the server already holds as ours are done (this is
  how a replay after a lost response ends), fields only we changed are rebased and pushed
  again, and a field both sides changed becomes a recorded conflict.
- Notes and replies carry the op id as Idempotency-Key, so a replay never doubles them.
- 429 waits without counting; transient failures back off; after POISON attempts, or on
  a non-retryable 4xx, the op is dead-lettered for the user to see.
- "Outcome unknown" (the answer was cut off, too slow or too large: the server may have
  applied the write) is never dead-lettered blind: the op is sent again soon, and the
  conditional write above settles it (the source holds it -> done; it does not -> applied
  now; someone else changed the field -> conflict); a note or reply goes again with the
  same Idempotency-Key. The op's last_error and the audit log say what happened.
- A channel that cannot be reached at all (no connection made) ends the push phase: the
  op stays due without counting an attempt, and the run reports why (nothing is lost to
  an outage; the next run tries again).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..channels.contract import (
    AuthError,
    ChannelClient,
    ChannelError,
    Mutation,
    NetworkError,
    RateLimited,
    VersionConflict,
    wire_value,
)
from ..domain import Incoming
from ..store import outbox as ob
from ..store.ingest import merge_page
from ..store.timecodec import to_epoch
from .backoff import full_jitter

if TYPE_CHECKING:
    from .engine import ProgressFn, SyncEngine, SyncReport

POISON = 8
WAIT_HORIZON_S = 20  # within one run, wait for ops due this soon; later ones wait for a run


class OutboxPusher:
    """Pushes one channel's due ops during a run of the engine."""

    def __init__(self, engine: SyncEngine, client: ChannelClient, channel_id: int,
                 report: SyncReport, progress: ProgressFn | None,
                 cancel: threading.Event) -> None:
        self.engine = engine
        self.store = engine.store
        self.client = client
        self.cid = channel_id
        self.report = report
        self.progress = progress
        self.cancel = cancel

    def drain(self) -> None:
        while True:
            self.engine.check(self.cancel)
            now = self.engine.clock()
            with self.store.read() as db:
                ops = ob.due_ops(db, self.cid, now)
                next_due = ob.next_due_at(db, self.cid)
            if ops:
                for op in ops:
                    self.engine.check(self.cancel)
                    self.engine.check_time(self.report.channel)
                    self._push(op)
                continue
            # Nothing due now although something is past due: those ops wait behind an
            # earlier op of their escalation (a conflict) and will not move in this run.
            wait = None if next_due is None else next_due - to_epoch(now)
            if wait is None or wait <= 0 or wait > WAIT_HORIZON_S:
                return
            self.engine._wait(wait, "waiting to retry queued changes", self.report,
                              self.cancel, self.progress)

    def _push(self, op: ob.OutboxOp) -> None:
        mutation = Mutation(op.op_id, op.op_type, op.external_id, op.payload,
                            op.base_version, op.base, op.context)
        now = self.engine.clock()
        try:
            result = self.client.push(mutation)
        except VersionConflict as exc:
            self._on_conflict(op, exc.current)
            return
        except RateLimited as exc:
            with self.store.write() as db:
                ob.mark_retry(db, op, str(exc), to_epoch(now) + int(exc.retry_after + 0.999),
                              count_attempt=False)
            return
        except AuthError:
            raise
        except ChannelError as exc:
            if exc.ambiguous:
                self._settle(op, exc)
                return
            if isinstance(exc, NetworkError):
                # Never reached the server (refused, no route, unresolvable, the run's
                # time is up): the channel is down, not this op. Waiting out backoff op by
                # op until POISON would spend minutes and dead-letter every queued change
                # of an analyst who is offline; instead the op stays due, uncounted, and
                # the run ends with the reason.
                with self.store.write() as db:
                    ob.mark_retry(db, op, str(exc), to_epoch(now), count_attempt=False)
                raise
            with self.store.write() as db:
                self._retry_or_dead(db, op, str(exc), exc.retryable)
            return
        with self.store.write() as db:
            if result.record is not None:
                self._merge(db, result.record)
            ob.mark_done(db, op, result.remote_version, now)
        self.report.pushed += 1
        self.report.delivered_ids.add(op.escalation_id)
        if self.progress:
            from .engine import SyncProgress

            self.progress(SyncProgress(self.report.channel, "push", self.report.pages,
                                       self.report.received, self.report.pushed))

    def _retry_or_dead(self, db: Any, op: ob.OutboxOp, message: str,
                       retryable: bool = True, again: str = "") -> str:
        """Back off and retry, or dead-letter (not retryable, or POISON attempts); `again`
        is added to the message when it will be retried. Returns the message recorded."""
        now = self.engine.clock()
        if not retryable:
            ob.mark_dead(db, op, message, now)
            self.report.dead += 1
            self.report.delivered_ids.add(op.escalation_id)
        elif op.attempts + 1 >= POISON:
            message = f"{message} (gave up after {POISON} attempts)"
            ob.mark_dead(db, op, message, now)
            self.report.dead += 1
            self.report.delivered_ids.add(op.escalation_id)
        else:
            message += again
            delay = full_jitter(op.attempts + 1, self.engine.rng)
            ob.mark_retry(db, op, message, to_epoch(now) + int(delay + 0.999))
        return message

    def _settle(self, op: ob.OutboxOp, exc: ChannelError) -> None:
        """A write whose outcome is unknown (docs/sync.md rule 8) is sent again soon, never
        given up blind: an update conditionally on the version the analyst saw (If-Match,
        or the channel's read-compare-write), which turns "the source holds it already"
        into done and someone else's change into a conflict; a note or reply with the
        same op id as its idempotency key. Both count as attempts (POISON still ends a
        write that never gets an answer, saying its outcome is unknown)."""
        how = "conditionally on the version you saw, so it cannot apply twice" \
            if op.op_type == "update" else "with the same op id as its idempotency key"
        with self.store.write() as db:
            text = self._retry_or_dead(db, op, f"outcome unknown: {exc}",
                                       again=f"; it will be sent again {how}")
            self._audit_unknown(db, op, "dead" if "gave up" in text else "resend", text)

    def _audit_unknown(self, db: Any, op: ob.OutboxOp, outcome: str, text: str) -> None:
        """How a write of unknown outcome was settled goes to the audit log (rule 14)."""
        ob.audit(db, "sync", "outcome_unknown", self.engine.clock(), op.escalation_id,
                 op.channel_id, op_id=op.op_id, outcome=outcome, detail=text)

    def _merge(self, db: Any, incoming: Incoming) -> None:
        from .engine import keeps_local_triage

        result = merge_page(db, self.cid, [incoming], [], self.engine.clock(),
                            keep_local_triage=keeps_local_triage(self.client))
        self.report.changed_ids.update(result.changed_ids)

    def _on_conflict(self, op: ob.OutboxOp, current: Incoming) -> None:
        theirs = current.record
        conflicts: dict[str, tuple[Any, Any, Any]] = {}
        remaining: dict[str, Any] = {}
        rebased_base: dict[str, Any] = {}
        for field, mine in op.payload.items():
            their_value = wire_value(theirs, field)
            base_value = op.base.get(field)
            if their_value == mine:
                continue  # already applied (e.g. our earlier attempt whose response was lost)
            if their_value == base_value:
                remaining[field] = mine  # only we changed it: push again on their version
                rebased_base[field] = their_value
            else:
                conflicts[field] = (base_value, mine, their_value)
        now = self.engine.clock()
        with self.store.write() as db:
            self._merge(db, current)
            if conflicts:
                ob.mark_conflict(db, op, conflicts, theirs.remote_version, now,
                                 remaining, rebased_base)
                self.report.conflicts += 1
                self.report.delivered_ids.add(op.escalation_id)
            elif remaining:
                ob.rebase(db, op, remaining, rebased_base, theirs.remote_version)
            else:
                ob.mark_done(db, op, theirs.remote_version, now)
                self.report.pushed += 1
                self.report.delivered_ids.add(op.escalation_id)
