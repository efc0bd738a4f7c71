"""Small documented rules of Jira's REST API: issue paths, error bodies, the server's
clock and rate-limit headers."""

from __future__ import annotations

import re
import time
from datetime import datetime
from email.utils import parsedate_to_datetime

import msgspec
import requests

from ..contract import Rejected
from .records import parse_time

DEFAULT_WAIT_S = 30.0
_ISSUE_REF = re.compile(r"[0-9]{1,20}|[A-Z][A-Z0-9_]{0,99}-[0-9]{1,12}")
_decode = msgspec.json.Decoder()


def error_text(resp: requests.Response) -> str:
    """Jira's error body {"errorMessages": [...], "errors": {field: message}} as one
    line (capped); the raw text when the body is not that."""
    try:
        body = _decode.decode(resp.content)
    except (msgspec.DecodeError, RecursionError):
        body = None
    msgs: list[str] = []
    if isinstance(body, dict):
        msgs = [m for m in body.get("errorMessages") or [] if isinstance(m, str)]
        errs = body.get("errors")
        if isinstance(errs, dict):
            msgs += [f"{k}: {v}" for k, v in errs.items() if isinstance(v, str)]
    return "; ".join(msgs)[:300] or resp.text[:200]


def server_time(resp: requests.Response) -> datetime | None:
    """The server clock from the Date header (for the channel's lag display)."""
    try:
        return parsedate_to_datetime(resp.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None


def reset_wait(reset: str, date: str | None) -> float:
    """Seconds until X-RateLimit-Reset (ISO 8601, `yyyy-MM-ddTHH:mmZ`), measured from the
    response's Date header (the server clock) when there is one; 1 s .. 1 h."""
    try:
        until = parse_time(reset.strip().replace("Z", "+00:00"), "X-RateLimit-Reset")
        now = parsedate_to_datetime(date).timestamp() if date else time.time()
    except (ValueError, TypeError):
        return DEFAULT_WAIT_S
    return min(max(until.timestamp() - now, 1.0), 3600.0)


def issue_path(issue: str) -> str:
    """The REST path of an issue id or key (anything else is refused, not sent)."""
    if not _ISSUE_REF.fullmatch(issue):
        raise Rejected(f"{issue[:40]!r} is not a Jira issue id")
    return f"/rest/api/3/issue/{issue}"
