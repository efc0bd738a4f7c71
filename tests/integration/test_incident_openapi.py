"""The OpenAPI document describes the incident routes as the service answers them: every
answer of the reference service (201, 200, 400, 401, 404, 409, 410, 422) is checked
against the schema the document gives for that path, method and status."""

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
from rr_desktop.domain.incident_events import KINDS

TOKEN = "incident-spec-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EVENTS = "/v1/incident-events"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(openapi_document())
    Draft202012Validator.check_schema(loaded["components"]["schemas"]["Incident"])
    return loaded


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(TOKEN, seed=3, count=30) as srv:
        yield srv


def _follow(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and len(node) == 1:
        found: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def check(doc: dict[str, Any], template: str, resp: requests.Response) -> Any:
    """The answer's JSON, after checking it against the documented schema for it."""
    method = resp.request.method or ""
    operation = doc["paths"][template][method.lower()]
    status = str(resp.status_code)
    documented = operation["responses"]
    assert status in documented or f"{status[0]}XX" in documented, \
        f"{method} {template} answered {status}, which the document does not list"
    answer = _follow(doc, documented.get(status) or documented[f"{status[0]}XX"])
    schema = answer["content"]["application/json"]["schema"]
    body = resp.json()
    validator = Draft202012Validator({**doc, **schema})
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method} {template} {status}: {errors[0].message}"
    return body


def declare() -> dict[str, Any]:
    return {"uid": str(uuid.uuid4()), "incident": str(uuid.uuid4()), "kind": "declare",
            "actor": "a.tan", "at": "2026-11-25T01:02:03Z", "base": None,
            "data": {"title": "Deepfake of a minister", "type": "", "severity": "S0",
                     "priority": "P0", "markets": ["AU"], "summary": "Spreading fast"}}


def post(server: DemoServer, event: Any, key: str | None = None) -> requests.Response:
    headers = dict(AUTH)
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(server.url + EVENTS, json=event, headers=headers, timeout=5)


def test_the_document_lists_the_incident_routes_and_kinds(doc: dict[str, Any]) -> None:
    assert {"post", "get"} <= set(doc["paths"][EVENTS])
    assert "get" in doc["paths"]["/v1/incidents"] and \
        "get" in doc["paths"]["/v1/incidents/{uid}"]
    key = [p for p in doc["paths"][EVENTS]["post"]["parameters"]
           if p["name"] == "Idempotency-Key"]
    assert key and key[0]["required"] is True
    kinds = doc["components"]["schemas"]["IncidentEventInput"]["properties"]["kind"]["enum"]
    assert tuple(kinds) == KINDS  # the service's vocabulary is the domain's


def test_every_incident_answer_matches_the_document(doc: dict[str, Any],
                                                    server: DemoServer) -> None:
    first = declare()
    input_schema = Draft202012Validator({**doc, **doc["components"]["schemas"][
        "IncidentEventInput"]})
    assert input_schema.is_valid(first) and not input_schema.is_valid({**first, "seq": 1})
    incident = first["incident"]
    assert check(doc, EVENTS, post(server, first, first["uid"]))["seq"] >= 1
    replay = post(server, first, first["uid"])
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    check(doc, EVENTS, replay)
    reused = post(server, {**first, "actor": "b.lee"}, first["uid"])
    assert reused.status_code == 409
    assert check(doc, EVENTS, reused)["error"] == "idempotency_key_reused"
    edit = {**declare(), "incident": incident, "kind": "set", "base": None,
            "data": {"field": "severity", "value": "S1"}}
    other = {**edit, "uid": str(uuid.uuid4()), "data": {"field": "severity", "value": "S2"}}
    for e in (edit, other):
        assert post(server, e, e["uid"]).status_code == 201
    for bad in ({**declare(), "kind": "explode"}, {**declare(), "seq": 3}):
        refused = post(server, bad, bad["uid"])
        assert refused.status_code == 422 and check(doc, EVENTS, refused)["message"]
    assert post(server, first, None).status_code == 400
    check(doc, EVENTS, post(server, first, None))

    page = requests.get(server.url + EVENTS, params={"after": 0, "limit": 2}, headers=AUTH,
                        timeout=5)
    assert check(doc, EVENTS, page)["has_more"] is True
    for params in ({"after": -1}, {"limit": 501}, {"after": 10**6}):
        answer = requests.get(server.url + EVENTS, params=params, headers=AUTH, timeout=5)
        assert answer.status_code in (400, 410)
        check(doc, EVENTS, answer)
    listed = requests.get(server.url + "/v1/incidents", headers=AUTH, timeout=5)
    assert [i["conflicts"] for i in check(doc, "/v1/incidents", listed)["items"]
            if i["uid"] == incident] == [["severity"]]
    whole = requests.get(f"{server.url}/v1/incidents/{incident}", headers=AUTH, timeout=5)
    assert check(doc, "/v1/incidents/{uid}", whole)["conflicts"][0]["field"] == "severity"
    missing = requests.get(f"{server.url}/v1/incidents/{uuid.uuid4()}", headers=AUTH,
                           timeout=5)
    assert missing.status_code == 404
    check(doc, "/v1/incidents/{uid}", missing)
    for path, template in ((EVENTS, EVENTS), ("/v1/incidents", "/v1/incidents")):
        denied = requests.get(server.url + path, timeout=5)
        assert denied.status_code == 401
        check(doc, template, denied)
