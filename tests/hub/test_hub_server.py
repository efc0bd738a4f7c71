"""The hub's HTTP side: every route is in the OpenAPI document and back, and the pair
test: the hub in its own process on the real PostgreSQL, a token made by
`rr-desktop hub users add`, an authorised, a wrong and a revoked request."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml
from starlette.routing import Route

from rr_desktop.hub import feed
from rr_desktop.hub.server import UNAUTHORIZED, create_app
from rr_desktop.hub.store import HubStore
from tests.hub.hub_rig import hub_process
from tests.peers.postgres import PostgresServer

SPEC = yaml.safe_load((Path(__file__).parents[2] / "rr_desktop/hub/openapi.yaml").read_text())


def test_every_route_is_in_the_openapi_document_and_back(sqlite_url: str) -> None:
    store = HubStore.open(sqlite_url)
    try:
        app = create_app(store)
    finally:
        store.close()
    served = {(r.path, m.lower()) for r in app.routes if isinstance(r, Route)
              for m in (r.methods or ()) if m != "HEAD" and r.path != "/v1/{rest:path}"}
    documented = {(path, method) for path, ops in SPEC["paths"].items() for method in ops
                  if method in ("get", "post", "put", "patch", "delete")}
    # The hub's own routes are its own document's; the rr_api routes (served through
    # one route into hub/api.py) are checked route by route in test_hub_api.py.
    assert served == documented


def _schema(name: str) -> dict[str, object]:
    return {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}


@pytest.fixture
def hub(postgres: PostgresServer) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of `rr-desktop hub` in its own process."""
    name = postgres.create_database()
    db = postgres.url(name, tcp=True)
    try:
        with hub_process(db) as hub:  # listening once it has migrated
            assert "rr@127.0.0.1" in hub.line
            yield hub.base, db
    finally:
        postgres.drop_database(name)


def _cli(db: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rr_desktop", "hub", "--db", db, *argv],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_tokens_on_a_hub_in_its_own_process(hub: tuple[str, str]) -> None:
    base, db = hub
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    made = _cli(db, "users", "add", "mei.tan", "--role", "analyst")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    other = _cli(db, "users", "add", "raj.k", "--role", "lead").stdout.strip()
    store = HubStore.open(db)
    try:
        with store.write() as conn:
            feed.append_change(conn, "escalation", "zendesk:acme/101", {"title": "Hoax"},
                               version=3, actor="raj.k", desktop="raj-laptop")
    finally:
        store.close()

    def get(tok: str | None, query: str = "") -> requests.Response:
        headers = {"Authorization": f"Bearer {tok}"} if tok is not None else {}
        return requests.get(f"{base}/v1/changes{query}", headers=headers, timeout=10)

    ok = get(token, "?after=0&limit=10")
    assert ok.status_code == 200
    jsonschema.validate(ok.json(), _schema("HubChangesPage"))
    assert ok.json()["next"] == 1 and ok.json()["has_more"] is False
    assert ok.json()["changes"][0]["record"] == {"title": "Hoax"}
    assert get(token, "?after=1").json() == {"changes": [], "next": 1, "has_more": False}
    assert get(token, "?after=-1").status_code == 400

    revoked = _cli(db, "users", "revoke", "mei.tan")
    assert revoked.returncode == 0, revoked.stderr
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for tok in (token, wrong, None, "", "rrh_nonsense", other + "x"):
        refused = get(tok, "?after=0")
        assert refused.status_code == 401, tok
        assert refused.json() == UNAUTHORIZED  # the same body whatever the reason
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Hoax" not in refused.text
    assert get(other, "?after=0").status_code == 200  # the other analyst is unaffected
    assert json.loads(get(other).text)["changes"][0]["actor"] == "raj.k"
