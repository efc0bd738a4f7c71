"""The events an incident is made of, their shape and how a new one is made
(docs/incidents.md). No I/O: the desktop's store and the reference service both check
events with `validate_event` and fold them with `domain/incident.py`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

STATUSES = ("active", "contained", "stable", "resolved", "closed")
ROLES = ("commander", "scribe", "liaison")
FIELDS = ("title", "type", "severity", "priority", "markets", "summary")
SEVERITIES = ("S0", "S1", "S2", "S3")
PRIORITIES = ("P0", "P1", "P2", "P3", "P4")
REQUEST_STATUSES = ("open", "answered", "withdrawn")
CONTAINMENT_STATES = ("planned", "in_progress", "done")
AUDIENCES = ("team", "exec")
MAX_TEXT = 20_000
MAX_TITLE = 300

# What a `data` object must hold, per kind: key -> checker (returns a sentence or None).
Check = Callable[[Any], str | None]


def _text(limit: int = MAX_TEXT, empty: bool = True) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return "must be text"
        if len(v) > limit:
            return f"can be at most {limit} characters"
        if not empty and not v.strip():
            return "cannot be empty"
        return None
    return check


def _one_of(values: tuple[str, ...]) -> Check:
    return lambda v: None if v in values else f"must be one of {', '.join(values)}"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _time_or_empty(v: Any) -> str | None:
    if v == "":
        return None
    return None if isinstance(v, str) and parse_time(v) is not None else \
        "must be an ISO-8601 time with a zone, or empty"


def _markets(v: Any) -> str | None:
    if not isinstance(v, list) or len(v) > 60:
        return "must be a list of market codes"
    if not all(isinstance(m, str) and len(m) == 2 and m.isalpha() and m.isupper() for m in v):
        return "must hold two-letter market codes such as AU or JP"
    return None


def _list(v: Any) -> str | None:
    return None if isinstance(v, list) and len(v) <= 500 else "must be a list"


def _evidence(v: Any) -> str | None:
    """What to attach: a text, or a list of texts (as playbooks write it)."""
    if isinstance(v, list):
        return None if len(v) <= 50 and all(isinstance(x, str) and len(x) <= 500 for x in v) \
            else "must be a list of short texts"
    return _text(2000)(v)


def _int(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else \
        "must be a whole number"


_LINK: dict[str, Check] = {"source": _text(500, empty=False),
                           "external_id": _text(500, empty=False),
                           "title": _text(MAX_TITLE * 4), "reported_at": _time_or_empty,
                           "category": _text(200), "market": _text(8)}

SCHEMA: dict[str, dict[str, Check]] = {
    "declare": {"title": _text(MAX_TITLE, empty=False), "type": _text(100),
                "severity": _one_of(SEVERITIES), "priority": _one_of(PRIORITIES),
                "markets": _markets, "summary": _text()},
    "set": {"field": _one_of(FIELDS)},
    "status": {"status": _one_of(STATUSES)},
    "role": {"role": _one_of(ROLES), "analyst": _text(200, empty=False), "assume": _bool},
    "link": _LINK,
    "unlink": {"source": _text(500, empty=False), "external_id": _text(500, empty=False)},
    "fact": {"text": _text(empty=False)},
    "pin": {"fact": _text(64, empty=False), "pinned": _bool},
    "playbook_start": {"run": _text(64, empty=False), "playbook": _text(200, empty=False),
                       "title": _text(MAX_TITLE), "markets": _markets, "steps": _list,
                       "clocks": _list},
    "step": {"run": _text(64, empty=False), "step": _text(200, empty=False), "done": _bool,
             "note": _text(), "evidence": _text()},
    "request": {"request": _text(64, empty=False), "function": _text(200, empty=False),
                "asked_of": _text(300), "question": _text(empty=False),
                "due": _time_or_empty, "blocking": _bool},
    "request_update": {"request": _text(64, empty=False), "status": _one_of(REQUEST_STATUSES),
                       "answer": _text()},
    "containment": {"action": _text(64, empty=False), "text": _text(empty=False),
                    "state": _one_of(CONTAINMENT_STATES)},
    "containment_update": {"action": _text(64, empty=False),
                           "state": _one_of(CONTAINMENT_STATES)},
    "sitrep": {"audience": _one_of(AUDIENCES), "text": _text(empty=False)},
}
KINDS = tuple(SCHEMA)
FIELD_KINDS = ("set", "status")  # edits that carry `base` and can conflict

_STEP: dict[str, Check] = {"id": _text(200, empty=False), "title": _text(MAX_TITLE, False),
                           "role": _text(100), "minutes": _int, "required": _bool,
                           "evidence": _evidence, "origin": _text(8)}
_CLOCK: dict[str, Check] = {"id": _text(200, empty=False), "title": _text(MAX_TITLE, False),
                            "hours": lambda v: None if isinstance(v, int | float)
                            and not isinstance(v, bool) and 0 < v <= 24 * 365
                            else "must be a number of hours", "market": _text(8),
                            "starts": _text(210, empty=False), "legal_confirm": _bool}


def parse_time(text: str) -> datetime | None:
    """An aware UTC datetime from ISO-8601 with a zone ("Z" too); None if it is not one."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_fields(where: str, obj: Any, schema: Mapping[str, Check]) -> str | None:
    if not isinstance(obj, Mapping):
        return f"{where} must be an object"
    for key, check in schema.items():
        if key not in obj:
            return f"{where}.{key} is missing"
        if (why := check(obj[key])) is not None:
            return f"{where}.{key} {why}"
    return None


def _check_value(field: str, value: Any) -> str | None:
    """A `set` event's value, checked as `declare` checks that field."""
    why = SCHEMA["declare"][field](value)
    return None if why is None else f"data.value {why}"


def validate_event(obj: Mapping[str, Any]) -> str | None:
    """None when `obj` is a well-formed event (docs/incidents.md), else one sentence."""
    if not isinstance(obj, Mapping):
        return "An incident event must be a JSON object."
    for key in ("uid", "incident", "actor"):
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            return f"The event's {key} must be non-empty text."
    kind = obj.get("kind")
    if kind not in SCHEMA:
        return f"Unknown event kind {str(kind)[:40]!r}; known: {', '.join(KINDS)}."
    at = obj.get("at")
    if not isinstance(at, str) or parse_time(at) is None:
        return "The event's at must be an ISO-8601 time with a zone."
    base = obj.get("base")
    if base is not None and (not isinstance(base, str) or len(base) > 200):
        return "The event's base must be an event uid or null."
    data = obj.get("data")
    if (why := _check_fields("data", data, SCHEMA[kind])) is not None:
        return f"A {kind} event is malformed: {why}."
    assert isinstance(data, Mapping)
    if kind == "set" and "value" not in data:
        return "A set event is malformed: data.value is missing."
    if kind == "set" and (why := _check_value(data["field"], data["value"])) is not None:
        return f"A set event is malformed: {why}."
    if kind == "playbook_start":
        for i, step in enumerate(data["steps"]):
            if (why := _check_fields(f"data.steps[{i}]", step, _STEP)) is not None:
                return f"A playbook_start event is malformed: {why}."
        for i, clock in enumerate(data["clocks"]):
            if (why := _check_fields(f"data.clocks[{i}]", clock, _CLOCK)) is not None:
                return f"A playbook_start event is malformed: {why}."
    return None


def new_event(incident: str, kind: str, actor: str, at: datetime, data: Mapping[str, Any],
              base: str | None = None) -> dict[str, Any]:
    """A new event with a fresh uid; ValueError (a sentence) when it is malformed."""
    event: dict[str, Any] = {"uid": str(uuid.uuid4()), "incident": incident, "kind": kind,
                             "actor": actor, "at": format_time(at), "base": base,
                             "data": dict(data)}
    if (why := validate_event(event)) is not None:
        raise ValueError(why)
    return event


def new_uid() -> str:
    return str(uuid.uuid4())
