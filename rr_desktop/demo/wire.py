"""The wire format of the reference escalation service: timestamps, JSON and validation.

Timestamps are UTC ISO-8601 with a trailing ``Z`` at second precision. Request bodies are
validated here so that the store only ever sees well-formed changes.
"""

from __future__ import annotations

import calendar
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec

from rr_desktop.domain.enums import Status

PATCHABLE_FIELDS = frozenset({"status", "assignee", "severity", "urgency", "tags"})
# What a status change may carry: why (a decline's reason), and for a duplicate the
# escalation it duplicates. Stored on the record with the status.
STATUS_CONTEXT = frozenset({"status_reason", "duplicate_of"})
MAX_REASON = 2_000
MAX_TEXT = 20_000
MAX_NAME = 200
MAX_TAGS = 32
MAX_TAG_LEN = 64

_STATUSES = frozenset(s.value for s in Status)
_SEVERITIES = frozenset({"S0", "S1", "S2", "S3"})
_URGENCIES = frozenset({"U0", "U1", "U2", "U3"})

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class InvalidRequest(ValueError):
    """A syntactically valid request whose content breaks the contract (HTTP 422)."""


def encode(value: Any) -> bytes:
    """JSON bytes of a plain value (dicts, lists, str, int, bool, None)."""
    return _encoder.encode(value)


def decode(data: bytes) -> Any:
    """Parse JSON bytes; raises ``msgspec.DecodeError`` on malformed input."""
    return _decoder.decode(data)


# "MM:SSZ" for every second of an hour: ``iso`` is then one cache hit and one index.
_MINUTE_SECOND = tuple(f"{m:02d}:{s:02d}Z" for m in range(60) for s in range(60))


@lru_cache(maxsize=8192)
def _hour(hour_number: int) -> str:
    return time.strftime("%Y-%m-%dT%H:", time.gmtime(hour_number * 3600))


def iso(epoch_s: int) -> str:
    """``2026-11-25T01:02:03Z`` for a UTC epoch second (fast: the hour part is cached)."""
    hour, rest = divmod(epoch_s, 3600)
    return _hour(hour) + _MINUTE_SECOND[rest]


def epoch(moment: datetime) -> int:
    """UTC epoch seconds of ``moment``; a naive datetime is taken to be UTC already."""
    return calendar.timegm(moment.utctimetuple())


def parse_iso(text: str) -> int:
    """Epoch seconds of a wire timestamp (inverse of :func:`iso`)."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many small acyclic containers: with 100k records
    alive, every generation-2 pass would walk all of them, again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_patch(body: object) -> dict[str, Any]:
    """The changes of a PATCH body, or :class:`InvalidRequest` naming the first problem."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    if not set(body) & PATCHABLE_FIELDS:
        raise InvalidRequest(f"the body must change at least one of {sorted(PATCHABLE_FIELDS)}")
    unknown = sorted(set(body) - PATCHABLE_FIELDS - STATUS_CONTEXT)
    if unknown:
        raise InvalidRequest(f"fields that cannot be changed: {unknown}")
    if set(body) & STATUS_CONTEXT and "status" not in body:
        raise InvalidRequest("status_reason and duplicate_of go with a status change")
    if "duplicate_of" in body and body.get("status") != "duplicate":
        raise InvalidRequest("duplicate_of goes with the status duplicate")
    for name, value in body.items():
        _check_field(name, value)
    return dict(body)


def _check_field(name: str, value: object) -> None:
    if name == "status" and value not in _STATUSES:
        raise InvalidRequest(f"status must be one of {sorted(_STATUSES)}")
    if name == "severity" and value not in _SEVERITIES:
        raise InvalidRequest("severity must be one of S0, S1, S2, S3")
    if name == "urgency" and value not in _URGENCIES:
        raise InvalidRequest("urgency must be one of U0, U1, U2, U3")
    if name == "assignee" and value is not None and not _is_name(value):
        raise InvalidRequest(f"assignee must be null or a string of 1..{MAX_NAME} characters")
    if name == "status_reason" and not (isinstance(value, str)
                                        and 1 <= len(value.strip()) <= MAX_REASON):
        raise InvalidRequest(f"status_reason must be a string of 1..{MAX_REASON} characters")
    if name == "duplicate_of" and not _is_name(value):
        raise InvalidRequest("duplicate_of must be the id of another escalation")
    if name == "tags":
        if not isinstance(value, list) or len(value) > MAX_TAGS:
            raise InvalidRequest(f"tags must be a list of at most {MAX_TAGS} strings")
        for tag in value:
            if not isinstance(tag, str) or not 1 <= len(tag.strip()) <= MAX_TAG_LEN:
                raise InvalidRequest(f"each tag must be a string of 1..{MAX_TAG_LEN} characters")


def _is_name(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value.strip()) <= MAX_NAME


def validate_note(body: object) -> tuple[str, str]:
    """``(text, author)`` of a note, fact or reply body, or :class:`InvalidRequest`."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    unknown = sorted(set(body) - {"text", "author"})
    if unknown:
        raise InvalidRequest(f"unknown fields: {unknown}")
    text = body.get("text")
    author = body.get("author")
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT or not text.strip():
        raise InvalidRequest(f"text must be a non-blank string of 1..{MAX_TEXT} characters")
    if not _is_name(author):
        raise InvalidRequest(f"author must be a string of 1..{MAX_NAME} characters")
    assert isinstance(author, str)
    return text, author
