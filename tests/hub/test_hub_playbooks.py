"""Team playbooks on the hub, through the desktop's real rr_api client and sync engine:
what the hub stores after a lead's edit (file, audit, feed), what an analyst is refused,
the playbook checks' sentence (422), a stale version (412); a desktop syncing them into
its data dir, where its PlaybookLibrary lists them, and a file removed on the hub leaving
the desktop while the user's own stays. On SQLite and (slow) the real PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml
from sqlalchemy import insert

from rr_desktop.channels.contract import Rejected, TeamPlaybookChanged
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo.generator import generate
from rr_desktop.domain import Channel
from rr_desktop.hub import audit, feed
from rr_desktop.hub.escalation_store import HubEscalations
from rr_desktop.hub.playbook_store import HubPlaybooks
from rr_desktop.hub.schema import playbook
from rr_desktop.hub.store import HubStore, utc_stamp
from rr_desktop.playbooks import Source, load_library
from rr_desktop.playbooks.files import team_folder
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.hub.hub_rig import add_user, hub_in_thread
from tests.peers.reference_service import ReferenceService

SPEC = yaml.safe_load((Path(__file__).parents[2] / "rr_desktop/hub/openapi.yaml").read_text())
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
DRILL = """\
id: team-drill
title: Team drill
steps:
  - id: declare
    title: Declare the drill; name the commander
    role: commander
    minutes: 5
  - id: post-mortem
    title: Write down what the drill taught
    role: scribe
    minutes: 30
"""
JAPAN = """\
market: JP
title: Japan (the team's own)
contacts:
  - id: jp-team-legal
    name: Team legal, Tokyo
    function: legal
    channels: {email: legal-tokyo@example.com}
"""


@pytest.fixture
def hub(hub_url: str) -> Iterator[tuple[HubStore, str, dict[str, str]]]:
    """(store, base URL, tokens by analyst) of a hub with a few escalations."""
    store = HubStore.open(hub_url)
    try:
        HubEscalations(store).load(generate(7, 5, NOW))
        tokens = {name: add_user(store, name, role) for name, role in
                  (("mei.tan", "analyst"), ("lead.li", "lead"))}
        with hub_in_thread(store) as base:
            yield store, base, tokens
    finally:
        store.close()


def _client(base: str, token: str, desktop: str) -> RrApiChannel:
    return RrApiChannel("hub", base, token, desktop_id=desktop)


def _state(store: HubStore) -> tuple[object, ...]:
    with store.read() as conn:
        return (HubPlaybooks(store).listing().files, feed.head(conn),
                len(audit.entries(conn, 1000)))


def test_a_lead_edits_team_playbooks_an_analyst_only_reads_them(hub) -> None:
    store, base, tokens = hub
    lead = _client(base, tokens["lead.li"], "desk-l")
    mei = _client(base, tokens["mei.tan"], "desk-m")

    stored = lead.put_playbook("team-drill.yaml", DRILL, None)
    assert (stored["version"], stored["updated_by"]) == (1, "lead.li")
    on_hub = HubPlaybooks(store).get("team-drill.yaml")
    assert on_hub is not None and on_hub["text"] == DRILL and on_hub["version"] == 1
    with store.read() as conn:
        entry = audit.entries(conn, 1)[0]
        last = feed.read_changes(conn, feed.head(conn) - 1, 5)[-1]
    assert (entry.actor, entry.desktop, entry.action, entry.target) == \
        ("lead.li", "desk-l", "playbook.put", "team-drill.yaml")
    assert (last.kind, last.key, last.version, last.actor, last.desktop) == \
        ("playbook", "team-drill.yaml", 1, "lead.li", "desk-l")
    assert json.loads(last.payload)["text"] == DRILL
    lead.put_playbook("overlays/JP.yaml", JAPAN, None)
    assert HubPlaybooks(store).get("overlays/JP.yaml")["text"] == JAPAN

    # An analyst reads the files but can neither write nor delete one: nothing changes.
    listed = mei.pull_playbooks()
    assert listed is not None
    assert [(f["name"], f["text"]) for f in listed.files] == \
        [("overlays/JP.yaml", JAPAN), ("team-drill.yaml", DRILL)]
    again = mei.pull_playbooks(listed.tag)
    assert again is not None and again.unchanged and again.files == ()
    before = _state(store)
    with pytest.raises(Rejected, match="Only a lead or an admin can edit"):
        mei.put_playbook("team-drill.yaml", DRILL.replace("Team drill", "Mine"), 1)
    with pytest.raises(Rejected, match="Only a lead or an admin can delete"):
        mei.delete_playbook("team-drill.yaml")
    with pytest.raises(Rejected, match="Only a lead or an admin can edit"):
        mei.put_playbook("overlays/KR.yaml", JAPAN.replace("JP", "KR"), None)
    assert _state(store) == before

    # A file that fails the playbook checks: 422 with the check's sentence, nothing stored.
    with pytest.raises(Rejected, match=r"team-drill\.yaml: steps\[1\]\.minutes must be a "
                                       r"whole number \(not 'half an hour'\)"):
        lead.put_playbook("team-drill.yaml", DRILL.replace("30", "half an hour"), 1)
    with pytest.raises(Rejected, match=r"overlays/XX\.yaml: market"):
        lead.put_playbook("overlays/XX.yaml", JAPAN.replace("JP", "Japan"), None)
    auth = {"Authorization": f"Bearer {tokens['lead.li']}"}
    for name in ("notes.txt", "..yaml"):
        bad = requests.put(f"{base}/v1/playbooks/{name}", json={"text": DRILL},
                           headers=auth, timeout=10)
        assert bad.status_code == 422 and "is not a playbook file name" in bad.text
    assert _state(store) == before

    # A stale version, or a create over an existing file: 412 with the file as it is.
    lead.put_playbook("team-drill.yaml", DRILL.replace("Team drill", "Team drill (v2)"), 1)
    for if_match in (1, None):
        with pytest.raises(TeamPlaybookChanged) as stale:
            lead.put_playbook("team-drill.yaml", DRILL, if_match)
        assert stale.value.current is not None and stale.value.current["version"] == 2
    assert "Team drill (v2)" in HubPlaybooks(store).get("team-drill.yaml")["text"]

    lead.delete_playbook("overlays/JP.yaml", 1)
    assert HubPlaybooks(store).get("overlays/JP.yaml") is None
    with store.read() as conn:
        last = feed.read_changes(conn, feed.head(conn) - 1, 5)[-1]
        entry = audit.entries(conn, 1)[0]
    assert (last.kind, last.key, json.loads(last.payload)["deleted"]) == \
        ("playbook", "overlays/JP.yaml", True)
    assert (entry.actor, entry.action) == ("lead.li", "playbook.delete")
    unauthenticated = requests.get(f"{base}/v1/playbooks", timeout=10)
    assert unauthenticated.status_code == 401
    # The answers are the documented shapes (hub/openapi.yaml).
    served = requests.get(f"{base}/v1/playbooks", headers=auth, timeout=10)
    listing_schema = SPEC["paths"]["/v1/playbooks"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    jsonschema.validate(served.json(), {**listing_schema, "components": SPEC["components"]})
    stale_answer = requests.put(f"{base}/v1/playbooks/team-drill.yaml", json={"text": DRILL},
                                headers={**auth, "If-Match": '"1"'}, timeout=10)
    assert stale_answer.status_code == 412
    jsonschema.validate(stale_answer.json(), {
        **SPEC["components"]["responses"]["PlaybookChanged"]["content"]["application/json"][
            "schema"], "components": SPEC["components"]})


def _desktop(tmp_path: Path, base: str, token: str) -> tuple[Store, SyncEngine, Path]:
    data = tmp_path / "desktop"
    data.mkdir()
    store = Store.open(data / "cache.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("hub", "rr_api", {"base_url": base}))
    engine = SyncEngine(store, {"hub": _client(base, token, "desk-m")}, data_dir=data)
    return store, engine, data


def test_a_desktop_syncs_the_team_playbooks_into_its_library(
        hub, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store, base, tokens = hub
    lead = _client(base, tokens["lead.li"], "desk-l")
    lead.put_playbook("team-drill.yaml", DRILL, None)
    lead.put_playbook("overlays/jp.yml", JAPAN, None)
    desk, engine, data = _desktop(tmp_path, base, tokens["mei.tan"])
    mine = data / "playbooks" / "mine.yaml"
    mine.parent.mkdir()
    mine.write_text(DRILL.replace("team-drill", "my-drill"), "utf-8")
    # A file the hub holds that this desktop cannot use (written by a newer hub).
    with store.write() as conn:
        conn.execute(insert(playbook).values(
            name="from-the-future.yaml", text="schema_version: 9\n" + DRILL,
            version=1, updated_by="lead.li", updated_at=utc_stamp(), seq=10**9))
    try:
        with caplog.at_level(logging.WARNING, "rr_desktop.sync.playbook_sync"):
            report = engine.run("hub")
            assert report.error is None and report.problems == [], report.summary()
            team = team_folder(data)
            assert (team / "team-drill.yaml").read_text("utf-8") == DRILL
            assert (team / "overlays" / "jp.yml").read_text("utf-8") == JAPAN
            assert not (team / "from-the-future.yaml").exists()
            library = load_library(data)
            drill = library.playbook("team-drill")
            assert drill is not None and drill.source is Source.TEAM
            assert library.playbook("my-drill").source is Source.USER
            japan = next(e for e in library.entries if e.key == "JP")
            assert (japan.source, japan.replaced_source, japan.title) == \
                (Source.TEAM, Source.BUNDLED, "Japan (the team's own)")
            assert library.overlays["JP"].contacts[0].id == "jp-team-legal"
            assert engine.run("hub").error is None  # nothing changed: read once, logged once
        refused = [r.getMessage() for r in caplog.records if "from-the-future" in r.getMessage()]
        assert len(refused) == 1 and "schema_version is 9" in refused[0]

        # Removed on the hub: gone from the desktop's team folder; the user's file stays.
        lead.delete_playbook("team-drill.yaml")
        assert engine.run("hub").error is None
        assert not (team / "team-drill.yaml").exists()
        assert (team / "overlays" / "jp.yml").exists()
        assert mine.read_text("utf-8") == DRILL.replace("team-drill", "my-drill")
        library = load_library(data)
        assert library.playbook("team-drill") is None
        assert library.playbook("my-drill") is not None
        # A team file deleted by hand comes back at the next sync.
        (team / "overlays" / "jp.yml").unlink()
        assert engine.run("hub").error is None
        assert (team / "overlays" / "jp.yml").read_text("utf-8") == JAPAN
        assert sorted(p.name for p in team.rglob("*") if p.is_file()) == [".hub.json", "jp.yml"]
    finally:
        engine.clients["hub"].close()  # type: ignore[attr-defined]
        desk.close()


def test_a_server_without_team_playbooks_means_none_quietly(tmp_path: Path) -> None:
    with ReferenceService(count=5) as service:
        client = RrApiChannel("demo", service.url, service.token)
        assert client.pull_playbooks() is None
        data = tmp_path / "desktop"
        data.mkdir()
        store = Store.open(data / "cache.sqlite3")
        with store.write() as db:
            cs.ensure_channel(db, Channel("demo", "rr_api", {"base_url": service.url}))
        try:
            engine = SyncEngine(store, {"demo": client}, data_dir=data)
            report = engine.run("demo")
            assert engine.run("demo").error is None
            asked = service.stats()["routes"].get("GET /v1/playbooks", 0)
        finally:
            client.close()
            store.close()
    assert asked == 1  # the 404 is remembered: no extra request on every sync run
    assert report.error is None
    assert not [p for p in report.problems if "playbook" in p]
    assert not team_folder(data).exists()
