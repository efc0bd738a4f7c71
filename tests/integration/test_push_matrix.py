"""The push matrix, end to end (docs/push-matrix.md): every triage operation on every
channel kind, through the real action layer, the real sync engine and the client the
app builds, to the kind's real server, whose state is read back.

Each cell is one (kind, operation). Where the kind's source receives the change
(`PUSHES`, the clients' own `pushes`), the source holds it afterwards, as its own words
say it, exactly once: a second sync and a replay of the sent op (as after a lost answer)
change nothing there. Where it does not, the change stays on this machine: no op is
queued for it, the timeline says "stays on this machine", the cache keeps it through
every sync, and the source is unchanged; a reply that cannot reach anyone is refused
before anything is written. A status the source's configuration cannot express is
refused by the client with a sentence (a dead letter, never "sent"): those cells are
listed in each rig's `refuses`, so a new refusal fails here.

The meta-checks fail when a channel kind, a triage action or a `Push` has no row, when a
client's `pushes` changes without this table, or when docs/push-matrix.md disagrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.channels import registry
from rr_desktop.channels.contract import Closable
from rr_desktop.domain.push import ALWAYS_LOCAL, EVERYTHING, FIELD_PUSHES, NOTHING, Push
from rr_desktop.store.actions import ACTION_TYPES
from rr_desktop.store.local_edits import EDITABLE_FIELDS
from tests.integration.push_rig import (
    DUP_REASON,
    OPS,
    REASON,
    Cell,
    MatrixRun,
    Op,
    Rig,
    RigPool,
    pool_of,
)
from tests.integration.push_rigs_local import (
    EmailNoNotesRig,
    EmailRig,
    FeedRig,
    ManualRig,
    MatrixRig,
    SpreadsheetRig,
)
from tests.integration.push_rigs_web import (
    JiraMappedRig,
    JiraRig,
    RestRig,
    RoundupRig,
    RrApiRig,
    ZendeskRig,
)

VARIANTS: tuple[type[Rig], ...] = (
    RrApiRig, ZendeskRig, JiraRig, JiraMappedRig, EmailRig, EmailNoNotesRig, RestRig,
    RoundupRig, MatrixRig, FeedRig, SpreadsheetRig, ManualRig)

# What each column's source receives of local changes (docs/push-matrix.md).
PUSHES: dict[str, frozenset[Push]] = {
    "rr_api": EVERYTHING,
    "zendesk": FIELD_PUSHES | {Push.NOTE, Push.REPLY},
    "jira": FIELD_PUSHES | {Push.NOTE, Push.REPLY},
    "jira (workflow mapped)": FIELD_PUSHES | {Push.NOTE, Push.REPLY},
    "email": FIELD_PUSHES | {Push.NOTE, Push.REPLY},
    "email (no notes folder)": FIELD_PUSHES | {Push.REPLY},
    "rest (example-rest.json)": frozenset({Push.STATUS, Push.SEVERITY, Push.ASSIGNEE,
                                           Push.TAGS, Push.NOTE, Push.REPLY}),
    "rest (example-roundup.json, Roundup)": frozenset({Push.STATUS, Push.SEVERITY}),
    "matrix": frozenset({Push.REPLY}),
    "feed": NOTHING,
    "spreadsheet": NOTHING,
    "manual": NOTHING,
}
MESSAGES = frozenset({"note", "fact", "reply"})
CONTEXT = frozenset({"status_reason", "duplicate_of"})
DOC = Path(__file__).resolve().parents[2] / "docs" / "push-matrix.md"


def outcome(rig: type[Rig], op: Op) -> str:
    """What happens to `op` on `rig`'s source: sent | partly (the status goes, its reason
    or canonical stays) | local | refused (the source's answer, a dead letter) | refused
    at once (never queued)."""
    pushes = PUSHES[rig.variant]
    if op.action.kind == "reply" and Push.REPLY not in pushes:
        return "refused at once"
    if op.name in rig.refuses:
        return "refused"
    sent = op.pushes & pushes
    if not sent:
        return "local"
    return "sent" if sent == op.pushes else "partly"


# -- the meta-checks (no servers) -------------------------------------------------------


def test_every_kind_action_and_push_has_a_row() -> None:
    assert {v.kind for v in VARIANTS} == set(registry.kinds()), \
        "a channel kind without a column in the push matrix"
    assert [v.variant for v in VARIANTS] == list(PUSHES)
    assert {op.action for op in OPS} == set(ACTION_TYPES), \
        "a triage action without a row in the push matrix"
    assert set().union(*(op.pushes for op in OPS)) == {p.value for p in Push}, \
        "a Push no operation of the matrix sends"
    assert set().union(*(op.keeps_local for op in OPS)) >= set(ALWAYS_LOCAL)
    for rig in VARIANTS:
        assert set(rig.refuses) <= {op.name for op in OPS}, rig.variant
        assert all(PUSHES[rig.variant] & OPS_BY_NAME[n].pushes for n in rig.refuses)


OPS_BY_NAME = {op.name: op for op in OPS}


@pytest.mark.parametrize("rig", VARIANTS, ids=[v.variant for v in VARIANTS])
def test_each_client_pushes_what_the_matrix_says(rig: type[Rig]) -> None:
    """The client the app builds for the kind (its registry builder, no network) declares
    the pushes this table and the docs say: changing one without the other fails."""
    config, secrets = rig.offline()
    client = registry.spec(rig.kind).build("x", config, secrets.get)
    try:
        assert frozenset(client.pushes) == PUSHES[rig.variant]
    finally:
        if isinstance(client, Closable):
            client.close()


SYMBOLS = {"✔": "sent", "◐": "partly", "○": "local", "✖": "refused", "⊘": "refused at once"}


def test_the_docs_say_what_the_matrix_does() -> None:
    """docs/push-matrix.md's table: one row per column here, one column per operation,
    each cell the symbol of what happens (its legend)."""
    lines = [ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| Kind |"))
    header = [c.strip().strip("`") for c in lines[start].strip("|").split("|")][1:]
    assert header == [op.name for op in OPS]
    rows = {}
    for ln in lines[start + 2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if not cells[0].startswith("`"):
            break
        rows[cells[0].strip("`")] = [SYMBOLS[c.split()[0]] for c in cells[1:]]
    assert list(rows) == [v.variant for v in VARIANTS]
    for rig in VARIANTS:
        assert rows[rig.variant] == [outcome(rig, op) for op in OPS], rig.variant


# -- the cells: each (kind, operation) against the kind's real server ---------------------


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RigPool]:
    yield from pool_of(lambda name: tmp_path_factory.mktemp(re.sub(r"\W+", "-", name)))


CELLS = [pytest.param(rig, op, id=f"{rig.variant}-{op.name}",
                      marks=[pytest.mark.slow] if rig.slow else [])
         for rig in VARIANTS for op in OPS]


@pytest.mark.parametrize(("rig", "op"), CELLS)
def test_cell(pool: RigPool, rig: type[Rig], op: Op) -> None:
    run = pool.run(rig)
    check_cell(run, run.cells[op.name], outcome(rig, op))


def check_cell(run: MatrixRun, cell: Cell, expected: str) -> None:
    rig, op = run.rig, cell.op
    pushes = frozenset(str(p) for p in rig.client.pushes)
    assert pushes == PUSHES[rig.variant]
    before, after, again, replayed = cell.before, cell.after, cell.again, cell.replayed
    assert after is not None and again is not None and replayed is not None
    # Whatever happened, a second sync and a replay of what was sent add nothing.
    assert again.raw == after.raw, "the second sync changed the source"
    assert replayed.raw == after.raw, "a replay of the sent op changed the source"

    if expected == "refused at once":  # a reply nobody can receive: nothing written
        assert not cell.outcome.ok and "cannot send replies" in cell.outcome.message
        assert "nothing was queued" in cell.outcome.message
        assert cell.queued == cell.outbox == [] and cell.events_after == cell.events_before
        assert after.raw == before.raw
        return
    assert cell.outcome.ok and cell.outcome.changed, cell.outcome

    sent = op.pushes & pushes
    fields, context, messages = sent & set(EDITABLE_FIELDS), sent & CONTEXT, sent & MESSAGES
    # Queued: exactly what the source receives, nothing of what it does not.
    assert [o["type"] for o in cell.queued] == (["update"] if fields else []) + \
        sorted(messages)
    update = next((o for o in cell.queued if o["type"] == "update"), None)
    if update is not None:
        assert set(update["payload"]) == fields and set(update["context"]) == context
        if "status_reason" in context:
            assert update["context"]["status_reason"] in (REASON, DUP_REASON)
        if "duplicate_of" in context:
            assert update["context"]["duplicate_of"] == rig.canonical
    for o in cell.queued:
        if o["type"] in MESSAGES:
            assert o["payload"]["text"] == cell.text
    refused = expected == "refused"
    check_timeline(cell, pushes, refused, final=False)
    check_timeline(cell, pushes, refused, final=True)

    if refused:  # the source's configuration cannot express it
        [dead] = cell.outbox
        assert dead["state"] == "dead" and rig.refuses[op.name] in (dead["error"] or "")
        assert after.raw == before.raw
        return
    assert [o["state"] for o in cell.outbox] == ["done"] * len(cell.queued)
    if not sent:
        assert after.raw == before.raw, "a change that stays here reached the source"
    assert update is not None or not fields
    for f in fields:
        want = rig.expect(f, update["payload"][f]) if update else None
        got = after.fields[f]
        if f == "tags":
            assert set(want) <= set(got), (want, got)
        else:
            assert got == want, (f, want, got)
    if "status_reason" in sent:
        assert after.fields["status_reason"] == update["context"]["status_reason"]
    if "duplicate_of" in sent:
        assert after.fields["duplicate_of"] == rig.canonical
    for kind in messages:
        assert after.messages[kind].count(cell.text) == 1, (kind, after.messages)
        assert before.messages[kind].count(cell.text) == 0
    if sent and after.writes is not None and before.writes is not None:
        assert after.writes - before.writes == 1, "not applied exactly once"
    # What stays here never reached the source, and the cache keeps it through syncs.
    if "status_reason" in op.pushes - pushes:
        assert REASON not in after.raw and DUP_REASON not in after.raw
    if op.pushes & MESSAGES - pushes:
        assert cell.text and cell.text not in after.raw
    for f in (op.pushes - pushes) & set(EDITABLE_FIELDS) | op.keeps_local:
        assert cell.final_row[f] == cell.row[f], f"{f}: the local value did not stay"


def check_timeline(cell: Cell, pushes: frozenset[str], refused: bool, final: bool) -> None:
    """Every local event of the cell says how far it got: pending then sent (or refused)
    when its op carries it, "stays on this machine" when none does; a status sent
    without its reason says the reason stays here."""
    entries = cell.timeline if final else cell.timeline_queued
    assert entries, "the change left no timeline event"
    for e in entries:
        if e.field == "priority" or e.kind == "created":  # derived, or the item's birth
            assert e.delivery is None
            continue
        if e.kind in MESSAGES:
            carried = e.kind in pushes
        else:
            assert e.kind == "field_change" and e.field is not None, e
            carried = e.field in pushes and (e.field in EDITABLE_FIELDS
                                             or e.field == "duplicate_of")
        if not carried:
            assert e.delivery == "local", (e, e.delivery)
            assert e.delivery_text() == "stays on this machine"
        else:
            want = ("dead" if refused else "done") if final else "pending"
            assert e.delivery == want, (e.field or e.kind, e.delivery, want)
        if e.field == "status" and e.reason:
            assert e.reason_local == (carried and "status_reason" not in pushes), e
            if e.reason_local:
                assert e.delivery_text().endswith("; the reason stays on this machine")
