"""The hub's structured log: one JSON object per line on stderr (docs/hub-operations.md).

Every line has `at` (ISO-8601 UTC with milliseconds), `level` and `event`, plus the
event's own fields: `start`, `listening`, `stop`, `request_error`, `slow_request`,
`request_start` and `request` (debug only: every request as it comes and as it is
answered) and `uvicorn` (the server library's own warnings, with its
`message`). Log shippers (journald, Vector, Loki) read it as it is.

Secrets never reach the log: the hub logs paths without their query strings, never a
header, and the database URL without its password; as a last line of defence every
line is scrubbed of anything shaped like a hub token, a bearer credential or a URL's
password before it is written (`scrub`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

LOGGER_NAME = "rr_desktop.hub"
LEVELS = ("debug", "info", "warning", "error")
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi")

_SECRETS = (
    (re.compile(r"rrh_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"), "rrh_[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1[redacted]"),
    (re.compile(r"(://[^/\s:@\"]*:)(?!\*\*\*@)[^@\s\"]*@"), r"\1[redacted]@"),
    (re.compile(r"(?i)(password\s*=\s*)[^\s\"']+"), r"\1[redacted]"),
)

log = logging.getLogger(LOGGER_NAME)


def scrub(text: str) -> str:
    """`text` with hub tokens, bearer credentials and URL passwords replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: at, level, event, then the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "at": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line["event"] = record.msg
            line.update(fields)
        else:  # a library's own record (uvicorn): its text is the message
            line["event"] = record.name.split(".")[0]
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return scrub(json.dumps(line, ensure_ascii=False, default=str))


class StderrHandler(logging.Handler):
    """Writes each line to whatever `sys.stderr` is at the time (tests capture it),
    flushed at once (journald and pipes see it as it happens)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except Exception:  # a log line must never break the request it describes
            self.handleError(record)


def configure(level: str = "info") -> None:
    """Send the hub's and uvicorn's records to stderr as JSON lines, at `level` and up
    (uvicorn's own info lines only at debug: the hub logs its start and stop itself)."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    numeric = getattr(logging, level.upper())
    library = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name, lowest in ((LOGGER_NAME, numeric), *((n, library) for n in _UVICORN_LOGGERS)):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(lowest)
        logger.propagate = False


def event(level: int, name: str, exc_info: bool = False, **fields: Any) -> None:
    """Log one event with its fields (`exc_info`: add the exception being handled)."""
    log.log(level, name, extra={"fields": fields}, exc_info=exc_info)


# Routes that wait on purpose (the long poll): never "slow".
WAITING_PATHS = frozenset({"/v1/changes/wait"})

Scope = dict[str, Any]
Message = dict[str, Any]


class RequestLog:
    """ASGI middleware: logs a request that failed (an exception, or a 5xx answer) and
    one slower than `slow_ms`, and every request at debug level (as it starts and as it
    is answered). Method, path (no query
    string), status, duration and client address; never a header or a body."""

    def __init__(self, app: Any, slow_ms: float) -> None:
        self.app = app
        self.slow_ms = slow_ms

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status: list[int] = []

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        client = scope.get("client")
        fields: dict[str, Any] = {"method": scope.get("method"), "path": scope.get("path"),
                                  "client": client[0] if client else None}
        event(logging.DEBUG, "request_start", **fields)
        try:
            await self.app(scope, receive, send_status)
        except Exception:
            ms = round((time.monotonic() - started) * 1000, 1)
            event(logging.ERROR, "request_error", exc_info=True, **fields,
                  status=status[0] if status else 500, ms=ms)
            if not status:  # nothing answered yet: answer for the app
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body",
                            "body": b'{"error": "internal", "message": "the hub failed '
                                    b'to answer this request; it is in the hub\'s log"}'})
            return
        ms = round((time.monotonic() - started) * 1000, 1)
        code = status[0] if status else 0
        if code >= 500:
            event(logging.WARNING, "request_error", **fields, status=code, ms=ms)
        elif ms >= self.slow_ms and fields["path"] not in WAITING_PATHS:
            event(logging.WARNING, "slow_request", **fields, status=code, ms=ms)
        else:
            event(logging.DEBUG, "request", **fields, status=code, ms=ms)
