"""The one requests.Session factory: timeouts, deadlines, TLS on, no cross-host
Authorization, secrets redacted from anything that may be logged. The limits every channel
answer is held to (whole-answer deadline, size after decompression) are defined here and
enforced by `channels.transport.Transport`."""

from __future__ import annotations

import re
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from . import __version__
from .http_deadline import WATCHED_POOLS

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
# A whole answer (headers, redirects and body) must arrive within this, however slowly it
# drips: a server sending a byte a second never trips the per-read timeout above.
REQUEST_DEADLINE_S = 120.0
# The most an answer may hold after decompression (a 1 MB gzip can inflate to 1 GB). A
# 500-record page of the escalation service is about 1 MB; one record may carry 16 MB.
MAX_BODY_BYTES = 32 * 1024 * 1024
USER_AGENT = f"RR-Desktop/{__version__}"
_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:access_token|token|api_key|apikey|key|password|secret|sig)=)[^&#\s]+")
_AUTH_HEADER = re.compile(r"(?i)(authorization|x-api-key|cookie)(['\"]?\s*[:=]\s*['\"]?)[^'\"\n]+")


class TimeoutSession(requests.Session):
    """A Session whose every request has a connect and read timeout."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        kwargs.pop("verify", None)  # TLS verification is never turned off
        return super().request(method, url, *args, **kwargs)


class WatchedAdapter(HTTPAdapter):
    """An adapter whose connections a deadline can cut (see http_deadline)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


def new_session(timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
                pool_size: int = 4) -> requests.Session:
    """A Session for one channel. Redirects are followed by Transport (same host only);
    retries are the sync engine's job, not urllib3's, so that Retry-After and the outbox's
    idempotency rules stay in one place."""
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = USER_AGENT
    adapter = WatchedAdapter(pool_connections=pool_size, pool_maxsize=pool_size,
                             max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def redact(text: str) -> str:
    """Remove tokens from URLs and header dumps before they reach a log or a message."""
    text = _SECRET_QUERY.sub(r"\1[redacted]", text)
    return _AUTH_HEADER.sub(r"\1\2[redacted]", text)


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now_epoch, 0.0)
