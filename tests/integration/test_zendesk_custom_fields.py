"""Zendesk custom ticket fields and ticket forms as sources of market, category and
severity: configured through the channel's settings (as `channels add zendesk --set` and
the setup dialog give them), synced by the real SyncEngine into the real Store from the
documented-shape Zendesk (tests/peers/zendesk_server.py), and written back to the field."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rr_desktop import channel_setup as core
from rr_desktop.channels.zendesk import ZendeskChannel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.zendesk_server import ZendeskServer

MARKET, SEVERITY, CATEGORY = 360001, 360002, 360003
FORM_CSAM = 777
SETTINGS = {
    "custom_fields": f"market={MARKET}, severity={SEVERITY}, category={CATEGORY}",
    "custom_values": "sev_critical=S0, sev_high=S1, sev_low=S3, team_vietnam=VN, "
                     "csam=child_safety",
    "ticket_forms": f"{FORM_CSAM}=child_safety+JP",
}


@dataclass
class Env:
    server: ZendeskServer
    store: Store
    engine: SyncEngine

    def run(self) -> Any:
        report = self.engine.run("zd")
        assert report.error is None, report.error
        return report

    def rows(self) -> dict[str, tuple[Any, ...]]:
        with self.store.read() as db:
            return {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT external_id, market, category, severity FROM escalation")}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with ZendeskServer() as server:
        st = server.state
        st.define_field(MARKET, "Market", options=["market_th", "team_vietnam", "market_sg"])
        st.define_field(SEVERITY, "Severity", options=["sev_critical", "sev_high", "sev_low",
                                                       "sev_unsure"])
        st.define_field(CATEGORY, "Policy area", options=["hate_speech", "csam"])
        draft = core.new_draft("zendesk", "zd", {
            "base_url": server.url, "email": server.email, **SETTINGS}, {"token": server.token})
        assert draft.problems() == []
        client = draft.spec.build("zd", draft.config, draft.secret_values.get)
        assert isinstance(client, ZendeskChannel)
        store = Store.open(tmp_path / "cache.sqlite3")
        with store.write() as db:
            cs.ensure_channel(db, draft.channel())
        yield Env(server, store, SyncEngine(store, {"zd": client}, rng=random.Random(0)))
        client.close()
        store.close()


def test_custom_fields_then_tags_then_forms_decide_what_lands_in_the_cache(env: Env) -> None:
    st = env.server.state
    ids = [str(st.add_ticket(subject, "text", **kw)) for subject, kw in [
        ("all three fields", {"custom": {MARKET: "market_th", SEVERITY: "sev_critical",
                                         CATEGORY: "hate_speech"}, "tags": ["severity_s3"]}),
        ("field beats tag", {"custom": {MARKET: "team_vietnam", CATEGORY: "csam"},
                             "tags": ["market_sg", "hate_speech"]}),
        ("tag beats form", {"form_id": FORM_CSAM, "tags": ["market_id"]}),
        ("form only", {"form_id": FORM_CSAM}),
        ("nothing set", {}),
        ("unmapped option", {"custom": {SEVERITY: "sev_unsure"}}),
    ]]
    report = env.run()
    assert (report.received, report.quarantined) == (5, 1)
    rows = env.rows()
    assert rows[ids[0]] == ("TH", "hate_speech", 0)
    assert rows[ids[1]] == ("VN", "child_safety", 2)  # priority normal -> S2
    assert rows[ids[2]] == ("ID", "child_safety", 2)
    assert rows[ids[3]] == ("JP", "child_safety", 2)
    assert rows[ids[4]] == ("SG", "other", 2)  # the channel's defaults
    with env.store.read() as db:
        [(ext, reason)] = db.execute("SELECT external_id, reason FROM quarantine").fetchall()
    assert ext == ids[5]
    assert reason == (f"custom field {SEVERITY} (severity) holds 'sev_unsure', which is not "
                      "a severity: map it in the channel's custom_values (e.g. sev_unsure=S1)")


def test_severity_is_written_back_to_its_custom_field(env: Env) -> None:
    st = env.server.state
    tid = st.add_ticket("escalate me", "text", custom={SEVERITY: "sev_critical",
                                                       MARKET: "market_th"})
    env.run()
    with env.store.read() as db:
        esc_id = db.execute("SELECT id FROM escalation WHERE external_id = ?",
                            (str(tid),)).fetchone()[0]
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"severity": "S1"}, "a.tan", "downgrade",
                               utcnow())
    report = env.run()
    assert report.pushed == 1, report
    ticket = st.tickets[tid]
    fields = {f["id"]: f["value"] for f in ticket["custom_fields"]}
    assert fields[SEVERITY] == "sev_high" and fields[MARKET] == "market_th"
    assert "sev_high" in ticket["tags"] and "sev_critical" not in ticket["tags"]
    assert not any(t.startswith("severity_") for t in ticket["tags"])  # not a tag write
    assert env.rows()[str(tid)] == ("TH", "other", 1)
    assert env.run().changed == 0  # the echo was applied


def test_connection_test_names_a_custom_field_the_account_does_not_have(env: Env) -> None:
    good = core.new_draft("zendesk", "zd", {"base_url": env.server.url,
                                            "email": env.server.email, **SETTINGS},
                          {"token": env.server.token})
    assert core.check_connection(good).ok
    bad = core.new_draft("zendesk", "zd", {
        "base_url": env.server.url, "email": env.server.email,
        "custom_fields": f"market={MARKET}, severity=360099"}, {"token": env.server.token})
    verdict = core.check_connection(bad)
    assert verdict.kind is core.VerdictKind.WRONG_URL
    assert verdict.message == (
        "zd: this Zendesk has no custom ticket field 360099 (severity): check custom_fields "
        "(Admin Center > Objects and rules > Tickets > Fields shows the ids)")
