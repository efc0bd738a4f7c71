"""The outbox and the undo log as a state machine against a model (outbox_model.py), with
the reference service in its own process as the other side.

Hypothesis drives the real store (triage actions, notes and replies, undo, redo, conflict
resolution), the real sync engine and `rr_api` client over loopback HTTP, a colleague's
edits through the service's API, and edits or undos made while a change is in flight
(after the service applied it, before the engine recorded it). After every step the
cache shows what the model says and the outbox holds exactly the unsent changes
(coalesced); after every sync the cache, the outbox and the service agree with the model,
every note and reply the model sent is on the service exactly once, and every PATCH the
client sent changed something (no change reached the service twice).

One service process serves the whole test, not one per example: it starts in ~0.4 s, which
at 100+ examples (and shrinking) would be most of the run. Each example starts from a
fresh cache and puts its two escalations back to the same baseline through the API, so
what earlier examples did to the service cannot leak into the model (notes are counted
from where they stood).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from rr_desktop.channels.contract import Mutation, PushResult
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel, Severity, Urgency
from rr_desktop.http import new_session
from rr_desktop.store import channel_state as cs
from rr_desktop.store import triage_actions as ta
from rr_desktop.store import undo
from rr_desktop.store.conflicts import open_conflicts, resolve_conflict
from rr_desktop.store.local_edits import decode_field
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.ci import run_slow
from tests.integration.outbox_model import BASELINE, FIELDS, OutboxModel
from tests.peers.reference_service import ReferenceService

ME = "a.tan"
CHANNEL = "ref"
ACTIONS = st.one_of(
    st.sampled_from([("accept", None), ("decline", None), ("resolve", None)]),
    st.tuples(st.just("severity"), st.sampled_from(["S0", "S1", "S2", "S3"])),
    st.tuples(st.just("urgency"), st.sampled_from(["U0", "U1", "U2", "U3"])),
    st.tuples(st.just("assign"), st.sampled_from([None, ME, "b.lee"])),
    st.tuples(st.sampled_from(["tag_add", "tag_remove"]), st.sampled_from(["hoax", "viral"])),
)
THEIR_VALUES = {
    "status": ["new", "triaged", "investigating", "contained", "declined", "resolved"],
    "severity": ["S0", "S1", "S2", "S3"], "urgency": ["U0", "U1", "U2", "U3"],
    "assignee": [None, "b.lee", "k.lee"], "tags": [(), ("hoax",), ("viral", "hoax")],
}
COLLEAGUE_EDITS = st.sampled_from(FIELDS).flatmap(
    lambda f: st.tuples(st.just(f), st.sampled_from(THEIR_VALUES[f])))
RESOLUTIONS = st.sampled_from(["mine", "theirs"])


def real_action(action: tuple[str, Any]) -> ta.TriageAction:
    kind, arg = action
    made: dict[str, Callable[[], ta.TriageAction]] = {
        "accept": ta.Accept, "decline": lambda: ta.Decline("not actionable"),
        "resolve": ta.Resolve, "severity": lambda: ta.SetSeverity(Severity[arg]),
        "urgency": lambda: ta.SetUrgency(Urgency[arg]), "assign": lambda: ta.Assign(arg),
        "tag_add": lambda: ta.Tag(add=(arg,)), "tag_remove": lambda: ta.Tag(remove=(arg,)),
    }
    return made[kind]()


def wire(name: str, value: Any) -> Any:
    """Model value -> JSON value (tags travel as a list)."""
    return list(value) if name == "tags" else value


def model_value(name: str, value: Any) -> Any:
    """JSON or payload value -> model value."""
    return tuple(value or ()) if name == "tags" else value


class InFlightClient(RrApiChannel):
    """The real client; `in_flight` (external id, callback) runs the callback once, right
    after the service has applied a push for that escalation and before the engine
    records it: the analyst acting while their change is on the wire."""

    in_flight: tuple[str, Callable[[Mutation], None]] | None = None

    def push(self, mutation: Mutation) -> PushResult:
        result = super().push(mutation)
        armed = self.in_flight
        if armed is not None and armed[0] == mutation.external_id:
            self.in_flight = None
            armed[1](mutation)
        return result


class OutboxMachine(RuleBasedStateMachine):
    """One analyst, two escalations of the reference service, a colleague on the service."""

    service: ClassVar[ReferenceService]
    escalations: ClassVar[tuple[str, str]]
    template: ClassVar[Path]  # an empty cache, migrated

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="rr-outbox-sm-"))
        shutil.copyfile(self.template, self.dir / "cache.sqlite3")  # migrated once
        self.store = Store.open(self.dir / "cache.sqlite3")
        svc = self.service
        with self.store.write() as db:
            cs.ensure_channel(db, Channel(CHANNEL, "rr_api", {"base_url": svc.url}))
        self.patches: list[tuple[str, dict[str, Any]]] = []  # PATCHes the service applied
        session = new_session()
        session.hooks["response"].append(self._record)
        self.client = InFlightClient(CHANNEL, svc.url, svc.token, session=session)
        self.engine = SyncEngine(self.store, {CHANNEL: self.client})
        for ext in self.escalations:  # the same start for every example
            svc.patch(ext, **{f: wire(f, v) for f, v in BASELINE.items()})
        self.before = {(ext, kind): len(svc.get(f"/v1/escalations/{ext}/{kind}")["items"])
                       for ext in self.escalations for kind in ("notes", "replies")}
        report = self.engine.run(CHANNEL)
        assert report.error is None, report.summary()
        with self.store.read() as db:
            self.ids = {ext: int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                                            (ext,)).fetchone()[0]) for ext in self.escalations}
        self.model = OutboxModel(self.escalations)
        self.tag = uuid.uuid4().hex[:8]
        self.written = 0

    def teardown(self) -> None:
        self.client.close()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _record(self, resp: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if resp.request.method == "PATCH" and resp.status_code == 200:
            ext = (resp.request.path_url or "").rsplit("/", 1)[-1]
            body = resp.request.body
            self.patches.append((ext, json.loads(body or b"{}")))

    # -- the analyst ----------------------------------------------------------------------

    def _act(self, exts: list[str], action: tuple[str, Any]) -> None:
        with self.store.write() as db:
            result = ta.apply_action(db, real_action(action), [self.ids[e] for e in exts],
                                     ME, utcnow())
        assert (result.undo_id is not None) == self.model.act(exts, action), result.text

    def _undo(self, redo: bool = False) -> None:
        with self.store.write() as db:
            result = (undo.redo if redo else undo.undo)(db, ME, utcnow())
        assert (result is not None) == (self.model.redo() if redo else self.model.undo())

    @rule(which=st.sampled_from([[0], [1], [0, 1]]), action=ACTIONS)
    def act(self, which: list[int], action: tuple[str, Any]) -> None:
        self._act([self.escalations[i] for i in which], action)

    @rule(which=st.sampled_from([0, 1]), kind=st.sampled_from(["note", "reply"]))
    def write(self, which: int, kind: str) -> None:
        ext = self.escalations[which]
        self.written += 1
        text = f"{kind} {self.written} of example {self.tag}"
        action = ta.AddNote(text) if kind == "note" else ta.Reply(text)
        with self.store.write() as db:
            ta.apply_action(db, action, [self.ids[ext]], ME, utcnow())
        self.model.write(ext, "note" if kind == "note" else "reply", text)

    @rule()
    def undo(self) -> None:
        self._undo()

    @rule()
    def redo(self) -> None:
        self._undo(redo=True)

    # -- the other side and sync --------------------------------------------------------

    @rule(which=st.sampled_from([0, 1]), edit=COLLEAGUE_EDITS)
    def colleague_edits(self, which: int, edit: tuple[str, Any]) -> None:
        ext = self.escalations[which]
        name, value = edit
        self.service.patch(ext, **{name: wire(name, value)})
        self.model.colleague_edit(ext, name, value)

    @precondition(lambda self: any(self.model.dirty(e) for e in self.escalations))
    @rule(pick=st.integers(0, 11))
    def colleague_edits_a_field_i_changed(self, pick: int) -> None:
        """A same-field change on the service: the next sync must find a conflict (random
        colleague edits rarely hit the one field the analyst has queued)."""
        dirty = [(e, f, *v) for e in self.escalations for f, v in self.model.dirty(e).items()]
        ext, name, base, mine = dirty[pick % len(dirty)]
        theirs = [v for v in THEIR_VALUES[name] if v not in (base, mine)]
        self.colleague_edits(self.escalations.index(ext), (name, theirs[pick % len(theirs)]))

    @rule(resolution=RESOLUTIONS)
    def sync(self, resolution: str) -> None:
        self._sync(resolution)

    def _only_pending(self) -> str | None:
        """The one escalation with changes queued, when the other has none (ops of the
        two leave interleaved by queue order, which the model does not follow)."""
        pending = [e for e in self.escalations if self.model.has_pending(e)]
        return pending[0] if len(pending) == 1 else None

    @precondition(lambda self: self._only_pending() is not None)
    @rule(resolution=RESOLUTIONS,
          then=st.one_of(st.just(("undo", None)), st.just(("redo", None)),
                         st.tuples(st.just("act"), ACTIONS)))
    def act_while_in_flight(self, resolution: str, then: tuple[str, Any]) -> None:
        """Sync; once the service has applied a push for the escalation with queued
        changes, the analyst acts on it (undo, redo, or an action) before the engine has
        recorded the push."""
        ext = self._only_pending()
        assert ext is not None
        fired: list[bool] = []

        def analyst(mutation: Mutation) -> None:
            fired.append(True)
            # The model's view: that op and those before it landed, then the analyst acts.
            self.model.pushed_through(ext, mutation.op_type, mutation.payload.get("text"),
                                      resolution)  # type: ignore[arg-type]
            self._then(ext, then)

        self.client.in_flight = (ext, analyst)
        self._sync(resolution, check=False)
        self.client.in_flight = None
        if not fired:  # nothing of it was pushed (all settled by the conflict resolution)
            self._then(ext, then)
        self._sync(resolution)

    def _then(self, ext: str, then: tuple[str, Any]) -> None:
        if then[0] == "act":
            self._act([ext], then[1])
        else:
            self._undo(redo=then[0] == "redo")

    def _sync(self, resolution: str, check: bool = True) -> None:
        expected = {(ext, f) for ext in self.escalations for f in self.model.conflicts(ext)}
        start = {ext: dict(values) for ext, values in self.model.server.items()}
        self.patches.clear()
        found: set[tuple[str, str]] = set()
        for _ in range(4):
            report = self.engine.run(CHANNEL)
            assert report.error is None and report.dead == 0, report.summary()
            self.model.pulled()  # each run ends with a pull (conflicts wait on our side)
            with self.store.write() as db:
                conflicts = open_conflicts(db)
                for conflict in conflicts:
                    found.add((self._ext(conflict.escalation_id), conflict.field))
                    resolve_conflict(db, conflict.id, resolution, ME, utcnow())  # type: ignore[arg-type]
            if not conflicts:
                break
        self.model.sync(resolution)  # type: ignore[arg-type]
        if check:
            assert found == expected, (found, expected)
            self._check_patches(start)
            self._check_agreement()

    def _ext(self, esc_id: int) -> str:
        return next(e for e, i in self.ids.items() if i == esc_id)

    # -- what must hold -----------------------------------------------------------------

    def _row(self, ext: str) -> dict[str, Any]:
        with self.store.read() as db:
            row = db.execute(f"SELECT {', '.join(FIELDS)} FROM escalation WHERE id = ?",
                             (self.ids[ext],)).fetchone()
        return {f: model_value(f, decode_field(f, v)) for f, v in zip(FIELDS, row, strict=True)}

    @invariant()
    def cache_shows_the_model_and_the_outbox_holds_exactly_the_unsent(self) -> None:
        for ext in self.escalations:
            assert self._row(ext) == self.model.local(ext), ext
            with self.store.read() as db:
                ops = db.execute("SELECT op_type, payload, base FROM outbox WHERE "
                                 "escalation_id = ? AND state != 'done' ORDER BY seq",
                                 (self.ids[ext],)).fetchall()
            updates = [(json.loads(p), json.loads(b)) for t, p, b in ops if t == "update"]
            dirty = self.model.dirty(ext)
            expected = [({f: wire(f, mine) for f, (_b, mine) in dirty.items()},
                         {f: wire(f, base) for f, (base, _m) in dirty.items()})] if dirty else []
            assert updates == expected, ext  # one op, coalesced, earliest base
            messages = [(t, json.loads(p)["text"]) for t, p, _b in ops if t != "update"]
            assert messages == [(m.kind, m.text) for m in self.model.pending_messages(ext)]

    def _check_agreement(self) -> None:
        with self.store.read() as db:
            left = db.execute("SELECT op_type, state, last_error FROM outbox "
                              "WHERE state != 'done'").fetchall()
        assert left == [], left
        for ext in self.escalations:
            record = self.service.record(ext)
            on_server = {f: model_value(f, record[f]) for f in FIELDS}
            assert on_server == self.model.server[ext] == self._row(ext), ext
            for kind, path in (("note", "notes"), ("reply", "replies")):
                held = self.service.get(f"/v1/escalations/{ext}/{path}")["items"]
                texts = [n["text"] for n in held[self.before[(ext, path)]:]]
                assert texts == self.model.sent_messages(ext, kind), (ext, kind)

    def _check_patches(self, start: dict[str, dict[str, Any]]) -> None:
        """Replayed on the service's state before the sync, every applied PATCH changed
        every field it carried, and together they give the state after it."""
        state = {ext: dict(values) for ext, values in start.items()}
        for ext, payload in self.patches:
            for name, value in payload.items():
                if name not in FIELDS:  # what goes with a status (its reason) is no field
                    continue
                value = model_value(name, value)
                assert state[ext][name] != value, (ext, name, value, self.patches)
                state[ext][name] = value
        for ext in self.escalations:
            assert all(state[ext][f] == self.model.server[ext][f] for f in FIELDS
                       if any(f in p for e, p in self.patches if e == ext)), ext


@pytest.fixture(scope="module")
def service() -> Iterator[ReferenceService]:
    with ReferenceService(count=12, seed=23) as svc:
        yield svc


def configure(service: ReferenceService, template: Path) -> None:
    Store.open(template).close()
    OutboxMachine.service = service
    OutboxMachine.escalations = tuple(service.ids(2))  # type: ignore[assignment]
    OutboxMachine.template = template


# A failure is shrunk to a short example, one cache and sync per step: minutes, not the
# default 300 s of pytest-timeout.
@pytest.mark.timeout(1200)
def test_outbox_and_undo_against_the_reference_service(
        service: ReferenceService, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    slow = run_slow(request.config.getoption("--slow"))
    configure(service, tmp_path / "template.sqlite3")
    run_state_machine_as_test(OutboxMachine, settings=settings(
        max_examples=80 if slow else 10, stateful_step_count=25 if slow else 20,
        deadline=None, suppress_health_check=list(HealthCheck), print_blob=True))


def test_a_note_undone_while_in_flight_is_not_sent_again_by_redo(
        service: ReferenceService, tmp_path: Path) -> None:
    """Found by the machine: the undo withdrew the note while it was on the wire, so the
    service got it; redo then queued it again and the service got it twice."""
    configure(service, tmp_path / "template.sqlite3")
    machine = OutboxMachine()
    try:
        machine.write(which=0, kind="note")
        machine.act_while_in_flight(resolution="mine", then=("undo", None))
        machine.redo()
        machine.cache_shows_the_model_and_the_outbox_holds_exactly_the_unsent()
        machine.sync(resolution="mine")  # asserts the service holds the note once
        [sent] = machine.model.sent_messages(machine.escalations[0], "note")
        assert sent.startswith("note 1 of example")
    finally:
        machine.teardown()
