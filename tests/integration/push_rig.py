"""The push matrix's machinery (tests/integration/test_push_matrix.py, docs/push-matrix.md).

A rig is one channel kind (or one configuration of it) with its real server: the cache,
the real SyncEngine, and the client the app builds for it (the kind's registry builder,
its pushes recorded as `Workspace.open` records them). `run_matrix` applies every triage
operation of `OPS` through the real action layer (`apply_action`, as a key press does),
each to its own escalation, then syncs, syncs again, and replays every sent op as after
a lost answer (the op pending again, sent again). The rig reads what its SERVER holds of
each escalation at each step (`SourceView`: never the request the client built), so a
cell can say: this change arrived, once, as this; or it never left, and the timeline
says so.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from rr_desktop.channels import registry
from rr_desktop.channels.contract import ChannelClient, Closable
from rr_desktop.domain import Channel, Severity, Urgency
from rr_desktop.store import channel_state as cs
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.store.timeline import TimelineEntry
from rr_desktop.store.triage_queries import escalation_detail
from rr_desktop.sync.engine import SyncEngine, SyncReport
from rr_desktop.workspace import record_pushes

ACTOR = "aditi"
REASON = "No policy violation: satire"
DUP_REASON = "Same clip, re-uploaded"
QUEUE = "legal-review"
INCIDENT = "Coordinated re-uploads"


class Quick(random.Random):
    """Backoff at its floor: a retry within a run does not wait (timing is tested
    elsewhere)."""

    def uniform(self, a: float, b: float) -> float:
        return a


@dataclass(frozen=True, slots=True)
class SourceView:
    """What the source's server holds of one escalation, read through the server's own
    API or files, never through the client under test.

    `raw`: all of it, canonical JSON (for "unchanged" and "nothing of it left the
    machine"); `fields`: status, severity, urgency, assignee, tags, status_reason,
    duplicate_of in the source's own words (those it has); `messages`: the texts it holds
    per kind (note, reply, fact); `writes`: how many writes it applied to the item, where
    the server counts them (for "exactly once")."""

    raw: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    messages: Mapping[str, list[str]] = field(default_factory=dict)
    writes: int | None = None


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Op:
    """One triage operation of the matrix: the action a key runs (`make`, given the rig
    and the escalation's cached row), and one to run before it (`first`: unsnooze needs
    a snooze)."""

    name: str
    action: type[ta.TriageAction]
    make: Callable[[Rig, Mapping[str, Any]], ta.TriageAction]
    first: Callable[[Rig, Mapping[str, Any]], ta.TriageAction] | None = None

    @property
    def pushes(self) -> frozenset[str]:
        return frozenset(self.action.pushes)

    @property
    def keeps_local(self) -> frozenset[str]:
        return frozenset(self.action.keeps_local)


THANKS = "\u0e02\u0e2d\u0e1a\u0e04\u0e38\u0e13"  # Thai: thank you


def _text(rig: Rig, kind: str) -> str:
    return f"{kind.capitalize()} from RR Desktop on {rig.variant}: {THANKS}"


def _severity(_rig: Rig, row: Mapping[str, Any]) -> ta.TriageAction:
    return ta.SetSeverity(Severity.S0 if row["severity"] != 0 else Severity.S1)


def _urgency(_rig: Rig, row: Mapping[str, Any]) -> ta.TriageAction:
    return ta.SetUrgency(Urgency.U0 if row["urgency"] != 0 else Urgency.U1)


def _snooze(_rig: Rig, _row: Mapping[str, Any]) -> ta.TriageAction:
    return ta.Snooze(utcnow() + timedelta(hours=4), "waiting for Legal")


OPS: tuple[Op, ...] = (
    Op("accept", ta.Accept, lambda r, _: ta.Accept()),
    Op("decline", ta.Decline, lambda r, _: ta.Decline(REASON)),
    Op("duplicate", ta.MarkDuplicate,
       lambda r, _: ta.MarkDuplicate(r.local_id(r.canonical), DUP_REASON)),
    Op("resolve", ta.Resolve, lambda r, _: ta.Resolve()),
    Op("severity", ta.SetSeverity, _severity),
    Op("urgency", ta.SetUrgency, _urgency),
    Op("assign", ta.Assign, lambda r, _: ta.Assign(r.analyst)),
    Op("tags", ta.Tag, lambda r, _: ta.Tag(add=("viral", "reupload"))),
    Op("queue", ta.MoveQueue, lambda r, _: ta.MoveQueue(QUEUE)),
    Op("snooze", ta.Snooze, _snooze),
    Op("unsnooze", ta.Unsnooze, lambda r, _: ta.Unsnooze(), first=_snooze),
    Op("incident", ta.EscalateToIncident,
       lambda r, _: ta.EscalateToIncident(new_title=INCIDENT)),
    Op("note", ta.AddNote, lambda r, _: ta.AddNote(_text(r, "note"))),
    Op("fact", ta.LogFact, lambda r, _: ta.LogFact(_text(r, "fact"))),
    Op("reply", ta.Reply, lambda r, _: ta.Reply(_text(r, "reply"))),
)
OP_NAMES = tuple(op.name for op in OPS)


@dataclass
class Cell:
    """One operation on one escalation of a rig, through every step of `run_matrix`."""

    op: Op
    external_id: str
    esc_id: int
    text: str | None  # a message's text
    before: SourceView
    outcome: ta.ActionOutcome
    events_before: int
    events_after: int  # right after the action
    row: dict[str, Any] = field(default_factory=dict)  # the cached row after the action
    queued: list[dict[str, Any]] = field(default_factory=list)  # its outbox ops then
    timeline_queued: tuple[TimelineEntry, ...] = ()
    after: SourceView | None = None  # after the first sync
    again: SourceView | None = None  # after a second sync
    replayed: SourceView | None = None  # after its sent ops were sent again
    outbox: list[dict[str, Any]] = field(default_factory=list)  # at the end
    timeline: tuple[TimelineEntry, ...] = ()  # at the end
    final_row: dict[str, Any] = field(default_factory=dict)


@dataclass
class MatrixRun:
    """A rig's cells and the reports of its runs (first sync, second, replay)."""

    rig: Rig
    cells: dict[str, Cell]
    reports: list[SyncReport]
    replayed_ops: int


class Rig:
    """One channel kind's real server, seeded with escalations, and a cache syncing it.

    Subclasses start the server in `serve` (registering its teardown on `self.stack`),
    seed at least len(OPS) + 1 escalations, and return the channel's config and secrets
    for the kind's registry builder; `view` reads the server; `expect` says how the
    source writes a pushed value; `refuses` lists the operations the source answers with
    a refusal (its words), and `analyst` an assignee it knows."""

    kind: ClassVar[str]
    variant: ClassVar[str]  # the matrix column: the kind, or kind (configuration)
    slow: ClassVar[bool] = False
    refuses: ClassVar[Mapping[str, str]] = {}
    analyst: ClassVar[str] = "a.tan"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.stack = ExitStack()
        self.items: list[str] = []
        self.store: Store
        self.engine: SyncEngine
        self.client: ChannelClient

    # -- what each kind provides -----------------------------------------------------

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        """A config and secrets the builder accepts without a server (the meta-check
        builds the client from them to read its pushes)."""
        raise NotImplementedError

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        """Start the server, seed `self.items`; the channel's config and secrets."""
        raise NotImplementedError

    def view(self, external_id: str) -> SourceView:
        raise NotImplementedError

    def expect(self, field: str, value: Any) -> Any:
        """The source's word for a pushed wire value (status "declined" -> "solved")."""
        raise NotImplementedError

    # -- the common part ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.kind.replace("_", "-")

    @property
    def canonical(self) -> str:
        """The escalation the duplicate cell duplicates (never changed by a cell)."""
        return self.items[0]

    def build(self, config: Mapping[str, str], secrets: Mapping[str, str]) -> ChannelClient:
        return registry.spec(self.kind).build(self.name, config, secrets.get)

    def start(self) -> Rig:
        config, secrets = self.serve()
        self.client = self.build(config, secrets)
        if isinstance(self.client, Closable):
            self.stack.callback(self.client.close)
        self.store = Store.open(self.tmp / "cache.sqlite3")
        self.stack.callback(self.store.close)
        with self.store.write() as db:
            cs.ensure_channel(db, Channel(self.name, self.kind, dict(config)))
        self.engine = SyncEngine(self.store, {self.name: self.client}, rng=Quick())
        record_pushes(self.store, {self.name: self.client})  # as Workspace.open does
        self.first_sync()
        return self

    def first_sync(self) -> None:
        """Sync what was seeded; `items` default to the ids the source gave them."""
        report = self.engine.run(self.name)
        assert report.error is None, f"{self.variant}: {report.error}"
        if not self.items:
            with self.store.read() as db:
                self.items = sorted(r[0] for r in db.execute(
                    "SELECT external_id FROM escalation"))
        missing = [e for e in self.items if self._row(e) is None]
        assert not missing, f"{self.variant}: not synced: {missing}"
        assert len(self.items) > len(OPS), f"{self.variant}: seed more escalations"

    def close(self) -> None:
        self.stack.close()

    def local_id(self, external_id: str) -> int:
        row = self._row(external_id)
        assert row is not None, external_id
        return int(row["id"])

    def _row(self, external_id: str) -> dict[str, Any] | None:
        with self.store.read() as db:
            cur = db.execute("SELECT * FROM escalation WHERE external_id = ? AND "
                             "channel_id = (SELECT id FROM channel WHERE name = ?)",
                             (external_id, self.name))
            found = cur.fetchone()
            return None if found is None else dict(
                zip([d[0] for d in cur.description], found, strict=True))

    def sync(self) -> SyncReport:
        report = self.engine.run(self.name)
        assert report.error is None, f"{self.variant}: {report.error}"
        return report


def _outbox(rig: Rig, esc_id: int) -> list[dict[str, Any]]:
    with rig.store.read() as db:
        cur = db.execute("SELECT op_id, op_type, payload, context, state, last_error "
                         "FROM outbox WHERE escalation_id = ? ORDER BY seq", (esc_id,))
        return [{"op_id": r[0], "type": r[1], "payload": json.loads(r[2]),
                 "context": json.loads(r[3]), "state": r[4], "error": r[5]} for r in cur]


def _timeline(rig: Rig, esc_id: int) -> tuple[TimelineEntry, ...]:
    with rig.store.read() as db:
        detail = escalation_detail(db, esc_id)
    assert detail is not None
    return tuple(e for e in detail.timeline if e.source == "local")


def _events(rig: Rig, esc_id: int) -> int:
    with rig.store.read() as db:
        return int(db.execute("SELECT count(*) FROM escalation_event WHERE escalation_id = ?",
                              (esc_id,)).fetchone()[0])


def run_matrix(rig: Rig) -> MatrixRun:
    """Every operation of OPS on its own escalation of `rig`, synced twice and replayed."""
    cells: dict[str, Cell] = {}
    for op, ext in zip(OPS, rig.items[1:], strict=False):
        esc_id = rig.local_id(ext)
        row = rig._row(ext)
        assert row is not None
        action = op.make(rig, row)
        text = getattr(action, "text", None)
        before = rig.view(ext)
        events = _events(rig, esc_id)
        with rig.store.write() as db:
            if op.first is not None:
                ta.apply_action(db, op.first(rig, row), [esc_id], ACTOR, utcnow())
            [outcome] = ta.apply_action(db, action, [esc_id], ACTOR, utcnow()).outcomes
        cells[op.name] = Cell(op, ext, esc_id, text, before, outcome, events,
                              _events(rig, esc_id), rig._row(ext) or {}, _outbox(rig, esc_id),
                              _timeline(rig, esc_id))
    reports = [rig.sync()]
    for cell in cells.values():
        cell.after = rig.view(cell.external_id)
    reports.append(rig.sync())
    for cell in cells.values():
        cell.again = rig.view(cell.external_id)
    # A lost answer, as the engine sees it: the op it sent is pending again and goes out
    # again with the same id (and an update with the version the analyst saw).
    with rig.store.write() as db:
        replayed = db.execute("UPDATE outbox SET state = 'pending', done_at = NULL, "
                              "next_attempt_at = 0 WHERE state = 'done'").rowcount
    reports.append(rig.sync())
    for cell in cells.values():
        cell.replayed = rig.view(cell.external_id)
        cell.outbox = _outbox(rig, cell.esc_id)
        cell.timeline = _timeline(rig, cell.esc_id)
        cell.final_row = rig._row(cell.external_id) or {}
    return MatrixRun(rig, cells, reports, replayed)


class RigPool:
    """Rigs started on first use and kept for the module (cells run in any order: the
    suite's order is random), each run through the matrix once."""

    def __init__(self, tmp: Callable[[str], Path]) -> None:
        self._tmp = tmp
        self._runs: dict[str, MatrixRun] = {}
        self._rigs: list[Rig] = []

    def run(self, rig_type: type[Rig]) -> MatrixRun:
        if rig_type.variant not in self._runs:
            rig = rig_type(self._tmp(rig_type.variant.replace(" ", "-")))
            self._rigs.append(rig)
            try:
                rig.start()
            except BaseException:
                rig.close()
                self._rigs.remove(rig)
                raise
            self._runs[rig_type.variant] = run_matrix(rig)
        return self._runs[rig_type.variant]

    def close(self) -> None:
        for rig in self._rigs:
            rig.close()


def pool_of(tmp: Callable[[str], Path]) -> Iterator[RigPool]:
    pool = RigPool(tmp)
    try:
        yield pool
    finally:
        pool.close()
