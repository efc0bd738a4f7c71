"""One answer of the reference service, and its error shape (openapi.yaml, Error)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
