"""The demo escalation service over real loopback HTTP (requests), faults included."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from rr_desktop.demo import DemoServer

TOKEN = "s3cret-demo-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROUTES = ["/v1/escalations", "/v1/escalations/{id}", "/v1/escalations/{id}/notes",
          "/v1/escalations/{id}/replies", "/v1/escalations/{id}/facts",
          "/v1/escalations/{id}/history", "/v1/analysts", "/v1/openapi.yaml",
          "/v1/incident-events", "/v1/incidents", "/v1/incidents/{uid}",
          "/v1/postmortems", "/v1/postmortems/{uid}", "/v1/tasks"]


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(TOKEN, seed=3, count=300) as srv:
        yield srv


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update(AUTH)
        yield session


def feed(http: requests.Session, server: DemoServer, cursor: str | None = None,
         limit: int = 500) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    response = http.get(f"{server.url}/v1/escalations", params=params, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def read_to_end(http: requests.Session, server: DemoServer, cursor: str | None = None
                ) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        page = feed(http, server, cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert cursor is not None
            return items, cursor


def patch(http: requests.Session, server: DemoServer, escalation_id: str, version: int,
          **fields: Any) -> requests.Response:
    return http.patch(f"{server.url}/v1/escalations/{escalation_id}", json=fields,
                      headers={"If-Match": f'"{version}"'}, timeout=5)


def test_auth_is_required(server: DemoServer) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        response = requests.get(f"{server.url}/v1/escalations", headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = requests.get(f"{server.url}/v1/analysts",
                            headers={"Authorization": f"bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 200


def test_paging_5000_records_sees_every_id_once_then_a_change_moves_to_the_end(
        http: requests.Session) -> None:
    with DemoServer(TOKEN, seed=5, count=5000) as server:
        first = feed(http, server, limit=500)
        assert len(first["items"]) == 500 and first["has_more"]
        assert first["server_time"].endswith("Z")
        items, cursor = read_to_end(http, server, first["next_cursor"])
        ids = [item["id"] for item in first["items"] + items]
        assert len(ids) == 5000 and len(set(ids)) == 5000
        empty = feed(http, server, cursor)
        assert empty == {**empty, "items": [], "has_more": False, "next_cursor": cursor}

        server.state.mutate("ESC-000042", status="contained")
        page = feed(http, server, cursor)
        assert [item["id"] for item in page["items"]] == ["ESC-000042"]
        assert page["items"][0]["status"] == "contained" and not page["has_more"]
        again, _ = read_to_end(http, server)
        assert [item["id"] for item in again][-1] == "ESC-000042" and len(again) == 5000


def test_bad_cursors_and_limits(server: DemoServer, http: requests.Session) -> None:
    _, cursor = read_to_end(http, server)
    instance, seq = cursor.split(".")
    url = f"{server.url}/v1/escalations"
    for foreign in (f"other{instance}.{seq}", f"{instance}.{int(seq) + 1}"):
        response = http.get(url, params={"cursor": foreign}, timeout=5)
        assert response.status_code == 410 and response.json()["error"] == "cursor_expired"
    with DemoServer(TOKEN, seed=3, count=300) as restarted:  # same data, new instance
        response = http.get(f"{restarted.url}/v1/escalations", params={"cursor": cursor})
        assert response.status_code == 410
    for params in ({"cursor": "garbage"}, {"limit": "0"}, {"limit": "1001"}, {"limit": "x"}):
        response = http.get(url, params=params, timeout=5)
        assert response.status_code == 400 and response.json()["error"] == "bad_request"
    assert len(feed(http, server, limit=1000)["items"]) == 300
    default = http.get(url, timeout=5).json()
    assert len(default["items"]) == 100 and default["has_more"]


def test_get_one_with_etag(server: DemoServer, http: requests.Session) -> None:
    response = http.get(f"{server.url}/v1/escalations/ESC-000007", timeout=5)
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    assert response.json() == server.state.get("ESC-000007")
    missing = http.get(f"{server.url}/v1/escalations/ESC-999999", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert http.get(f"{server.url}/v1/nothing", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/elsewhere", timeout=5).status_code == 404
    wrong = http.delete(f"{server.url}/v1/escalations/ESC-000007", timeout=5)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET, PATCH"


def test_patch_is_conditional(server: DemoServer, http: requests.Session) -> None:
    ok = patch(http, server, "ESC-000010", 1, status="triaged", assignee="a.tan")
    assert ok.status_code == 200
    version = ok.json()["version"]
    assert version > 1 and ok.headers["ETag"] == f'"{version}"'
    assert server.state.get("ESC-000010")["assignee"] == "a.tan"  # type: ignore[index]

    stale = patch(http, server, "ESC-000010", 1, severity="S0")
    assert stale.status_code == 412
    body = stale.json()
    assert body["error"] == "version_mismatch" and body["current"]["version"] == version
    assert body["current"]["status"] == "triaged"
    assert server.state.patch_count("ESC-000010") == 1

    missing = http.patch(f"{server.url}/v1/escalations/ESC-000010", json={"status": "new"},
                         timeout=5)
    assert missing.status_code == 428 and missing.json()["error"] == "precondition_required"


def test_patch_after_a_concurrent_server_change_conflicts(server: DemoServer,
                                                          http: requests.Session) -> None:
    server.state.mutate("ESC-000011", severity="S0")
    response = patch(http, server, "ESC-000011", 1, severity="S3")
    assert response.status_code == 412 and response.json()["current"]["severity"] == "S0"


def test_patch_validation(server: DemoServer, http: requests.Session) -> None:
    url = f"{server.url}/v1/escalations/ESC-000012"
    for body in ({}, {"title": "x"}, {"status": "bogus"}, {"severity": "S9"}, [1]):
        response = http.patch(url, json=body, headers={"If-Match": '"1"'}, timeout=5)
        assert response.status_code == 422 and response.json()["error"] == "invalid", body
    bad_json = http.patch(url, data=b"{nope", headers={"If-Match": '"1"'}, timeout=5)
    assert bad_json.status_code == 400
    bad_etag = http.patch(url, json={"status": "new"}, headers={"If-Match": "*"}, timeout=5)
    assert bad_etag.status_code == 400
    huge = http.patch(url, data=b"x" * (1024 * 1024 + 1), headers={"If-Match": '"1"'},
                      timeout=5)
    assert huge.status_code == 413
    assert server.state.patch_count("ESC-000012") == 0


def test_notes_and_replies_are_idempotent(server: DemoServer, http: requests.Session) -> None:
    url = f"{server.url}/v1/escalations/ESC-000020"
    body = {"text": "Containment confirmed by T&S Jakarta.", "author": "d.pratama"}
    first = http.post(f"{url}/notes", json=body, headers={"Idempotency-Key": "op-1"}, timeout=5)
    second = http.post(f"{url}/notes", json=body, headers={"Idempotency-Key": "op-1"}, timeout=5)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.json()["id"].startswith("note-")
    assert second.headers.get("Idempotent-Replayed") == "true"
    listed = http.get(f"{url}/notes", timeout=5).json()["items"]
    assert [n["text"] for n in listed] == [body["text"]]
    assert len(server.state.notes("ESC-000020")) == 1

    reply = http.post(f"{url}/replies", json=body, headers={"Idempotency-Key": "op-1"})
    assert reply.status_code == 201 and reply.json()["id"].startswith("reply-")
    again = http.post(f"{url}/replies", json=body, headers={"Idempotency-Key": "op-1"})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == reply.json()
    assert http.post(f"{url}/notes", json={"text": ""}, timeout=5).status_code == 422
    assert http.get(f"{url}/replies", timeout=5).json()["items"] == [reply.json()]
    assert server.state.get("ESC-000020")["version"] == 1  # type: ignore[index]


def test_a_fact_joins_the_record_once(server: DemoServer, http: requests.Session) -> None:
    url = f"{server.url}/v1/escalations/ESC-000021"
    body = {"text": "Clip re-uploaded 40 times", "author": "d.pratama"}
    first = http.post(f"{url}/facts", json=body, headers={"Idempotency-Key": "f-1"}, timeout=5)
    second = http.post(f"{url}/facts", json=body, headers={"Idempotency-Key": "f-1"},
                       timeout=5)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    record = http.get(url, timeout=5).json()
    assert [f["text"] for f in record["facts"]].count(body["text"]) == 1
    assert record["version"] == first.json()["version"] > 1  # a change: in the feed again
    history = http.get(f"{url}/history", timeout=5).json()["items"]
    assert [h["kind"] for h in history] == ["fact"]


def test_a_status_change_carries_its_reason_and_canonical(server: DemoServer,
                                                          http: requests.Session) -> None:
    url = f"{server.url}/v1/escalations/ESC-000022"

    def send(body: dict[str, object]) -> requests.Response:
        version = http.get(url, timeout=5).json()["version"]
        return http.patch(url, json=body, headers={"If-Match": f'"{version}"'}, timeout=5)

    assert send({"status_reason": "no status"}).status_code == 422
    assert send({"status": "declined", "duplicate_of": "ESC-000001"}).status_code == 422
    missing = send({"status": "duplicate", "duplicate_of": "ESC-999999"})
    assert missing.status_code == 422 and "ESC-999999" in missing.json()["message"]
    assert send({"status": "duplicate", "duplicate_of": "ESC-000022"}).status_code == 422
    ok = send({"status": "duplicate", "duplicate_of": "ESC-000001", "status_reason": "same"})
    assert ok.status_code == 200
    assert (ok.json()["duplicate_of"], ok.json()["status_reason"]) == ("ESC-000001", "same")
    cleared = send({"status": "triaged"}).json()  # a new status, no reason: none kept
    assert (cleared["duplicate_of"], cleared["status_reason"]) == (None, None)


def test_analysts(server: DemoServer, http: requests.Session) -> None:
    analysts = http.get(f"{server.url}/v1/analysts", timeout=5).json()["items"]
    assert len(analysts) >= 12
    tan = next(a for a in analysts if a["id"] == "a.tan")
    assert tan == {"id": "a.tan", "name": "Aileen Tan", "email": "a.tan@example.com",
                   "languages": ["en", "ms", "zh"], "markets": ["SG", "MY"]}


def test_fault_429_has_retry_after(server: DemoServer, http: requests.Session) -> None:
    server.faults.add("429", count=2, retry_after=1, method="GET")
    for _ in range(2):
        response = http.get(f"{server.url}/v1/escalations", timeout=5)
        assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert http.get(f"{server.url}/v1/escalations", timeout=5).status_code == 200


def test_fault_5xx_and_path_filter(server: DemoServer, http: requests.Session) -> None:
    server.faults.add("5xx", status=502, path="/v1/analysts")
    assert http.get(f"{server.url}/v1/escalations", timeout=5).status_code == 200
    response = http.get(f"{server.url}/v1/analysts", timeout=5)
    assert response.status_code == 502 and response.json()["error"] == "unavailable"
    assert http.get(f"{server.url}/v1/analysts", timeout=5).status_code == 200


def test_fault_drop_applies_the_patch_but_loses_the_answer(server: DemoServer,
                                                           http: requests.Session) -> None:
    server.faults.add("drop", count=1, method="PATCH")
    with pytest.raises(requests.ConnectionError):
        patch(http, server, "ESC-000030", 1, status="investigating")
    assert server.state.patch_count("ESC-000030") == 1
    current = server.state.get("ESC-000030")
    assert current is not None and current["status"] == "investigating"
    retry = patch(http, server, "ESC-000030", 1, status="investigating")
    assert retry.status_code == 412 and retry.json()["current"]["status"] == "investigating"
    assert server.state.patch_count("ESC-000030") == 1


def test_fault_drop_on_a_note_stores_it_once_with_the_key(server: DemoServer,
                                                          http: requests.Session) -> None:
    server.faults.add("drop", method="POST")
    url = f"{server.url}/v1/escalations/ESC-000031/notes"
    body = {"text": "Escalated to Legal.", "author": "p.iyer"}
    with pytest.raises(requests.ConnectionError):
        http.post(url, json=body, headers={"Idempotency-Key": "k-drop"}, timeout=5)
    again = http.post(url, json=body, headers={"Idempotency-Key": "k-drop"}, timeout=5)
    assert again.status_code == 201
    assert len(server.state.notes("ESC-000031")) == 1


def test_fault_drop_before_applies_nothing(server: DemoServer, http: requests.Session) -> None:
    server.faults.add("drop_before", method="PATCH")
    with pytest.raises(requests.ConnectionError):
        patch(http, server, "ESC-000032", 1, status="investigating")
    assert server.state.patch_count("ESC-000032") == 0
    assert server.state.get("ESC-000032")["version"] == 1  # type: ignore[index]
    assert patch(http, server, "ESC-000032", 1, status="investigating").status_code == 200


def test_fault_latency(server: DemoServer, http: requests.Session) -> None:
    server.faults.add("latency", seconds=0.3)
    started = time.monotonic()
    assert http.get(f"{server.url}/v1/analysts", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_random_faults_then_clear(server: DemoServer, http: requests.Session) -> None:
    server.faults.set_random(seed=1, rate_5xx=0.3, rate_429=0.3)
    codes = {http.get(f"{server.url}/v1/analysts", timeout=5).status_code for _ in range(40)}
    assert codes >= {200, 429} and codes & {500, 502, 503}
    server.faults.clear()
    assert {http.get(f"{server.url}/v1/analysts", timeout=5).status_code
            for _ in range(10)} == {200}


def test_handler_errors_become_500_and_the_server_lives_on(
        server: DemoServer, http: requests.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(after_seq: int, limit: int) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(server.state, "page", broken)
    response = http.get(f"{server.url}/v1/escalations", timeout=5)
    assert response.status_code == 500 and response.json()["error"] == "internal"
    assert http.get(f"{server.url}/v1/analysts", timeout=5).status_code == 200


def test_live_mode_produces_changes(server: DemoServer, http: requests.Session) -> None:
    _, cursor = read_to_end(http, server)
    server.start_live(0.05)
    deadline = time.monotonic() + 5
    changed: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(changed) < 5:
        time.sleep(0.1)
        page = feed(http, server, cursor)
        changed += page["items"]
        cursor = page["next_cursor"]
    server.stop_live()
    assert len(changed) >= 5
    assert all(item["version"] > 1_000_000_000_000 for item in changed)


def test_openapi_document_is_served_and_covers_every_route(server: DemoServer) -> None:
    response = requests.get(f"{server.url}/v1/openapi.yaml", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    text = response.text
    source = Path(__file__).parents[2] / "rr_desktop" / "demo" / "openapi.yaml"
    assert text == source.read_text(encoding="utf-8")
    assert text.startswith("openapi: 3.1.0")
    for route in ROUTES:
        assert f"\n  {route}:\n" in text, route
    for needle in ("scheme: bearer", "If-Match", "Idempotency-Key", "Retry-After", '"410"',
                   '"412"', '"428"', "cursor_expired", "version_mismatch"):
        assert needle in text, needle


def test_openapi_parses_when_pyyaml_is_available(server: DemoServer) -> None:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(requests.get(f"{server.url}/v1/openapi.yaml", timeout=5).text)
    assert doc["openapi"] == "3.1.0" and sorted(doc["paths"]) == sorted(ROUTES)


def test_quiet_under_errors(server: DemoServer, http: requests.Session,
                            capfd: pytest.CaptureFixture[str]) -> None:
    server.faults.add("drop", method="GET")
    with pytest.raises(requests.ConnectionError):
        http.get(f"{server.url}/v1/analysts", timeout=5)
    requests.get(f"{server.url}/v1/escalations", timeout=5)
    http.get(f"{server.url}/v1/escalations?cursor=bad", timeout=5)
    server.stop()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.slow
def test_standalone_serve_prints_its_url_and_stops_on_sigterm() -> None:
    repo = Path(__file__).parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rr_desktop.demo", "--port", "0", "--count", "50",
         "--token", TOKEN, "--live", "0.05"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match and TOKEN in line, line
        response = requests.get(f"{match.group(1)}/v1/escalations", headers=AUTH, timeout=5)
        assert response.status_code == 200 and len(response.json()["items"]) >= 50
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out == "" and err == ""
