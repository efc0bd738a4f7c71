"""HTTP for channels: one place that turns requests' failures and HTTP statuses into the
ChannelError kinds the sync engine understands (see contract.py), and holds every answer to
the same limits.

Every HTTP channel sends through a `Transport`; a channel adds only what its API documents
differently (e.g. which status means an expired cursor, a custom "wrong URL" sentence).
What every exchange gets here, whatever the channel:

- a deadline for the whole answer (headers, redirects, body), and the run's deadline;
- a size cap on the body measured after decompression, read in bounded chunks (urllib3
  >= 2.6 inflates at most the amount asked for), so a gzip bomb costs one chunk;
- redirects followed only on the same host (http -> https allowed), never to another
  one: the credentials would go with them and the other host's answer would be taken as
  this channel's;
- a broken answer (cut off mid-body, the deadline, the cap) of a write is *ambiguous*:
  the server may have applied it (see ChannelError.ambiguous).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
import urllib3.exceptions

from ..http import MAX_BODY_BYTES, REQUEST_DEADLINE_S, new_session, parse_retry_after, redact
from ..http_deadline import Deadline, watched
from ..run_deadline import run_deadline_left
from .contract import (
    AuthError,
    CursorExpired,
    NetworkError,
    RateLimited,
    Rejected,
    ServerError,
    TooLarge,
    TooSlow,
)

DEFAULT_RETRY_AFTER_S = 30.0
CHUNK_BYTES = 256 * 1024
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
StatusHook = Callable[[requests.Response], None]
_BODY_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)


def path_segment(value: str) -> str:
    """`value` (a record id) as one URL path segment: "/", "?", "#", "%" and the rest
    percent-encoded, and "." / ".." (which a server would resolve) spelled %2E."""
    segment = quote(value, safe="")
    return segment.replace(".", "%2E") if segment in (".", "..") else segment


def _site(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = -1
    return parts.scheme, (parts.hostname or "").lower(), port


def same_site(target: str, origin: str) -> bool:
    """May a request with our credentials go to `target`? Same host, and the same scheme
    and port, or the upgrade from http to https."""
    t, o = _site(target), _site(origin)
    if not t[1] or t[1] != o[1]:
        return False
    return t == o or (o[0] == "http" and t[0] == "https" and t[2] == 443)


def _was_sent(exc: BaseException) -> bool:
    """False when the connection never got as far as sending (refused, no such host)."""
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return not isinstance(reason, (urllib3.exceptions.NewConnectionError,
                                   urllib3.exceptions.ConnectTimeoutError))


class Transport:
    """A channel's HTTP session bound to a base URL, raising ChannelErrors.

    `expired_statuses`: statuses that mean "the cursor is no longer valid" (410 by
    default; reads only). `hook` runs before the generic mapping and may raise a more
    precise error. `max_body_bytes` and `deadline_s` bound every answer.
    """

    def __init__(self, name: str, base_url: str, session: requests.Session | None = None,
                 expired_statuses: Collection[int] = (410,),
                 hook: StatusHook | None = None, *, max_body_bytes: int = MAX_BODY_BYTES,
                 deadline_s: float = REQUEST_DEADLINE_S) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        self.session = session or new_session()
        self.max_body_bytes = max_body_bytes
        self.deadline_s = deadline_s
        self._expired = frozenset(expired_statuses)
        self._hook = hook

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + path

    def call(self, method: str, path: str, write: bool = False,
             ok: Collection[int] = (), **kwargs: Any) -> requests.Response:
        """Send one request and read its whole answer. `write` marks requests that change
        server state (a lost answer is then ambiguous); statuses in `ok` are returned
        instead of raised. With `allow_redirects=False` a 3xx is returned as it is."""
        url = self.url(path)
        self._check_target(url)
        left = run_deadline_left()
        if left is not None and left <= 0:  # nothing is sent after the run's time is up
            raise TooSlow(f"{self.name}: not sent: the sync reached its time limit")
        follow = kwargs.pop("allow_redirects", True)
        kwargs.pop("stream", None)  # every answer is streamed and read here, capped
        with watched(self.deadline_s) as deadline:
            resp = self._exchange(method, url, write, follow, deadline, kwargs)
            self._read_body(resp, write, deadline)
        if resp.status_code in ok:
            return resp
        self.raise_for_status(resp, write)
        return resp

    def _check_target(self, url: str) -> None:
        if not same_site(url, self.base):
            raise Rejected(f"{self.name}: refusing to send this channel's credentials to "
                           f"{redact(url)[:120]}, which is not {redact(self.base)}")
        if any(seg in (".", "..") for seg in urlsplit(url).path.split("/")):
            raise Rejected(f"{self.name}: refusing a request path with '.' or '..' in it "
                           f"({redact(url)[:120]})")

    def _exchange(self, method: str, url: str, write: bool, follow: bool,
                  deadline: Deadline, kwargs: dict[str, Any]) -> requests.Response:
        """The request, and same-host redirects when `follow`; the body is not read yet."""
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._send(method, url, write, deadline, kwargs)
            if not follow or resp.status_code not in REDIRECTS or \
                    "Location" not in resp.headers:
                return resp
            target = urljoin(resp.url, resp.headers["Location"])
            resp.close()
            if not same_site(target, self.base):
                host = _site(target)[1] or "an unusable address"
                raise Rejected(f"{self.name}: the server redirected to {host[:80]}, another "
                               f"host than {redact(self.base)}; refused (a login page or a "
                               "moved service?): check the URL")
            if resp.status_code in (301, 302, 303) and method not in ("GET", "HEAD"):
                raise Rejected(f"{self.name}: the server redirected a {method} "
                               f"({resp.status_code}); it was not sent again: check the URL")
            url = target
            kwargs.pop("params", None)  # the Location carries its own query
        raise Rejected(f"{self.name}: too many redirects from {redact(self.base)}")

    def _send(self, method: str, url: str, write: bool, deadline: Deadline,
              kwargs: dict[str, Any]) -> requests.Response:
        try:
            return self.session.request(method, url, allow_redirects=False, stream=True,
                                        **kwargs)
        except requests.exceptions.ConnectTimeout as exc:
            raise self._too_slow(deadline, write) if deadline.expired else NetworkError(
                f"{self.name}: the server did not answer in time") from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            if deadline.expired:
                raise self._too_slow(deadline, write) from exc
            if isinstance(exc, requests.exceptions.SSLError):
                raise NetworkError(f"{self.name}: TLS error talking to {redact(self.base)}",
                                   ambiguous=write and deadline.sending) from exc
            raise NetworkError(
                f"{self.name}: cannot reach {redact(self.base)} ({type(exc).__name__})",
                ambiguous=write and _was_sent(exc)) from exc
        except requests.exceptions.ContentDecodingError as exc:
            raise ServerError(f"{self.name}: the server sent an answer that cannot be "
                              "decompressed") from exc
        except requests.exceptions.RequestException as exc:
            raise Rejected(f"{self.name}: invalid request to {redact(url)} ({exc})") from exc

    def _read_body(self, resp: requests.Response, write: bool, deadline: Deadline) -> None:
        """Read the whole body into `resp` (its .content/.text/.json work as usual),
        chunk by chunk after decompression, refusing it past the cap."""
        cap = self.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap and \
                    not resp.headers.get("Content-Encoding"):
                raise self._too_large(int(declared), write)
            while True:
                chunk = resp.raw.read(CHUNK_BYTES, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise self._too_large(size, write)
                chunks.append(chunk)
        except urllib3.exceptions.DecodeError as exc:
            resp.close()
            raise ServerError(f"{self.name}: the server sent an answer that cannot be "
                              "decompressed") from exc
        except _BODY_ERRORS as exc:
            resp.close()
            if deadline.expired:
                raise self._too_slow(deadline, write) from exc
            raise NetworkError(
                f"{self.name}: the connection broke while {redact(self.base)} was answering "
                f"({type(exc).__name__})" + (
                    "; the change may or may not have been applied" if write else ""),
                ambiguous=write) from exc
        except TooLarge:
            resp.close()
            raise
        if deadline.expired:  # a close-delimited body looks complete when cut
            resp.close()
            raise self._too_slow(deadline, write)
        # What requests itself sets once it has read a body: .content, .text, .json() and
        # iter_content() then serve these bytes.
        resp._content = b"".join(chunks)
        resp._content_consumed = True  # type: ignore[attr-defined]

    def _too_large(self, size: int, write: bool) -> TooLarge:
        what = f"{self.max_body_bytes // (1024 * 1024)} MB" \
            if self.max_body_bytes >= 1024 * 1024 else f"{self.max_body_bytes} bytes"
        return TooLarge(f"{self.name}: the server's answer is larger than {what} (at least "
                        f"{size:,} bytes after decompression); refused" + (
                            "; the change may or may not have been applied" if write else ""),
                        ambiguous=write)

    def _too_slow(self, deadline: Deadline, write: bool) -> TooSlow:
        left = run_deadline_left()
        if left is not None and left <= 0.5:
            why = "the sync reached its time limit"
        else:
            why = f"it took over {self.deadline_s:.0f} s (the server sends too slowly)"
        sent = write and deadline.sending
        return TooSlow(f"{self.name}: stopped waiting for {redact(self.base)}: {why}" + (
            "; the change may or may not have been applied" if sent else ""),
            ambiguous=sent)

    def raise_for_status(self, resp: requests.Response, write: bool = False) -> None:
        code = resp.status_code
        if code < 400:
            return
        if self._hook is not None:
            self._hook(resp)
        if code in (401, 403):
            raise AuthError(f"{self.name}: the server refused the credentials ({code})")
        if code in self._expired and not write:
            raise CursorExpired(f"{self.name}: the server no longer accepts the sync cursor "
                                f"({code})")
        if code == 429:
            wait = parse_retry_after(resp.headers.get("Retry-After"), time.time())
            raise RateLimited(f"{self.name}: rate limited",
                              wait if wait is not None else DEFAULT_RETRY_AFTER_S)
        if code >= 500:
            raise ServerError(f"{self.name}: server error {code}")
        if code == 404:
            raise Rejected(f"{self.name}: {redact(resp.url)} was not found (404): "
                           "check the URL")
        raise Rejected(f"{self.name}: request refused ({code}): {resp.text[:200]}")
