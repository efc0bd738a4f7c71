"""What this channel reads from any JSON API's HTTP answers, by the standards (each tool
documents only its own shapes; the client's docstring lists them): the origin a request
may go to, an item's URL, the server's clock (Date) and rate-limit reset headers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

import requests

from .cursor import value_as_int

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def url_for(template: str, external_id: str) -> str:
    """A URL template with {id} filled in as one path segment (never "..", never "/")."""
    segment = quote(external_id, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return template.replace("{id}", segment)


def server_time(resp: requests.Response) -> datetime | None:
    """The server's clock from its Date header (RFC 9110 6.6.1), aware UTC."""
    value = resp.headers.get("Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def server_ms(resp: requests.Response) -> int | None:
    when = server_time(resp)
    return None if when is None else int(when.timestamp() * 1000)


def reset_wait(resp: requests.Response) -> float | None:
    """Seconds until an X-RateLimit-Reset / RateLimit-Reset (delta seconds when small,
    else epoch seconds measured against the server's Date), or None."""
    raw = resp.headers.get("X-RateLimit-Reset") or resp.headers.get("RateLimit-Reset")
    value = value_as_int(raw)
    if value is None:
        return None
    if value < 1_000_000_000:
        return float(value)  # delta seconds
    clock_ms = server_ms(resp)
    now = clock_ms / 1000 if clock_ms is not None else time.time()
    return max(value - now, 0.0) + 1.0
