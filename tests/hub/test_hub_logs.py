"""The hub's structured log: one JSON object per line, the request middleware's events on
a real Starlette app, and no secret in any line (a real token, a URL's password)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rr_desktop.hub import logs, tokens
from rr_desktop.hub.store import HubStore

AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Configure the hub's log at debug; a function returning the lines so far, parsed."""
    logs.configure("debug")

    def lines() -> list[dict[str, Any]]:
        err = capsys.readouterr().err
        parsed = [json.loads(line) for line in err.splitlines()]
        assert err.count("\n") == len(parsed)  # one object per line, nothing else
        return parsed

    yield lines
    for name in (logs.LOGGER_NAME, "uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logging.getLogger(name).handlers.clear()


def test_an_event_is_one_json_line_with_at_level_event_and_fields(log_lines: Any) -> None:
    logs.event(logging.INFO, "listening", url="http://127.0.0.1:8770", n=3)
    logs.event(logging.DEBUG, "request", path="/healthz")
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    first, second, third = log_lines()
    assert AT.match(first.pop("at"))
    assert first == {"level": "info", "event": "listening", "url": "http://127.0.0.1:8770",
                     "n": 3}
    assert (second["level"], second["event"]) == ("debug", "request")
    assert third | {"at": ""} == {"at": "", "level": "warning", "event": "uvicorn",
                                  "message": "Invalid HTTP request received."}
    logs.configure("warning")
    logs.event(logging.INFO, "start")
    logging.getLogger("uvicorn.error").info("Started server process")
    assert log_lines() == []


def test_no_secret_reaches_a_line(sqlite_url: str, log_lines: Any) -> None:
    store = HubStore.open(sqlite_url)
    try:
        with store.write() as conn:
            token = tokens.add_analyst(conn, "mei.tan", "lead")
    finally:
        store.close()
    secret = token.split("_", 2)[2]
    logs.event(logging.INFO, "start", database="postgresql://hub:pa55-word@db/rr_hub",
               header=f"Authorization: Bearer {token}", note=f"token={token}",
               dsn="host=db user=hub password=pa55-word")
    try:
        raise RuntimeError(f"refused {token} for postgresql://hub:pa55-word@db/rr_hub")
    except RuntimeError:
        logs.event(logging.ERROR, "request_error", exc_info=True, path="/v1/changes")
    start, error = log_lines()
    text = json.dumps([start, error])
    assert secret not in text and "pa55-word" not in text
    assert start["database"] == "postgresql://hub:[redacted]@db/rr_hub"
    assert start["header"] == "Authorization: Bearer [redacted]"
    assert start["dsn"] == "host=db user=hub password=[redacted]"
    assert error["error"].startswith("RuntimeError: refused rrh_[redacted] for ")
    assert "Traceback (most recent call last)" in error["traceback"]


def _app() -> Starlette:
    def boom(request: Request) -> Response:
        raise ValueError("a bug in a route")

    def slow(request: Request) -> Response:
        time.sleep(0.05)
        return JSONResponse({"ok": True})

    def down(request: Request) -> Response:
        return JSONResponse({"status": "unavailable"}, status_code=503)

    return Starlette(routes=[Route("/boom", boom), Route("/slow", slow),
                             Route("/v1/changes/wait", slow), Route("/down", down)])


def _call(app: Any, path: str, query: str = "") -> tuple[int, bytes]:
    """One GET through the ASGI app, as uvicorn would make it."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"hub"), (b"authorization", b"Bearer rrh_x_hush")],
             "client": ("10.0.0.7", 50000), "server": ("127.0.0.1", 8770)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent
                                     if m["type"] == "http.response.body")


def test_request_errors_and_slow_requests_are_logged(log_lines: Any) -> None:
    app = logs.RequestLog(_app(), slow_ms=20)
    assert _call(app, "/boom", "token=rrh_abc_hush")[0] == 500
    assert _call(app, "/slow")[0] == 200
    assert _call(app, "/v1/changes/wait")[0] == 200  # waits on purpose: not "slow"
    assert _call(app, "/down")[0] == 503
    lines = log_lines()
    assert "hush" not in json.dumps(lines)  # no header, no query string
    events = [(line["event"], line.get("path"), line.get("status")) for line in lines]
    assert events == [
        ("request_start", "/boom", None), ("request_error", "/boom", 500),
        ("request_start", "/slow", None), ("slow_request", "/slow", 200),
        ("request_start", "/v1/changes/wait", None), ("request", "/v1/changes/wait", 200),
        ("request_start", "/down", None), ("request_error", "/down", 503)]
    boom, slow = lines[1], lines[3]
    assert boom["level"] == "error" and boom["error"] == "ValueError: a bug in a route"
    assert boom["client"] == "10.0.0.7" and boom["method"] == "GET"
    assert slow["level"] == "warning" and slow["ms"] >= 50
    assert lines[7]["level"] == "warning"


def test_a_failure_before_any_answer_is_answered_500(log_lines: Any) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise OSError("disk gone")

    status, body = _call(logs.RequestLog(broken, slow_ms=1000), "/v1/changes")
    assert status == 500 and json.loads(body)["error"] == "internal"
    assert [line["event"] for line in log_lines()] == ["request_start", "request_error"]
