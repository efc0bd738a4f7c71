"""The rr_api routes on the hub, through the desktop's real rr_api client: what the hub
stores after each write (record, history, audit, feed), roles, idempotency, cursors,
durability; every route of the contract answers. On SQLite and the real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import msgspec
import pytest
import requests
from sqlalchemy import select

from rr_desktop.channels.contract import Mutation, Rejected, VersionConflict
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo.generator import generate
from rr_desktop.hub import audit, caller, feed
from rr_desktop.hub.api import contract
from rr_desktop.hub.escalation_store import HubEscalations
from rr_desktop.hub.schema import change
from rr_desktop.hub.store import HubStore
from tests.hub.hub_rig import add_user, hub_client, hub_in_thread

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def hub(hub_url: str) -> Iterator[tuple[HubStore, str, dict[str, str]]]:
    """(store, base URL, tokens by analyst) of a hub holding 20 demo escalations."""
    store = HubStore.open(hub_url)
    try:
        HubEscalations(store).load(generate(7, 20, NOW))
        tokens = {name: add_user(store, name, role) for name, role in
                  (("mei.tan", "analyst"), ("raj.k", "analyst"), ("lead.li", "lead"))}
        with hub_in_thread(store) as base:
            yield store, base, tokens
    finally:
        store.close()


def _all(client: RrApiChannel) -> dict[str, object]:
    cursor, seen = None, {}
    while True:
        page = client.pull(cursor)
        assert not page.quarantined
        seen.update({i.record.external_id: i for i in page.items})
        cursor = page.next_cursor
        if page.done:
            return seen


def test_the_desktop_client_reads_and_writes_through_the_hub(hub) -> None:
    store, base, tokens = hub
    mei = hub_client(base, tokens["mei.tan"])
    items = _all(mei)
    assert len(items) == 20
    target = next(i for i in items.values() if i.record.assignee is None)
    eid = target.record.external_id

    result = mei.push(Mutation("op-1", "update", eid,
                               {"status": "investigating", "assignee": "mei.tan"},
                               target.record.remote_version))
    # The hub's state, not the client's idea of it:
    stored = HubEscalations(store).get(eid)
    assert stored is not None and stored["assignee"] == "mei.tan"
    assert stored["status"] == "investigating"
    assert stored["version"] == result.remote_version > target.record.remote_version
    with store.read() as conn:
        entry = audit.entries(conn, 1)[0]
        last = feed.read_changes(conn, feed.head(conn) - 1, 5)[-1]
    assert (entry.actor, entry.desktop, entry.action, entry.target) == \
        ("mei.tan", "desk-a", "escalation.patch", eid)
    assert (last.kind, last.key, last.actor, last.desktop) == \
        ("escalation", eid, "mei.tan", "desk-a")
    assert json.loads(last.payload)["assignee"] == "mei.tan"

    # A note twice with one idempotency key: one note on the hub.
    note = Mutation("op-2", "note", eid, {"text": "called the partner", "author": "Mei"}, 0)
    mei.push(note)
    mei.push(note)
    got = requests.get(f"{base}/v1/escalations/{eid}/notes",
                       headers={"Authorization": f"Bearer {tokens['mei.tan']}"}, timeout=10)
    assert [n["text"] for n in got.json()["items"]] == ["called the partner"]
    fact = Mutation("op-3", "fact", eid, {"text": "video removed", "author": "Mei"}, 0)
    first, again = mei.push(fact), mei.push(fact)
    assert first.remote_version == again.remote_version
    assert [f["text"] for f in HubEscalations(store).get(eid)["facts"]][-1:] == \
        ["video removed"]
    kinds = [h["kind"] for h in HubEscalations(store).history(eid)]
    assert kinds == ["add", "patch", "note", "fact"]

    # The other desktop sees the change in its feed; a stale version is a conflict.
    raj = hub_client(base, tokens["raj.k"], "desk-b")
    seen = _all(raj)[eid]
    assert seen.record.assignee == "mei.tan"
    with pytest.raises(VersionConflict) as conflict:
        mei.push(Mutation("op-4", "update", eid, {"severity": "S0"},
                          target.record.remote_version))
    assert conflict.value.current.record.remote_version == \
        HubEscalations(store).get(eid)["version"]  # the hub's record now, for the merge


def test_an_analyst_works_their_own_items_a_lead_anyones(hub) -> None:
    store, base, tokens = hub
    esc = HubEscalations(store)
    free = [r for r in (esc.get(f"ESC-{n:06d}") for n in range(1, 21))
            if r is not None and r.get("assignee") is None]
    one, two = free[0], free[1]
    mei, raj = hub_client(base, tokens["mei.tan"]), hub_client(base, tokens["raj.k"], "desk-b")
    lead = hub_client(base, tokens["lead.li"], "desk-l")
    mei.push(Mutation("a", "update", one["id"], {"assignee": "mei.tan"}, one["version"]))
    held = esc.get(one["id"])
    with pytest.raises(Rejected, match=r"held by mei\.tan"):
        raj.push(Mutation("b", "update", one["id"], {"severity": "S0"}, held["version"]))
    with pytest.raises(Rejected, match="lead's call"):
        raj.push(Mutation("c", "update", two["id"], {"assignee": "mei.tan"}, two["version"]))
    assert esc.get(one["id"]) == held  # nothing changed on the hub
    lead.push(Mutation("d", "update", one["id"], {"assignee": "raj.k"}, held["version"]))
    assert esc.get(one["id"])["assignee"] == "raj.k"
    with store.read() as conn:
        actions = [(e.actor, e.action) for e in audit.entries(conn, 3)]
    assert actions[0] == ("lead.li", "escalation.patch")


def test_every_contract_route_answers_and_tokens_guard_them(hub) -> None:
    _store, base, tokens = hub
    auth = {"Authorization": f"Bearer {tokens['mei.tan']}"}
    spec = contract()
    for path, ops in spec["paths"].items():
        url = base + path.replace("{id}", "ESC-000001").replace("{uid}", "nope")
        for method in ops:
            if method not in ("get", "post", "put", "patch", "delete") or path == "/healthz":
                continue
            resp = requests.request(method, url, headers=auth, data=b"{}", timeout=10)
            assert resp.status_code not in (405, 500, 501), (method, path, resp.text)
            assert "no route" not in resp.text, (method, path)
            if path.startswith("/v1/") and path != "/v1/openapi.yaml":
                refused = requests.request(method, url, data=b"{}", timeout=10,
                                           headers={"Authorization": "Bearer rrh_x_y"})
                assert refused.status_code == 401, (method, path)
    served = requests.get(f"{base}/v1/openapi.yaml", timeout=10)
    assert "/v1/changes" in served.text and "/v1/escalations/{id}/notes" in served.text


def test_roster_cursor_and_durability(hub, hub_url: str) -> None:
    store, base, tokens = hub
    roster = hub_client(base, tokens["raj.k"]).analysts()
    assert [a.id for a in roster] == ["lead.li", "mei.tan", "raj.k"]
    auth = {"Authorization": f"Bearer {tokens['raj.k']}"}
    foreign = requests.get(f"{base}/v1/escalations?cursor=abc123.5", headers=auth,
                           timeout=10)
    assert foreign.status_code == 410
    instance = HubEscalations(store).instance
    ahead = requests.get(f"{base}/v1/escalations?cursor={instance}.999999", headers=auth,
                         timeout=10)  # a database restored from an older backup
    assert ahead.status_code == 410
    caught_up = _all(hub_client(base, tokens["raj.k"]))  # its own cursors stay good
    assert len(caught_up) == 20
    bad = requests.get(f"{base}/v1/escalations?cursor=%00", headers=auth, timeout=10)
    assert bad.status_code == 400
    huge = requests.post(f"{base}/v1/escalations/ESC-000001/notes", headers=auth,
                         data=b"x" * (2 * 1024 * 1024), timeout=30)
    assert huge.status_code == 413
    before = HubEscalations(store).get("ESC-000002")
    again = HubStore.open(hub_url)  # a second process's view of the same database
    try:
        assert HubEscalations(again).get("ESC-000002") == before
        with again.read() as conn:
            assert len(conn.execute(select(change.c.seq)).all()) == 20
    finally:
        again.close()


def test_a_hostile_desktop_header_is_not_stored(hub) -> None:
    store, base, tokens = hub
    rec = HubEscalations(store).get("ESC-000003")
    resp = requests.patch(f"{base}/v1/escalations/ESC-000003",
                          headers={"Authorization": f"Bearer {tokens['lead.li']}",
                                   "If-Match": f'"{rec["version"]}"',
                                   caller.DESKTOP_HEADER: "<script>x</script>"},
                          data=msgspec.json.encode({"severity": "S1"}), timeout=10)
    assert resp.status_code == 200, resp.text
    with store.read() as conn:
        assert audit.entries(conn, 1)[0].desktop is None


def test_the_served_contract_resolves_every_reference() -> None:
    """Every `$ref` in the hub's one document points at something in it (the reference
    service's request bodies, responses and parameters came along)."""
    spec = contract()
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert any("requestBodies" in r for r in refs)
    for ref in refs:
        target: object = spec
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict) and part in target, ref
            target = target[part]
