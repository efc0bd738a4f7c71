"""REST mapping schema_version 2 features against a local tool in the shapes of real
trackers' APIs (tests/peers/rest_server.py: Bitbucket Cloud's paged `values` + `next`
URL, Todoist's `sync_token`, a linked text resource), through the real RestChannel,
SyncEngine and Store. The real-tracker counterpart is test_rest_roundup.py (slow)."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rr_desktop.channels.rest import RestChannel, decode_config
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.peers.rest_server import TOKEN, Fault, RestTool, rest_server

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / "example-rest.json"
NAME = "desk"


def v2_doc(url: str, **changes: Any) -> dict[str, Any]:
    """The shipped example as schema_version 2 (its paths are valid JMESPath too)."""
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text())
    doc.update(schema_version=2, base_url=url, **changes)
    doc["pagination"] = changes.get("pagination", {**doc["pagination"], "page_size": 4})
    return doc


@dataclass
class Env:
    url: str
    tool: RestTool
    store: Store
    engine: SyncEngine
    client: RestChannel | None = None

    def use(self, **changes: Any) -> RestChannel:
        self.client = RestChannel(NAME, decode_config(json.dumps(v2_doc(self.url, **changes))),
                                  TOKEN)
        self.engine.clients[NAME] = self.client
        return self.client

    def run(self) -> Any:
        report = self.engine.run(NAME)
        assert report.error is None, report.error
        return report

    def rows(self) -> dict[str, dict[str, Any]]:
        with self.store.read() as db:
            cur = db.execute("SELECT external_id, status, body, content_url FROM escalation")
            names = [d[0] for d in cur.description]
            return {r[0]: dict(zip(names, r, strict=True)) for r in cur}

    def requests(self, path: str) -> list[dict[str, str]]:
        """The query of every GET to `path`, in order."""
        return [{k: v[-1] for k, v in parse_qs(urlsplit(p).query).items()}
                for m, p in self.tool.log if m == "GET" and urlsplit(p).path == path]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with rest_server(10) as (url, tool):
        store = Store.open(tmp_path / "cache.sqlite3")
        with store.write() as db:
            cs.ensure_channel(db, Channel(NAME, "rest", {"config_file": str(EXAMPLE)}))
        yield Env(url, tool, store, SyncEngine(store, {}, rng=random.Random(3)))
        store.close()


def test_a_change_number_cursor_and_the_next_link_in_the_body(env: Env) -> None:
    env.use(list={"path": "/seq/items", "items": "values",
                  "incremental": {"param": "after_seq", "field": "seq"}},
            pagination={"style": "next_link", "next_link": "next", "size_param": "pagelen",
                        "page_size": 4})
    first = env.run()
    assert (first.received, first.pages) == (10, 3)  # 4 + 4 + 2, by the body's next URL
    assert [q.get("page") for q in env.requests("/api/seq/items")] == [None, "2", "3"]
    assert env.run().received == 0
    env.tool.mutate("AB-3", state="contained")
    env.tool.create("AB-11")
    third = env.run()
    assert (third.received, third.changed) == (2, 2)
    assert env.requests("/api/seq/items")[-1]["after_seq"] == "10"  # not a time
    assert env.rows()["AB-3"]["status"] == "contained"
    assert env.run().received == 0
    assert env.requests("/api/seq/items")[-1]["after_seq"] == "12"


def test_a_server_sync_token_cursor_and_its_expiry(env: Env) -> None:
    env.use(list={"path": "/delta/items", "items": "items",
                  "incremental": {"param": "sync_token", "token": "sync_token"}},
            pagination={"style": "none", "expired_statuses": [410]})
    assert env.run().received == 10
    assert "sync_token" not in env.requests("/api/delta/items")[0]
    env.tool.mutate("AB-2", state="done")
    again = env.run()
    assert (again.received, again.changed) == (1, 1)
    assert env.rows()["AB-2"]["status"] == "resolved"
    token = env.requests("/api/delta/items")[-1]["sync_token"]
    assert token and token != "None"
    env.tool.expire_cursors(410)  # the token no longer works: resync from the start
    report = env.run()
    assert report.resynced and report.received == 10


def test_linked_text_fetched_once_per_record_version_paced_and_cached(env: Env) -> None:
    env.tool.create("AB-11", text_id="../users")  # a hostile link: stays one path segment
    client = env.use(expand=[{"as": "full", "from": "text_id", "path": "/texts/{value}",
                              "item": "text", "per_second": 20}],
                     fields={**v2_doc(env.url)["fields"], "body": "full.body"})
    env.tool.faults.append(Fault(429, headers={"Retry-After": "0"}, path="/api/texts/"))
    first = env.run()
    assert (first.received, first.quarantined) == (10, 1)
    assert env.rows()["AB-4"]["body"] == "Full report of AB-4: clip re-uploaded 40 times"
    texts = [(p, t) for p, t in env.tool.stamps if p.startswith("/api/texts/")]
    assert len(texts) == 12  # 11 records + the one refused with 429, asked again once
    # Paced to 20/s: the client sends them 50 ms apart; the server sees them arrive with
    # the machine's jitter, so the pace is checked over the run, with no two close together.
    assert texts[-1][1] - texts[0][1] >= (len(texts) - 1) * 0.048
    assert all(b - a >= 0.02 for (_, a), (_, b) in itertools.pairwise(texts))
    assert "/api/texts/..%2Fusers" in [p for m, p in env.tool.log]
    with env.store.read() as db:
        [(ext, reason)] = db.execute("SELECT external_id, reason FROM quarantine").fetchall()
    assert ext == "AB-11" and reason.startswith("expand full: desk: ") and "(404)" in reason
    requests_before = client.follow.requests
    env.run()  # the overlap window re-reads every record, unchanged: all from the cache
    assert client.follow.requests == requests_before
    env.tool.mutate("AB-2", state="done")
    env.run()  # one record changed: its text is asked for again, no other
    assert client.follow.requests == requests_before + 1


def test_the_link_is_a_url_template(env: Env) -> None:
    env.tool.create("AB/12 x")
    fields = {**v2_doc(env.url)["fields"], "link": "{base}/view/{id}"}
    env.use(fields=fields)
    env.run()
    rows = env.rows()
    assert rows["AB-1"]["content_url"] == f"{env.url}/view/AB-1"
    assert rows["AB/12 x"]["content_url"] == f"{env.url}/view/AB%2F12%20x"


def test_the_linked_answer_cache_stays_within_its_byte_cap(env: Env,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from rr_desktop.channels.rest import follow

    monkeypatch.setattr(follow, "CACHE_BYTES", 200)  # room for 3 of the ~60-byte texts
    client = env.use(expand=[{"as": "full", "from": "text_id", "path": "/texts/{value}",
                              "item": "text", "per_second": 100}],
                     fields={**v2_doc(env.url)["fields"], "body": "full.body"})
    assert env.run().received == 10 and client.follow.requests == 10
    assert 0 < client._linked.total_bytes <= 200 and len(client._linked) == 3
    env.run()  # a re-read in the same order, larger than the cache: every text misses
    assert client.follow.requests == 20  # (least recently used goes first)
    assert client._linked.total_bytes <= 200 and len(client._linked) == 3
    assert env.rows()["AB-1"]["body"].startswith("Full report of AB-1")
