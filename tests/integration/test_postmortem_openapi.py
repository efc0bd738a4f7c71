"""The OpenAPI document describes the post-mortem and task routes as the service answers
them: every answer of the reference service (200, 201, 400, 401, 404, 405 aside, 409,
410, 412 with a copy and with none, 413, 422) is checked against the schema the document
gives for that path, method and status (docs/postmortems.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator

from rr_desktop.demo import DemoServer
from rr_desktop.demo.api import openapi_document
from tests.integration.test_incident_openapi import check

TOKEN = "postmortem-spec-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PMS = "/v1/postmortems"
ONE = "/v1/postmortems/{uid}"
TASKS = "/v1/tasks"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(openapi_document())
    for name in ("Postmortem", "PostmortemInput", "PostmortemPage", "PostmortemMismatch",
                 "Task"):
        Draft202012Validator.check_schema(loaded["components"]["schemas"][name])
    return loaded


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(TOKEN, seed=3, count=30) as srv:
        yield srv


def body(**changes: Any) -> dict[str, Any]:
    return {"incident": "3f6c3b0e-5b7e-4d0c-9a51-0d8f1f0c2a11", "title": "Post-mortem: hoax",
            "state": "draft", "text": "# Post-mortem: hoax\n\n## Summary\nTBD\n",
            "actions": [{"key": "k1", "text": "Hash the sounds", "owner": "b.santoso",
                         "due": "2026-12-13", "done": False}], **changes}


def put(server: DemoServer, uid: str, sent: Any, if_match: str | None = None,
        key: str | None = None) -> requests.Response:
    headers = dict(AUTH)
    if if_match is not None:
        headers["If-Match"] = if_match
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.put(f"{server.url}{PMS}/{uid}", json=sent, headers=headers, timeout=10)


def get(server: DemoServer, path: str, **params: Any) -> requests.Response:
    return requests.get(server.url + path, params=params, headers=AUTH, timeout=10)


def test_the_document_lists_the_post_mortem_routes(doc: dict[str, Any]) -> None:
    assert "get" in doc["paths"][PMS] and {"get", "put"} <= set(doc["paths"][ONE])
    assert "get" in doc["paths"][TASKS]
    names = {p["name"] for p in doc["paths"][ONE]["put"]["parameters"]}
    assert names == {"If-Match", "Idempotency-Key"}
    states = doc["components"]["schemas"]["PostmortemState"]["enum"]
    assert tuple(states) == ("draft", "in_review", "final")
    inputs = Draft202012Validator({**doc, **doc["components"]["schemas"]["PostmortemInput"]})
    assert inputs.is_valid(body()) and not inputs.is_valid(body(state="published"))
    assert not inputs.is_valid({**body(), "version": 2})


def test_every_post_mortem_answer_matches_the_document(doc: dict[str, Any],
                                                       server: DemoServer) -> None:
    uid = str(uuid.uuid4())
    created = put(server, uid, body(), key="first")
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    assert check(doc, ONE, created)["version"] == 1
    replay = put(server, uid, body(), key="first")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    check(doc, ONE, replay)
    changed = put(server, uid, body(state="in_review"), '"1"', key="second")
    assert changed.status_code == 200 and check(doc, ONE, changed)["version"] == 2
    replayed = put(server, uid, body(state="in_review"), '"1"', key="second")
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert check(doc, ONE, replayed) == changed.json()
    reused = put(server, uid, body(state="final"), '"1"', key="second")
    assert reused.status_code == 409
    assert check(doc, ONE, reused)["error"] == "idempotency_key_reused"
    for stale in ('"1"', None, "*"):
        mismatch = put(server, uid, body(text="mine"), stale)
        assert mismatch.status_code == 412 and mismatch.headers["ETag"] == '"2"'
        assert check(doc, ONE, mismatch)["current"]["version"] == 2
    lost = put(server, str(uuid.uuid4()), body(), "7")
    assert lost.status_code == 412 and check(doc, ONE, lost)["current"] is None
    for bad in (body(state="published"), body(extra=1), body(text="x" * 2_000_001),
                body(actions=[{"key": "k1"}]), body(incident="another")):
        refused = put(server, uid, bad, '"2"')
        assert refused.status_code == 422 and check(doc, ONE, refused)["message"]
    for answer in (put(server, uid, body(), '"two"'),
                   requests.put(f"{server.url}{PMS}/{uid}", data=b"{", timeout=10,
                                headers={**AUTH, "If-Match": '"2"'})):
        assert answer.status_code == 400
        check(doc, ONE, answer)
    too_large = requests.put(f"{server.url}{PMS}/{uid}", data=b" " * (16 * 1024 * 1024 + 1),
                             headers={**AUTH, "Content-Type": "application/json"}, timeout=30)
    assert too_large.status_code == 413
    check(doc, ONE, too_large)

    whole = get(server, f"{PMS}/{uid}")
    assert check(doc, ONE, whole) == changed.json() and whole.headers["ETag"] == '"2"'
    missing = get(server, f"{PMS}/{uuid.uuid4()}")
    assert missing.status_code == 404
    check(doc, ONE, missing)
    page = get(server, PMS, after=0, limit=1)
    assert check(doc, PMS, page)["next"] >= 1
    for params in ({"after": -1}, {"limit": 201}, {"after": 10**6}):
        answer = get(server, PMS, **params)
        assert answer.status_code in (400, 410)
        check(doc, PMS, answer)
    tasks = get(server, TASKS, postmortem=uid)
    assert [t["key"] for t in check(doc, TASKS, tasks)["items"]] == ["k1"]
    for path, template in ((PMS, PMS), (f"{PMS}/{uid}", ONE), (TASKS, TASKS)):
        denied = requests.get(server.url + path, timeout=10)
        assert denied.status_code == 401
        check(doc, template, denied)
