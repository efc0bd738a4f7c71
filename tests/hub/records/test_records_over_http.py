"""The hub's incident log and post-mortems behind the reference service's own routes
(IncidentRoutes, PostmortemRoutes, as the hub's HTTP adapter will use them), spoken to by
the desktop's real `rr_api` client: the feed's gapped seqs page through the client's
checks, and what the client sent is what the hub's database holds.

The HTTP server here is the reference service's, in this process; the hub's own server
in its own process is the adapter's test."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from rr_desktop.channels.contract import Rejected
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo.api import EscalationApi
from rr_desktop.demo.faults import FaultInjector
from rr_desktop.demo.generator import generate
from rr_desktop.demo.handler import DemoHttpServer
from rr_desktop.demo.state import EscalationStore
from rr_desktop.hub.incident_store import HubIncidentLog
from rr_desktop.hub.postmortem_store import HubPostmortems
from rr_desktop.hub.store import HubStore
from tests.unit.test_demo_incident_log import declare, event, fact

TOKEN = "hub-records-token"


@pytest.fixture
def served(hub_url: str) -> Iterator[tuple[RrApiChannel, str]]:
    store = HubStore.open(hub_url)
    api = EscalationApi(TOKEN, EscalationStore(generate(7, 3, datetime.now(UTC))),
                        FaultInjector(), HubIncidentLog(store), HubPostmortems(store))
    httpd = DemoHttpServer(("127.0.0.1", 0), api)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    client = RrApiChannel("hub", f"http://127.0.0.1:{httpd.server_address[1]}", TOKEN)
    try:
        yield client, hub_url
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
        store.close()


def test_the_client_pages_the_hubs_gapped_seqs_and_the_hub_holds_what_it_sent(
        served: tuple[RrApiChannel, str]) -> None:
    client, url = served
    first = declare()
    incident = first["incident"]
    pm_uid = str(uuid.uuid4())
    pm = {"incident": incident, "title": "Post-mortem", "state": "draft", "text": "# PM",
          "actions": []}
    sent = [first, fact(incident, "origin: 40 new accounts"),
            event(incident, "status", {"status": "contained"}, base=first["uid"])]
    seqs = [client.push_incident_event(sent[0])["seq"]]
    version = client.put_postmortem(pm_uid, pm, None)["version"]
    seqs.append(client.push_incident_event(sent[1])["seq"])
    client.put_postmortem(pm_uid, {**pm, "text": "# PM\n\nv2"}, version)
    seqs.append(client.push_incident_event(sent[2])["seq"])
    assert seqs == [1, 3, 5]
    assert client.push_incident_event(sent[1])["seq"] == 3  # a retry: the stored event
    with pytest.raises(Rejected, match="declared already"):
        client.push_incident_event({**declare(), "incident": incident})

    pulled, after, pages = [], 0, 0
    while True:
        page = client.pull_incident_events(after, 2)
        assert page.malformed == []
        pulled += page.events
        after, pages = page.next, pages + 1
        if not page.has_more:
            break
    assert pages == 2 and after == 5
    assert [e["seq"] for e in pulled] == [1, 3, 5]
    assert [{k: v for k, v in e.items() if k != "seq"} for e in pulled] == sent
    postmortems = client.pull_postmortems(0, 10)
    assert [(p["uid"], p["seq"], p["version"]) for p in postmortems.postmortems] == \
        [(pm_uid, 4, 2)]
    assert postmortems.next == 4 and not postmortems.has_more

    store = HubStore.open(url)  # the hub's database, read by a second process's engine
    try:
        held = HubIncidentLog(store).incident(incident)
        assert held is not None and held["status"] == "contained"
        assert [f["text"] for f in held["facts"]] == ["origin: 40 new accounts"]
        assert HubPostmortems(store).get(pm_uid)["text"] == "# PM\n\nv2"  # type: ignore[index]
    finally:
        store.close()
