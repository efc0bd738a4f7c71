"""One answer of the reference service, and its error shape (openapi.yaml, Error)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .wire import encode

JSON = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Response:
    """Status, JSON (or YAML) bytes and extra headers of one answer."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON


def error(status: int, code: str, message: str, **extra: Any) -> Response:
    """The API's error shape: ``{"error": code, "message": ...}`` plus extra fields."""
    return Response(status, encode({"error": code, "message": message, **extra}))


def not_allowed(allow: str) -> Response:
    """405 naming the methods the route has."""
    return Response(405, encode({"error": "method_not_allowed",
                                 "message": f"allowed: {allow}"}), {"Allow": allow})


_NUMBER = re.compile(r"\d{1,18}\Z")


def feed_params(query: str, default_limit: int, max_limit: int) -> tuple[int, int] | Response:
    """`after` and `limit` of a numbered feed's page (incident events, post-mortems), or
    the 400 that says which is wrong."""
    params = parse_qs(query, keep_blank_values=True)
    raw_after = params.get("after", ["0"])[-1]
    raw_limit = params.get("limit", [str(default_limit)])[-1]
    if not _NUMBER.match(raw_after):
        return error(400, "bad_request", "after must be a seq: an integer of 0 or more")
    if not _NUMBER.match(raw_limit) or not 1 <= int(raw_limit) <= max_limit:
        return error(400, "bad_request", f"limit must be an integer 1..{max_limit}")
    return int(raw_after), int(raw_limit)
